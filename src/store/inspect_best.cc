// The best points, overall and per group.
#include "inspect_best.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "astrasweep/base/strings.h"
#include "text_table.h"

namespace astrasweep::store {

void BestPoints::Visit(const RowBuffer& rows, std::size_t r) {
  if (columns_->Status(rows, r) != "ok" || top_ == 0) return;
  RankedPoint point{columns_->TokensPerS(rows, r), columns_->Index(rows, r), {}};
  if (best_.size() == top_ && !(point > best_.top())) return;
  point.cells = columns_->SummaryCells(rows, r);
  best_.push(std::move(point));
  if (best_.size() > top_) best_.pop();
}

std::string BestPoints::Text() {
  if (best_.empty()) return "";
  std::vector<RankedPoint> sorted;
  for (; !best_.empty(); best_.pop()) sorted.push_back(best_.top());
  std::reverse(sorted.begin(), sorted.end());
  TextTable table(columns_->SummaryHeader());
  for (auto& point : sorted) table.Add(std::move(point.cells));
  return fmt::format("\nbest {} points by throughput (status ok):\n", sorted.size()) + table.Text();
}

namespace {

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Takes the leading run of digits or of other characters off `text`.
std::string_view TakeRun(std::string_view& text) {
  const bool digits = IsDigit(text.front());
  std::size_t n = 1;
  while (n < text.size() && IsDigit(text[n]) == digits) ++n;
  const std::string_view run = text.substr(0, n);
  text.remove_prefix(n);
  return run;
}

// Text with its runs of digits compared as numbers: gpt-1.3b, gpt-2.7b,
// gpt-13b.
bool NaturalLess(std::string_view a, std::string_view b) {
  while (!a.empty() && !b.empty()) {
    std::string_view x = TakeRun(a), y = TakeRun(b);
    if (x == y) continue;
    if (!IsDigit(x.front()) || !IsDigit(y.front())) return x < y;
    const std::string_view x_value = x.substr(std::min(x.find_first_not_of('0'), x.size() - 1));
    const std::string_view y_value = y.substr(std::min(y.find_first_not_of('0'), y.size() - 1));
    if (x_value.size() != y_value.size()) return x_value.size() < y_value.size();
    return x_value != y_value ? x_value < y_value : x < y;
  }
  return a.size() < b.size();
}

}  // namespace

bool BestPerGroup::KeyCell::operator<(const KeyCell& other) const {
  if (!std::isnan(number) && !std::isnan(other.number)) return number < other.number;
  return NaturalLess(text, other.text);
}

Expected<BestPerGroup> BestPerGroup::Create(PointColumns& columns, std::vector<std::string> keys) {
  BestPerGroup groups(columns, std::move(keys));
  for (const std::string& key : groups.keys_) {
    auto column = columns.Find(key);
    if (!column)
      return InvalidInput("--group-by " + key + ": " + std::move(column).error().message());
    groups.key_columns_.push_back(*column);
  }
  return groups;
}

Status BestPerGroup::Visit(const RowBuffer& rows, std::size_t r) {
  std::vector<KeyCell> key;
  for (const StoredCol& column : key_columns_)
    key.push_back({PointColumns::Number(rows, r, column), PointColumns::Text(rows, r, column)});
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    if (groups_.size() == kMaxGroups)
      return InvalidInput("--group-by " + Join(keys_, ",") + " makes more than " +
                          std::to_string(kMaxGroups) +
                          " groups; group by columns of few values, such as the swept keys (" +
                          Join(columns_->swept_names(), ", ") + ")");
    it = groups_.emplace(std::move(key), Group{}).first;
  }
  Group& group = it->second;
  const std::string_view status = columns_->Status(rows, r);
  ++group.points;
  ++group.by_status[std::string(status)];
  if (status != "ok") return Ok();
  RankedPoint point{columns_->TokensPerS(rows, r), columns_->Index(rows, r), {}};
  if (group.best && !(point > *group.best)) return Ok();
  point.cells = columns_->SummaryCells(rows, r, keys_);
  group.best = std::move(point);
  return Ok();
}

std::string BestPerGroup::Text() const {
  std::vector<std::string> header = keys_;
  header.insert(header.end(), {"points", "ok"});
  for (std::string& name : columns_->SummaryHeader(keys_)) header.push_back(std::move(name));
  TextTable table(std::move(header));
  for (std::size_t c = 0; c < keys_.size(); ++c) table.SetAlign(c, TextTable::Align::kLeft);
  for (const auto& [key, group] : groups_) {
    std::vector<std::string> cells;
    for (const KeyCell& cell : key) cells.push_back(cell.text);
    cells.push_back(std::to_string(group.points));
    const auto ok = group.by_status.find("ok");
    cells.push_back(std::to_string(ok == group.by_status.end() ? 0 : ok->second));
    if (group.best) {
      cells.insert(cells.end(), group.best->cells.begin(), group.best->cells.end());
    } else {
      std::string note = "no point ok:";
      for (const auto& [status, n] : group.by_status)
        note += fmt::format("{} {} {}", note.back() == ':' ? "" : ",", n, status);
      cells.push_back(std::move(note));
    }
    table.Add(std::move(cells));
  }
  return fmt::format("\nbest point per {} (by throughput, status ok), {} groups:\n",
                     Join(keys_, ", "), groups_.size()) +
         table.Text();
}

}  // namespace astrasweep::store
