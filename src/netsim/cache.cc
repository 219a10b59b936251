// The simulation cache: its modes, keys, the memory layer, and entries on
// disk. Many processes of a node share the folder with no lock: an entry is
// only ever created whole, by renaming a fsynced temporary file of the same
// folder over it, and rename is atomic, so a reader opens the old entry,
// the new one, or none. Nothing here fails a simulation: a disk problem is
// a warning and a miss.
#include "astrasweep/netsim/cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>

#include "astrasweep/base/hash.h"
#include "astrasweep/base/logging.h"
#include "astrasweep/base/unique_fd.h"
#include "cache_entry.h"

namespace astrasweep::netsim {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kVersionFolder = "v1";
// A writer's temporary file: a name no key has (keys are hex), so scans
// and lookups never take one for an entry.
constexpr std::string_view kTempPrefix = ".tmp-";
// Far above any real entry (about 60 bytes per rank); a bigger file is
// damaged, and is not read into memory.
constexpr std::uint64_t kMaxEntryBytes = 256ull << 20;
// The memory layer holds at most this many rank timings (32 bytes each,
// 128 MiB): a long sweep must not grow a worker without bound.
constexpr std::uint64_t kMemoryRankBudget = 1ull << 22;

bool IsHex(std::string_view text) {
  return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// A key is a path component, so only what CacheKey makes is accepted.
bool IsValidKey(std::string_view key) { return key.size() >= 2 && key.size() <= 128 && IsHex(key); }

std::string Reason() { return std::strerror(errno); }

Expected<std::string> ReadAll(int fd, const std::string& path) {
  std::string text;
  char buf[1 << 16];
  while (text.size() <= kMaxEntryBytes) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return text;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, "cannot read: " + Reason(), {.file = path});
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

// Writes `bytes` to a new temporary file in `folder`, fsyncs it and renames
// it to `path`, then fsyncs the folder so the rename survives a crash.
Status WriteAtomically(const std::string& folder, const std::string& path, std::string_view bytes) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec)
    return MakeError(ErrorCode::kIo, "cannot create the folder: " + ec.message(), {.file = folder});
  std::string temp = folder + "/" + std::string(kTempPrefix) + "XXXXXX";
  UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (!fd.valid())
    return MakeError(ErrorCode::kIo, "cannot create a temporary file: " + Reason(),
                     {.file = folder});
  Status status = WriteAll(fd.get(), bytes, temp);
  if (status && ::fsync(fd.get()) != 0)
    status = MakeError(ErrorCode::kIo, "cannot fsync: " + Reason(), {.file = temp});
  if (status && ::rename(temp.c_str(), path.c_str()) != 0)
    status = MakeError(ErrorCode::kIo, "cannot rename " + temp + ": " + Reason(), {.file = path});
  if (!status) {
    ::unlink(temp.c_str());
    return status;
  }
  UniqueFd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid() || ::fsync(dir.get()) != 0)
    return MakeError(ErrorCode::kIo, "entry written, but the folder cannot be fsynced: " + Reason(),
                     {.file = folder});
  return Ok();
}

struct EntryFile {
  fs::path path;
  std::uint64_t bytes = 0;
};

// Every entry under <dir>/v1: files named by a key in the folder of the
// key's first two digits. A file or folder that vanishes meanwhile (another
// process clearing the cache) is skipped.
Expected<std::vector<EntryFile>> ListEntries(const fs::path& v1) {
  std::vector<EntryFile> entries;
  std::error_code ec;
  for (fs::directory_iterator folders(v1, ec), end; !ec && folders != end; folders.increment(ec)) {
    const std::string prefix = folders->path().filename().string();
    std::error_code inner;
    if (prefix.size() != 2 || !IsHex(prefix) || !folders->is_directory(inner)) continue;
    for (fs::directory_iterator files(folders->path(), inner); !inner && files != end;
         files.increment(inner)) {
      const std::string name = files->path().filename().string();
      if (!IsValidKey(name) || !name.starts_with(prefix)) continue;
      std::error_code size_error;
      const std::uint64_t bytes = files->file_size(size_error);
      if (!size_error) entries.push_back({files->path(), bytes});
    }
    if (inner && inner != std::errc::no_such_file_or_directory)
      return MakeError(ErrorCode::kIo, "cannot list the cache: " + inner.message(),
                       {.file = folders->path().string()});
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return MakeError(ErrorCode::kIo, "cannot list the cache: " + ec.message(),
                     {.file = v1.string()});
  return entries;
}

// The v1 tree of `dir`; an error when `dir` exists and is not a folder.
Expected<fs::path> VersionFolder(const std::string& dir) {
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (fs::exists(status) && !fs::is_directory(status))
    return MakeError(ErrorCode::kInvalidInput, "not a folder", {.file = dir});
  return fs::path(dir) / kVersionFolder;
}

}  // namespace

Expected<CacheMode> ParseCacheMode(std::string_view text) {
  for (CacheMode mode : {CacheMode::kNone, CacheMode::kReadOnly, CacheMode::kReadWrite})
    if (text == CacheModeName(mode)) return mode;
  return InvalidInput("unknown cache mode '" + std::string(text) +
                      "': use NO_CACHE, CACHE_READONLY or CACHE_READWRITE");
}

const char* CacheModeName(CacheMode mode) {
  switch (mode) {
    case CacheMode::kNone: return "NO_CACHE";
    case CacheMode::kReadOnly: return "CACHE_READONLY";
    case CacheMode::kReadWrite: return "CACHE_READWRITE";
  }
  return "?";
}

std::string DefaultCacheDir() {
  for (const char* name : {"SLURM_TMPDIR", "TMPDIR"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return std::string(value) + "/astrasweep-cache";
  }
  return "/tmp/astrasweep-cache";
}

std::string CacheKey(const std::vector<std::string_view>& parts) {
  Hasher hasher;
  for (std::string_view part : parts) hasher.Add(part);
  return hasher.Finish().Hex();
}

std::string CacheEntryPath(const std::string& dir, const std::string& key) {
  return dir + "/" + std::string(kVersionFolder) + "/" + key.substr(0, 2) + "/" + key;
}

Status CheckCacheWritable(const std::string& dir) {
  std::error_code ec;
  const fs::path top = fs::absolute(dir, ec).lexically_normal();
  fs::path folder = top / kVersionFolder;
  // The folder that would hold what is created: the deepest one there.
  while (!fs::exists(fs::symlink_status(folder, ec)) && folder.has_parent_path() &&
         folder.parent_path() != folder)
    folder = folder.parent_path();
  // Said of the cache's own folder, or else of the one it would be made in.
  const std::string where = folder.parent_path() == top || folder == top
                                ? std::string()
                                : "its folder cannot be made in " + folder.string() + ": ";
  if (!fs::is_directory(folder, ec)) return MakeError(ErrorCode::kIo, where + "not a folder");
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    return MakeError(ErrorCode::kIo, where + Reason());
  return Ok();
}

SimCache::SimCache(std::string dir, CacheMode mode) : dir_(std::move(dir)), mode_(mode) {}

std::optional<SimResult> SimCache::Lookup(const std::string& key) {
  if (mode_ == CacheMode::kNone) return std::nullopt;
  try {
    if (!IsValidKey(key)) {
      log::Warn("simulation cache: '" + key + "' is not a cache key; not looked up");
    } else if (auto found = memory_.find(key); found != memory_.end()) {
      ++stats_.hits;
      return found->second;
    } else if (auto entry = ReadEntry(key)) {
      ++stats_.hits;
      Remember(key, *entry);
      return entry;
    }
  } catch (const std::exception& e) {
    log::Warn(std::string("simulation cache: lookup failed: ") + e.what());
  }
  ++stats_.misses;
  return std::nullopt;
}

void SimCache::Store(const std::string& key, const SimResult& result) {
  if (mode_ == CacheMode::kNone) return;
  try {
    if (!IsValidKey(key)) {
      log::Warn("simulation cache: '" + key + "' is not a cache key; not stored");
      return;
    }
    Remember(key, result);
    ++stats_.stores;
    if (mode_ == CacheMode::kReadWrite) WriteEntry(key, result);
  } catch (const std::exception& e) {
    log::Warn(std::string("simulation cache: store failed: ") + e.what());
  }
}

std::optional<SimResult> SimCache::ReadEntry(const std::string& key) {
  const std::string path = CacheEntryPath(dir_, key);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno != ENOENT && errno != ENOTDIR)
      log::Warn("simulation cache: cannot open " + path + ": " + Reason());
    return std::nullopt;
  }
  struct stat opened {};
  Expected<std::string> text = ReadAll(fd.get(), path);
  if (!text || ::fstat(fd.get(), &opened) != 0) {
    log::Warn("simulation cache: " + (text ? path + ": " + Reason() : text.error().ToString()));
    return std::nullopt;
  }
  const Expected<SimResult> result =
      text->size() > kMaxEntryBytes
          ? Expected<SimResult>(MakeError(ErrorCode::kIo, "far too large"))
          : DecodeCacheEntry(*text, key);
  if (result) return *result;
  log::Warn("simulation cache: damaged entry " + path + " (" + result.error().message() +
            "): removed; the simulation is run again");
  ++stats_.corrupt;
  // Remove the file that was read, not one another process has renamed
  // over it since.
  struct stat now {};
  if (::stat(path.c_str(), &now) == 0 && now.st_ino == opened.st_ino && now.st_dev == opened.st_dev)
    ::unlink(path.c_str());
  return std::nullopt;
}

void SimCache::WriteEntry(const std::string& key, const SimResult& result) {
  const std::string path = CacheEntryPath(dir_, key);
  const Status written =
      WriteAtomically(path.substr(0, path.rfind('/')), path, EncodeCacheEntry(key, result));
  if (written) return;
  // A full or read-only disk fails every store: say so once, loudly.
  const std::string message =
      "simulation cache: cannot store an entry: " + written.error().ToString();
  if (write_failure_logged_) {
    log::Debug(message);
    return;
  }
  log::Warn(message +
            " (the answer is kept in memory; further failures are logged at debug level)");
  write_failure_logged_ = true;
}

void SimCache::Remember(const std::string& key, const SimResult& result) {
  auto [slot, inserted] = memory_.try_emplace(key);
  if (inserted) memory_order_.push_back(key);
  memory_ranks_ -= slot->second.ranks.size();
  slot->second = result;
  memory_ranks_ += result.ranks.size();
  while (memory_ranks_ > kMemoryRankBudget && memory_order_.size() > 1) {
    const auto oldest = memory_.find(memory_order_.front());
    memory_ranks_ -= oldest->second.ranks.size();
    memory_.erase(oldest);
    memory_order_.pop_front();
  }
}

Expected<CacheUsage> ScanCache(const std::string& dir) {
  try {
    ASTRASWEEP_ASSIGN_OR_RETURN(const fs::path v1, VersionFolder(dir));
    ASTRASWEEP_ASSIGN_OR_RETURN(const std::vector<EntryFile> entries, ListEntries(v1));
    CacheUsage usage;
    for (const EntryFile& entry : entries) usage.bytes += entry.bytes;
    usage.entries = entries.size();
    return usage;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("cannot scan the cache: ") + e.what(),
                     {.file = dir});
  }
}

Expected<CacheUsage> ClearCache(const std::string& dir) {
  try {
    ASTRASWEEP_ASSIGN_OR_RETURN(const fs::path v1, VersionFolder(dir));
    ASTRASWEEP_ASSIGN_OR_RETURN(const std::vector<EntryFile> entries, ListEntries(v1));
    CacheUsage removed;
    for (const EntryFile& entry : entries) {
      std::error_code ec;
      if (!fs::remove(entry.path, ec)) continue;  // gone already: not removed by us
      ++removed.entries;
      removed.bytes += entry.bytes;
    }
    std::error_code ec;
    fs::remove_all(v1, ec);
    if (ec)
      return MakeError(ErrorCode::kIo, "cannot remove the cache: " + ec.message(),
                       {.file = v1.string()});
    return removed;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInternal, std::string("cannot clear the cache: ") + e.what(),
                     {.file = dir});
  }
}

}  // namespace astrasweep::netsim
