// Splitting, joining and typo suggestions.
#include "astrasweep/base/strings.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace astrasweep {

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = text.find(separator, start);
    parts.emplace_back(text.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

std::string Join(std::span<const std::string> parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> ClosestMatch(std::string_view word,
                                        std::span<const std::string> candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    std::size_t d = EditDistance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::vector<std::string> CloseMatches(std::string_view word,
                                      std::span<const std::string> candidates) {
  // A name cut short ("h100" for "h100-sxm") is closer than any typo of
  // the same length ("h200"): the candidates it begins, up to three.
  std::vector<std::string> begun;
  if (word.size() >= 2) {
    for (const auto& candidate : candidates) {
      if (candidate.size() > word.size() && candidate.starts_with(word) &&
          std::find(begun.begin(), begun.end(), candidate) == begun.end())
        begun.push_back(candidate);
    }
  }
  if (!begun.empty() && begun.size() <= 3) return begun;
  if (auto match = ClosestMatch(word, candidates)) return {*match};
  return {};
}

std::string DidYouMean(std::string_view word, std::span<const std::string> candidates) {
  return DidYouMeanOneOf(CloseMatches(word, candidates));
}

std::string DidYouMeanOneOf(std::span<const std::string> matches) {
  if (matches.empty()) return "";
  std::string out = " (did you mean ";
  for (std::size_t i = 0; i < matches.size(); ++i)
    out += (i == 0 ? "'" : i + 1 == matches.size() ? " or '" : ", '") + matches[i] + "'";
  return out + "?)";
}

std::optional<double> ParseDouble(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::string Excerpt(std::string_view text, std::size_t max) {
  std::size_t end = std::min(text.size(), max);
  // Never cut a UTF-8 sequence: back up over continuation bytes.
  while (end < text.size() && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  std::string out(text.substr(0, end));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (end < text.size()) out += "...";
  return out;
}

std::string ShellQuote(std::string_view arg) {
  const auto plain = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           (c != '\0' && std::strchr("_-+=%@:,./", c) != nullptr);
  };
  if (!arg.empty() && std::all_of(arg.begin(), arg.end(), plain)) return std::string(arg);
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string_view("'\\''") : std::string_view(&c, 1);
  return quoted + "'";
}

std::string ShellCommand(std::span<const std::string> words) {
  std::string command;
  for (const std::string& word : words) command += (command.empty() ? "" : " ") + ShellQuote(word);
  return command;
}

Expected<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ErrorCode code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
    return MakeError(code, std::string("cannot read file: ") + std::strerror(errno),
                     {.file = path});
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace astrasweep
