// The journal beside an archive (<out>.journal, README.md, "The archive"): an
// append-only file of finished points that survives a crash at any moment.
//
// Format: a sequence of blocks. A block is an 8-byte marker, the stored and
// the inflated byte counts and the low 32 bits of the XXH3 hash of those
// counts and the stored bytes (each 4 bytes, little endian), then the
// stored bytes: zlib-compressed records, each a varint byte count and a
// serialised proto::JournalRecord. The first block holds the header alone
// (inputs' digests, shard, result fields); the rest hold points. Each flush
// writes its records as blocks with one write(), so a killed process leaves
// at worst a torn last block, which readers detect and drop; a block damaged
// in the middle is skipped, and reading resumes at the next marker. The
// points in a lost block are taken from the old archive when it holds
// them (ResumeArchive), else evaluated again.
//
// A point's config is not journaled: its id, canonical text and swept
// values follow from its index and the sweep's inputs, which the header's
// digests pin, and a resume builds them again (ResumeArchive); a check of
// the id (ConfigCheck) stays, so a resume that accepts changed inputs knows
// the points whose config changed, and evaluates them again.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/base/unique_fd.h"

namespace astrasweep::proto {
class PointResult;
class WorkerStats;
class RunStart;
}  // namespace astrasweep::proto

namespace astrasweep::store {

// A file the sweep read: kind "spec", "include" or "preset", its name (the
// spec and includes as read, presets as "hardware/x.yaml") and the SHA-256
// of its content.
struct InputDigest {
  std::string kind;
  std::string name;
  std::string sha256;
  bool operator==(const InputDigest&) const = default;
};

struct JournalInfo {
  std::string spec_sha256;
  std::string shard;  // "i/N", or "" for the whole sweep
  std::string created_utc;
  // The names of the result fields its points carry, in order
  // (exec::ResultFields() of the astrasweep that wrote it).
  std::vector<std::string> result_fields;
  std::vector<InputDigest> inputs;
  std::string model;  // Provenance::model
};

// How far a flush goes: into the kernel, or onto the disk.
enum class Durability { kWritten, kSynced };

class JournalWriter {
 public:
  // A new journal holding only its header; anything at the path already (a
  // file, a symbolic link) is an error.
  static Expected<JournalWriter> Create(const std::string& path, const JournalInfo& info);
  // An existing journal, continued after its first `valid_bytes` bytes (what
  // ReadJournal found intact); anything after them is cut off.
  static Expected<JournalWriter> Continue(const std::string& path, std::uint64_t valid_bytes);
  // Destroying a writer loses its unflushed records, as a crash would.

  const std::string& path() const { return path_; }
  // The point without its config (id, canonical text, swept values): they
  // are taken out while it is serialised and put back.
  void Add(proto::PointResult& point);
  void Add(const proto::WorkerStats& worker);
  void Add(const proto::RunStart& run);
  // Bytes of records not yet written, before compression.
  std::size_t buffered_bytes() const { return records_.size() + blocks_.size(); }
  // Writes the buffered records; kSynced also waits until the disk has
  // them (fdatasync).
  Status Flush(Durability durability);

 private:
  JournalWriter(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  // The records so far, compressed into a block at the end of blocks_.
  void SealBlock();

  std::string path_;
  UniqueFd fd_;
  std::string records_;  // serialised, not yet in a block
  std::string blocks_;   // sealed, not yet written
};

// A change a resume accepted, as JournalScan and the archive's
// `accepted_changes` attribute hold it: "run 2 (UTC): preset x changed",
// for `run` numbered from 0 (run 2 is the first resume).
std::string AcceptedChangeLine(std::uint32_t run, std::string_view started_utc,
                               std::string_view changes);

struct JournalScan {
  JournalInfo info;
  std::uint64_t points = 0;       // point records read
  std::uint32_t runs = 0;         // run-start records read
  std::uint64_t valid_bytes = 0;  // up to the end of the last intact block
  std::uint64_t file_bytes = 0;
  // The damage found, if any: a torn last block (a crash while writing),
  // or damaged blocks that were skipped, with their bytes. Empty when
  // every byte was read.
  std::string damage;
  std::uint64_t skipped_bytes = 0;  // damaged bytes before valid_bytes
  // The changes earlier runs accepted, one AcceptedChangeLine each.
  std::vector<std::string> accepted_changes;
};

// A check of a point's config (of its id, the config's hash), journaled in
// its place; never 0 (0 means a record without one).
std::uint32_t ConfigCheck(const proto::PointResult& point);

// The journal's header; nullopt when the file is empty or its header block
// torn, as a kill between creating it and writing its header leaves it (it
// records nothing). A
// file that is not a journal, or of another schema version, is an error.
Expected<std::optional<JournalInfo>> ReadJournalHeader(const std::string& path);

struct JournalVisitor {
  std::function<Status(proto::PointResult&)> point;       // may return an error to stop
  std::function<void(const proto::WorkerStats&)> worker;  // may be empty
};

// Reads the records after the header, calling the visitor for each in
// order. A file that is not a journal is an error; damage is not: a damaged
// block is skipped, a torn tail ends the scan, and `damage` says so.
Expected<JournalScan> ReadJournal(const std::string& path, const JournalVisitor& visit);

}  // namespace astrasweep::store
