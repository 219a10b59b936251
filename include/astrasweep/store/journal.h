// The journal beside an archive (<out>.journal, README.md, "The archive"): an
// append-only file of finished points that survives a crash at any moment.
//
// Format: a sequence of records, each a varint byte count, a serialised
// proto::JournalRecord and the low 32 bits of its XXH3 hash (little
// endian). The first record is the header (spec digest, shard); the rest are
// points. Records are buffered and written with one write() per flush, so a
// killed process leaves at worst a torn last record, which readers detect
// and drop; the points in it are simply evaluated again.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/base/unique_fd.h"

namespace astrasweep::proto {
class PointResult;
class WorkerStats;
class RunStart;
}  // namespace astrasweep::proto

namespace astrasweep::store {

struct JournalInfo {
  std::string spec_sha256;
  std::string shard;  // "i/N", or "" for the whole sweep
  std::string created_utc;
  // The names of the result fields its points carry, in order
  // (exec::ResultFields() of the astrasweep that wrote it).
  std::vector<std::string> result_fields;
};

// How far a flush goes: into the kernel, or onto the disk.
enum class Durability { kWritten, kSynced };

class JournalWriter {
 public:
  // A new journal holding only its header; an existing file is replaced.
  static Expected<JournalWriter> Create(const std::string& path, const JournalInfo& info);
  // An existing journal, continued after its first `valid_bytes` bytes (what
  // ReadJournal found intact); anything after them is cut off.
  static Expected<JournalWriter> Continue(const std::string& path, std::uint64_t valid_bytes);
  // Destroying a writer loses its unflushed records, as a crash would.

  const std::string& path() const { return path_; }
  void Add(const proto::PointResult& point);
  void Add(const proto::WorkerStats& worker);
  void Add(const proto::RunStart& run);
  std::size_t buffered_bytes() const { return buffer_.size(); }
  // Writes the buffered records; kSynced also waits until the disk has
  // them (fdatasync).
  Status Flush(Durability durability);

 private:
  JournalWriter(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
  std::string buffer_;
};

struct JournalScan {
  JournalInfo info;
  std::uint64_t points = 0;       // point records read
  std::uint32_t runs = 0;         // run-start records read
  std::uint64_t valid_bytes = 0;  // the intact prefix
  std::uint64_t file_bytes = 0;
  // What ended the scan before the end of the file: a torn last record
  // (a crash while writing) or a damaged one. Empty when the whole file
  // was read.
  std::string damage;
};

// The journal's header; nullopt when the file is empty, as a kill between
// creating it and writing its header leaves it (it records nothing). A
// file that is not a journal, or of another schema version, is an error.
Expected<std::optional<JournalInfo>> ReadJournalHeader(const std::string& path);

struct JournalVisitor {
  std::function<Status(proto::PointResult&)> point;       // may return an error to stop
  std::function<void(const proto::WorkerStats&)> worker;  // may be empty
};

// Reads the records after the header, calling the visitor for each in
// order. A file that is not a journal is an error; a damaged or torn tail is
// not: the scan stops there and says so.
Expected<JournalScan> ReadJournal(const std::string& path, const JournalVisitor& visit);

}  // namespace astrasweep::store
