// The HDF5 archive of a sweep (README.md, "The archive"), written by rank 0
// alone, in batches: /points, /rank_timings, /workers, /failures and
// /configs (src/store/archive_tables.h gives their columns), the files the
// sweep was read from in /sources, and the provenance in root attributes.
//
// Every finished point goes into the journal before it goes into the
// archive, so the archive can always be rebuilt from the journal:
// ResumeArchive does that, whatever state a crash left the HDF5 file in.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/store/journal.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep::proto {
class PointResult;
class WorkerStats;
}  // namespace astrasweep::proto

namespace astrasweep::store {

// 2: /sources (the spec, its includes and the presets, to run the sweep
// again: `run --from-archive`); merged archives have /inputs. Readers take
// 1 and 2.
inline constexpr std::int64_t kArchiveSchemaVersion = 2;

// /failures keeps this many bytes of a message.
inline constexpr std::size_t kFailureMessageBytes = 1024;

// A file the sweep was read from, as /sources keeps it.
struct SourceFile {
  enum class Kind { kSpec, kInclude, kPreset };
  Kind kind = Kind::kSpec;
  // The spec and its includes: the path the run read it by; a preset: its
  // name under a preset directory ("hardware/a100-80gb.yaml").
  std::string name;
  std::string path;  // where it was read from
  std::string text;
};
// "spec", "include", "preset".
const char* SourceKindName(SourceFile::Kind kind);

struct Provenance {
  std::string astrasweep_version;
  std::string git_sha;
  std::string spec_file;
  std::string spec_text;  // the spec and every file it includes
  std::string spec_sha256;
  std::string command_line;
  std::string created_utc;
  std::int64_t mpi_size = 1;
  std::string hosts;  // comma-separated, in rank order of first appearance
  std::string simulator;
  // What the results depend on besides the inputs: astrasweep's version
  // line and the network simulators' identities. A resume compares it.
  std::string model;
  // The changes to the inputs or the model that resumes accepted, one
  // line per run ("run 2 (UTC): preset hardware/x.yaml changed"); written
  // as the archive's `accepted_changes` attribute.
  std::string accepted_changes;
  std::string shard;               // "i/N", or ""
  std::uint64_t points_total = 0;  // valid points this archive is to hold
  std::vector<SourceFile> sources;  // the spec (first), its includes, the presets
};

struct ArchiveCounts {
  std::uint64_t done = 0;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::uint64_t infeasible = 0;
};

// What the archive says of its sweep when a run ends.
enum class ArchiveStatus { kComplete, kPartial };

class ArchiveWriter {
 public:
  ArchiveWriter(ArchiveWriter&&) noexcept;
  ArchiveWriter& operator=(ArchiveWriter&&) noexcept;
  ~ArchiveWriter();

  // Buffers the point's rows; they reach the file on WriteRows or Flush
  // (the caller writes the journal first).
  Status Add(const proto::PointResult& point);
  Status AddWorker(const proto::WorkerStats& worker, std::int64_t run);
  std::size_t buffered_rows() const;
  // Appends the buffered rows to the tables, without flushing the file.
  Status WriteRows();
  // Writes the buffered rows and the counts, and flushes the file.
  Status Flush();
  // Flushes, and records the status and the finish time.
  Status Finish(ArchiveStatus status, const std::string& finished_utc);

  const ArchiveCounts& counts() const;
  std::int64_t run() const;  // 0 for a new sweep, +1 per resume

 private:
  struct Impl;
  friend struct ArchiveFiles;  // makes writers (src/store/archive_files.h)
  explicit ArchiveWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An archive ready for more points, with its journal.
struct OpenedArchive {
  ArchiveWriter archive;
  JournalWriter journal;
  std::vector<std::uint64_t> done;  // indices already finished, sorted
  JournalScan scan;                 // what resuming found in the journal
  // What this resume accepted (--accept-changes), for its run-start record;
  // empty when the inputs and the model are those the journal began with.
  std::string accepted_now;
};

// A new archive at `path` and its journal (JournalPath(path)). `swept`
// gives /points a column per swept key, typed as the spec's values are
// (Expander::SweptKeyInfo). An existing archive or journal is an error:
// results are never overwritten.
Expected<OpenedArchive> CreateArchive(const std::string& path,
                                      const std::vector<sweep::SweptKey>& swept,
                                      const Provenance& provenance);

// Builds a journaled point's config again from its index (the journal does
// not keep it): its id, canonical text and swept values.
using RestoreConfig = std::function<Status(proto::PointResult&)>;

// Continues the sweep of an archive: its journal must belong to the same
// inputs (the content of the spec, its includes and the presets), shard and
// result fields; the archive is rebuilt from the journal's records, each
// point's config built again by `restore`, and both go on. A point the
// journal holds twice (a write retried) is kept once. Points the journal
// lost (a damaged block) that the old archive still holds are taken from
// it and journaled again. With no journal (or one a kill left empty) and
// no archive, the sweep starts afresh; with an archive, the journal is
// made again from it (its provenance must match as a journal's would), and
// its points are kept; one that cannot be read is an error that says what
// to do, and nothing is removed.
//
// Inputs or a model that differ from those the journal began with are
// refused, naming each difference, unless `accept_changes`: then finished
// points whose config is unchanged (ConfigCheck) are kept as they were
// evaluated, the others left to be evaluated again, and the differences
// recorded (OpenedArchive::accepted_now, the archive's accepted_changes).
Expected<OpenedArchive> ResumeArchive(const std::string& path,
                                      const std::vector<sweep::SweptKey>& swept,
                                      const Provenance& provenance, const RestoreConfig& restore,
                                      bool accept_changes = false);

// The digests of the files a sweep read, as its journal's header holds them.
std::vector<InputDigest> InputDigests(const Provenance& provenance);

std::string JournalPath(const std::string& archive_path);

}  // namespace astrasweep::store
