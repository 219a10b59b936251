// The inspect summary, from the archive's attributes and one pass over
// /points and /failures. The best points' columns are the result fields
// marked in_summary in exec::ResultFields(), read by name with the types
// this reader asks for (HDF5 converts whatever the file holds).
#include "astrasweep/store/inspect.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <queue>

#include "astrasweep/exec/result_fields.h"
#include "astrasweep/store/archive_lock.h"
#include "astrasweep/store/archive_reader.h"
#include "astrasweep/store/table.h"

namespace astrasweep::store {
namespace {

constexpr std::size_t kChunk = 65536;
constexpr std::size_t kFailureExamples = 5;

std::string Attr(const File& file, const char* name) {
  if (auto text = file.StringAttribute(name)) return *text;
  auto number = file.Int64Attribute(name);
  return number ? std::to_string(*number) : "?";
}

std::string ProvenanceText(const File& file, const std::string& path) {
  std::string out = fmt::format("archive     {}\n", path);
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
  if (file.HasObject("/inputs")) {
    auto inputs = Table::Open(file, "inputs");
    out += fmt::format("merged      from {} shards on {} (/inputs: each one's provenance)\n",
                       inputs ? std::to_string(inputs->rows()) : "?", Attr(file, "merged"));
  }
  if (file.HasObject("/sources"))
    out +=
        "sources     the spec, its includes and the presets are in /sources (run "
        "--from-archive runs the sweep again from them)\n";
  return out;
}

// One of the best points: its throughput (the ranking), index and cells.
struct Best {
  double tokens_per_s;
  std::uint64_t index;
  std::vector<std::string> cells;
  bool operator>(const Best& other) const {
    return tokens_per_s != other.tokens_per_s ? tokens_per_s > other.tokens_per_s
                                              : index < other.index;
  }
};

// What one pass over /points collects.
class PointsPass {
 public:
  PointsPass(const Table& points, std::size_t top) : top_(top) {
    index_ = wanted_.Add<std::uint64_t>("index");
    status_ = wanted_.Add<std::string_view>("status", 16);
    tokens_per_s_ = wanted_.Add<double>("tokens_per_s");
    for (const auto& field : exec::ResultFields()) {
      if (!field.in_summary) continue;
      // A compound type names each member once: the ranking column serves
      // as its summary column too.
      const Col<double> column = field.name == "tokens_per_s"
                                     ? tokens_per_s_
                                     : wanted_.Add<double>(std::string(field.name));
      summary_.push_back({&field, column});
    }
    // The swept keys' columns sit between "mode" and the first result field.
    const auto& columns = points.columns();
    auto first = std::find_if(columns.begin(), columns.end(),
                              [](const Column& c) { return c.name == "mode"; });
    auto last = std::find_if(columns.begin(), columns.end(), [](const Column& c) {
      return c.name == exec::ResultFields().front().name;
    });
    for (auto it = first == columns.end() ? first : first + 1; it < last; ++it) {
      swept_names_.push_back(it->name);
      swept_.push_back(wanted_.AddAsStored(*it));
    }
  }

  Status Run(const Table& points) {
    RowBuffer rows(wanted_);
    for (std::uint64_t start = 0; start < points.rows(); start += kChunk) {
      ASTRASWEEP_RETURN_IF_ERROR(
          points.Read(start, std::min<std::uint64_t>(kChunk, points.rows() - start), rows));
      for (std::size_t r = 0; r < rows.rows(); ++r) Visit(rows, r);
    }
    return Ok();
  }

  std::string Text(std::uint64_t rows) {
    std::string out = fmt::format("\npoints      {} in /points:", rows);
    for (const char* status : {"ok", "infeasible", "failed"})
      out += fmt::format("  {} {}", by_status_[status], status);
    return out + "\n" + BestText();
  }

 private:
  struct SummaryColumn {
    const exec::ResultField* field;
    Col<double> column;
  };

  void Visit(const RowBuffer& rows, std::size_t r) {
    const std::string status(rows.Get(r, status_));
    ++by_status_[status];
    if (status != "ok" || top_ == 0) return;
    Best best{rows.Get(r, tokens_per_s_), rows.Get(r, index_), {}};
    if (best_.size() == top_ && !(best > best_.top())) return;
    best.cells.push_back(std::to_string(best.index));
    for (const auto& s : summary_)
      best.cells.push_back(exec::FormatFieldValue(*s.field, rows.Get(r, s.column)));
    for (std::size_t column : swept_) best.cells.push_back(rows.Text(r, column));
    best_.push(std::move(best));
    if (best_.size() > top_) best_.pop();
  }

  std::string BestText() {
    if (best_.empty()) return "";
    std::vector<Best> sorted;
    for (; !best_.empty(); best_.pop()) sorted.push_back(best_.top());
    std::reverse(sorted.begin(), sorted.end());
    std::vector<std::string> header{"index"};
    for (const auto& s : summary_) header.emplace_back(s.field->label);
    header.insert(header.end(), swept_names_.begin(), swept_names_.end());
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
      width[c] = header[c].size();
      for (const auto& b : sorted) width[c] = std::max(width[c], b.cells[c].size());
    }
    auto line = [&](const std::vector<std::string>& cells) {
      std::string text;
      for (std::size_t c = 0; c < cells.size(); ++c)
        text += fmt::format("{}{:>{}}", c ? "  " : "", cells[c], width[c]);
      return text + "\n";
    };
    std::string out = fmt::format("\nbest {} points by throughput (status ok):\n", sorted.size());
    out += line(header);
    for (const auto& b : sorted) out += line(b.cells);
    return out;
  }

  std::size_t top_;
  ColumnSet wanted_;
  Col<std::uint64_t> index_;
  Col<std::string_view> status_;
  Col<double> tokens_per_s_;
  std::vector<SummaryColumn> summary_;
  std::vector<std::size_t> swept_;
  std::vector<std::string> swept_names_;
  std::map<std::string, std::uint64_t> by_status_;
  std::priority_queue<Best, std::vector<Best>, std::greater<Best>> best_;  // min-heap of the top
};

Expected<std::string> FailuresText(const Table& failures) {
  if (failures.rows() == 0) return std::string();
  ColumnSet wanted;
  const auto index = wanted.Add<std::uint64_t>("point_index");
  const auto stage = wanted.Add<std::string_view>("stage", 32);
  const auto message = wanted.Add<std::string_view>("message", 1024);
  RowBuffer rows(wanted);
  std::map<std::string, std::uint64_t> by_stage;
  std::vector<std::string> examples;
  for (std::uint64_t start = 0; start < failures.rows(); start += kChunk) {
    ASTRASWEEP_RETURN_IF_ERROR(
        failures.Read(start, std::min<std::uint64_t>(kChunk, failures.rows() - start), rows));
    for (std::size_t r = 0; r < rows.rows(); ++r) {
      ++by_stage[std::string(rows.Get(r, stage))];
      if (examples.size() < kFailureExamples)
        examples.push_back(fmt::format("  point {} ({}): {}", rows.Get(r, index),
                                       rows.Get(r, stage), rows.Get(r, message)));
    }
  }
  std::string out = fmt::format("\nfailures    {}:", failures.rows());
  for (const auto& [name, n] : by_stage) out += fmt::format("  {} at {}", n, name);
  out += "\n";
  for (const auto& e : examples) out += e + "\n";
  if (failures.rows() > examples.size())
    out += fmt::format("  ... and {} more in /failures\n", failures.rows() - examples.size());
  return out;
}

}  // namespace

Expected<std::string> InspectArchive(const std::string& path, std::size_t top) {
  // A missing file, one a run is writing, one of another kind or a newer
  // schema: each refused with what to do.
  ASTRASWEEP_ASSIGN_OR_RETURN(File file, OpenArchiveToRead(path));
  std::string out = ProvenanceText(file, path);
  ASTRASWEEP_ASSIGN_OR_RETURN(Table points, Table::Open(file, "points"));
  PointsPass pass(points, top);
  ASTRASWEEP_RETURN_IF_ERROR(pass.Run(points));
  out += pass.Text(points.rows());
  ASTRASWEEP_ASSIGN_OR_RETURN(Table failures, Table::Open(file, "failures"));
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string failure_text, FailuresText(failures));
  return out + failure_text;
}

}  // namespace astrasweep::store
