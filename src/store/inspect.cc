// The inspect summary, from the archive's attributes, one pass over /points
// that feeds every section (the counts, the best points, the groups, the
// infeasible points) with the points the --where filter keeps, the
// configs of a few infeasible points (their GPU's memory) and one pass over
// /failures.
#include "astrasweep/store/inspect.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "astrasweep/base/strings.h"
#include "astrasweep/store/archive_reader.h"
#include "astrasweep/store/table.h"
#include "inspect_best.h"
#include "inspect_failures.h"
#include "inspect_infeasible.h"
#include "point_filter.h"
#include "row_scan.h"

namespace astrasweep::store {
namespace {

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
  if (auto accepted = file.StringAttribute("accepted_changes"); accepted && !accepted->empty())
    for (const std::string& line : Split(*accepted, '\n'))
      out += fmt::format("accepted    {}\n", line);
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

// The counts by status of some points.
struct StatusCounts {
  std::map<std::string, std::uint64_t, std::less<>> by_status;
  std::uint64_t points = 0;
  void Add(std::string_view status) {
    ++points;
    auto it = by_status.find(status);
    if (it == by_status.end()) it = by_status.emplace(std::string(status), 0).first;
    ++it->second;
  }
  std::string Text() const {
    std::string out;
    for (const char* status : {"ok", "infeasible", "failed"}) {
      auto it = by_status.find(status);
      out += fmt::format("  {} {}", it == by_status.end() ? 0 : it->second, status);
    }
    return out;
  }
};

// One pass over /points feeds every section the points the filter keeps.
class PointsPass {
 public:
  static Expected<PointsPass> Create(const Table& points, const InspectOptions& options) {
    ASTRASWEEP_ASSIGN_OR_RETURN(PointColumns columns, PointColumns::Open(points));
    PointsPass pass(std::make_unique<PointColumns>(std::move(columns)), options.top);
    ASTRASWEEP_ASSIGN_OR_RETURN(pass.filter_, PointFilter::Compile(options.where, *pass.columns_));
    if (pass.filter_->active()) pass.kept_failed_.emplace();
    if (!options.group_by.empty()) {
      ASTRASWEEP_ASSIGN_OR_RETURN(pass.groups_,
                                  BestPerGroup::Create(*pass.columns_, options.group_by));
    }
    ASTRASWEEP_ASSIGN_OR_RETURN(pass.infeasible_,
                                InfeasiblePoints::Create(*pass.columns_, options.top));
    return pass;
  }

  Status Run(const Table& points) {
    Status status = Ok();
    ASTRASWEEP_RETURN_IF_ERROR(
        ScanRows(points, columns_->set(), [&](const RowBuffer& rows, std::size_t r) {
          if (status) status = Visit(rows, r);
          return status.has_value();
        }));
    if (kept_failed_) std::sort(kept_failed_->begin(), kept_failed_->end());
    return status;
  }

  // Read after Run: the failed points kept, sorted; nullopt when the
  // filter keeps every point.
  const std::optional<std::vector<std::uint64_t>>& kept_failed() const { return kept_failed_; }
  InfeasiblePoints& infeasible() { return *infeasible_; }

  std::string Text(std::uint64_t rows) {
    std::string out = fmt::format("\npoints      {} in /points:{}\n", rows, all_.Text());
    if (filter_->active())
      out +=
          fmt::format("where       {}  keeps {}:{}\n", filter_->text(), kept_.points, kept_.Text());
    out += best_.Text();
    if (groups_) out += groups_->Text();
    return out + infeasible_->Text(kept_.points);
  }

 private:
  PointsPass(std::unique_ptr<PointColumns> columns, std::size_t top)
      : columns_(std::move(columns)), best_(*columns_, top) {}

  Status Visit(const RowBuffer& rows, std::size_t r) {
    const std::string_view status = columns_->Status(rows, r);
    all_.Add(status);
    infeasible_->NoteHardware(rows, r);
    if (!filter_->Matches(rows, r)) return Ok();
    kept_.Add(status);
    if (status == "failed" && filter_->active()) kept_failed_->push_back(columns_->Index(rows, r));
    best_.Visit(rows, r);
    infeasible_->Visit(rows, r);
    return groups_ ? groups_->Visit(rows, r) : Ok();
  }

  std::unique_ptr<PointColumns> columns_;  // on the heap: the sections refer to it
  std::optional<PointFilter> filter_;
  BestPoints best_;
  std::optional<BestPerGroup> groups_;
  std::optional<InfeasiblePoints> infeasible_;
  StatusCounts all_, kept_;
  std::optional<std::vector<std::uint64_t>> kept_failed_;
};

}  // namespace

Expected<std::string> InspectArchive(const std::string& path, const InspectOptions& options) {
  // A missing file, one a run is writing, one of another kind or a newer
  // schema: each refused with what to do.
  ASTRASWEEP_ASSIGN_OR_RETURN(File file, OpenArchiveToRead(path));
  ASTRASWEEP_ASSIGN_OR_RETURN(Table points, Table::Open(file, "points"));
  ASTRASWEEP_ASSIGN_OR_RETURN(PointsPass pass, PointsPass::Create(points, options));
  ASTRASWEEP_RETURN_IF_ERROR(pass.Run(points));
  ASTRASWEEP_RETURN_IF_ERROR(pass.infeasible().ReadGpuMemories(file));
  std::string out = ProvenanceText(file, path) + pass.Text(points.rows());
  ASTRASWEEP_ASSIGN_OR_RETURN(Table failures, Table::Open(file, "failures"));
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string failure_text,
                              FailuresText(failures, pass.kept_failed(), options.top));
  return out + failure_text;
}

}  // namespace astrasweep::store
