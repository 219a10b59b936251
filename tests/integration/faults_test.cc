// Faults a run left unattended for days meets, each with what the user
// relies on: an error (or warning) naming the folder or binary and what to
// do, the right exit code, nothing finished lost, and a --resume that ends
// in the archive an unhindered run gives. (A disk filling up mid-run is
// repro_test.cc's.)
//
// Root cannot be kept from writing by chmod: a folder is made read-only by
// mounting a read-only tmpfs on it, or binding it read-only onto itself.
// Where the machine does not allow mounting, those tests skip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "astrasim_stand_in.h"
#include "astrasweep/base/temp_dir.h"
#include "astrasweep/store/archive.h"
#include "astrasweep/store/table.h"
#include "shell.h"
#include "sorted_rows.h"

namespace astrasweep {
namespace {

namespace fs = std::filesystem;

const std::string kBin = ASTRASWEEP_BIN;
const std::string kSource = ASTRASWEEP_SOURCE_DIR;
const std::string kHybrid = kSource + "/tests/data/sweeps/hybrid-small.yaml";
const std::string kAstraSim = kSource + "/tests/data/sweeps/astrasim-backend.yaml";
const std::string kQuickstart = kSource + "/sweeps/quickstart.yaml";

using Cli = testing::Ran;
Cli Astrasweep(const std::string& args) { return testing::Run(kBin + " " + args); }

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The columns that count the cache's answers: they differ between a run
// that found answers in the cache and one that simulated them.
const std::vector<std::string> kCacheCounts = {"eval_s", "worker_rank", "sim_runs", "cache_hits",
                                               "cache_misses"};

void ExpectSameTables(const std::string& a, const std::string& b,
                      const std::vector<std::string>& skip = {"eval_s", "worker_rank"}) {
  for (const char* table : {"points", "rank_timings", "failures", "configs"}) {
    const auto rows_a = testing::SortedRows(a, table, skip);
    const auto rows_b = testing::SortedRows(b, table, skip);
    EXPECT_FALSE(rows_a.empty() && std::string(table) != "failures") << table;
    EXPECT_EQ(rows_a.size(), rows_b.size()) << table;
    EXPECT_TRUE(rows_a == rows_b) << "/" << table << " of " << a << " and " << b << " differ";
  }
}

std::string Attribute(const std::string& path, const std::string& name) {
  auto file = store::File::Open(path, store::File::Access::kReadOnly);
  if (!file) return "";
  return file->StringAttribute(name).value_or("");
}

// A /points column of an archive, summed.
std::int64_t ColumnSum(const std::string& path, const std::string& column) {
  auto file = store::File::Open(path, store::File::Access::kReadOnly);
  if (!file) return -1;
  auto table = store::Table::Open(*file, "points");
  if (!table) return -1;
  store::ColumnSet columns;
  const auto col = columns.Add<std::int64_t>(column);
  store::RowBuffer rows(columns);
  if (!table->Read(0, table->rows(), rows)) return -1;
  std::int64_t sum = 0;
  for (std::size_t r = 0; r < rows.rows(); ++r) sum += rows.Get(r, col);
  return sum;
}

// The entries of a folder, recursively: what a run left there.
std::vector<std::string> Contents(const fs::path& folder) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().lexically_relative(folder).string());
  return names;
}

// Mounts made for a test, undone (innermost first) when it ends.
class Mounts {
 public:
  ~Mounts() {
    for (auto it = paths_.rbegin(); it != paths_.rend(); ++it)
      (void)std::system(("umount " + *it + " 2>/dev/null").c_str());
  }
  // An empty, read-only file system on `folder` (made if missing).
  bool ReadOnlyTmpfs(const fs::path& folder) {
    fs::create_directories(folder);
    return Mount("mount -t tmpfs -o ro,size=1m tmpfs " + folder.string(), folder);
  }
  // `folder`, with what it holds, read-only from now on.
  bool ReadOnly(const fs::path& folder) {
    return Mount("mount --bind " + folder.string() + " " + folder.string(), folder) &&
           std::system(("mount -o remount,bind,ro " + folder.string() + " 2>/dev/null").c_str()) ==
               0;
  }

 private:
  bool Mount(const std::string& command, const fs::path& folder) {
    if (::geteuid() != 0 || std::system((command + " 2>/dev/null").c_str()) != 0) return false;
    paths_.push_back(folder.string());
    return true;
  }
  std::vector<std::string> paths_;
};

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"ASTRASWEEP_PRESETS", "ASTRASIM_BIN", "ASTRASWEEP_CACHE_MODE"})
      unsetenv(name);
    dir_.emplace(*TempDir::Create("astrasweep-faults-test-"));
  }
  std::string Path(const std::string& name) const { return (dir_->path() / name).string(); }

  // `run ARGS -o OUT`; the test fails unless it exits 0.
  void RunSweep(const std::string& args, const std::string& out) {
    const Cli r = Astrasweep("run " + args + " -o " + out + " --progress none");
    ASSERT_EQ(r.code, 0) << r.output;
  }

  std::optional<TempDir> dir_;
  Mounts mounts_;  // undone before dir_ is removed
};

// A read-only cache folder, left at the default mode: a warning naming the
// folder, every entry there read, what is not there simulated and kept in
// memory only; no point fails, and the archive is the one a writable cache
// gives.
TEST_F(Faults, AReadOnlyCacheFolderIsReadWithAWarningNamingItAndNoPointIsLost) {
  const std::string cache = Path("cache"), empty = Path("empty");
  const std::string reference = Path("reference.h5");
  RunSweep(kHybrid + " --cache-dir " + cache, reference);
  ASSERT_GT(ColumnSum(reference, "sim_runs"), 0);
  if (!mounts_.ReadOnly(cache) || !mounts_.ReadOnlyTmpfs(empty))
    GTEST_SKIP() << "this machine does not let a folder be mounted read-only";

  // A prepared cache, now read-only: every answer comes from it.
  const std::string prepared = Path("prepared.h5");
  Cli r =
      Astrasweep("run " + kHybrid + " -o " + prepared + " --progress none --cache-dir " + cache);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "[warning] the simulation cache " + cache + " cannot be written ("))
      << r.output;
  EXPECT_TRUE(Has(r.output, "Read-only file system")) << r.output;
  EXPECT_TRUE(Has(r.output, "--cache-mode CACHE_READONLY")) << r.output;
  EXPECT_EQ(ColumnSum(prepared, "sim_runs"), 0);
  ExpectSameTables(reference, prepared, kCacheCounts);
  EXPECT_TRUE(Has(Attribute(prepared, "simulator"), "cache CACHE_READONLY in " + cache))
      << "the provenance says the cache was only read";

  // An empty read-only folder: everything is simulated, nothing is lost.
  const std::string simulated = Path("simulated.h5");
  r = Astrasweep("run " + kHybrid + " -o " + simulated + " --progress none --cache-dir " + empty);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(Has(r.output, "[warning] the simulation cache " + empty + " cannot be written"))
      << r.output;
  EXPECT_EQ(ColumnSum(simulated, "sim_runs"), ColumnSum(reference, "sim_runs"));
  ExpectSameTables(reference, simulated);
  EXPECT_TRUE(Contents(empty).empty());

  // Read-only on purpose: no warning.
  r = Astrasweep("run " + kHybrid + " -o " + Path("quiet.h5") +
                 " --progress none --cache-mode CACHE_READONLY --cache-dir " + cache);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(Has(r.output, "warning")) << r.output;
}

// CACHE_READWRITE asked for by name, on a folder that cannot be written:
// exit 2 before any point runs, naming the folder and the two ways out.
TEST_F(Faults, AReadWriteCacheAskedForOnAFolderThatCannotBeWrittenIsRefusedBeforeAnyWork) {
  const std::string empty = Path("empty");
  if (!mounts_.ReadOnlyTmpfs(empty))
    GTEST_SKIP() << "this machine does not let a folder be mounted read-only";
  const std::string out = Path("out.h5");
  const std::vector<std::string> asked = {"--cache-mode CACHE_READWRITE",
                                          "ASTRASWEEP_CACHE_MODE=CACHE_READWRITE"};
  for (const std::string& how : asked) {
    const bool flag = how.starts_with("--");
    Cli r;
    r.output =
        testing::Capture((flag ? "" : how + " ") + kBin + " run " + kHybrid + " -o " + out +
                             " --progress none --cache-dir " + empty + (flag ? " " + how : ""),
                         &r.code);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_TRUE(Has(r.output, "astrasweep: error: " + how + ": the simulation cache " + empty +
                                  " cannot be written ("))
        << r.output;
    EXPECT_TRUE(Has(r.output, "Read-only file system")) << r.output;
    EXPECT_TRUE(Has(r.output, "--cache-dir")) << r.output;
    EXPECT_TRUE(Has(r.output, "--cache-mode CACHE_READONLY")) << r.output;
    EXPECT_FALSE(fs::exists(out)) << "no archive before the run can start";
    EXPECT_FALSE(fs::exists(store::JournalPath(out)));
  }
  // Read-only, as the error says: the run completes.
  const Cli r = Astrasweep("run " + kHybrid + " -o " + out +
                           " --progress none --cache-mode CACHE_READONLY --cache-dir " + empty);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(Attribute(out, "status"), "complete");
}

// An output folder that cannot be written: the run stops before any work,
// naming the folder, and leaves nothing anywhere else.
TEST_F(Faults, AnOutputFolderThatCannotBeWrittenStopsTheRunBeforeAnyWorkNamingIt) {
  const fs::path results = dir_->path() / "results", elsewhere = dir_->path() / "cwd";
  fs::create_directories(elsewhere);
  if (!mounts_.ReadOnlyTmpfs(results))
    GTEST_SKIP() << "this machine does not let a folder be mounted read-only";
  const std::string out = (results / "quickstart.h5").string();
  int code = 0;
  const std::string output =
      testing::Capture("cd " + elsewhere.string() + " && " + kBin + " run " + kQuickstart + " -o " +
                           out + " --progress lines --cache-dir " + Path("cache"),
                       &code);
  EXPECT_EQ(code, 2) << output;
  EXPECT_TRUE(Has(output, "the folder " + results.string() + " cannot be written")) << output;
  EXPECT_TRUE(Has(output, "Read-only file system")) << output;
  EXPECT_FALSE(Has(output, " points (")) << "no point was evaluated:\n" << output;
  EXPECT_TRUE(Contents(results).empty());
  EXPECT_TRUE(Contents(elsewhere).empty()) << Contents(elsewhere).front();
  EXPECT_FALSE(fs::exists(Path("cache"))) << "an analytical sweep needs no cache folder";
}

// AstraSim's binary removed mid-run (a reinstall, a cleanup): the run stops
// at the first point that needs it, naming the binary and what to do,
// exit 1, the archive partial with every point finished; that point is no
// `failed` row. With the binary back, --resume completes the archive an
// unhindered run gives.
TEST_F(Faults, AnAstraSimBinaryRemovedMidRunStopsItNamingTheBinaryAndAResumeCompletesIt) {
  const std::string reference = Path("reference.h5");
  RunSweep(kAstraSim + " --cache-mode NO_CACHE --astrasim-bin " + FAKE_ASTRASIM, reference);
  ASSERT_EQ(ColumnSum(reference, "sim_runs") % 4, 0) << "4 points, simulated alike";
  const int runs_per_point = static_cast<int>(ColumnSum(reference, "sim_runs") / 4);
  ASSERT_GT(runs_per_point, 0);
  const std::string binary = Path("astrasim");
  // Gone during the second point's last simulation: the third needs it.
  testing::WriteVanishingAstraSim(binary, /*vanish_at=*/2 * runs_per_point, FAKE_ASTRASIM);
  const std::string out = Path("out.h5");
  const std::string run = kBin + " run " + kAstraSim + " -o " + out +
                          " --progress none --cache-mode NO_CACHE --astrasim-bin " + binary;
  int code = 0;
  const std::string output = testing::Capture(run, &code);
  EXPECT_EQ(code, 1) << output;
  EXPECT_FALSE(fs::exists(binary));
  EXPECT_TRUE(Has(output, "astrasweep: error: point 2: the AstraSim binary " + binary +
                              " cannot be run any more (No such file or directory)"))
      << output;
  EXPECT_TRUE(Has(output, "put the same build back there, then run the same command with --resume"))
      << output;
  EXPECT_EQ(output.find("cannot be run any more"), output.rfind("cannot be run any more"))
      << "said once:\n"
      << output;
  EXPECT_EQ(Attribute(out, "status"), "partial");
  EXPECT_EQ(testing::SortedRows(out, "points").size(), 2u)
      << "the first two points, finished before the binary went, are kept";
  EXPECT_TRUE(testing::SortedRows(out, "failures").empty())
      << "a point that met the missing binary is no failed point";

  // Back (the same build, so the same sha256), the run resumes to the end.
  testing::WriteVanishingAstraSim(binary, /*vanish_at=*/0, FAKE_ASTRASIM);
  const Cli resumed = testing::Run(run + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_TRUE(Has(resumed.output, "resuming: 2 of 4 points are finished")) << resumed.output;
  EXPECT_EQ(Attribute(out, "status"), "complete");
  ExpectSameTables(reference, out);
}

// The --keep-et folder filling up (a 48 KiB tmpfs: one bundle fits) is a
// fault of the run, not of the points: the run stops at the first point
// that cannot write its bundle, naming the folder's trouble, with no point
// stored as failed; with space again, --resume completes the archive.
TEST_F(Faults, AKeptBundlesFolderFillingUpStopsTheRunAndAResumeCompletesIt) {
  const std::string reference = Path("reference.h5"), out = Path("out.h5");
  const std::string flags = " --cache-mode NO_CACHE --astrasim-bin " FAKE_ASTRASIM;
  RunSweep(kAstraSim + flags, reference);
  const fs::path kept = dir_->path() / "kept";
  fs::create_directories(kept);
  if (::geteuid() != 0 ||
      std::system(("mount -t tmpfs -o size=48k tmpfs " + kept.string() + " 2>/dev/null").c_str()) !=
          0)
    GTEST_SKIP() << "this machine does not let a tmpfs be mounted";
  struct Unmount {
    std::string path;
    ~Unmount() { (void)std::system(("umount " + path).c_str()); }
  } unmount{kept.string()};
  const std::string run = kBin + " run " + kAstraSim + flags + " --keep-et " + kept.string() +
                          " -o " + out + " --progress none";
  int code = 0;
  const std::string output = testing::Capture(run, &code);
  EXPECT_EQ(code, 1) << output;
  EXPECT_TRUE(Has(output, "cannot write the file (No space left on device)") &&
              Has(output, "the folder bundles are written in cannot be used: free space there") &&
              Has(output, "run the same command with --resume"))
      << output;
  EXPECT_EQ(Attribute(out, "status"), "partial");
  EXPECT_LT(testing::SortedRows(out, "points").size(), 4u);
  EXPECT_TRUE(testing::SortedRows(out, "failures").empty())
      << "a point that could not write its bundle is no failed point";

  ASSERT_EQ(std::system(("mount -o remount,size=4m tmpfs " + kept.string()).c_str()), 0);
  const Cli resumed = testing::Run(run + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(Attribute(out, "status"), "complete");
  ExpectSameTables(reference, out);
}

// Gone before the run starts, it is refused before any work, as README
// says.
TEST_F(Faults, AnAstraSimBinaryMissingAtTheStartIsRefusedBeforeAnyWork) {
  const std::string out = Path("out.h5"), binary = Path("astrasim");
  const Cli r =
      Astrasweep("run " + kAstraSim + " -o " + out + " --progress none --astrasim-bin " + binary);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_TRUE(Has(r.output, "AstraSim binary " + binary + " cannot be used")) << r.output;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace astrasweep
