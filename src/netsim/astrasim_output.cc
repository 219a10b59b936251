// ParseAstraSimOutput: the one reader of AstraSim's console output. Each
// line is spdlog's `[time] [logger] [level] message`; the parser looks at
// the message from its `sys[` on, and reads three kinds of it:
//
//   finished := "sys[" rank "] finished, " uint " cycles, exposed communication "
//               uint " cycles."
//   wall     := "sys[" rank "], Wall time: " uint
//   comm     := "sys[" rank "], Comm time: " uint
//
// (rank and uint are decimal digits; trailing blanks are allowed). Any other
// line, including a malformed one of these, is ignored: a rank left without
// its lines is then reported missing, which says more than the bad line.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/netsim/astrasim.h"

namespace astrasweep::netsim {
namespace {

// Reads a line from left to right; every step fails once one has failed.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : rest_(text) {}

  bool Literal(std::string_view literal) {
    if (!ok_ || !rest_.starts_with(literal)) return ok_ = false;
    rest_.remove_prefix(literal.size());
    return true;
  }
  std::uint64_t Number() {
    std::uint64_t value = 0;
    if (!ok_) return 0;
    const auto [end, error] = std::from_chars(rest_.data(), rest_.data() + rest_.size(), value);
    if (error != std::errc()) {
      ok_ = false;
      return 0;
    }
    rest_.remove_prefix(static_cast<std::size_t>(end - rest_.data()));
    return value;
  }
  // Only blanks are left.
  bool AtEnd() {
    if (ok_ && rest_.find_first_not_of(" \t\r") != std::string_view::npos) ok_ = false;
    return ok_;
  }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

enum class LineKind { kFinished, kWall, kComm };

struct RankLine {
  LineKind kind;
  std::uint64_t rank = 0;
  std::uint64_t first = 0;   // finished: T; wall, comm: the time
  std::uint64_t second = 0;  // finished: exposed communication
};

std::optional<RankLine> ReadFinished(Cursor cursor, std::uint64_t rank) {
  RankLine line{.kind = LineKind::kFinished, .rank = rank};
  cursor.Literal("] finished, ");
  line.first = cursor.Number();
  cursor.Literal(" cycles, exposed communication ");
  line.second = cursor.Number();
  cursor.Literal(" cycles.");
  if (!cursor.AtEnd()) return std::nullopt;
  return line;
}

std::optional<RankLine> ReadTime(Cursor cursor, std::uint64_t rank, std::string_view label,
                                 LineKind kind) {
  RankLine line{.kind = kind, .rank = rank};
  cursor.Literal("], ");
  cursor.Literal(label);
  cursor.Literal(": ");
  line.first = cursor.Number();
  if (!cursor.AtEnd()) return std::nullopt;
  return line;
}

std::optional<RankLine> ReadLine(std::string_view line) {
  const std::size_t start = line.find("sys[");
  if (start == std::string_view::npos) return std::nullopt;
  Cursor cursor(line.substr(start));
  cursor.Literal("sys[");
  const std::uint64_t rank = cursor.Number();
  if (auto finished = ReadFinished(cursor, rank)) return finished;
  if (auto wall = ReadTime(cursor, rank, "Wall time", LineKind::kWall)) return wall;
  return ReadTime(cursor, rank, "Comm time", LineKind::kComm);
}

// "1, 3-5, 7": ranks in ascending order, runs shortened.
std::string RankList(const std::vector<std::uint64_t>& ranks) {
  std::string text;
  for (std::size_t i = 0; i < ranks.size();) {
    std::size_t j = i;
    while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
    if (!text.empty()) text += ", ";
    text += std::to_string(ranks[i]);
    if (j > i) text += "-" + std::to_string(ranks[j]);
    i = j + 1;
  }
  return text;
}

// What the lines said of each rank, and what was wrong with them.
struct Collected {
  std::vector<std::optional<RankLine>> finished, wall, comm;
  std::vector<std::uint64_t> out_of_range;
  std::map<std::string, std::vector<std::uint64_t>> duplicates;  // by line kind
};

const char* KindName(LineKind kind) {
  switch (kind) {
    case LineKind::kFinished: return "finished";
    case LineKind::kWall: return "Wall time";
    case LineKind::kComm: return "Comm time";
  }
  return "?";
}

void Collect(const RankLine& line, Collected& collected) {
  auto& slots = line.kind == LineKind::kFinished ? collected.finished
                : line.kind == LineKind::kWall   ? collected.wall
                                                 : collected.comm;
  if (line.rank >= slots.size()) {
    collected.out_of_range.push_back(line.rank);
    return;
  }
  auto& slot = slots[line.rank];
  if (slot) {
    collected.duplicates[KindName(line.kind)].push_back(line.rank);
    return;
  }
  slot = line;
}

std::vector<std::uint64_t> Missing(const std::vector<std::optional<RankLine>>& slots) {
  std::vector<std::uint64_t> missing;
  for (std::size_t rank = 0; rank < slots.size(); ++rank)
    if (!slots[rank]) missing.push_back(rank);
  return missing;
}

// Every problem found, "; "-separated; empty when there is none.
std::string Problems(Collected& collected, int ranks) {
  std::vector<std::string> problems;
  if (!collected.out_of_range.empty()) {
    auto& out_of_range = collected.out_of_range;  // each rank once, though several lines name it
    std::sort(out_of_range.begin(), out_of_range.end());
    out_of_range.erase(std::unique(out_of_range.begin(), out_of_range.end()), out_of_range.end());
    problems.push_back("rank(s) " + RankList(out_of_range) + " out of range (the run has " +
                       std::to_string(ranks) + " ranks)");
  }
  for (auto& [kind, duplicated] : collected.duplicates) {
    std::sort(duplicated.begin(), duplicated.end());
    problems.push_back("rank(s) " + RankList(duplicated) + " reported more than one `" + kind +
                       "` line");
  }
  if (auto missing = Missing(collected.finished); !missing.empty())
    problems.push_back("no `finished` line for rank(s) " + RankList(missing));
  if (auto missing = Missing(collected.wall); !missing.empty())
    problems.push_back("no `Wall time` line for rank(s) " + RankList(missing));
  std::string text;
  for (const auto& problem : problems) text += (text.empty() ? "" : "; ") + problem;
  return text;
}

}  // namespace

Expected<SimResult> ParseAstraSimOutput(std::string_view output, int ranks) {
  if (ranks <= 0)
    return InvalidInput("AstraSim's output read for " + std::to_string(ranks) + " ranks");
  const auto count = static_cast<std::size_t>(ranks);
  Collected collected{.finished = std::vector<std::optional<RankLine>>(count),
                      .wall = std::vector<std::optional<RankLine>>(count),
                      .comm = std::vector<std::optional<RankLine>>(count)};
  while (!output.empty()) {
    const std::size_t end = output.find('\n');
    if (auto line = ReadLine(output.substr(0, end))) Collect(*line, collected);
    output.remove_prefix(end == std::string_view::npos ? output.size() : end + 1);
  }
  if (std::string problems = Problems(collected, ranks); !problems.empty())
    return MakeError(ErrorCode::kUnavailable, problems);
  SimResult result;
  for (std::size_t rank = 0; rank < count; ++rank) {
    const RankLine& finished = *collected.finished[rank];
    if (finished.second > finished.first)
      return MakeError(ErrorCode::kUnavailable,
                       "rank " + std::to_string(rank) + " reported more exposed communication (" +
                           std::to_string(finished.second) + " cycles) than its finish time (" +
                           std::to_string(finished.first) + " cycles)");
    const auto& comm = collected.comm[rank];
    result.ranks.push_back({.finish_ns = finished.first,
                            .compute_ns = finished.first - finished.second,
                            .comm_ns = comm ? comm->first : 0,
                            .exposed_ns = finished.second});
  }
  return result;
}

}  // namespace astrasweep::netsim
