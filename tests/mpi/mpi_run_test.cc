// `astrasweep run` under mpiexec: the same archive at 1, 2 and 4 ranks;
// killed at random moments and resumed, it ends equal to an uninterrupted
// run; SIGTERM leaves a partial archive and exit code 3; every table reads
// in h5py, pandas and PyTables, and h5dump shows the documented structure.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "astrasweep/base/strings.h"
#include "astrasweep/base/temp_dir.h"
#include "astrasweep/store/archive.h"
#include "astrasweep/store/table.h"
#include "mpi_job.h"
#include "shell.h"
#include "sorted_rows.h"

namespace astrasweep {
namespace {

namespace fs = std::filesystem;
using store::Column;
using store::ColumnType;
using store::File;
using store::RowBuffer;
using store::Table;

using testing::Attribute;
using testing::ExpectSameResults;
using testing::kBin;
using testing::kMpiexec;
using testing::kSource;
using testing::Launch;
using testing::ReadText;
using testing::RunArgs;
using testing::RunSweep;
using testing::SortedRows;
using testing::Wait;

class MpiRun : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("astrasweep-mpi-");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
  }
  std::string Out(const std::string& name) const { return (dir_->path() / name).string(); }
  std::optional<TempDir> dir_;
};

const std::string kQuickstart = kSource + "/sweeps/quickstart.yaml";
const std::string kMixed = kSource + "/tests/data/sweeps/mixed.yaml";

TEST_F(MpiRun, QuickstartGivesTheSameArchiveAtOneTwoAndFourRanks) {
  const std::string one = Out("one.h5"), two = Out("two.h5"), four = Out("four.h5");
  ASSERT_EQ(RunSweep(1, kQuickstart, one), 0);
  ASSERT_EQ(RunSweep(2, kQuickstart, two), 0);
  ASSERT_EQ(RunSweep(4, kQuickstart, four), 0);
  EXPECT_EQ(SortedRows(one, "points").size(), 294u);
  ExpectSameResults(one, two);
  ExpectSameResults(one, four);
  EXPECT_EQ(Attribute(four, "status"), "complete");
  // One /workers row per rank, and every point came from a worker (rank 0
  // only coordinates when it has workers).
  EXPECT_EQ(SortedRows(four, "workers").size(), 4u);
  for (int r = 0; r < 4; ++r)
    EXPECT_TRUE(fs::exists(Out("four.h5.logs/rank-" + std::to_string(r) + ".log")));
}

// `run --from-archive` under mpiexec: every rank reads the sweep (spec, base
// and presets, one of them changed) from the archive, the files gone.
TEST_F(MpiRun, EveryRankRunsTheSweepStoredInTheArchive) {
  const fs::path gone = dir_->path() / "gone";
  fs::create_directories(gone / "points");
  fs::copy(kQuickstart, gone / "quickstart.yaml");
  fs::copy(kSource + "/sweeps/points/gpt-1.3b-a100.yaml", gone / "points/gpt-1.3b-a100.yaml");
  fs::copy(kSource + "/sweeps/presets", gone / "presets", fs::copy_options::recursive);
  const fs::path model = gone / "presets/models/gpt-1.3b.yaml";
  std::string text = ReadText(model.string());
  const std::string from = "seq_len: 2048";
  ASSERT_NE(text.find(from), std::string::npos) << "the preset changed: update the test";
  std::ofstream(model) << text.replace(text.find(from), from.size(), "seq_len: 1024");
  const std::string first = Out("first.h5"), again = Out("again.h5"), tree = Out("tree.h5");
  ASSERT_EQ(RunSweep(0, (gone / "quickstart.yaml").string(), first), 0);
  fs::remove_all(gone);
  const std::vector<std::string> args = {kMpiexec,
                                         "--oversubscribe",
                                         "--allow-run-as-root",
                                         "-n",
                                         "3",
                                         kBin,
                                         "run",
                                         "--from-archive",
                                         first,
                                         "-o",
                                         again,
                                         "--progress",
                                         "none"};
  const int code = Wait(Launch(args, again + ".test.log"));
  ASSERT_EQ(code, 0) << ReadText(again + ".test.log");
  ExpectSameResults(first, again);
  // The changed preset counted: the source tree's gives other points.
  ASSERT_EQ(RunSweep(0, kQuickstart, tree), 0);
  EXPECT_FALSE(SortedRows(first, "configs") == SortedRows(tree, "configs"));
}

TEST_F(MpiRun, KilledAtRandomMomentsAndResumedEndsEqualToAnUninterruptedRun) {
  const std::string reference = Out("reference.h5"), killed = Out("killed.h5");
  ASSERT_EQ(RunSweep(0, kMixed, reference), 0);
  // The moments are random; the seed is printed, and ASTRASWEEP_KILL_SEED
  // replays a run's moments.
  const char* fixed = std::getenv("ASTRASWEEP_KILL_SEED");
  const unsigned seed = fixed ? static_cast<unsigned>(std::stoul(fixed)) : std::random_device{}();
  std::printf("random-kill seed %u (ASTRASWEEP_KILL_SEED=%u replays it)\n", seed, seed);
  RecordProperty("seed", std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(250, 1600);
  bool started = false;
  for (int kill = 0; kill < 4; ++kill) {
    const int ms = delay_ms(rng);
    const pid_t pid = Launch(RunArgs(3, kMixed, killed, started), killed + ".test.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    int ignored = 0;
    testing::Capture("pkill -KILL -s " + std::to_string(pid),
                     &ignored);  // mpiexec and every rank at once
    const int code = Wait(pid);
    // No rank of the killed job may live on.
    for (int i = 0;
         i < 100 && std::system(("pgrep -s " + std::to_string(pid) + " >/dev/null").c_str()) == 0;
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    started = started || fs::exists(store::JournalPath(killed));
    std::printf("kill %d after %d ms: exit %d, archive %s\n", kill, ms, code,
                fs::exists(killed) ? Attribute(killed, "status").c_str() : "absent");
  }
  // The last resume runs to the end.
  ASSERT_EQ(RunSweep(3, kMixed, killed, started), 0);
  EXPECT_EQ(Attribute(killed, "status"), "complete");
  ExpectSameResults(reference, killed);
}

TEST_F(MpiRun, SigtermLeavesAPartialArchiveAndExitCode3ThenResumeCompletesIt) {
  const std::string reference = Out("reference.h5"), out = Out("term.h5");
  ASSERT_EQ(RunSweep(0, kMixed, reference), 0);
  const pid_t pid = Launch(RunArgs(2, kMixed, out, false), out + ".test.log");
  // Once both ranks are up and working (the run takes about 2 s), signal
  // the ranks, as Slurm does at its time limit.
  int code = 0;
  const std::string ranks = "pgrep -s " + std::to_string(pid) + " -x astrasweep | wc -l";
  for (int i = 0; i < 500 && std::stoi("0" + testing::Capture(ranks, &code)) < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  testing::Capture("pkill -TERM -s " + std::to_string(pid) + " -x astrasweep", &code);
  EXPECT_EQ(Wait(pid), 3) << ReadText(out + ".test.log");
  EXPECT_NE(ReadText(out + ".test.log")
                .find("continue with: " + ShellCommand(RunArgs(2, kMixed, out, /*resume=*/true))),
            std::string::npos)
      << "the command as it was run, mpiexec included, with --resume:\n"
      << ReadText(out + ".test.log");
  EXPECT_EQ(Attribute(out, "status"), "partial");
  EXPECT_LT(SortedRows(out, "points").size(), SortedRows(reference, "points").size());
  ASSERT_EQ(RunSweep(2, kMixed, out, true), 0);
  EXPECT_EQ(Attribute(out, "status"), "complete");
  ExpectSameResults(reference, out);
}

// A sweep of 60,522 analytical points: several seconds at 3 ranks.
std::string WriteLongSweep(const fs::path& dir) {
  return testing::WriteGptSweep(
      dir, "long", 16, "not (model.hidden >= 5120 and parallelism.tp * parallelism.pp < 4)");
}

// The issue's case, on a terminal (script(1) gives mpiexec one): the bar
// through mpiexec, a log line that never shares its line, and Ctrl-C.
// mpiexec SIGTERMs the ranks a second after Ctrl-C and SIGKILLs them a
// second later; by then rank 0 has left a partial archive and printed the
// command to resume, mpiexec included, which then completes it.
TEST_F(MpiRun, CtrlCUnderMpiexecOnATerminalLeavesAPartialArchiveAndTheResumeCommand) {
  int code = 0;
  std::string script = testing::Capture("command -v script", &code);
  if (code != 0) GTEST_SKIP() << "no script(1) (util-linux) to give mpiexec a terminal";
  script.erase(script.find_last_not_of('\n') + 1);
  const std::string spec = WriteLongSweep(dir_->path()), out = Out("long.h5");
  const std::string log = out + ".test.log";
  std::vector<std::string> run = RunArgs(3, spec, out, false);
  run.resize(run.size() - 2);  // --progress none: auto, which is the point
  int keys = -1;
  const pid_t pid = Launch({script, "-qfec", ShellCommand(run), "/dev/null"}, log, &keys);
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 1000 && ReadText(log).find(" points (") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(write(keys, "\x03", 1), 1);  // Ctrl-C, as the terminal's line discipline takes it
  const int exit_code = Wait(pid);
  close(keys);
  const std::string text = ReadText(log);
  // mpiexec's own exit code is not astrasweep's: Open MPI 4.1 exits 1 after
  // Ctrl-C, or 130 (SIGINT) when the signal reaches it as its ranks end.
  // Either way the run does not claim success.
  EXPECT_TRUE(exit_code == 1 || exit_code == 130) << "mpiexec exit " << exit_code << "\n" << text;
  // (However far it got: a sanitized build may not fill a cell in time.)
  EXPECT_TRUE(std::regex_search(text, std::regex("\r\\[[#.]{30}\\] [0-9]+/60522 points")))
      << "a bar, redrawn in place:\n"
      << text;
  EXPECT_FALSE(std::regex_search(text, std::regex("astrasweep: [0-9]+/[0-9]+ points")))
      << "no progress lines:\n"
      << text;
  // The warning starts a line of its own: the bar's line is cleared first.
  // Rank 0 may hear of the signal first, or from a worker (which rank
  // mpiexec signals first is its own affair).
  std::smatch stopping;
  ASSERT_TRUE(std::regex_search(text, stopping,
                                std::regex("stopping on a signal (to rank [0-9]+ )?from the "
                                           "launcher")))
      << text;
  const std::size_t warning = static_cast<std::size_t>(stopping.position(0));
  const std::size_t cleared = text.rfind("\r\033[K", warning);
  ASSERT_NE(cleared, std::string::npos) << text;
  EXPECT_TRUE(std::regex_match(text.substr(cleared + 4, warning - cleared - 4),
                               std::regex(R"(\[[0-9:.]+\] \[rank 0\] \[.*warning.*\] )")))
      << "nothing but the log line's prefix since the bar was cleared:\n"
      << text.substr(cleared, warning - cleared);
  // The resume command, as it was run: launcher included.
  const std::string resume = ShellCommand(run) + " --resume";
  ASSERT_NE(text.find("continue with: " + resume), std::string::npos) << text;
  EXPECT_EQ(Attribute(out, "status"), "partial");
  const std::size_t done = SortedRows(out, "points").size();
  EXPECT_GT(done, 0u);
  EXPECT_LT(done, 60522u);
  const int resumed = Wait(Launch({"/bin/sh", "-c", resume}, out + ".resume.log"));
  ASSERT_EQ(resumed, 0) << ReadText(out + ".resume.log");
  EXPECT_EQ(Attribute(out, "status"), "complete");
  EXPECT_EQ(SortedRows(out, "points").size(), 60522u);
}

// One /points column of an archive, summed.
std::int64_t ColumnSum(const std::string& path, const std::string& column) {
  auto file = File::Open(path, File::Access::kReadOnly);
  if (!file) return -1;
  auto table = Table::Open(*file, "points");
  if (!table) return -1;
  store::ColumnSet columns;
  const store::Col<std::int64_t> col = columns.Add<std::int64_t>(column);
  RowBuffer rows(columns);
  if (!table->Read(0, table->rows(), rows)) return -1;
  std::int64_t sum = 0;
  for (std::size_t r = 0; r < rows.rows(); ++r) sum += rows.Get(r, col);
  return sum;
}

// Two ranks fill one cache; the same sweep again (new processes, the disk
// alone) simulates nothing and gives the same tables.
TEST_F(MpiRun, AHybridSweepRunTwiceOverOneCacheSimulatesNothingTheSecondTime) {
  const std::string spec = kSource + "/tests/data/sweeps/hybrid-small.yaml";
  const std::vector<std::string> cache = {"--cache-dir", Out("cache")};
  const std::string first = Out("first.h5"), second = Out("second.h5");
  ASSERT_EQ(RunSweep(2, spec, first, false, cache), 0);
  ASSERT_EQ(RunSweep(2, spec, second, false, cache), 0);
  EXPECT_GT(ColumnSum(first, "sim_runs"), 0);
  EXPECT_EQ(ColumnSum(second, "sim_runs"), 0);
  EXPECT_EQ(ColumnSum(second, "cache_hits"),
            ColumnSum(first, "sim_runs") + ColumnSum(first, "cache_hits"));
  EXPECT_EQ(ColumnSum(first, "cache_misses"), ColumnSum(first, "sim_runs"));
  EXPECT_EQ(ColumnSum(second, "cache_misses"), 0);
  ExpectSameResults(first, second,
                    {"eval_s", "worker_rank", "sim_runs", "cache_hits", "cache_misses"});
}

TEST_F(MpiRun, FailedPointsAreRowsAndTheSummaryCountsThem) {
  const std::string out = Out("mixed.h5");
  ASSERT_EQ(RunSweep(2, kMixed, out), 0);
  auto file = File::Open(out, File::Access::kReadOnly);
  ASSERT_TRUE(file);
  const std::int64_t failed = *file->Int64Attribute("points_failed");
  EXPECT_GT(failed, 0);
  EXPECT_EQ(static_cast<std::int64_t>(SortedRows(out, "failures").size()), failed);
  int code = 0;
  const std::string text = testing::Capture(kBin + " inspect " + out, &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(text.find(std::to_string(failed) + " failed"), std::string::npos) << text;
  EXPECT_NE(text.find("interleaved schedule"), std::string::npos) << text;
}

TEST_F(MpiRun, EveryTableReadsInH5pyPandasAndPyTablesAndH5dumpShowsTheStructure) {
  const std::string out = Out("qs.h5");
  ASSERT_EQ(RunSweep(2, kQuickstart, out), 0);
  const std::string python = testing::PythonWithH5();
  ASSERT_FALSE(python.empty())
      << "no python3 with h5py, pandas and tables (tools/setup installs them)";
  const std::string script = Out("read.py");
  std::ofstream(script) << R"(
import sys, h5py, pandas as pd, tables
path = sys.argv[1]
expected = {
  'points': ['index', 'id', 'status', 'mode', 'model', 'gpus', 'parallelism.tp', 'parallelism.pp',
             'training.micro_batch', 'parallelism.dp', 'step_time_s', 'tokens_per_s',
             'model_tflops_per_gpu', 'mfu', 'compute_s', 'tp_comm_s', 'pp_comm_s', 'dp_comm_s',
             'exposed_comm_s', 'bubble_s', 'peak_mem_bytes', 'fits_memory', 'sim_runs',
             'cache_hits', 'cache_misses', 'eval_s', 'worker_rank'],
  'rank_timings': ['point_index', 'npu', 'finish_s', 'compute_s', 'comm_s', 'exposed_comm_s'],
  'workers': ['run', 'rank', 'host', 'points', 'busy_s', 'idle_s', 'comm_s', 'sim_runs', 'cache_hits',
              'cache_misses'],
  'failures': ['point_index', 'point_id', 'stage', 'message'],
  'configs': ['point_index', 'part', 'text'],
}
frames = {}
with h5py.File(path, 'r') as f:
    for name, columns in expected.items():
        df = pd.DataFrame(f[name][:])
        assert list(df.columns) == columns, (name, list(df.columns))
        frames[name] = df
    attrs = f.attrs
    for key in ['schema_version', 'astrasweep_version', 'git_sha', 'spec', 'spec_sha256',
                'command_line', 'created', 'finished', 'mpi_size', 'hosts', 'simulator',
                'status', 'points_total', 'points_done', 'points_ok', 'points_failed',
                'points_infeasible']:
        assert key in attrs, key
    assert attrs['status'] == b'complete', attrs['status']
    assert attrs['mpi_size'] == 2
points = frames['points']
assert len(points) == 294 and points['index'].is_unique
assert set(points['status'].str.decode('ascii')) <= {'ok', 'infeasible', 'failed'}
assert (points['tp_comm_s'] >= 0).all() and (points['step_time_s'] > 0).all()
assert len(frames['workers']) == 2
configs = frames['configs'].sort_values(['point_index', 'part'])
text = configs.groupby('point_index')['text'].apply(lambda parts: b''.join(parts).decode())
assert len(text) == 294 and all('model' in t for t in text)
with tables.open_file(path, 'r') as t:
    for name in expected:
        node = t.get_node('/' + name)
        assert isinstance(node, tables.Table), name
        assert node.nrows == len(frames[name]), name
    assert t.root.points.title
print('read', {k: len(v) for k, v in frames.items()})
)";
  int code = 0;
  const std::string output = testing::Capture(python + " " + script + " " + out, &code);
  EXPECT_EQ(code, 0) << output;
  const std::string dump = testing::Capture("h5dump -H " + out, &code);
  EXPECT_EQ(code, 0) << dump;
  for (const char* name : {"points", "rank_timings", "workers", "failures", "configs"}) {
    EXPECT_NE(dump.find(std::string("DATASET \"") + name + "\""), std::string::npos) << name;
  }
  for (const char* text : {"ATTRIBUTE \"CLASS\"", "ATTRIBUTE \"spec_sha256\"", "H5T_COMPOUND",
                           "\"parallelism.tp\"", "H5S_UNLIMITED"})
    EXPECT_NE(dump.find(text), std::string::npos) << text;
}

}  // namespace
}  // namespace astrasweep
