// The archive file: its tables and provenance, and opening one afresh
// (CreateArchive) or from its journal (ResumeArchive).
#include "astrasweep/store/archive.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <utility>

#include "archive_files.h"
#include "archive_tables.h"
#include "astrasweep.pb.h"
#include "astrasweep/base/hash.h"
#include "astrasweep/exec/result_fields.h"
#include "astrasweep/store/table.h"

namespace astrasweep::store {
namespace {

namespace fs = std::filesystem;

// A table's rows and the HDF5 table they go to.
template <typename Rows>
struct BufferedTable {
  Rows rows;
  Table table;
  Status Append() {
    ASTRASWEEP_RETURN_IF_ERROR(table.Append(rows.rows()));
    rows.rows().Clear();
    return Ok();
  }
};

template <typename Rows>
Expected<BufferedTable<Rows>> MakeTable(File& file, const TableInfo& info, Rows rows) {
  ASTRASWEEP_ASSIGN_OR_RETURN(
      Table table, Table::Create(file, info.name, rows.columns(), info.title, info.chunk_rows));
  return BufferedTable<Rows>{std::move(rows), std::move(table)};
}

// The files the sweep was read from, written once.
Status WriteSources(File& file, const std::vector<SourceFile>& sources) {
  SourceRows rows(sources);
  ASTRASWEEP_ASSIGN_OR_RETURN(
      Table table, Table::Create(file, kSourcesTable.name, rows.columns(), kSourcesTable.title,
                                 kSourcesTable.chunk_rows));
  for (const SourceFile& source : sources) rows.Add(source);
  return table.Append(rows.rows());
}

}  // namespace

std::vector<std::string> ResultFieldNames() {
  std::vector<std::string> names;
  for (const auto& field : exec::ResultFields()) names.emplace_back(field.name);
  return names;
}

struct ArchiveWriter::Impl {
  File file;
  BufferedTable<PointRows> points;
  BufferedTable<RankTimingRows> rank_timings;
  BufferedTable<WorkerRows> workers;
  BufferedTable<FailureRows> failures;
  BufferedTable<ConfigRows> configs;
  ArchiveCounts counts;
  std::uint64_t points_total = 0;
  std::int64_t run = 0;

  Status WriteCounts() {
    const std::pair<const char*, std::uint64_t> counts_by_name[] = {
        {"points_total", points_total},     {"points_done", counts.done},
        {"points_ok", counts.ok},           {"points_failed", counts.failed},
        {"points_infeasible", counts.infeasible}};
    for (const auto& [name, value] : counts_by_name)
      ASTRASWEEP_RETURN_IF_ERROR(file.SetAttribute(name, static_cast<std::int64_t>(value)));
    return file.SetAttribute("runs", run + 1);
  }

  Status AppendAll() {
    ASTRASWEEP_RETURN_IF_ERROR(points.Append());
    ASTRASWEEP_RETURN_IF_ERROR(rank_timings.Append());
    ASTRASWEEP_RETURN_IF_ERROR(workers.Append());
    ASTRASWEEP_RETURN_IF_ERROR(failures.Append());
    return configs.Append();
  }
};

ArchiveWriter::ArchiveWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ArchiveWriter::ArchiveWriter(ArchiveWriter&&) noexcept = default;
ArchiveWriter& ArchiveWriter::operator=(ArchiveWriter&&) noexcept = default;
ArchiveWriter::~ArchiveWriter() = default;

const ArchiveCounts& ArchiveWriter::counts() const { return impl_->counts; }
std::int64_t ArchiveWriter::run() const { return impl_->run; }

Status ArchiveWriter::Add(const proto::PointResult& point) {
  Impl& a = *impl_;
  a.points.rows.Add(point);
  a.rank_timings.rows.Add(point);
  a.failures.rows.Add(point);
  a.configs.rows.Add(point);
  ++a.counts.done;
  switch (static_cast<exec::PointStatus>(point.status())) {
    case exec::PointStatus::kOk: ++a.counts.ok; break;
    case exec::PointStatus::kInfeasible: ++a.counts.infeasible; break;
    default: ++a.counts.failed; break;
  }
  return Ok();
}

std::size_t ArchiveWriter::buffered_rows() const {
  return std::max({impl_->points.rows.rows().rows(), impl_->configs.rows.rows().rows() / 4,
                   impl_->rank_timings.rows.rows().rows() / 16});
}

Status ArchiveWriter::WriteRows() { return impl_->AppendAll(); }

Status ArchiveWriter::AddWorker(const proto::WorkerStats& worker, std::int64_t run) {
  impl_->workers.rows.Add(worker, run);
  return Ok();
}

Status ArchiveWriter::Flush() {
  ASTRASWEEP_RETURN_IF_ERROR(impl_->AppendAll());
  ASTRASWEEP_RETURN_IF_ERROR(impl_->WriteCounts());
  return impl_->file.Flush();
}

Status ArchiveWriter::Finish(ArchiveStatus status, const std::string& finished_utc) {
  ASTRASWEEP_RETURN_IF_ERROR(impl_->AppendAll());
  ASTRASWEEP_RETURN_IF_ERROR(impl_->WriteCounts());
  ASTRASWEEP_RETURN_IF_ERROR(impl_->file.SetAttribute("finished", finished_utc));
  ASTRASWEEP_RETURN_IF_ERROR(impl_->file.SetAttribute(
      "status", status == ArchiveStatus::kComplete ? "complete" : "partial"));
  return impl_->file.Flush();
}

std::string JournalPath(const std::string& archive_path) { return archive_path + ".journal"; }

std::vector<InputDigest> InputDigests(const Provenance& provenance) {
  std::vector<InputDigest> inputs;
  for (const SourceFile& source : provenance.sources)
    inputs.push_back({SourceKindName(source.kind), source.name, Sha256Hex(source.text)});
  return inputs;
}

void ArchiveFiles::SetRun(ArchiveWriter& writer, std::int64_t run) { writer.impl_->run = run; }

Status ArchiveFiles::SetAcceptedChanges(ArchiveWriter& writer, const std::string& lines) {
  return writer.impl_->file.SetAttribute("accepted_changes", lines);
}

Status ArchiveFiles::WriteProvenance(File& file, const Provenance& prov) {
  const std::pair<const char*, const std::string*> strings[] = {
      {"astrasweep_version", &prov.astrasweep_version},
      {"git_sha", &prov.git_sha},
      {"spec_file", &prov.spec_file},
      {"spec", &prov.spec_text},
      {"spec_sha256", &prov.spec_sha256},
      {"command_line", &prov.command_line},
      {"created", &prov.created_utc},
      {"hosts", &prov.hosts},
      {"simulator", &prov.simulator},
      {"model", &prov.model},
      {"accepted_changes", &prov.accepted_changes},
      {"shard", &prov.shard}};
  for (const auto& [name, value] : strings)
    ASTRASWEEP_RETURN_IF_ERROR(file.SetAttribute(name, *value));
  ASTRASWEEP_RETURN_IF_ERROR(file.SetAttribute("schema_version", kArchiveSchemaVersion));
  ASTRASWEEP_RETURN_IF_ERROR(file.SetAttribute("mpi_size", prov.mpi_size));
  ASTRASWEEP_RETURN_IF_ERROR(file.SetAttribute("status", "partial"));
  return file.SetAttribute("finished", "");
}

Expected<ArchiveWriter> ArchiveFiles::Create(const std::string& path,
                                             const std::vector<sweep::SweptKey>& swept,
                                             const Provenance& prov, const std::string& build_at) {
  ASTRASWEEP_ASSIGN_OR_RETURN(File file,
                              build_at.empty() ? File::Create(path) : File::Create(build_at, path));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto points, MakeTable(file, kPointsTable, PointRows(swept)));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto rank_timings,
                              MakeTable(file, kRankTimingsTable, RankTimingRows()));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto workers, MakeTable(file, kWorkersTable, WorkerRows()));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto failures, MakeTable(file, kFailuresTable, FailureRows()));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto configs, MakeTable(file, kConfigsTable, ConfigRows()));
  ASTRASWEEP_RETURN_IF_ERROR(ArchiveFiles::WriteProvenance(file, prov));
  ASTRASWEEP_RETURN_IF_ERROR(WriteSources(file, prov.sources));
  auto impl = std::make_unique<ArchiveWriter::Impl>(ArchiveWriter::Impl{
      .file = std::move(file),
      .points = std::move(points),
      .rank_timings = std::move(rank_timings),
      .workers = std::move(workers),
      .failures = std::move(failures),
      .configs = std::move(configs),
      .counts = {},
      .points_total = prov.points_total,
      .run = 0});
  ASTRASWEEP_RETURN_IF_ERROR(impl->WriteCounts());
  ASTRASWEEP_RETURN_IF_ERROR(impl->file.Flush());
  return ArchiveWriter(std::move(impl));
}

Expected<OpenedArchive> CreateArchive(const std::string& path,
                                      const std::vector<sweep::SweptKey>& swept,
                                      const Provenance& provenance) {
  const std::string journal_path = JournalPath(path);
  std::error_code ec;
  for (const std::string& existing : {path, journal_path})
    if (fs::exists(fs::symlink_status(existing, ec)))  // a dangling link too
      return MakeError(ErrorCode::kInvalidInput,
                       std::string(existing == path ? "the archive" : "its journal") +
                           " exists already; pass --resume to continue that sweep, or choose "
                           "another output (results are never overwritten)",
                       {.file = existing});
  ASTRASWEEP_ASSIGN_OR_RETURN(
      JournalWriter journal,
      JournalWriter::Create(journal_path, {.spec_sha256 = provenance.spec_sha256,
                                           .shard = provenance.shard,
                                           .created_utc = provenance.created_utc,
                                           .result_fields = ResultFieldNames(),
                                           .inputs = InputDigests(provenance),
                                           .model = provenance.model}));
  auto archive = ArchiveFiles::Create(path, swept, provenance);
  if (!archive) {
    // Nothing was evaluated: leave nothing that would stop the next run.
    fs::remove(path, ec);
    fs::remove(journal_path, ec);
    return std::unexpected(std::move(archive).error());
  }
  return OpenedArchive{std::move(*archive), std::move(journal), {}, {}};
}

}  // namespace astrasweep::store
