// Faults of a run under mpiexec, each with what the user relies on: the
// job ends with a message saying what happened, nothing finished is lost,
// and --resume completes the archive an uninterrupted run gives.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "astrasim_stand_in.h"
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

using testing::Attribute;
using testing::ExpectSameResults;
using testing::kSource;
using testing::Launch;
using testing::ReadText;
using testing::RunArgs;
using testing::RunSweep;
using testing::Wait;

const std::string kAstraSim = kSource + "/tests/data/sweeps/astrasim-backend.yaml";
const std::string kQuickstart = kSource + "/sweeps/quickstart.yaml";

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The processes of a session, by their command name.
std::vector<pid_t> SessionProcesses(pid_t session, const std::string& name) {
  int code = 0;
  std::istringstream pids(
      testing::Capture("pgrep -s " + std::to_string(session) + " -x " + name, &code));
  std::vector<pid_t> found;
  for (pid_t pid = 0; pids >> pid;) found.push_back(pid);
  return found;
}

// The MPI rank of a process, from the environment mpiexec gave it; -1
// when it has none.
int RankOf(pid_t pid) {
  const std::string environ = ReadText("/proc/" + std::to_string(pid) + "/environ");
  std::istringstream entries(environ);
  const std::string key = "OMPI_COMM_WORLD_RANK=";
  for (std::string entry; std::getline(entries, entry, '\0');)
    if (entry.starts_with(key)) return std::stoi(entry.substr(key.size()));
  return -1;
}

void WaitUntilTheSessionIsGone(pid_t session) {
  for (int i = 0; i < 300 && !SessionProcesses(session, "astrasweep").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(SessionProcesses(session, "astrasweep").empty()) << "no rank may live on";
}

// A sweep of 17,672 analytical points: about 2 s at 3 ranks, 1 s alone.
std::string WriteSweep(const fs::path& dir) { return testing::WriteGptSweep(dir, "faults", 64); }

class MpiFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("ASTRASIM_BIN");
    unsetenv("ASTRASWEEP_CACHE_MODE");
    dir_.emplace(*TempDir::Create("astrasweep-mpi-faults-"));
  }
  std::string Out(const std::string& name) const { return (dir_->path() / name).string(); }
  std::optional<TempDir> dir_;
};

// kill -9 of one worker (the OOM killer, a node's trouble): mpiexec ends
// the job and says which rank died of what; every point rank 0 had
// received is kept, and --resume completes the archive.
TEST_F(MpiFaults, AWorkerKilledEndsTheJobAndAResumeCompletesTheArchive) {
  const std::string spec = WriteSweep(dir_->path());
  const std::string reference = Out("reference.h5"), out = Out("killed.h5");
  const std::string log = out + ".test.log";
  ASSERT_EQ(RunSweep(0, spec, reference), 0);
  // Progress lines as often as rank 0 has news: the first says the workers
  // are evaluating (the count itself moves only as the journal is synced,
  // each second, and the sweep takes about one).
  std::vector<std::string> run = RunArgs(3, spec, out, false);
  run.resize(run.size() - 2);
  run.insert(run.end(), {"--progress", "lines", "--progress-interval", "0.05"});
  const pid_t job = Launch(run, log);
  const std::regex received("astrasweep: [0-9]+/[0-9]+ points");
  for (int i = 0; i < 1000 && !std::regex_search(ReadText(log), received); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  pid_t worker = 0;
  for (pid_t pid : SessionProcesses(job, "astrasweep"))
    if (RankOf(pid) == 1) worker = pid;
  ASSERT_GT(worker, 0) << ReadText(log);
  ASSERT_EQ(waitpid(job, nullptr, WNOHANG), 0)
      << "the sweep ended before a worker could be killed: make it longer\n"
      << ReadText(log);
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  const int code = Wait(job);
  WaitUntilTheSessionIsGone(job);
  const std::string text = ReadText(log);
  EXPECT_NE(code, 0) << text;
  EXPECT_TRUE(Has(text, "process rank 1 with PID") && Has(text, "exited on signal 9 (Killed)"))
      << "mpiexec names the rank and how it ended:\n"
      << text;
  // Rank 0, signalled by mpiexec as it ends the job, leaves the archive
  // partial and prints the command that completes it.
  run.push_back("--resume");
  EXPECT_TRUE(Has(text, "the archive is partial; continue with: " + ShellCommand(run))) << text;
  EXPECT_EQ(Attribute(out, "status"), "partial");
  const std::size_t kept = testing::SortedRows(out, "points").size();
  EXPECT_GT(kept, 0u);
  std::printf("killed rank 1 (pid %d): mpiexec exit %d, %zu points kept\n", worker, code, kept);

  ASSERT_EQ(RunSweep(3, spec, out, true), 0);
  const std::string resumed = ReadText(log).substr(text.size());
  EXPECT_TRUE(Has(resumed, "resuming: " + std::to_string(kept) + " of "))
      << "every point the archive held was kept:\n"
      << resumed;
  EXPECT_EQ(Attribute(out, "status"), "complete");
  ExpectSameResults(reference, out);
}

// AstraSim's binary removed while two workers run it: the job stops, rank 0
// names the binary; no point that met it is stored, and with the binary
// back --resume completes the archive.
TEST_F(MpiFaults, AnAstraSimBinaryRemovedUnderMpiexecStopsTheJobAndAResumeCompletesIt) {
  const std::string reference = Out("reference.h5"), out = Out("out.h5");
  const std::vector<std::string> cache = {"--cache-mode", "NO_CACHE"};
  std::vector<std::string> flags = cache;
  flags.insert(flags.end(), {"--astrasim-bin", FAKE_ASTRASIM});
  ASSERT_EQ(RunSweep(0, kAstraSim, reference, false, flags), 0);
  const std::string binary = Out("astrasim");
  testing::WriteVanishingAstraSim(binary, 2, FAKE_ASTRASIM);
  flags = cache;
  flags.insert(flags.end(), {"--astrasim-bin", binary});
  const std::string log = out + ".test.log";
  const int code = Wait(Launch(RunArgs(3, kAstraSim, out, false, flags), log));
  const std::string text = ReadText(log);
  EXPECT_NE(code, 0) << text;
  EXPECT_TRUE(Has(text, "astrasweep: error: point ")) << text;
  EXPECT_TRUE(Has(text, "the AstraSim binary " + binary +
                            " cannot be run any more (No such file or directory)"))
      << text;
  EXPECT_TRUE(Has(text, "--resume")) << text;
  // Said once, as the run's error; the workers were collected, so the job
  // ends without MPI_Abort (and its banner).
  EXPECT_EQ(text.find("cannot be run any more"), text.rfind("cannot be run any more")) << text;
  EXPECT_FALSE(Has(text, "MPI_ABORT")) << text;
  EXPECT_EQ(Attribute(out, "status"), "partial");
  EXPECT_LT(testing::SortedRows(out, "points").size(), 4u);
  EXPECT_TRUE(testing::SortedRows(out, "failures").empty())
      << "a point that met the missing binary is no failed point";

  testing::WriteVanishingAstraSim(binary, 0, FAKE_ASTRASIM);
  ASSERT_EQ(RunSweep(3, kAstraSim, out, true, flags), 0);
  EXPECT_EQ(Attribute(out, "status"), "complete");
  ExpectSameResults(reference, out);
}

// A worker that cannot start (its cache cannot be made, as on a node
// whose scratch is missing) stops the whole job before any work: rank 0,
// the one that prints, names that rank and its reason, the exit code is
// the reason's, and nothing is left that would stop the same command.
TEST_F(MpiFaults, AWorkerThatCannotStartIsNamedByRankZeroAndNothingIsLeftBehind) {
  const std::string out = Out("out.h5"), log = out + ".test.log";
  std::vector<std::string> args = RunArgs(1, kQuickstart, out, false);
  const std::vector<std::string> worker =
      RunArgs(0, kQuickstart, out, false,
              {"--cache-dir", "/etc/passwd/cache", "--cache-mode", "CACHE_READWRITE"});
  args.insert(args.end(), {":", "-n", "1"});
  args.insert(args.end(), worker.begin(), worker.end());
  const int code = Wait(Launch(args, log));
  const std::string text = ReadText(log);
  EXPECT_EQ(code, 2) << text;
  EXPECT_TRUE(Has(text, "astrasweep: error: rank 1 (on ") &&
              Has(text,
                  "could not start the sweep: --cache-mode CACHE_READWRITE: the "
                  "simulation cache /etc/passwd/cache cannot be written"))
      << text;
  EXPECT_FALSE(fs::exists(out)) << text;
  EXPECT_FALSE(fs::exists(out + ".journal")) << text;
  RunSweep(2, kQuickstart, out);
  EXPECT_EQ(Attribute(out, "status"), "complete");
}

}  // namespace
}  // namespace astrasweep
