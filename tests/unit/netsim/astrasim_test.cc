// AstraSimBinary and ParseAstraSimOutput: the parser on output captured
// from the real binaries and on broken texts; opening binaries; and every
// way a run can end, played by tests/support/fake_astrasim (FAKE_ASTRASIM
// is its path). With ASTRASIM_BIN set, reference cases also run in the
// real binary.
#include "astrasweep/netsim/astrasim.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "astrasweep/base/hash.h"
#include "astrasweep/base/temp_dir.h"
#include "scoped_env.h"

namespace astrasweep::netsim {
namespace {

using astrasweep::testing::ScopedEnv;

namespace fs = std::filesystem;

const fs::path kData = fs::path(ASTRASWEEP_SOURCE_DIR) / "tests/data";

std::string FileText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------- parser

std::string Finished(int rank, long long finish, long long exposed) {
  return "[2026-03-25 10:00:00.123] [workload] [info] sys[" + std::to_string(rank) +
         "] finished, " + std::to_string(finish) + " cycles, exposed communication " +
         std::to_string(exposed) + " cycles.\n";
}
std::string Wall(int rank, long long wall) {
  return "[2026-03-25 10:00:00.123] [statistics] [info] sys[" + std::to_string(rank) +
         "], Wall time: " + std::to_string(wall) + "\n";
}
std::string Both(int rank, long long finish, long long exposed) {
  return Finished(rank, finish, exposed) + Wall(rank, finish);
}

TEST(ParseAstraSimOutput, ReadsTheRealOutputOfTheChainCase) {
  const std::string output = FileText(kData / "astrasim-output/chain_ring8_50layers.unaware.txt");
  auto result = ParseAstraSimOutput(output, 8);
  ASSERT_TRUE(result) << result.error().message();
  ASSERT_EQ(result->ranks.size(), 8u);
  for (const RankTiming& rank : result->ranks) {
    EXPECT_EQ(rank, (RankTiming{.finish_ns = 5899000,
                                .compute_ns = 500000,
                                .comm_ns = 5889000,
                                .exposed_ns = 5399000}));
  }
}

TEST(ParseAstraSimOutput, PutsRanksInOrderWhateverTheOrderOfTheLines) {
  // AstraSim prints ranks as they finish: 3, 2, 1, 0 here.
  const std::string output =
      FileText(kData / "astrasim-output/sendrecv_pipeline4_gpipe.unaware.txt");
  auto result = ParseAstraSimOutput(output, 4);
  ASSERT_TRUE(result) << result.error().message();
  const std::vector<RankTiming> expected = {
      {.finish_ns = 3224250, .compute_ns = 1200000, .comm_ns = 3024250, .exposed_ns = 2024250},
      {.finish_ns = 3024250, .compute_ns = 1200000, .comm_ns = 2982500, .exposed_ns = 1824250},
      {.finish_ns = 2666000, .compute_ns = 1200000, .comm_ns = 2624250, .exposed_ns = 1466000},
      {.finish_ns = 2307750, .compute_ns = 1200000, .comm_ns = 1882500, .exposed_ns = 1107750}};
  EXPECT_EQ(result->ranks, expected);
}

TEST(ParseAstraSimOutput, ReadsTheOutputOfARunThatCrashedInItsTeardown) {
  // et-small-8-switch's flattened bundle: every rank reports, then glibc
  // aborts AstraSim ("malloc_consolidate(): unaligned fastbin chunk
  // detected", on stderr, without a newline).
  const std::string output =
      FileText(kData / "astrasim-output/teardown_crash_switch8_flattened.unaware.txt");
  auto result = ParseAstraSimOutput(output, 8);
  ASSERT_TRUE(result) << result.error().message();
  std::vector<std::uint64_t> finish, exposed;
  for (const RankTiming& rank : result->ranks) {
    finish.push_back(rank.finish_ns);
    exposed.push_back(rank.exposed_ns);
  }
  const auto golden = nlohmann::json::parse(
      FileText(kData / "et-golden/et-small-8-switch-flattened.json"))["unaware"];
  EXPECT_EQ(finish, golden["finish_cycles"].get<std::vector<std::uint64_t>>());
  EXPECT_EQ(exposed, golden["exposed_comm_cycles"].get<std::vector<std::uint64_t>>());
}

TEST(ParseAstraSimOutput, CommTimeIsOptionalAndOtherLinesAreIgnored) {
  const std::string output = "some banner\n" + Both(1, 900, 100) + "sys[0] is thinking\n" +
                             Both(0, 1000, 1000) + "[x] [system] [warning] Exiting";
  auto result = ParseAstraSimOutput(output, 2);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->ranks[0], (RankTiming{.finish_ns = 1000, .exposed_ns = 1000}));
  EXPECT_EQ(result->ranks[1], (RankTiming{.finish_ns = 900, .compute_ns = 800, .exposed_ns = 100}));
}

TEST(ParseAstraSimOutput, NamesMissingRanks) {
  auto result = ParseAstraSimOutput(Both(0, 10, 10) + Both(2, 10, 10) + Finished(4, 10, 10), 6);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(),
            "no `finished` line for rank(s) 1, 3, 5; no `Wall time` line for rank(s) 1, 3-5");
  auto nothing = ParseAstraSimOutput("", 3);
  ASSERT_FALSE(nothing);
  EXPECT_TRUE(Contains(nothing.error().message(), "rank(s) 0-2")) << nothing.error().message();
}

TEST(ParseAstraSimOutput, NamesDuplicatedRanks) {
  auto result = ParseAstraSimOutput(Both(0, 10, 10) + Both(1, 10, 10) + Finished(1, 12, 10), 2);
  ASSERT_FALSE(result);
  EXPECT_TRUE(
      Contains(result.error().message(), "rank(s) 1 reported more than one `finished` line"))
      << result.error().message();
}

TEST(ParseAstraSimOutput, NamesRanksOutOfRange) {
  auto result = ParseAstraSimOutput(Both(0, 10, 10) + Both(1, 10, 10) + Both(7, 10, 10), 2);
  ASSERT_FALSE(result);
  EXPECT_TRUE(Contains(result.error().message(), "rank(s) 7 out of range (the run has 2 ranks)"))
      << result.error().message();
}

TEST(ParseAstraSimOutput, MalformedLinesCountAsMissing) {
  const std::string output = "sys[0] finished, 12x cycles, exposed communication 3 cycles.\n" +
                             Wall(0, 12) + "sys[1] finished, 5 cycles.\n" + Wall(1, 5);
  auto result = ParseAstraSimOutput(output, 2);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "no `finished` line for rank(s) 0-1");
}

TEST(ParseAstraSimOutput, RejectsMoreExposedCommunicationThanTheFinishTime) {
  auto result = ParseAstraSimOutput(Both(0, 10, 11), 1);
  ASSERT_FALSE(result);
  EXPECT_TRUE(Contains(result.error().message(), "rank 0")) << result.error().message();
}

// ---------------------------------------------------------------- Open

TEST(AstraSimBinary, OpenRefusesAMissingFileADirectoryAndANonExecutable) {
  auto dir = TempDir::Create("astrasim-open-");
  ASSERT_TRUE(dir);
  const fs::path missing = dir->path() / "AstraSim_missing";
  auto opened = AstraSimBinary::Open(missing.string());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), ErrorCode::kNotFound);
  for (const char* part : {missing.c_str(), "--astrasim-bin", "ASTRASIM_BIN"})
    EXPECT_TRUE(Contains(opened.error().message(), part)) << opened.error().message();

  auto directory = AstraSimBinary::Open(dir->path().string());
  ASSERT_FALSE(directory);
  EXPECT_TRUE(Contains(directory.error().message(), "not a regular file"))
      << directory.error().message();

  const fs::path plain = dir->path() / "plain";
  WriteText(plain, "#!/bin/sh\n");
  ::chmod(plain.c_str(), 0644);
  auto not_executable = AstraSimBinary::Open(plain.string());
  ASSERT_FALSE(not_executable);
  EXPECT_TRUE(Contains(not_executable.error().message(), "not executable"))
      << not_executable.error().message();
}

TEST(AstraSimBinary, IdentityIsTheModelAndTheBinarysSha256) {
  auto binary = AstraSimBinary::Open(FAKE_ASTRASIM);
  ASSERT_TRUE(binary) << binary.error().message();
  EXPECT_EQ(binary->Identity(Congestion::kUnaware),
            "astrasim-unaware sha256:" + Sha256Hex(FileText(FAKE_ASTRASIM)));
  EXPECT_FALSE(binary->Has(Congestion::kAware));
  EXPECT_EQ(binary->Identity(Congestion::kAware), "astrasim-aware (no binary)");
}

TEST(AstraSimBinary, FindsTheAwareBinaryBesideTheUnawareOne) {
  auto dir = TempDir::Create("astrasim-pair-");
  ASSERT_TRUE(dir);
  const fs::path unaware = dir->path() / "AstraSim_Analytical_Congestion_Unaware";
  const fs::path aware = dir->path() / "AstraSim_Analytical_Congestion_Aware";
  fs::copy_file(FAKE_ASTRASIM, unaware);
  auto alone = AstraSimBinary::Open(unaware.string());
  ASSERT_TRUE(alone) << alone.error().message();
  EXPECT_FALSE(alone->Has(Congestion::kAware));

  fs::copy_file(FAKE_ASTRASIM, aware);
  auto pair = AstraSimBinary::Open(unaware.string());
  ASSERT_TRUE(pair) << pair.error().message();
  EXPECT_EQ(pair->BinaryPath(Congestion::kAware), aware.string());
  EXPECT_TRUE(pair->Identity(Congestion::kAware).starts_with("astrasim-aware sha256:"));

  auto named =
      AstraSimBinary::Open(unaware.string(), {.aware_binary = (dir->path() / "nope").string()});
  ASSERT_FALSE(named) << "an aware binary named explicitly must exist";
}

// ---------------------------------------------------------------- runs

// A bundle of four ranks (npus_count [2, 2]) for the fake, which only
// checks that the traces exist, in a folder whose name a shell would
// split and cut short.
class FakeRun : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("astrasim-run-");
    ASSERT_TRUE(dir);
    root_ = std::move(*dir);
    bundle_dir_ = root_->path() / "a bundle; echo oops";
    sandboxes_ = root_->path() / "sandboxes";
    fs::create_directories(bundle_dir_);
    fs::create_directories(sandboxes_);
    WriteText(bundle_dir_ / "network.yml",
              "topology: [ Ring, Switch ]\nnpus_count: [ 2, 2 ]\nbandwidth: [ 50.0, 25.0 ]\n"
              "latency: [ 500.0, 700.0 ]\n");
    WriteText(bundle_dir_ / "system.json", "{}\n");
    WriteText(bundle_dir_ / "remote_memory.json", "{}\n");
    for (int rank = 0; rank < 4; ++rank)
      WriteText(bundle_dir_ / ("w." + std::to_string(rank) + ".et"), "");
  }

  Expected<SimResult> Run(const std::string& mode, AstraSimOptions options = {}) {
    ScopedEnv env("FAKE_ASTRASIM_MODE", mode);
    options.sandbox_parent = sandboxes_;
    auto binary = AstraSimBinary::Open(FAKE_ASTRASIM, options);
    if (!binary) return std::unexpected(std::move(binary).error());
    return binary->Run(BundlePaths::InFolder(bundle_dir_.string()), Congestion::kUnaware);
  }

  bool SandboxesEmpty() const { return fs::is_empty(sandboxes_); }

  std::optional<TempDir> root_;
  fs::path bundle_dir_, sandboxes_;
};

TEST_F(FakeRun, ReadsEveryRankAndLeavesNoSandboxBehind) {
  const fs::path args = root_->path() / "args.txt";
  ScopedEnv record("FAKE_ASTRASIM_ARGS", args.string());
  auto result = Run("ok");
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_EQ(result->ranks.size(), 4u);
  EXPECT_EQ(result->ranks[3],
            (RankTiming{.finish_ns = 1300, .compute_ns = 650, .comm_ns = 975, .exposed_ns = 650}));
  EXPECT_TRUE(SandboxesEmpty()) << "the run's sandbox folder was not removed";

  // No shell: the folder's space and `;` reach the child as they are.
  std::istringstream lines(FileText(args));
  std::string cwd, arg;
  std::getline(lines, cwd);
  EXPECT_EQ(fs::path(cwd).parent_path(), sandboxes_) << "the child ran in " << cwd;
  std::vector<std::string> argv;
  while (std::getline(lines, arg)) argv.push_back(arg);
  const std::vector<std::string> expected = {
      "--workload-configuration=" + (bundle_dir_ / "w").string(),
      "--system-configuration=" + (bundle_dir_ / "system.json").string(),
      "--network-configuration=" + (bundle_dir_ / "network.yml").string(),
      "--remote-memory-configuration=" + (bundle_dir_ / "remote_memory.json").string(),
      "--logging-folder=" + cwd + "/log"};
  EXPECT_EQ(argv, expected) << "no comm_groups.json in this bundle, so no flag for it";
}

TEST_F(FakeRun, ACrashNamesTheSignalAndShowsTheLastLines) {
  auto result = Run("crash");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(result.error().context().file, (bundle_dir_ / "w").string());
  for (const char* part : {"killed by SIGABRT", "ring of node 0"})
    EXPECT_TRUE(Contains(result.error().message(), part)) << result.error().message();
  EXPECT_TRUE(SandboxesEmpty());
}

TEST_F(FakeRun, ACrashAfterEveryRankReportedKeepsTheAnswer) {
  auto result = Run("teardown-crash");
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->ranks.size(), 4u);
}

TEST_F(FakeRun, AHangIsKilledAtTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  auto result = Run("hang", {.timeout = std::chrono::seconds(1)});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result);
  for (const char* part : {"timed out after 1 s", "ring of node 0"})
    EXPECT_TRUE(Contains(result.error().message(), part)) << result.error().message();
  EXPECT_LT(took, std::chrono::seconds(4));
  EXPECT_TRUE(SandboxesEmpty());
}

TEST_F(FakeRun, GarbageSaysWhichRanksAreMissing) {
  auto result = Run("garbage");
  ASSERT_FALSE(result);
  for (const char* part : {"exited 0 but did not report every rank", "rank(s) 0-3"})
    EXPECT_TRUE(Contains(result.error().message(), part)) << result.error().message();
}

TEST_F(FakeRun, ADroppedRankIsNamedAndNotRetried) {
  const fs::path counter = root_->path() / "counter";
  ScopedEnv count("FAKE_ASTRASIM_COUNTER", counter.string());
  auto result = Run("drop-rank");
  ASSERT_FALSE(result);
  EXPECT_TRUE(Contains(result.error().message(), "no `finished` line for rank(s) 1;"))
      << result.error().message();
  EXPECT_EQ(FileText(counter), "1") << "running it again would give the same";
}

TEST_F(FakeRun, ZerosAreRetriedUntilTheRanksReport) {
  const fs::path counter = root_->path() / "counter";
  ScopedEnv count("FAKE_ASTRASIM_COUNTER", counter.string());
  ScopedEnv runs("FAKE_ASTRASIM_ZERO_RUNS", "2");
  auto result = Run("zeros-then-ok");
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->ranks[0].finish_ns, 1000u);
  EXPECT_EQ(FileText(counter), "3") << "two runs with zeros, then the good one";
}

TEST_F(FakeRun, ZerosEveryTimeAreAnErrorAfterTheRetries) {
  auto result = Run("zeros", {.retries = 2});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "rank 0 reported 0 cycles after 3 attempts");
}

TEST_F(FakeRun, ANonZeroExitIsAnErrorWithTheLastLines) {
  auto result = Run("exit1");
  ASSERT_FALSE(result);
  for (const char* part : {"exited with status 1", "fake_astrasim was told to fail"})
    EXPECT_TRUE(Contains(result.error().message(), part)) << result.error().message();
}

TEST_F(FakeRun, AMissingTraceIsFoundBeforeRunning) {
  fs::remove(bundle_dir_ / "w.2.et");
  auto result = Run("ok");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(Contains(result.error().message(), "w.2.et")) << result.error().message();
}

TEST_F(FakeRun, TheAwareModelWithoutItsBinaryIsAnError) {
  auto binary = AstraSimBinary::Open(FAKE_ASTRASIM);
  ASSERT_TRUE(binary);
  auto result = binary->Run(BundlePaths::InFolder(bundle_dir_.string()), Congestion::kAware);
  ASSERT_FALSE(result);
  EXPECT_TRUE(Contains(result.error().message(), "no aware AstraSim binary"))
      << result.error().message();
}

// ---------------------------------------------------------------- real

TEST(RealAstraSim, AnswersWhatTheReferenceCasesRecorded) {
  const char* unaware = std::getenv("ASTRASIM_BIN");
  if (unaware == nullptr || *unaware == '\0')
    GTEST_SKIP() << "ASTRASIM_BIN is not set: the real AstraSim is not run here";
  auto binary = AstraSimBinary::Open(unaware);
  ASSERT_TRUE(binary) << binary.error().message();
  for (const char* name :
       {"all_reduce_ring8_1MiB", "sendrecv_pipeline4_gpipe", "pipeline2_dp4_groups"}) {
    const fs::path dir = kData / "astrasim-reference/cases" / name;
    BundlePaths bundle = BundlePaths::InFolder(dir.string(), "et/w");
    for (Congestion congestion : {Congestion::kUnaware, Congestion::kAware}) {
      const fs::path expected_file =
          dir / (std::string("expected.") + CongestionName(congestion) + ".json");
      if (!binary->Has(congestion) || !fs::exists(expected_file)) continue;
      auto result = binary->Run(bundle, congestion);
      ASSERT_TRUE(result) << name << ": " << result.error().ToString();
      const auto expected = nlohmann::json::parse(FileText(expected_file));
      std::vector<std::uint64_t> finish, exposed;
      for (const RankTiming& rank : result->ranks) {
        finish.push_back(rank.finish_ns);
        exposed.push_back(rank.exposed_ns);
      }
      EXPECT_EQ(finish, expected["finish_cycles"].get<std::vector<std::uint64_t>>()) << name;
      EXPECT_EQ(exposed, expected["exposed_comm_cycles"].get<std::vector<std::uint64_t>>()) << name;
    }
  }
}

}  // namespace
}  // namespace astrasweep::netsim
