// Reading a command's text report in tests: the lines of a list under its
// heading, and the words of a line (columns aligned with spaces).
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace astrasweep::testing {

// The lines after the one holding `heading`, up to an empty line.
inline std::vector<std::string> LinesAfter(const std::string& text, const std::string& heading) {
  std::vector<std::string> lines;
  auto at = text.find(heading);
  if (at == std::string::npos) return lines;
  at = text.find('\n', at) + 1;
  while (at < text.size() && text[at] != '\n') {
    const auto end = text.find('\n', at);
    lines.push_back(text.substr(at, end - at));
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return lines;
}

// The words of a line, the first `n` of them.
inline std::vector<std::string> Words(const std::string& line, std::size_t n = 1000) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; words.size() < n && in >> word;) words.push_back(word);
  return words;
}

}  // namespace astrasweep::testing
