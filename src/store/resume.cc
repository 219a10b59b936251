// ResumeArchive: the journal is the record of what is finished. Its header
// must name this sweep before anything is touched; then the archive is
// built afresh from its records, whatever state the old file is in, and
// what the journal lost (a damaged block, the journal itself) is taken
// from the old archive when it can be read.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <optional>
#include <set>
#include <string_view>

#include "archive_files.h"
#include "archive_recovery.h"
#include "astrasweep.pb.h"
#include "astrasweep/base/logging.h"
#include "astrasweep/base/strings.h"
#include "astrasweep/exec/result_fields.h"
#include "astrasweep/store/archive.h"
#include "astrasweep/store/table.h"

namespace astrasweep::store {
namespace {

namespace fs = std::filesystem;

// Rows go out in batches, as in a run: memory stays flat however long the
// journal is.
constexpr std::size_t kRebuildBatchRows = 4096;

// What changed in the files a sweep read, as a phrase: "preset
// hardware/a100-80gb.yaml changed; the spec changed"; empty when nothing
// did. A file the journal does not know (a preset added) changes nothing.
std::string ChangedInputs(const std::vector<InputDigest>& before,
                          const std::vector<InputDigest>& now) {
  // The spec and its includes are known by their place among the files
  // read (a spec read by another path is the same spec), presets by name.
  auto same_file = [&](const InputDigest& old, std::size_t old_at) {
    if (old.kind == "preset")
      return std::find_if(now.begin(), now.end(), [&](const InputDigest& d) {
        return d.kind == old.kind && d.name == old.name;
      });
    return old_at < now.size() && now[old_at].kind == old.kind ? now.begin() + old_at : now.end();
  };
  std::vector<std::string> changes;
  for (std::size_t i = 0; i < before.size(); ++i) {
    const InputDigest& old = before[i];
    const std::string what = old.kind == "spec" ? "the spec" : old.kind + " " + old.name;
    const auto same = same_file(old, i);
    if (same == now.end())
      changes.push_back(what + " is no longer read");
    else if (same->sha256 != old.sha256)
      changes.push_back(what + " changed");
  }
  return Join(changes, "; ");
}

// What differs from the inputs and model the journal began with, as a
// phrase; empty when nothing does.
std::string Changes(const JournalInfo& info, const Provenance& provenance) {
  std::string changed = ChangedInputs(info.inputs, InputDigests(provenance));
  if (info.model != provenance.model)
    changed += (changed.empty() ? "" : "; ") + std::string("the model changed (was ") +
               (info.model.empty() ? "not recorded" : "'" + info.model + "'") + ", now '" +
               provenance.model + "')";
  return changed;
}

// The record (the journal, or the archive when the journal was lost) must
// be of this shard and these result fields: no flag accepts otherwise.
Status CheckRecordMatches(const JournalInfo& info, const Provenance& provenance,
                          std::string_view record, const std::string& file) {
  if (info.shard != provenance.shard)
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("cannot resume: {} is for shard '{}', this run for '{}'", record,
                                 info.shard, provenance.shard),
                     {.file = file});
  if (info.result_fields != ResultFieldNames())
    return MakeError(ErrorCode::kInvalidInput,
                     fmt::format("cannot resume: {}'s points carry other result fields ({}) than "
                                 "this astrasweep's; resume with the astrasweep that wrote it, or "
                                 "choose another output",
                                 record, Join(info.result_fields, ", ")),
                     {.file = file});
  return Ok();
}

// The points an archive says it holds; 0 when it cannot be read.
std::int64_t PointsIn(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return 0;
  auto file = File::Open(path, File::Access::kReadOnly);
  if (!file) return 0;
  return file->Int64Attribute("points_done").value_or(0);
}

// What Rebuild found in the journal.
struct Rebuilt {
  std::vector<std::uint64_t> done;  // sorted (an index recorded twice, twice)
  std::set<WorkerKey> workers;
  JournalScan scan;
  std::vector<std::uint64_t> stale;  // sorted: points whose config changed
};

// Builds the archive from the journal's records, each point's config built
// again, and the second record of an index in `twice` skipped.
Expected<Rebuilt> Rebuild(const std::string& journal_path, const RestoreConfig& restore,
                          Changed changed, const std::set<std::uint64_t>& twice,
                          ArchiveWriter& archive) {
  Rebuilt rebuilt;
  std::vector<proto::WorkerStats> workers;
  std::set<std::uint64_t> added;  // of `twice`
  ASTRASWEEP_ASSIGN_OR_RETURN(
      rebuilt.scan,
      ReadJournal(journal_path,
                  {.point = [&](proto::PointResult& p) -> Status {
                     const std::uint32_t check = p.config_check();
                     p.clear_config_check();
                     ASTRASWEEP_RETURN_IF_ERROR(restore(p));
                     if (check != 0 && ConfigCheck(p) != check) {
                       ASTRASWEEP_RETURN_IF_ERROR(
                           OnChangedConfig(changed, p.index(), "", journal_path));
                       rebuilt.stale.push_back(p.index());
                       return Ok();
                     }
                     rebuilt.done.push_back(p.index());
                     if (twice.contains(p.index()) && !added.insert(p.index()).second) return Ok();
                     ASTRASWEEP_RETURN_IF_ERROR(archive.Add(p));
                     if (archive.buffered_rows() >= kRebuildBatchRows) return archive.WriteRows();
                     return Ok();
                   },
                   .worker = [&](const proto::WorkerStats& w) { workers.push_back(w); }}));
  for (const auto& w : workers) {
    ASTRASWEEP_RETURN_IF_ERROR(archive.AddWorker(w, w.run()));
    rebuilt.workers.emplace(w.run(), w.rank());
  }
  std::sort(rebuilt.done.begin(), rebuilt.done.end());
  std::sort(rebuilt.stale.begin(), rebuilt.stale.end());
  return rebuilt;
}

// The indices `done` (sorted) holds more than once.
std::set<std::uint64_t> Repeated(const std::vector<std::uint64_t>& done) {
  std::set<std::uint64_t> repeated;
  for (std::size_t i = 1; i < done.size(); ++i)
    if (done[i] == done[i - 1]) repeated.insert(done[i]);
  return repeated;
}

// When the journal is missing, or a kill left it empty: the record the
// archive keeps of it, or nullopt to start afresh (no archive, or one a
// run killed as it began left without a point). An archive that holds
// points is never removed.
Expected<std::optional<ArchiveRecord>> LostJournalRecord(const std::string& path,
                                                         const std::string& journal_path,
                                                         bool journal_empty) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(path, ec);
  if (!fs::exists(status)) return std::nullopt;
  const std::string lost =
      "cannot resume: the journal " + journal_path + (journal_empty ? " is empty" : " is missing");
  if (fs::is_symlink(status))
    return MakeError(ErrorCode::kInvalidInput,
                     lost +
                         ", and the archive is a symbolic link, which a run never follows; "
                         "nothing was removed. Resume the archive it points to by its own path",
                     {.file = path});
  if (journal_empty && PointsIn(path) == 0) {
    log::Warn(path +
              ": removed with its empty journal (a run killed as it began; it held "
              "no point)");
    fs::remove(path, ec);
    return std::nullopt;
  }
  auto record = [&]() -> Expected<ArchiveRecord> {
    ASTRASWEEP_ASSIGN_OR_RETURN(File file, File::Open(path, File::Access::kReadOnly));
    return ReadArchiveRecord(file);
  }();
  if (!record)
    return MakeError(ErrorCode::kInvalidInput,
                     lost + ", and the archive, which would make it again, cannot be read (" +
                         record.error().message() +
                         "); nothing was removed. Move the archive away to start the sweep "
                         "afresh",
                     {.file = path});
  return std::move(*record);
}

}  // namespace

Expected<OpenedArchive> ResumeArchive(const std::string& path,
                                      const std::vector<sweep::SweptKey>& swept,
                                      const Provenance& provenance, const RestoreConfig& restore,
                                      bool accept_changes) {
  const std::string journal_path = JournalPath(path);
  std::error_code ec;
  const bool journal_exists = fs::exists(journal_path, ec);
  std::optional<JournalInfo> info;
  if (journal_exists) {
    ASTRASWEEP_ASSIGN_OR_RETURN(info, ReadJournalHeader(journal_path));
  }
  // Without a journal (or with one a kill left empty), the archive is the
  // record: the journal is made again from it.
  std::optional<ArchiveRecord> lost;
  if (!info) {
    ASTRASWEEP_ASSIGN_OR_RETURN(lost, LostJournalRecord(path, journal_path, journal_exists));
    if (!lost) {
      if (journal_exists) fs::remove(journal_path, ec);
      return CreateArchive(path, swept, provenance);
    }
    info = lost->info;
  }
  const std::string_view record = lost ? "the archive" : "the journal";
  ASTRASWEEP_RETURN_IF_ERROR(
      CheckRecordMatches(*info, provenance, record, lost ? path : journal_path));
  const std::string changed = Changes(*info, provenance);
  if (!changed.empty() && !accept_changes)
    return MakeError(
        ErrorCode::kInvalidInput,
        fmt::format("cannot resume: this run's inputs or model are not those {} "
                    "({}); its finished points would not match the rest. Resume "
                    "with what it began with (`astrasweep run --from-archive` runs "
                    "the archive's own files), add --accept-changes to go on as "
                    "things are now (finished points whose config changed are "
                    "evaluated again, the others kept, and the archive records "
                    "it), or choose another output",
                    lost ? "the archive was made with" : "the journal began with", changed),
        {.file = lost ? path : journal_path});
  if (!changed.empty())
    log::Warn(journal_path + ": accepting changes (" + changed +
              "): finished points whose config is unchanged are kept as they were evaluated, "
              "the others evaluated again; the archive's accepted_changes records it");
  if (lost) {
    if (journal_exists) fs::remove(journal_path, ec);
    ASTRASWEEP_ASSIGN_OR_RETURN(JournalWriter made, JournalWriter::Create(journal_path, *info));
    for (const proto::RunStart& run : lost->runs) made.Add(run);
    ASTRASWEEP_RETURN_IF_ERROR(made.Flush(Durability::kSynced));
  }
  Provenance prov = provenance;
  prov.created_utc = info->created_utc;
  // The archive is built again from the journal, aside: the old one (or a
  // link at its path, replaced, never followed) stays as it is until the
  // new one is whole, so a resume refused half-way loses nothing.
  const std::string staged = path + ".resuming";
  struct Staged {
    const std::string& file;
    bool keep = false;
    ~Staged() {
      std::error_code ignored;
      if (!keep) fs::remove(file, ignored);
    }
  } staging{staged};
  std::optional<ArchiveWriter> archive;
  Rebuilt rebuilt;
  const Changed mode = accept_changes ? Changed::kEvaluateAgain : Changed::kRefuse;
  // The staged archive, built (again) from the journal.
  auto build = [&](const std::set<std::uint64_t>& twice) -> Status {
    archive.reset();         // closed first: HDF5 creates no open file
    fs::remove(staged, ec);  // the first build, or one a resume killed as it rebuilt left
    ASTRASWEEP_ASSIGN_OR_RETURN(ArchiveWriter built,
                                ArchiveFiles::Create(path, swept, prov, staged));
    ASTRASWEEP_ASSIGN_OR_RETURN(rebuilt, Rebuild(journal_path, restore, mode, twice, built));
    archive.emplace(std::move(built));
    return Ok();
  };
  ASTRASWEEP_RETURN_IF_ERROR(build({}));
  // A point recorded twice (a write retried) is kept once: the archive is
  // built again, knowing which (rare, so the common case reads once).
  if (const std::set<std::uint64_t> twice = Repeated(rebuilt.done); !twice.empty()) {
    log::Warn(fmt::format("{}: {} points are recorded more than once; each is kept once",
                          journal_path, twice.size()));
    ASTRASWEEP_RETURN_IF_ERROR(build(twice));
    rebuilt.done.erase(std::unique(rebuilt.done.begin(), rebuilt.done.end()), rebuilt.done.end());
  }
  const JournalScan& scan = rebuilt.scan;
  std::vector<std::uint64_t>& done = rebuilt.done;
  const std::uint64_t journaled = done.size();
  // What the journal lost (a damaged block, or the whole journal) and the
  // old archive still holds is taken from it, and journaled again.
  ASTRASWEEP_ASSIGN_OR_RETURN(JournalWriter journal,
                              JournalWriter::Continue(journal_path, scan.valid_bytes));
  std::vector<std::uint64_t> recorded;  // by the journal, kept or to evaluate again
  std::ranges::merge(done, rebuilt.stale, std::back_inserter(recorded));
  ASTRASWEEP_ASSIGN_OR_RETURN(
      const Recovery recovered,
      RecoverFromArchive(path, restore, mode, recorded, rebuilt.workers, done, *archive, journal));
  if (lost)
    log::Warn(
        fmt::format("{}: the journal was {}; it is made again from the archive, whose {} "
                    "points are kept",
                    journal_path, journal_exists ? "empty" : "missing", recovered.points));
  else if (!scan.damage.empty())
    log::Warn(fmt::format(
        "{}: the journal has {}; its {} intact points are kept, {} more that the archive held "
        "are taken from it{}, and any other point of the damaged bytes is evaluated again",
        journal_path, scan.damage, journaled, recovered.points,
        recovered.unreadable.empty()
            ? ""
            : " (the archive could not be read: " + recovered.unreadable + ")"));
  else if (recovered.points > 0)
    log::Warn(fmt::format("{}: {} points the journal did not hold are taken from the archive",
                          journal_path, recovered.points));
  const std::uint64_t stale = rebuilt.stale.size() + recovered.stale;
  if (stale > 0)
    log::Warn(
        fmt::format("{}: {} finished points have another config now and are evaluated "
                    "again; the other {} are kept",
                    journal_path, stale, done.size()));
  // A run-start record in a damaged block is still counted by the archive.
  ArchiveFiles::SetRun(*archive, std::max(scan.runs, recovered.runs));
  std::vector<std::string> accepted = scan.accepted_changes;
  if (!changed.empty())
    accepted.push_back(AcceptedChangeLine(static_cast<std::uint32_t>(archive->run()),
                                          provenance.created_utc, changed));
  if (!accepted.empty())
    ASTRASWEEP_RETURN_IF_ERROR(ArchiveFiles::SetAcceptedChanges(*archive, Join(accepted, "\n")));
  ASTRASWEEP_RETURN_IF_ERROR(archive->Flush());
  // Whole: it replaces the old archive (rename(2) replaces a link at the
  // path, not its target). HDF5 keeps the file open across the rename.
  if (::rename(staged.c_str(), path.c_str()) != 0)
    return MakeError(
        ErrorCode::kIo,
        std::string("cannot put the rebuilt archive in place: ") + std::strerror(errno),
        {.file = path});
  staging.keep = true;
  return OpenedArchive{std::move(*archive), std::move(journal), std::move(done),
                       std::move(rebuilt.scan), changed};
}

}  // namespace astrasweep::store
