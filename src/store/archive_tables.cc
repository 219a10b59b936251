// The rows of the archive's tables, from finished points and workers.
#include "archive_tables.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "astrasweep.pb.h"
#include "astrasweep/exec/evaluate.h"
#include "astrasweep/exec/result_fields.h"

namespace astrasweep::store {
namespace {

// Numbers in swept text: what the spec wrote ("8", "1.5e3", "true").
double ParseNumber(std::string_view text) {
  if (text == "true") return 1;
  if (text == "false") return 0;
  double value = std::numeric_limits<double>::quiet_NaN();
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

AnyCol AddResultColumn(ColumnSet& columns, const exec::ResultField& field) {
  const std::string name(field.name);
  switch (exec::TypeOf(field.unit)) {
    case exec::FieldType::kReal: return columns.Add<double>(name);
    case exec::FieldType::kInteger: return columns.Add<std::int64_t>(name);
    case exec::FieldType::kFlag: return columns.Add<bool>(name);
  }
  return columns.Add<double>(name);
}

// A swept key's column name: the key, unless a fixed column has that name.
std::string SweptColumnName(const std::string& key) {
  static constexpr std::string_view kFixed[] = {"index", "id",     "status",
                                                "mode",  "eval_s", "worker_rank"};
  const bool clash = std::find(std::begin(kFixed), std::end(kFixed), key) != std::end(kFixed) ||
                     exec::FindResultField(key).has_value();
  return clash ? "swept." + key : key;
}

AnyCol AddSweptColumn(ColumnSet& columns, const sweep::SweptKey& swept) {
  const std::string name = SweptColumnName(swept.key);
  switch (swept.kind) {
    case sweep::SweptKey::Kind::kInteger: return columns.Add<std::int64_t>(name);
    case sweep::SweptKey::Kind::kNumber: return columns.Add<double>(name);
    case sweep::SweptKey::Kind::kText:
      return columns.Add<std::string_view>(name, std::max<std::size_t>(swept.max_length, 8));
  }
  return columns.Add<std::string_view>(name, 8);
}

// Writes a number into a column of any numeric type, as that type holds it.
struct SetNumber {
  RowBuffer& rows;
  double value;
  void operator()(Col<double> column) { rows.Set(column, value); }
  void operator()(Col<std::int64_t> column) {
    rows.Set(column, std::isfinite(value) ? static_cast<std::int64_t>(std::llround(value))
                                          : std::int64_t{-1});
  }
  void operator()(Col<bool> column) { rows.Set(column, value != 0); }
  void operator()(Col<std::string_view> column) { rows.Set(column, std::to_string(value)); }
};

}  // namespace

PointRows::PointRows(const std::vector<sweep::SweptKey>& swept) {
  index_ = columns_.Add<std::uint64_t>("index");
  id_ = columns_.Add<std::string_view>("id", 32);
  status_ = columns_.Add<std::string_view>("status", 10);
  mode_ = columns_.Add<std::string_view>("mode", 24);
  for (const sweep::SweptKey& key : swept) swept_.push_back(AddSweptColumn(columns_, key));
  for (const exec::ResultField& field : exec::ResultFields())
    fields_.push_back(AddResultColumn(columns_, field));
  eval_s_ = columns_.Add<double>("eval_s");
  worker_rank_ = columns_.Add<std::int64_t>("worker_rank");
  Seal();
}

void PointRows::Add(const proto::PointResult& p) {
  rows_.AddRow();
  rows_.Set(index_, static_cast<std::uint64_t>(p.index()));
  rows_.Set(id_, p.id());
  rows_.Set(status_, exec::PointStatusName(static_cast<exec::PointStatus>(p.status())));
  rows_.Set(mode_, p.mode());
  AddSwept(p);
  AddResultFields(p);
  rows_.Set(eval_s_, p.eval_s());
  rows_.Set(worker_rank_, static_cast<std::int64_t>(p.worker_rank()));
}

void PointRows::AddSwept(const proto::PointResult& p) {
  for (std::size_t i = 0; i < swept_.size(); ++i) {
    // Both branches views: `cond ? std::string : ""` would be a temporary
    // string, gone before the view is read.
    const std::string_view text = i < static_cast<std::size_t>(p.swept_size())
                                      ? std::string_view(p.swept(static_cast<int>(i)))
                                      : std::string_view();
    if (auto* column = std::get_if<Col<std::string_view>>(&swept_[i]))
      rows_.Set(*column, text);
    else
      std::visit(SetNumber{rows_, ParseNumber(text)}, swept_[i]);
  }
}

// A point that never reached evaluation (its config could not be built)
// has no fields: its columns read 0.
void PointRows::AddResultFields(const proto::PointResult& p) {
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    const double value = i < static_cast<std::size_t>(p.fields_size()) ? p.fields(static_cast<int>(i)) : 0.0;
    std::visit(SetNumber{rows_, value}, fields_[i]);
  }
}

RankTimingRows::RankTimingRows() {
  point_index_ = columns_.Add<std::uint64_t>("point_index");
  npu_ = columns_.Add<std::int64_t>("npu");
  finish_s_ = columns_.Add<double>("finish_s");
  compute_s_ = columns_.Add<double>("compute_s");
  comm_s_ = columns_.Add<double>("comm_s");
  exposed_comm_s_ = columns_.Add<double>("exposed_comm_s");
  Seal();
}

void RankTimingRows::Add(const proto::PointResult& p) {
  for (const auto& timing : p.rank_timings()) {
    rows_.AddRow();
    rows_.Set(point_index_, static_cast<std::uint64_t>(p.index()));
    rows_.Set(npu_, static_cast<std::int64_t>(timing.npu()));
    rows_.Set(finish_s_, timing.finish_s());
    rows_.Set(compute_s_, timing.compute_s());
    rows_.Set(comm_s_, timing.comm_s());
    rows_.Set(exposed_comm_s_, timing.exposed_comm_s());
  }
}

WorkerRows::WorkerRows() {
  run_ = columns_.Add<std::int64_t>("run");
  rank_ = columns_.Add<std::int64_t>("rank");
  host_ = columns_.Add<std::string_view>("host", 64);
  points_ = columns_.Add<std::int64_t>("points");
  busy_s_ = columns_.Add<double>("busy_s");
  idle_s_ = columns_.Add<double>("idle_s");
  comm_s_ = columns_.Add<double>("comm_s");
  sim_runs_ = columns_.Add<std::int64_t>("sim_runs");
  cache_hits_ = columns_.Add<std::int64_t>("cache_hits");
  cache_misses_ = columns_.Add<std::int64_t>("cache_misses");
  Seal();
}

void WorkerRows::Add(const proto::WorkerStats& w, std::int64_t run) {
  rows_.AddRow();
  rows_.Set(run_, run);
  rows_.Set(rank_, static_cast<std::int64_t>(w.rank()));
  rows_.Set(host_, w.host());
  rows_.Set(points_, static_cast<std::int64_t>(w.points()));
  rows_.Set(busy_s_, w.busy_s());
  rows_.Set(idle_s_, w.idle_s());
  rows_.Set(comm_s_, w.comm_s());
  rows_.Set(sim_runs_, static_cast<std::int64_t>(w.sim_runs()));
  rows_.Set(cache_hits_, static_cast<std::int64_t>(w.cache_hits()));
  rows_.Set(cache_misses_, static_cast<std::int64_t>(w.cache_misses()));
}

FailureRows::FailureRows() {
  point_index_ = columns_.Add<std::uint64_t>("point_index");
  point_id_ = columns_.Add<std::string_view>("point_id", 32);
  stage_ = columns_.Add<std::string_view>("stage", 32);
  message_ = columns_.Add<std::string_view>("message", kFailureMessageBytes);
  Seal();
}

void FailureRows::Add(const proto::PointResult& p) {
  if (static_cast<exec::PointStatus>(p.status()) != exec::PointStatus::kFailed) return;
  rows_.AddRow();
  rows_.Set(point_index_, static_cast<std::uint64_t>(p.index()));
  rows_.Set(point_id_, p.id());
  rows_.Set(stage_, p.failure_stage());
  rows_.Set(message_, p.failure_message());
}

ConfigRows::ConfigRows() {
  point_index_ = columns_.Add<std::uint64_t>("point_index");
  part_ = columns_.Add<std::int64_t>("part");
  text_ = columns_.Add<std::string_view>("text", kConfigPartBytes);
  Seal();
}

// At least one part, so a point with no config (it failed to build) still
// has its row.
void ConfigRows::Add(const proto::PointResult& p) {
  const std::string_view text = p.canonical_config();
  for (std::size_t part = 0, at = 0; at < text.size() || part == 0;
       ++part, at += kConfigPartBytes) {
    rows_.AddRow();
    rows_.Set(point_index_, static_cast<std::uint64_t>(p.index()));
    rows_.Set(part_, static_cast<std::int64_t>(part));
    rows_.Set(text_, text.substr(std::min(at, text.size()), kConfigPartBytes));
  }
}

const char* SourceKindName(SourceFile::Kind kind) {
  switch (kind) {
    case SourceFile::Kind::kSpec: return "spec";
    case SourceFile::Kind::kInclude: return "include";
    case SourceFile::Kind::kPreset: return "preset";
  }
  return "spec";
}

SourceRows::SourceRows(const std::vector<SourceFile>& files) {
  std::size_t name_bytes = 64, path_bytes = 64;
  for (const SourceFile& file : files) {
    name_bytes = std::max(name_bytes, file.name.size());
    path_bytes = std::max(path_bytes, file.path.size());
  }
  kind_ = columns_.Add<std::string_view>(kKind, 8);
  name_ = columns_.Add<std::string_view>(kName, name_bytes);
  path_ = columns_.Add<std::string_view>(kPath, path_bytes);
  part_ = columns_.Add<std::int64_t>(kPart);
  text_ = columns_.Add<std::string_view>(kText, kConfigPartBytes);
  Seal();
}

// A file in parts, as /configs holds configs; at least one, so an empty
// file keeps its row.
void SourceRows::Add(const SourceFile& file) {
  const std::string_view text = file.text;
  for (std::size_t part = 0, at = 0; at < text.size() || part == 0;
       ++part, at += kConfigPartBytes) {
    rows_.AddRow();
    rows_.Set(kind_, SourceKindName(file.kind));
    rows_.Set(name_, file.name);
    rows_.Set(path_, file.path);
    rows_.Set(part_, static_cast<std::int64_t>(part));
    rows_.Set(text_, text.substr(std::min(at, text.size()), kConfigPartBytes));
  }
}

}  // namespace astrasweep::store
