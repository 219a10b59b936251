// Small string helpers shared by the loaders: splitting key paths and
// "did you mean" suggestions.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep {

std::vector<std::string> Split(std::string_view text, char separator);
std::string Join(std::span<const std::string> parts, std::string_view separator);

// Levenshtein distance.
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` if it is close enough to be a likely typo.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        std::span<const std::string> candidates);

// " (did you mean 'x'?)" or "".
// The candidates `word` begins (a name cut short: "h100" -> "h100-sxm"),
// if there are one to three; else the closest by edit distance, if close.
std::vector<std::string> CloseMatches(std::string_view word,
                                      std::span<const std::string> candidates);
std::string DidYouMean(std::string_view word, std::span<const std::string> candidates);
// " (did you mean 'a' or 'b'?)" for matches found otherwise, or "".
std::string DidYouMeanOneOf(std::span<const std::string> matches);

// The whole text as a finite number ("64", "2.5e9"); nullopt for anything
// else, including "inf", "nan" and trailing characters.
std::optional<double> ParseDouble(std::string_view text);

// `arg` as a POSIX shell reads it back unchanged: as it is when it holds
// only characters no shell treats specially, else in single quotes.
std::string ShellQuote(std::string_view arg);
// The words quoted and joined by spaces: a command to paste into a shell.
std::string ShellCommand(std::span<const std::string> words);

// Text from an input file as a message may quote it: at most `max` bytes
// (cut at a character boundary, "..." added), control characters as '?'.
// A message never echoes more of a file than this.
std::string Excerpt(std::string_view text, std::size_t max = 48);

// Reads a whole file; the error names the path and says why.
Expected<std::string> ReadFile(const std::string& path);

}  // namespace astrasweep
