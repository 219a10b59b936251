// ReadArchiveRecord and RecoverFromArchive: the archive read back as a
// second copy of what its journal recorded.
#include "archive_recovery.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <iterator>
#include <map>
#include <optional>
#include <span>

#include "astrasweep/base/strings.h"
#include "astrasweep/exec/evaluate.h"
#include "astrasweep/exec/result_fields.h"
#include "astrasweep/store/archive_reader.h"
#include "stored_columns.h"

namespace astrasweep::store {
namespace {

namespace fs = std::filesystem;

// Points read from the archive at a time (without their configs, which
// are built again): a bounded memory however many the journal lost.
constexpr std::size_t kBatchPoints = 16384;

std::optional<exec::PointStatus> ParseStatus(std::string_view name) {
  for (auto status :
       {exec::PointStatus::kOk, exec::PointStatus::kFailed, exec::PointStatus::kInfeasible})
    if (name == exec::PointStatusName(status)) return status;
  return std::nullopt;
}

// The point as the journal had it, without its config; nullopt when the
// archive lacks part of it (a status it does not know, a result column).
std::optional<proto::PointResult> ResultOf(const ArchivedPoint& archived) {
  const auto status = ParseStatus(archived.status);
  if (!status) return std::nullopt;
  proto::PointResult p;
  p.set_index(archived.index);
  p.set_status(static_cast<proto::PointStatus>(*status));
  p.set_mode(archived.mode);
  for (const std::optional<double>& field : archived.fields) {
    if (!field) return std::nullopt;
    p.add_fields(*field);
  }
  p.set_eval_s(archived.eval_s);
  p.set_worker_rank(static_cast<std::int32_t>(archived.worker_rank));
  for (const ArchivedTiming& t : archived.rank_timings) {
    proto::RankTiming* timing = p.add_rank_timings();
    timing->set_npu(static_cast<std::uint32_t>(t.npu));
    timing->set_finish_s(t.finish_s);
    timing->set_compute_s(t.compute_s);
    timing->set_comm_s(t.comm_s);
    timing->set_exposed_comm_s(t.exposed_comm_s);
  }
  p.set_failure_stage(archived.failure_stage);
  p.set_failure_message(archived.failure_message);
  return p;
}

// Each AcceptedChangeLine, "run K (UTC): what", into the run-start record
// of run K-1.
void ParseAcceptedChanges(const std::string& lines, std::vector<proto::RunStart>& runs) {
  for (const std::string& line : Split(lines, '\n')) {
    constexpr std::string_view kRun = "run ";
    if (!line.starts_with(kRun)) continue;
    std::uint32_t k = 0;
    const char* begin = line.data() + kRun.size();
    const auto [end, ec] = std::from_chars(begin, line.data() + line.size(), k);
    const std::string_view rest(end, static_cast<std::size_t>(line.data() + line.size() - end));
    const std::size_t close = rest.find("): ");
    if (ec != std::errc() || k == 0 || k > runs.size() || !rest.starts_with(" (") ||
        close == std::string_view::npos)
      continue;
    runs[k - 1].set_started_utc(std::string(rest.substr(2, close - 2)));
    runs[k - 1].set_accepted_changes(std::string(rest.substr(close + 3)));
  }
}

// Adds the /workers rows whose (run, rank) `journaled` lacks.
Expected<std::uint64_t> RecoverWorkers(const File& file, const std::set<WorkerKey>& journaled,
                                       ArchiveWriter& archive, JournalWriter& journal) {
  if (!file.HasObject("/workers")) return 0;
  ASTRASWEEP_ASSIGN_OR_RETURN(Table table, Table::Open(file, "workers"));
  ColumnSet set;
  std::map<std::string, StoredCol, std::less<>> columns;
  for (const Column& column : table.columns()) columns.emplace(column.name, AddStored(set, column));
  RowBuffer rows(set);
  ASTRASWEEP_RETURN_IF_ERROR(table.Read(0, table.rows(), rows));
  auto number = [&](std::size_t r, std::string_view name) {
    const auto it = columns.find(name);
    return it == columns.end() ? 0.0 : StoredNumber(rows, r, it->second).value_or(0);
  };
  std::uint64_t added = 0;
  for (std::size_t r = 0; r < rows.rows(); ++r) {
    proto::WorkerStats w;
    w.set_run(static_cast<std::uint32_t>(number(r, "run")));
    w.set_rank(static_cast<std::int32_t>(number(r, "rank")));
    if (journaled.contains({w.run(), w.rank()})) continue;
    if (const auto host = columns.find("host"); host != columns.end())
      w.set_host(rows.Text(r, StoredIndex(host->second)));
    w.set_points(static_cast<std::uint64_t>(number(r, "points")));
    w.set_busy_s(number(r, "busy_s"));
    w.set_idle_s(number(r, "idle_s"));
    w.set_comm_s(number(r, "comm_s"));
    w.set_sim_runs(static_cast<std::uint64_t>(number(r, "sim_runs")));
    w.set_cache_hits(static_cast<std::uint64_t>(number(r, "cache_hits")));
    w.set_cache_misses(static_cast<std::uint64_t>(number(r, "cache_misses")));
    ASTRASWEEP_RETURN_IF_ERROR(archive.AddWorker(w, w.run()));
    journal.Add(w);
    ++added;
  }
  return added;
}

}  // namespace

Status OnChangedConfig(Changed changed, std::uint64_t index, std::string_view held,
                       const std::string& file) {
  if (changed == Changed::kEvaluateAgain) return Ok();
  return MakeError(ErrorCode::kInvalidInput,
                   fmt::format("cannot resume: point {}{} now has another config than it was "
                               "evaluated with, though the files are the same (an astrasweep "
                               "that builds configs otherwise?); --accept-changes evaluates such "
                               "points again",
                               index, held),
                   {.file = file});
}

Expected<ArchiveRecord> ReadArchiveRecord(const File& file) {
  ArchiveRecord record;
  JournalInfo& info = record.info;
  info.spec_sha256 = AttributeText(file, "spec_sha256");
  info.shard = AttributeText(file, "shard");
  info.created_utc = AttributeText(file, "created");
  info.model = AttributeText(file, "model");
  // The result columns /points has, in this astrasweep's order: one that
  // is missing makes the list another astrasweep's, which a resume refuses.
  ASTRASWEEP_ASSIGN_OR_RETURN(Table points, Table::Open(file, "points"));
  for (const exec::ResultField& field : exec::ResultFields())
    if (std::ranges::any_of(points.columns(),
                            [&](const Column& column) { return column.name == field.name; }))
      info.result_fields.emplace_back(field.name);
  ASTRASWEEP_ASSIGN_OR_RETURN(ArchivedSweep sweep, ReadArchivedSweep(file));
  Provenance read;
  read.sources = std::move(sweep.files);
  for (config::PresetFile& preset : sweep.presets.value_or(std::vector<config::PresetFile>{}))
    read.sources.push_back({.kind = SourceFile::Kind::kPreset,
                            .name = std::move(preset.name),
                            .path = std::move(preset.path),
                            .text = std::move(preset.text)});
  info.inputs = InputDigests(read);
  const std::int64_t runs =
      std::clamp<std::int64_t>(file.Int64Attribute("runs").value_or(1), 1, std::int64_t{1} << 20);
  record.runs.resize(static_cast<std::size_t>(runs));
  for (std::size_t i = 0; i < record.runs.size(); ++i) {
    record.runs[i].set_run(static_cast<std::uint32_t>(i));
    record.runs[i].set_command_line("(its journal was lost: the archive kept its points)");
  }
  record.runs.front().set_started_utc(info.created_utc);
  ParseAcceptedChanges(AttributeText(file, "accepted_changes"), record.runs);
  return record;
}

Expected<Recovery> RecoverFromArchive(const std::string& path, const RestoreConfig& restore,
                                      Changed changed, const std::vector<std::uint64_t>& recorded,
                                      const std::set<WorkerKey>& journaled,
                                      std::vector<std::uint64_t>& done, ArchiveWriter& archive,
                                      JournalWriter& journal) {
  Recovery recovery;
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(path, ec);
  if (!fs::exists(status)) return recovery;
  if (fs::is_symlink(status)) {
    recovery.unreadable = "it is a symbolic link, which a run never follows";
    return recovery;
  }
  auto file = File::Open(path, File::Access::kReadOnly);
  if (!file) {
    recovery.unreadable = file.error().message();
    return recovery;
  }
  recovery.runs = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(file->Int64Attribute("runs").value_or(0), 0, 1 << 20));
  auto held = ReadPointIndices(*file);
  if (!held) {
    recovery.unreadable = held.error().message();
    return recovery;
  }
  std::vector<std::uint64_t> missing;
  std::ranges::set_difference(*held, recorded, std::back_inserter(missing));
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  const std::size_t journaled_points = done.size();
  for (std::size_t at = 0; at < missing.size(); at += kBatchPoints) {
    const std::span<const std::uint64_t> batch(missing.data() + at,
                                               std::min(kBatchPoints, missing.size() - at));
    auto points = ReadArchivedPoints(*file, {batch.begin(), batch.end()}, /*with_configs=*/false);
    if (!points) {
      recovery.unreadable = points.error().message();
      break;
    }
    for (const ArchivedPoint& archived : *points) {
      std::optional<proto::PointResult> p = ResultOf(archived);
      if (!p) continue;  // evaluated again
      ASTRASWEEP_RETURN_IF_ERROR(restore(*p));
      if (p->id() != archived.id) {
        ASTRASWEEP_RETURN_IF_ERROR(OnChangedConfig(
            changed, archived.index, ", which the archive holds and the journal lost,", path));
        ++recovery.stale;
        continue;
      }
      ASTRASWEEP_RETURN_IF_ERROR(archive.Add(*p));
      journal.Add(*p);
      done.push_back(archived.index);
      ++recovery.points;
    }
    ASTRASWEEP_RETURN_IF_ERROR(archive.WriteRows());
    ASTRASWEEP_RETURN_IF_ERROR(journal.Flush(Durability::kWritten));
  }
  std::inplace_merge(done.begin(), done.begin() + static_cast<std::ptrdiff_t>(journaled_points),
                     done.end());
  if (recovery.unreadable.empty()) {
    auto workers = RecoverWorkers(*file, journaled, archive, journal);
    if (workers)
      recovery.workers = *workers;
    else
      recovery.unreadable = workers.error().message();
  }
  ASTRASWEEP_RETURN_IF_ERROR(journal.Flush(Durability::kSynced));
  return recovery;
}

}  // namespace astrasweep::store
