// The simulation cache: what each mode keeps and finds, memory in front of
// the disk, damaged entries turned into misses, the folder's usage, and
// four processes writing one folder at once.
#include "astrasweep/netsim/cache.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "astrasweep/base/hash.h"
#include "astrasweep/base/logging.h"
#include "astrasweep/base/temp_dir.h"
#include "scoped_env.h"

namespace astrasweep::netsim {
namespace {

using astrasweep::testing::ScopedEnv;

namespace fs = std::filesystem;

// A result that only `key` has, with 1 to 64 ranks.
SimResult ResultFor(const std::string& key) {
  const Hash128 hash = HashBytes(key);
  SimResult result;
  const std::uint64_t ranks = 1 + hash.low % 64;
  for (std::uint64_t rank = 0; rank < ranks; ++rank)
    result.ranks.push_back({.finish_ns = hash.high + rank,
                            .compute_ns = hash.low >> 8,
                            .comm_ns = rank * 1000,
                            .exposed_ns = hash.high % 997 + rank});
  return result;
}

std::string KeyOf(int n) { return CacheKey({"test key", std::to_string(n)}); }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Every file under `dir` whose name says it is a writer's temporary file.
std::vector<std::string> TempFiles(const fs::path& dir) {
  std::vector<std::string> found;
  if (!fs::exists(dir)) return found;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.path().filename().string().starts_with(".tmp")) found.push_back(entry.path());
  return found;
}

class SimCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto temp = TempDir::Create("cache-test-");
    ASSERT_TRUE(temp) << temp.error().ToString();
    temp_.emplace(std::move(*temp));
    dir_ = (temp_->path() / "cache").string();
  }
  std::string EntryOf(const std::string& key) const { return CacheEntryPath(dir_, key); }

  std::optional<TempDir> temp_;
  std::string dir_;
};

TEST_F(SimCacheTest, AStoredResultReadsBackInTheSameAndAFreshCache) {
  const std::string key = KeyOf(1);
  SimCache writer(dir_, CacheMode::kReadWrite);
  EXPECT_FALSE(writer.Lookup(key)) << "an empty cache found something";
  writer.Store(key, ResultFor(key));
  ASSERT_TRUE(fs::exists(EntryOf(key))) << "no entry at " << EntryOf(key);
  EXPECT_EQ(writer.Lookup(key), ResultFor(key));
  EXPECT_EQ(writer.stats().hits, 1u);
  EXPECT_EQ(writer.stats().misses, 1u);
  EXPECT_EQ(writer.stats().stores, 1u);

  SimCache reader(dir_, CacheMode::kReadWrite);
  EXPECT_EQ(reader.Lookup(key), ResultFor(key)) << "a fresh cache did not read the disk entry";
  EXPECT_EQ(reader.stats().hits, 1u);
  EXPECT_FALSE(reader.Lookup(KeyOf(2))) << "found a key never stored";
  EXPECT_EQ(reader.stats().corrupt, 0u);
}

TEST_F(SimCacheTest, TheMemoryLayerAnswersWithoutTheDisk) {
  const std::string key = KeyOf(1), other = KeyOf(2);
  SimCache cache(dir_, CacheMode::kReadWrite);
  cache.Store(key, ResultFor(key));
  SimCache writer(dir_, CacheMode::kReadWrite);
  writer.Store(other, ResultFor(other));
  ASSERT_EQ(cache.Lookup(other), ResultFor(other)) << "the disk entry of another process";
  ASSERT_TRUE(fs::remove(EntryOf(key)));
  ASSERT_TRUE(fs::remove(EntryOf(other)));
  EXPECT_EQ(cache.Lookup(key), ResultFor(key)) << "a stored result is not kept in memory";
  EXPECT_EQ(cache.Lookup(other), ResultFor(other)) << "a disk hit is not kept in memory";
  EXPECT_EQ(cache.stats().hits, 3u);
  EXPECT_FALSE(SimCache(dir_, CacheMode::kReadWrite).Lookup(key)) << "entry removed from disk";
}

TEST_F(SimCacheTest, NoCacheNeitherKeepsNorLooks) {
  const std::string key = KeyOf(1);
  SimCache(dir_, CacheMode::kReadWrite).Store(key, ResultFor(key));
  SimCache cache(dir_, CacheMode::kNone);
  EXPECT_FALSE(cache.Lookup(key)) << "NO_CACHE read the disk";
  cache.Store(KeyOf(2), ResultFor(KeyOf(2)));
  EXPECT_FALSE(cache.Lookup(KeyOf(2))) << "NO_CACHE kept a result";
  EXPECT_FALSE(fs::exists(EntryOf(KeyOf(2)))) << "NO_CACHE wrote an entry";
  EXPECT_EQ(cache.stats().stores, 0u);
  EXPECT_EQ(cache.stats().hits, 0u);
}

TEST_F(SimCacheTest, ReadOnlyFindsEntriesAndWritesNone) {
  const std::string stored = KeyOf(1), fresh = KeyOf(2);
  SimCache(dir_, CacheMode::kReadWrite).Store(stored, ResultFor(stored));
  SimCache cache(dir_, CacheMode::kReadOnly);
  EXPECT_EQ(cache.Lookup(stored), ResultFor(stored)) << "CACHE_READONLY missed a disk entry";
  cache.Store(fresh, ResultFor(fresh));
  EXPECT_FALSE(fs::exists(EntryOf(fresh))) << "CACHE_READONLY wrote an entry";
  EXPECT_EQ(cache.Lookup(fresh), ResultFor(fresh)) << "kept in memory all the same";
  EXPECT_FALSE(SimCache(dir_, CacheMode::kReadOnly).Lookup(fresh));
  auto usage = ScanCache(dir_);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->entries, 1u);
}

// An entry with a valid checksum but `version` in its first line.
std::string EntryWithVersion(const std::string& text, const std::string& version) {
  std::string payload = text.substr(0, text.find("checksum "));
  payload.replace(0, payload.find('\n'), "astrasweep-simcache " + version);
  return payload + "checksum " + HashBytes(payload).Hex() + "\n";
}

struct Damage {
  const char* name;
  std::string (*apply)(const std::string& entry, const std::string& other_key_entry);
};

void PrintTo(const Damage& damage, std::ostream* out) { *out << damage.name; }

class DamagedEntryTest : public SimCacheTest, public ::testing::WithParamInterface<Damage> {};

TEST_P(DamagedEntryTest, IsLoggedCountedRemovedAndAMiss) {
  const std::string key = KeyOf(1), other = KeyOf(2);
  SimCache(dir_, CacheMode::kReadWrite).Store(key, ResultFor(key));
  SimCache(dir_, CacheMode::kReadWrite).Store(other, ResultFor(other));
  WriteFile(EntryOf(key), GetParam().apply(ReadFile(EntryOf(key)), ReadFile(EntryOf(other))));

  const std::string log_file = (temp_->path() / "log.txt").string();
  log::Setup({.console = false, .file = log_file, .file_level = log::Level::kWarn});
  SimCache cache(dir_, CacheMode::kReadWrite);
  const auto found = cache.Lookup(key);
  log::Flush();
  log::Setup({});
  EXPECT_FALSE(found) << "a damaged entry was answered";
  EXPECT_EQ(cache.stats().corrupt, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
  EXPECT_FALSE(fs::exists(EntryOf(key))) << "the damaged entry was not removed";
  EXPECT_NE(ReadFile(log_file).find(EntryOf(key)), std::string::npos)
      << "the warning does not name the file:\n"
      << ReadFile(log_file);
  EXPECT_EQ(cache.Lookup(other), ResultFor(other)) << "a sound entry beside it was lost";

  cache.Store(key, ResultFor(key));  // the caller recomputes
  EXPECT_EQ(SimCache(dir_, CacheMode::kReadOnly).Lookup(key), ResultFor(key));
}

INSTANTIATE_TEST_SUITE_P(
    Cache, DamagedEntryTest,
    ::testing::Values(
        Damage{"Empty", [](const std::string&, const std::string&) { return std::string(); }},
        Damage{"Truncated", [](const std::string& entry,
                               const std::string&) { return entry.substr(0, entry.size() / 2); }},
        Damage{"LastByteLost",
               [](const std::string& entry, const std::string&) {
                 return entry.substr(0, entry.size() - 1);
               }},
        Damage{"Garbage",
               [](const std::string&, const std::string&) {
                 return std::string("\x89PNG\r\n\x1a\n garbage ") + '\0' + " bytes\n";
               }},
        Damage{"AnotherKeysEntry",
               [](const std::string&, const std::string& other) { return other; }},
        Damage{"ChecksumMismatch",
               [](const std::string& entry, const std::string&) {
                 std::string damaged = entry;
                 const std::size_t digit =
                     damaged.find_first_of("123456789", damaged.find("ranks"));
                 damaged[digit] = damaged[digit] == '9' ? '8' : '9';
                 return damaged;
               }},
        Damage{"OtherVersion", [](const std::string& entry,
                                  const std::string&) { return EntryWithVersion(entry, "2"); }},
        Damage{"RankCountWrong",
               [](const std::string& entry, const std::string&) {
                 std::string payload = entry.substr(0, entry.find("checksum "));
                 const std::size_t line = payload.find("ranks ");
                 payload.replace(line, payload.find('\n', line) - line, "ranks 999");
                 return payload + "checksum " + HashBytes(payload).Hex() + "\n";
               }}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST_F(SimCacheTest, AKeyThatIsNotACacheKeyTouchesNoFile) {
  SimCache cache(dir_, CacheMode::kReadWrite);
  cache.Store("../../escape", ResultFor("x"));
  EXPECT_FALSE(cache.Lookup("../../escape"));
  EXPECT_FALSE(fs::exists(temp_->path() / "escape"));
  EXPECT_FALSE(fs::exists(dir_)) << "something was written for a bad key";
}

TEST(CacheKey, HashesEveryPartInOrder) {
  const std::string key = CacheKey({"builtin 1", "unaware", "bundle"});
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos) << key;
  EXPECT_EQ(key, CacheKey({"builtin 1", "unaware", "bundle"})) << "not deterministic";
  EXPECT_NE(key, CacheKey({"builtin 1", "aware", "bundle"}));
  EXPECT_NE(key, CacheKey({"unaware", "builtin 1", "bundle"})) << "order ignored";
  EXPECT_NE(CacheKey({"ab", "c"}), CacheKey({"a", "bc"})) << "parts run together";
  EXPECT_EQ(CacheEntryPath("/c", key), "/c/v1/" + key.substr(0, 2) + "/" + key);
}

TEST(CacheMode, ParsesTheThreeNamesAndNamesThemInAnError) {
  for (CacheMode mode : {CacheMode::kNone, CacheMode::kReadOnly, CacheMode::kReadWrite}) {
    auto parsed = ParseCacheMode(CacheModeName(mode));
    ASSERT_TRUE(parsed) << CacheModeName(mode);
    EXPECT_EQ(*parsed, mode);
  }
  EXPECT_STREQ(CacheModeName(CacheMode::kReadOnly), "CACHE_READONLY");
  for (const char* bad : {"cache_readwrite", "READWRITE", "", "NO_CACHE "}) {
    auto parsed = ParseCacheMode(bad);
    ASSERT_FALSE(parsed) << "'" << bad << "' was accepted";
    const std::string message = parsed.error().message();
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(message.find("'" + std::string(bad) + "'"), std::string::npos) << message;
    for (const char* name : {"NO_CACHE", "CACHE_READONLY", "CACHE_READWRITE"})
      EXPECT_NE(message.find(name), std::string::npos) << message;
  }
}

TEST(DefaultCacheDir, IsNodeLocalScratch) {
  ScopedEnv slurm("SLURM_TMPDIR", "/scratch/job");
  ScopedEnv tmpdir("TMPDIR", "/var/tmp/me");
  EXPECT_EQ(DefaultCacheDir(), "/scratch/job/astrasweep-cache");
  slurm.Set("");
  EXPECT_EQ(DefaultCacheDir(), "/var/tmp/me/astrasweep-cache") << "an empty SLURM_TMPDIR";
  slurm.Set(nullptr);
  EXPECT_EQ(DefaultCacheDir(), "/var/tmp/me/astrasweep-cache");
  tmpdir.Set(nullptr);
  EXPECT_EQ(DefaultCacheDir(), "/tmp/astrasweep-cache");
}

TEST_F(SimCacheTest, ScanAndClearCountEntriesAndIgnoreTemporaryFiles) {
  auto empty = ScanCache(dir_);
  ASSERT_TRUE(empty) << empty.error().ToString();
  EXPECT_EQ(empty->entries, 0u) << "a missing folder";
  auto cleared_empty = ClearCache(dir_);
  ASSERT_TRUE(cleared_empty) << cleared_empty.error().ToString();
  EXPECT_EQ(cleared_empty->entries, 0u);

  SimCache cache(dir_, CacheMode::kReadWrite);
  std::uint64_t bytes = 0;
  for (int n = 0; n < 5; ++n) {
    cache.Store(KeyOf(n), ResultFor(KeyOf(n)));
    bytes += fs::file_size(EntryOf(KeyOf(n)));
  }
  const fs::path folder = fs::path(EntryOf(KeyOf(0))).parent_path();
  WriteFile(folder / ".tmp-abandoned", "left by a writer that crashed");
  auto usage = ScanCache(dir_);
  ASSERT_TRUE(usage) << usage.error().ToString();
  EXPECT_EQ(usage->entries, 5u);
  EXPECT_EQ(usage->bytes, bytes);

  auto cleared = ClearCache(dir_);
  ASSERT_TRUE(cleared) << cleared.error().ToString();
  EXPECT_EQ(cleared->entries, 5u);
  EXPECT_EQ(cleared->bytes, bytes);
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "v1")) << "the tree and its temporary file remain";
  EXPECT_EQ(ScanCache(dir_)->entries, 0u);
  EXPECT_FALSE(SimCache(dir_, CacheMode::kReadOnly).Lookup(KeyOf(0)));

  WriteFile(temp_->path() / "a-file", "not a folder");
  EXPECT_FALSE(ScanCache((temp_->path() / "a-file").string())) << "a file is not a cache folder";
}

// One writer process: stores every key, in its own order, and checks
// whatever a fresh reader finds on disk meanwhile. Its exit code says what
// went wrong.
int StoreAndCheckEveryKey(const std::string& dir, const std::vector<std::string>& keys,
                          int process) {
  try {
    SimCache writer(dir, CacheMode::kReadWrite);
    const std::size_t count = keys.size();
    for (std::size_t step = 0; step < count; ++step) {
      const std::size_t shifted = (step + count / 4 * process) % count;
      const std::string& key = keys[process % 2 == 0 ? shifted : count - 1 - shifted];
      SimCache reader(dir, CacheMode::kReadOnly);
      const std::string& probe = keys[(step * 7 + process) % count];
      if (auto found = reader.Lookup(probe); found && *found != ResultFor(probe)) return 10;
      if (reader.stats().corrupt != 0) return 11;
      writer.Store(key, ResultFor(key));
    }
    return writer.stats().corrupt == 0 ? 0 : 12;
  } catch (...) {
    return 13;
  }
}

TEST_F(SimCacheTest, FourProcessesStoringTheSameKeysLeaveEveryEntryWhole) {
  constexpr int kProcesses = 4;
  std::vector<std::string> keys;
  for (int n = 0; n < 200; ++n) keys.push_back(KeyOf(n));
  std::fflush(nullptr);  // a child must not print the parent's buffered output again
  std::vector<pid_t> children;
  for (int process = 0; process < kProcesses; ++process) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0) ::_exit(StoreAndCheckEveryKey(dir_, keys, process));
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "writer " << pid << " saw a wrong or damaged entry (exit "
        << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")";
  }
  SimCache reader(dir_, CacheMode::kReadOnly);
  for (const std::string& key : keys) EXPECT_EQ(reader.Lookup(key), ResultFor(key)) << key;
  EXPECT_EQ(reader.stats().hits, keys.size());
  EXPECT_EQ(reader.stats().corrupt, 0u);
  EXPECT_EQ(TempFiles(dir_), std::vector<std::string>()) << "temporary files left behind";
  auto usage = ScanCache(dir_);
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->entries, keys.size());
}

}  // namespace
}  // namespace astrasweep::netsim
