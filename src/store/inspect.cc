// The inspect summary, from the archive's attributes and one pass over
// /points and /failures.
#include "astrasweep/store/inspect.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <queue>

#include "astrasweep/store/archive.h"
#include "astrasweep/store/table.h"

namespace astrasweep::store {
namespace {

constexpr std::size_t kChunk = 65536;

struct Best {
  double tokens_per_s;
  std::uint64_t index;
  std::string row;  // formatted
  bool operator>(const Best& o) const {
    return tokens_per_s != o.tokens_per_s ? tokens_per_s > o.tokens_per_s : index < o.index;
  }
};

std::string Attr(const File& f, const char* name) {
  auto s = f.StringAttribute(name);
  if (s) return *s;
  auto i = f.Int64Attribute(name);
  return i ? std::to_string(*i) : "?";
}

std::string Cell(const RowBuffer& rows, std::size_t r, std::size_t c) {
  switch (rows.columns()[c].type) {
    case ColumnType::kInt64: return std::to_string(rows.Int64(r, c));
    case ColumnType::kUInt64: return std::to_string(rows.UInt64(r, c));
    case ColumnType::kFloat64: return fmt::format("{:g}", rows.Float64(r, c));
    case ColumnType::kBool: return rows.Bool(r, c) ? "true" : "false";
    case ColumnType::kString: return std::string(rows.String(r, c));
  }
  return "";
}

}  // namespace

Expected<std::string> InspectArchive(const std::string& path, std::size_t top) {
  if (auto holder = ArchiveLock::Holder(path))
    return MakeError(ErrorCode::kUnavailable,
                     "a run (" + *holder +
                         ") is writing this archive; inspect it when the run "
                         "ends, and follow its progress meanwhile in " +
                         path + ".logs/rank-0.log",
                     {.file = path});
  ASTRASWEEP_ASSIGN_OR_RETURN(File file, File::Open(path, false));
  if (!file.HasObject("/points"))
    return MakeError(ErrorCode::kInvalidInput, "not an astrasweep archive (no /points table)",
                     {.file = path});
  std::string out;
  out += fmt::format("archive     {}\n", path);
  out += fmt::format("status      {}  ({} of {} points)\n", Attr(file, "status"),
                     Attr(file, "points_done"), Attr(file, "points_total"));
  out += fmt::format("spec        {}  (sha256 {})\n", Attr(file, "spec_file"),
                     Attr(file, "spec_sha256").substr(0, 16));
  const std::string shard = Attr(file, "shard");
  if (!shard.empty() && shard != "?") out += fmt::format("shard       {}\n", shard);
  out += fmt::format("created     {}   finished {}   runs {}\n", Attr(file, "created"),
                     Attr(file, "finished"), Attr(file, "runs"));
  out += fmt::format("astrasweep  {} (git {})   MPI ranks {} on {}\n",
                     Attr(file, "astrasweep_version"), Attr(file, "git_sha"),
                     Attr(file, "mpi_size"), Attr(file, "hosts"));
  out += fmt::format("simulator   {}\n", Attr(file, "simulator"));
  out += fmt::format("command     {}\n", Attr(file, "command_line"));

  ASTRASWEEP_ASSIGN_OR_RETURN(Table points, Table::Open(file, "points"));
  // Columns shown for the best points: the swept ones sit between "mode"
  // and "step_time_s".
  const auto& cols = points.columns();
  std::vector<Column> wanted;
  std::size_t swept_begin = 0, swept_end = 0;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].name == "mode") swept_begin = i + 1;
    if (cols[i].name == "step_time_s") swept_end = i;
  }
  for (const char* name :
       {"index", "status", "step_time_s", "tokens_per_s", "mfu", "peak_mem_bytes"}) {
    auto it =
        std::find_if(cols.begin(), cols.end(), [&](const Column& c) { return c.name == name; });
    if (it == cols.end())
      return MakeError(ErrorCode::kInvalidInput,
                       std::string("/points has no column '") + name + "'", {.file = path});
    wanted.push_back(*it);
  }
  const std::size_t first_swept = wanted.size();
  for (std::size_t i = swept_begin; i < swept_end; ++i) wanted.push_back(cols[i]);
  RowBuffer rows(wanted);
  std::map<std::string, std::uint64_t> by_status;
  std::priority_queue<Best, std::vector<Best>, std::greater<Best>> best;  // min-heap of the top
  for (std::uint64_t start = 0; start < points.rows(); start += kChunk) {
    const std::uint64_t n = std::min<std::uint64_t>(kChunk, points.rows() - start);
    ASTRASWEEP_RETURN_IF_ERROR(points.Read(start, n, rows));
    for (std::size_t r = 0; r < rows.rows(); ++r) {
      const std::string status(rows.String(r, 1));
      ++by_status[status];
      if (status != "ok" || top == 0) continue;
      const double tps = rows.Float64(r, 3);
      if (best.size() == top && !(Best{tps, rows.UInt64(r, 0), {}} > best.top())) continue;
      std::string row =
          fmt::format("{:>8}  {:>10.0f}  {:>9.3f}  {:>5.1f}%  {:>7.1f}", rows.UInt64(r, 0), tps,
                      rows.Float64(r, 2), 100 * rows.Float64(r, 4), rows.Float64(r, 5) / 1e9);
      for (std::size_t c = first_swept; c < wanted.size(); ++c)
        row += fmt::format("  {:>{}}", Cell(rows, r, c), wanted[c].name.size());
      best.push({tps, rows.UInt64(r, 0), std::move(row)});
      if (best.size() > top) best.pop();
    }
  }
  out += fmt::format("\npoints      {} in /points:", points.rows());
  for (const char* s : {"ok", "infeasible", "failed"})
    out += fmt::format("  {} {}", by_status.count(s) ? by_status[s] : 0, s);
  out += "\n";

  if (!best.empty()) {
    std::vector<Best> sorted;
    while (!best.empty()) {
      sorted.push_back(best.top());
      best.pop();
    }
    std::reverse(sorted.begin(), sorted.end());
    out += fmt::format("\nbest {} points by tokens/s (status ok):\n", sorted.size());
    std::string header = fmt::format("{:>8}  {:>10}  {:>9}  {:>6}  {:>7}", "index", "tokens/s",
                                     "step (s)", "MFU", "mem GB");
    for (std::size_t c = first_swept; c < wanted.size(); ++c) header += "  " + wanted[c].name;
    out += header + "\n";
    for (const auto& b : sorted) out += b.row + "\n";
  }

  ASTRASWEEP_ASSIGN_OR_RETURN(Table failures, Table::Open(file, "failures"));
  if (failures.rows() > 0) {
    RowBuffer f({{"point_index", ColumnType::kUInt64, 0},
                 {"stage", ColumnType::kString, 32},
                 {"message", ColumnType::kString, 1024}});
    std::map<std::string, std::uint64_t> by_stage;
    std::vector<std::string> examples;
    for (std::uint64_t start = 0; start < failures.rows(); start += kChunk) {
      const std::uint64_t n = std::min<std::uint64_t>(kChunk, failures.rows() - start);
      ASTRASWEEP_RETURN_IF_ERROR(failures.Read(start, n, f));
      for (std::size_t r = 0; r < f.rows(); ++r) {
        ++by_stage[std::string(f.String(r, 1))];
        if (examples.size() < 5)
          examples.push_back(
              fmt::format("  point {} ({}): {}", f.UInt64(r, 0), f.String(r, 1), f.String(r, 2)));
      }
    }
    out += fmt::format("\nfailures    {}:", failures.rows());
    for (const auto& [stage, n] : by_stage) out += fmt::format("  {} at {}", n, stage);
    out += "\n";
    for (const auto& e : examples) out += e + "\n";
    if (failures.rows() > examples.size())
      out += fmt::format("  ... and {} more in /failures\n", failures.rows() - examples.size());
  }
  return out;
}

}  // namespace astrasweep::store
