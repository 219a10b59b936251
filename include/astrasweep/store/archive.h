// The HDF5 archive of a sweep (DESIGN.md section 9), written by rank 0
// alone, in batches:
//
//   /points        one row per point: index, id, status, mode, the swept
//                  keys, the metrics, eval_s, worker_rank
//   /rank_timings  one row per simulated NPU of a point
//   /workers       one row per MPI rank and run (a resumed sweep has several)
//   /failures      one row per failed point: stage and message
//   /configs       the canonical config of each point, in parts of
//                  kConfigPartBytes (join them by point_index, in part order)
//
// and the provenance in root attributes. Every finished point goes into the
// journal before it goes into the archive, so the archive can always be
// rebuilt from the journal: OpenArchive does that when resuming, whatever
// state a crash left the HDF5 file in.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
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

inline constexpr std::int64_t kArchiveSchemaVersion = 1;
inline constexpr std::size_t kConfigPartBytes = 1024;

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
  std::string shard;               // "i/N", or ""
  std::uint64_t points_total = 0;  // valid points this archive is to hold
};

struct ArchiveCounts {
  std::uint64_t done = 0;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::uint64_t infeasible = 0;
};

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
  // Flushes and sets status (complete or partial) and the finish time.
  Status Finish(bool complete, const std::string& finished_utc);

  const ArchiveCounts& counts() const;
  std::int64_t run() const;  // 0 for a new sweep, +1 per resume

 private:
  struct Impl;
  friend struct ArchiveOpener;
  explicit ArchiveWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An archive ready for more points, with its journal.
struct OpenedArchive {
  ArchiveWriter archive;
  JournalWriter journal;
  std::vector<std::uint64_t> done;  // indices already finished, sorted
  JournalScan scan;                 // what resuming found in the journal
};

// `swept` gives /points a column per swept key, typed as the spec's values
// are (Expander::SweptKeyInfo). Creates the archive and its journal (`path` + ".journal") afresh
// or, with `resume`, rebuilds the archive from the journal and continues both. The journal must
// belong to the same spec (digest) and shard. Resuming with no journal starts afresh. Without
// `resume`, an existing archive or journal is an error: results are never overwritten.
Expected<OpenedArchive> OpenArchive(const std::string& path, std::vector<sweep::SweptKey> swept,
                                    const Provenance& provenance, bool resume);

std::string JournalPath(const std::string& archive_path);

// Held while a run writes an archive: an flock on <archive>.lock, released
// when the holder exits, however it exits.
class ArchiveLock {
 public:
  static Expected<ArchiveLock> Acquire(const std::string& archive_path);
  // Who holds the lock ("pid 123"), or nullopt when no run holds it.
  static std::optional<std::string> Holder(const std::string& archive_path);
  ArchiveLock(ArchiveLock&& other) noexcept;
  ArchiveLock& operator=(ArchiveLock&&) = delete;
  ~ArchiveLock();

 private:
  ArchiveLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace astrasweep::store
