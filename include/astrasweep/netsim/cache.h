// The node-local, content-addressed cache of simulation answers: a
// simulation is slow and the same bundle comes back often (every point with
// the same collective, block or pipeline), so its answer is kept under a key
// made from everything that decides it. An in-memory map sits in front of a
// folder on node-local scratch that every process of the node shares:
// entries are written to a temporary file, fsynced and renamed, so a reader
// sees a whole entry or none. A damaged entry is a miss, never an error:
// it is logged, removed and recomputed by the caller.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/netsim/simulator.h"

namespace astrasweep::netsim {

// Flag --cache-mode, environment ASTRASWEEP_CACHE_MODE.
enum class CacheMode {
  kNone,       // NO_CACHE: neither looks nor keeps
  kReadOnly,   // CACHE_READONLY: reads the disk, keeps answers in memory only
  kReadWrite,  // CACHE_READWRITE: reads and writes the disk
};
// Exactly NO_CACHE, CACHE_READONLY or CACHE_READWRITE.
Expected<CacheMode> ParseCacheMode(std::string_view text);
const char* CacheModeName(CacheMode mode);

// Node-local scratch: $SLURM_TMPDIR, else $TMPDIR, else /tmp (an empty
// variable counts as unset), then /astrasweep-cache.
std::string DefaultCacheDir();

// 32 lowercase hex digits of the hash of `parts`, in order. Callers pass
// everything that decides the answer: the simulator's identity, the
// congestion model, the bundle's content hash and every config file's text.
std::string CacheKey(const std::vector<std::string_view>& parts);

// Where the entry of `key` lives: <dir>/v1/<first 2 hex of key>/<key>.
std::string CacheEntryPath(const std::string& dir, const std::string& key);

// Whether entries can be written under `dir`: the deepest of <dir>/v1,
// <dir> and their ancestors that exists is a folder this process may
// create files in (a read-only file system counts, for root too). Creates
// nothing. An error (ErrorCode::kIo) saying why not (and which folder,
// when it is not <dir> or <dir>/v1).
Status CheckCacheWritable(const std::string& dir);

struct CacheStats {
  std::uint64_t hits = 0;     // answers found, in memory or on disk
  std::uint64_t misses = 0;   // lookups that found nothing (corrupt ones too)
  std::uint64_t stores = 0;   // answers kept (in memory at least)
  std::uint64_t corrupt = 0;  // damaged disk entries found and removed
};

// One per process (or per rank thread): not safe to share between threads.
// Processes share a folder safely. Nothing here throws or fails: a disk
// that cannot be read or written makes the cache a memory-only one, with
// warnings in the log.
class SimCache {
 public:
  SimCache(std::string dir, CacheMode mode);

  // The answer stored under `key` (a CacheKey), from memory or else from
  // the disk (then kept in memory too); nullopt in kNone mode, when there
  // is none, or when the entry on disk is damaged (it is then removed).
  std::optional<SimResult> Lookup(const std::string& key);
  // Keeps `result` in memory (not in kNone mode) and, in kReadWrite mode,
  // on disk, replacing whatever entry is there.
  void Store(const std::string& key, const SimResult& result);

  const CacheStats& stats() const { return stats_; }
  const std::string& dir() const { return dir_; }
  CacheMode mode() const { return mode_; }

 private:
  std::optional<SimResult> ReadEntry(const std::string& key);
  void WriteEntry(const std::string& key, const SimResult& result);
  void Remember(const std::string& key, const SimResult& result);

  std::string dir_;
  CacheMode mode_;
  CacheStats stats_;
  std::unordered_map<std::string, SimResult> memory_;
  std::deque<std::string> memory_order_;  // oldest first, for eviction
  std::uint64_t memory_ranks_ = 0;        // rank timings held in memory_
  bool write_failure_logged_ = false;
};

// The entries of a cache folder and their size in bytes. Temporary files
// (a writer's, or one left by a writer that crashed) are not entries.
struct CacheUsage {
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
};
// A folder that does not exist holds 0 entries.
Expected<CacheUsage> ScanCache(const std::string& dir);
// Removes every entry (the whole v1 tree, temporary files included) and
// returns what ScanCache would have counted.
Expected<CacheUsage> ClearCache(const std::string& dir);

}  // namespace astrasweep::netsim
