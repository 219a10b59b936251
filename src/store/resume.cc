// ResumeArchive: the journal is the record of what is finished. Its header
// must name this sweep before anything is touched; then the archive is
// built afresh from its records, whatever state the old file is in.
#include <algorithm>
#include <filesystem>
#include <optional>

#include "archive_files.h"
#include "astrasweep.pb.h"
#include "astrasweep/base/strings.h"
#include "astrasweep/exec/result_fields.h"
#include "astrasweep/store/archive.h"

namespace astrasweep::store {
namespace {

namespace fs = std::filesystem;

// Rows go out in batches, as in a run: memory stays flat however long the
// journal is.
constexpr std::size_t kRebuildBatchRows = 4096;

Status CheckJournalMatches(const JournalInfo& info, const Provenance& provenance,
                           const std::string& journal_path) {
  if (info.spec_sha256 != provenance.spec_sha256)
    return MakeError(ErrorCode::kInvalidInput,
                     "cannot resume: the journal was written for another version of the spec "
                     "(sha256 " +
                         info.spec_sha256.substr(0, 12) + "..., this spec " +
                         provenance.spec_sha256.substr(0, 12) +
                         "...). Resume with the spec it was made from, or choose another output",
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

// Builds the archive from the journal's records; returns the finished
// indices, sorted.
Expected<std::vector<std::uint64_t>> Rebuild(const std::string& journal_path,
                                             ArchiveWriter& archive, JournalScan& scan) {
  std::vector<std::uint64_t> done;
  std::vector<proto::WorkerStats> workers;
  ASTRASWEEP_ASSIGN_OR_RETURN(
      scan, ReadJournal(journal_path,
                        {.point = [&](proto::PointResult& p) -> Status {
                           done.push_back(p.index());
                           ASTRASWEEP_RETURN_IF_ERROR(archive.Add(p));
                           if (archive.buffered_rows() >= kRebuildBatchRows)
                             return archive.WriteRows();
                           return Ok();
                         },
                         .worker = [&](const proto::WorkerStats& w) { workers.push_back(w); }}));
  for (const auto& w : workers) ASTRASWEEP_RETURN_IF_ERROR(archive.AddWorker(w, w.run()));
  std::sort(done.begin(), done.end());
  if (auto dup = std::adjacent_find(done.begin(), done.end()); dup != done.end())
    return MakeError(ErrorCode::kInternal,
                     "the journal holds point " + std::to_string(*dup) + " twice",
                     {.file = journal_path});
  return done;
}

}  // namespace

Expected<OpenedArchive> ResumeArchive(const std::string& path,
                                      const std::vector<sweep::SweptKey>& swept,
                                      const Provenance& provenance) {
  const std::string journal_path = JournalPath(path);
  std::error_code ec;
  std::optional<JournalInfo> info;
  if (fs::exists(journal_path, ec)) {
    ASTRASWEEP_ASSIGN_OR_RETURN(info, ReadJournalHeader(journal_path));
    // A journal left empty by a kill right after its creation records
    // nothing, and the archive was created after it: start afresh.
    if (!info) {
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
  ASTRASWEEP_ASSIGN_OR_RETURN(ArchiveWriter archive, ArchiveFiles::Create(path, swept, prov));
  JournalScan scan;
  ASTRASWEEP_ASSIGN_OR_RETURN(std::vector<std::uint64_t> done,
                              Rebuild(journal_path, archive, scan));
  ArchiveFiles::SetRun(archive, scan.runs);
  ASTRASWEEP_RETURN_IF_ERROR(archive.Flush());
  ASTRASWEEP_ASSIGN_OR_RETURN(JournalWriter journal,
                              JournalWriter::Continue(journal_path, scan.valid_bytes));
  return OpenedArchive{std::move(archive), std::move(journal), std::move(done), std::move(scan)};
}

}  // namespace astrasweep::store
