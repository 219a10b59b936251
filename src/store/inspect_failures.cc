// Failures grouped by reason, in one pass over /failures.
#include "inspect_failures.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "astrasweep/store/archive.h"
#include "row_scan.h"
#include "text_table.h"

namespace astrasweep::store {
namespace {

// Distinct reasons kept; the rest are counted together.
constexpr std::size_t kMaxReasons = 1000;

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool IsNamePart(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// The end of the number at `at`: digits, a fraction, an exponent.
std::size_t NumberEnd(std::string_view text, std::size_t at) {
  auto digits = [&](std::size_t i) {
    while (i < text.size() && IsDigit(text[i])) ++i;
    return i;
  };
  std::size_t end = digits(at);
  if (end + 1 < text.size() && text[end] == '.' && IsDigit(text[end + 1])) end = digits(end + 1);
  if (end < text.size() && (text[end] == 'e' || text[end] == 'E')) {
    std::size_t sign =
        end + 1 < text.size() && (text[end + 1] == '+' || text[end + 1] == '-') ? end + 2 : end + 1;
    if (sign < text.size() && IsDigit(text[sign])) end = digits(sign);
  }
  return end;
}

struct Reason {
  std::uint64_t points = 0;
  std::uint64_t example = 0;
  std::string message;  // the example's
  bool varies = false;  // other points' messages differ (in their numbers)
};

std::string ReasonsText(const std::map<std::pair<std::string, std::string>, Reason>& reasons,
                        std::uint64_t others, std::size_t top) {
  std::vector<std::pair<const std::pair<std::string, std::string>*, const Reason*>> sorted;
  for (const auto& [key, reason] : reasons) sorted.push_back({&key, &reason});
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second->points > b.second->points;
  });
  TextTable table({"points", "stage", "e.g. point", "message"});
  table.SetAlign(1, TextTable::Align::kLeft);
  table.SetAlign(3, TextTable::Align::kLeft);
  for (std::size_t i = 0; i < sorted.size() && i < top; ++i) {
    const Reason& reason = *sorted[i].second;
    table.Add({std::to_string(reason.points), sorted[i].first->first,
               std::to_string(reason.example),
               reason.message + (reason.varies ? "  (the numbers vary)" : "")});
  }
  std::string out = table.Text();
  std::uint64_t rest = others;
  for (std::size_t i = top; i < sorted.size(); ++i) rest += sorted[i].second->points;
  if (rest > 0)
    out += fmt::format("  ... and {} points for other reasons (--top N lists more)\n", rest);
  return out;
}

}  // namespace

std::string FailureReason(std::string_view message) {
  std::string out;
  for (std::size_t i = 0; i < message.size();) {
    const bool starts =
        IsDigit(message[i]) && (i == 0 || !(IsNamePart(message[i - 1]) || message[i - 1] == '.'));
    const std::size_t end = starts ? NumberEnd(message, i) : i + 1;
    const bool in_name = end < message.size() && IsNamePart(message[end]);
    if (starts && !in_name)
      out += '#';
    else
      out += message.substr(i, end - i);
    i = end;
  }
  return out;
}

Expected<std::string> FailuresText(const Table& failures,
                                   const std::optional<std::vector<std::uint64_t>>& kept,
                                   std::size_t top) {
  ColumnSet wanted;
  const auto index = wanted.Add<std::uint64_t>("point_index");
  const auto stage = wanted.Add<std::string_view>("stage", 32);
  const auto message = wanted.Add<std::string_view>("message", kFailureMessageBytes);
  std::map<std::string, std::uint64_t> by_stage;
  std::map<std::pair<std::string, std::string>, Reason> reasons;
  std::uint64_t total = 0, others = 0;
  ASTRASWEEP_RETURN_IF_ERROR(ScanRows(failures, wanted, [&](const RowBuffer& rows, std::size_t r) {
    const std::uint64_t point = rows.Get(r, index);
    if (kept && !std::binary_search(kept->begin(), kept->end(), point)) return;
    ++total;
    const std::string_view text = rows.Get(r, message);
    std::pair key{std::string(rows.Get(r, stage)), FailureReason(text)};
    ++by_stage[key.first];
    auto it = reasons.find(key);
    if (it == reasons.end() && reasons.size() == kMaxReasons) {
      ++others;
      return;
    }
    if (it == reasons.end())
      it = reasons.emplace(std::move(key), Reason{0, point, std::string(text), false}).first;
    ++it->second.points;
    it->second.varies = it->second.varies || text != it->second.message;
  }));
  if (total == 0) return std::string();
  std::string out = fmt::format("\nfailures    {}:", total);
  for (const auto& [name, n] : by_stage) out += fmt::format("  {} at {}", n, name);
  const std::string count =
      others > 0 ? fmt::format("more than {}", kMaxReasons) : std::to_string(reasons.size());
  out += fmt::format(", for {} reason{}\n", count, count == "1" ? "" : "s");
  return top == 0 ? out : out + ReasonsText(reasons, others, top);
}

}  // namespace astrasweep::store
