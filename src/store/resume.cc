// ResumeArchive: the journal is the record of what is finished. Its header
// must name this sweep before anything is touched; then the archive is
// built afresh from its records, whatever state the old file is in.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>

#include "archive_files.h"
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

Status CheckJournalMatches(const JournalInfo& info, const Provenance& provenance,
                           const std::string& journal_path) {
  if (const std::string changed = ChangedInputs(info.inputs, InputDigests(provenance));
      !changed.empty())
    return MakeError(ErrorCode::kInvalidInput,
                     "cannot resume: the files the sweep was read from are not those the "
                     "journal was written with (" +
                         changed +
                         "); the finished points would not match the rest. Resume with the "
                         "files it was made from (`astrasweep run --from-archive` runs the "
                         "archive's own), or choose another output",
                     {.file = journal_path});
  if (info.shard != provenance.shard)
    return MakeError(ErrorCode::kInvalidInput,
                     "cannot resume: the journal is for shard '" + info.shard +
                         "', this run for '" + provenance.shard + "'",
                     {.file = journal_path});
  std::vector<std::string> fields;
  for (const auto& field : exec::ResultFields()) fields.emplace_back(field.name);
  if (info.result_fields != fields)
    return MakeError(ErrorCode::kInvalidInput,
                     "cannot resume: the journal's points carry other result fields (" +
                         Join(info.result_fields, ", ") +
                         ") than this astrasweep's; resume with the astrasweep that wrote it, "
                         "or choose another output",
                     {.file = journal_path});
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

// Builds the archive from the journal's records, each point's config built
// again, and the second record of an index in `twice` skipped; returns the
// finished indices, sorted (with any index recorded twice, twice).
Expected<std::vector<std::uint64_t>> Rebuild(const std::string& journal_path,
                                             const RestoreConfig& restore,
                                             const std::set<std::uint64_t>& twice,
                                             ArchiveWriter& archive, JournalScan& scan) {
  std::vector<std::uint64_t> done;
  std::vector<proto::WorkerStats> workers;
  std::set<std::uint64_t> added;  // of `twice`
  ASTRASWEEP_ASSIGN_OR_RETURN(
      scan, ReadJournal(journal_path,
                        {.point = [&](proto::PointResult& p) -> Status {
                           done.push_back(p.index());
                           if (twice.contains(p.index()) && !added.insert(p.index()).second)
                             return Ok();
                           ASTRASWEEP_RETURN_IF_ERROR(restore(p));
                           ASTRASWEEP_RETURN_IF_ERROR(archive.Add(p));
                           if (archive.buffered_rows() >= kRebuildBatchRows)
                             return archive.WriteRows();
                           return Ok();
                         },
                         .worker = [&](const proto::WorkerStats& w) { workers.push_back(w); }}));
  for (const auto& w : workers) ASTRASWEEP_RETURN_IF_ERROR(archive.AddWorker(w, w.run()));
  std::sort(done.begin(), done.end());
  return done;
}

// The indices `done` (sorted) holds more than once.
std::set<std::uint64_t> Repeated(const std::vector<std::uint64_t>& done) {
  std::set<std::uint64_t> repeated;
  for (std::size_t i = 1; i < done.size(); ++i)
    if (done[i] == done[i - 1]) repeated.insert(done[i]);
  return repeated;
}

}  // namespace

Expected<OpenedArchive> ResumeArchive(const std::string& path,
                                      const std::vector<sweep::SweptKey>& swept,
                                      const Provenance& provenance, const RestoreConfig& restore) {
  const std::string journal_path = JournalPath(path);
  std::error_code ec;
  std::optional<JournalInfo> info;
  if (fs::exists(journal_path, ec)) {
    ASTRASWEEP_ASSIGN_OR_RETURN(info, ReadJournalHeader(journal_path));
    // A journal left empty by a kill right after its creation records
    // nothing, and the archive was created after it: start afresh. An
    // archive that holds points is never removed for an empty journal.
    if (!info) {
      if (const std::int64_t points = PointsIn(path); points > 0)
        return MakeError(ErrorCode::kInvalidInput,
                         "cannot resume: the journal " + journal_path +
                             " is empty, but the archive holds " + std::to_string(points) +
                             " points; nothing was removed. If the archive is complete "
                             "(astrasweep inspect says), it needs no resume; otherwise move it "
                             "away to start afresh",
                         {.file = path});
      if (fs::exists(path, ec))
        log::Warn(path +
                  ": removed with its empty journal (a run killed as it began; it held "
                  "no point)");
      fs::remove(journal_path, ec);
      fs::remove(path, ec);
    }
  }
  if (!info) {
    if (fs::exists(path, ec))
      return MakeError(ErrorCode::kInvalidInput,
                       "cannot resume: the journal " + journal_path +
                           " is missing, and the finished points are known only from it. Move "
                           "the archive away to start the sweep afresh",
                       {.file = path});
    return CreateArchive(path, swept, provenance);
  }
  ASTRASWEEP_RETURN_IF_ERROR(CheckJournalMatches(*info, provenance, journal_path));
  Provenance prov = provenance;
  prov.created_utc = info->created_utc;
  // The archive is built again from the journal: the old file (or a link
  // at its path, which is not followed) goes first.
  fs::remove(path, ec);
  ASTRASWEEP_ASSIGN_OR_RETURN(ArchiveWriter archive, ArchiveFiles::Create(path, swept, prov));
  JournalScan scan;
  ASTRASWEEP_ASSIGN_OR_RETURN(std::vector<std::uint64_t> done,
                              Rebuild(journal_path, restore, {}, archive, scan));
  // A point recorded twice (a write retried) is kept once: the archive is
  // built again, knowing which (rare, so the common case reads once).
  if (const std::set<std::uint64_t> twice = Repeated(done); !twice.empty()) {
    log::Warn(fmt::format("{}: {} points are recorded more than once; each is kept once",
                          journal_path, twice.size()));
    { const ArchiveWriter closed = std::move(archive); }  // HDF5 creates no open file
    fs::remove(path, ec);
    ASTRASWEEP_ASSIGN_OR_RETURN(archive, ArchiveFiles::Create(path, swept, prov));
    ASTRASWEEP_ASSIGN_OR_RETURN(done, Rebuild(journal_path, restore, twice, archive, scan));
    done.erase(std::unique(done.begin(), done.end()), done.end());
  }
  ArchiveFiles::SetRun(archive, scan.runs);
  ASTRASWEEP_RETURN_IF_ERROR(archive.Flush());
  ASTRASWEEP_ASSIGN_OR_RETURN(JournalWriter journal,
                              JournalWriter::Continue(journal_path, scan.valid_bytes));
  return OpenedArchive{std::move(archive), std::move(journal), std::move(done), std::move(scan)};
}

}  // namespace astrasweep::store
