// The command line as a user meets it: each bad input exits with code 2
// and a message naming the file, the key path and the problem; good input
// exits 0 with the promised output.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs the CLI; `output` gets stdout and, unless stdout_only, stderr too.
RunResult RunCli(const std::string& args, bool stdout_only = false) {
  const std::string command =
      std::string(ASTRASWEEP_BIN) + " " + args + (stdout_only ? " 2>/dev/null" : " 2>&1");
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) result.output += buf.data();
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string Data(const std::string& name) {
  return std::string(ASTRASWEEP_SOURCE_DIR) + "/tests/data/" + name;
}

struct BadInput {
  const char* command;
  const char* file;
  std::vector<std::string> expected;  // all must appear in the output
};

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, ExitsTwoNamingFileKeyAndProblem) {
  const BadInput& bad = GetParam();
  RunResult r = RunCli(std::string(bad.command) + " " + Data(bad.file));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(bad.file), std::string::npos) << "names the file:\n" << r.output;
  for (const auto& text : bad.expected)
    EXPECT_NE(r.output.find(text), std::string::npos) << "expected '" << text << "' in:\n"
                                                      << r.output;
}

INSTANTIATE_TEST_SUITE_P(
    Cli, BadInputTest,
    ::testing::Values(
        BadInput{"validate",
                 "bad/unknown_key.yaml",
                 {"unknown_key.yaml:3:", "model.layer", "did you mean 'layers'"}},
        BadInput{"validate",
                 "bad/wrong_type.yaml",
                 {"training.sequence_parallel", "expected true or false"}},
        BadInput{"validate", "bad/no_unit.yaml", {"network.0.bandwidth", "no unit", "300 GB/s"}},
        BadInput{"validate",
                 "bad/npus_mismatch.yaml",
                 {"network", "multiply to 8", "tp * cp * pp * dp = 16"}},
        BadInput{"validate", "bad/yaml_syntax.yaml", {"yaml_syntax.yaml:3:", "YAML syntax error"}},
        BadInput{"expand --count", "bad/zip_unequal.yaml", {"zip.0", "equal lengths"}},
        BadInput{
            "expand --count",
            "bad/constraint_unknown_key.yaml",
            {"constraints.1", "unknown key or var 'model.layerz'", "did you mean 'model.layers'"}},
        BadInput{"expand --count",
                 "bad/derive_self.yaml",
                 {"derive.parallelism.dp", "refers to itself"}},
        BadInput{"expand --count",
                 "bad/missing_base.yaml",
                 {"base", "points/no-such-point.yaml", "does not exist"}},
        BadInput{"validate",
                 "bad/spec_unknown_axis_key.yaml",
                 {"axes.paralelism.tp", "did you mean 'parallelism.tp'"}},
        BadInput{"validate", "bad/alias_cycle.yaml", {"alias_cycle.yaml:2:", "nested more than"}},
        BadInput{"validate",
                 "bad/alias_bomb.yaml",
                 {"alias_bomb.yaml:", "once its aliases are expanded"}},
        BadInput{"point", "bad/overflow_dp.yaml", {"training.micro_batch", "does not divide"}},
        BadInput{"validate", "bad/base_folder.yaml", {"base_folder.yaml:2:", "is a folder"}}),
    [](const auto& param_info) {
      std::string name = param_info.param.file;
      name = name.substr(name.find('/') + 1);
      name = name.substr(0, name.find('.'));
      return name;
    });

TEST(Cli, QuickstartCountPrintsValidAndSkipped) {
  RunResult r =
      RunCli("expand " + std::string(ASTRASWEEP_SOURCE_DIR) + "/sweeps/quickstart.yaml --count");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("valid points"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("skipped by constraints"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("skipped by constraint 0"), std::string::npos) << r.output;
}

TEST(Cli, ExpandJsonLinesHoldIndexIdAndSweptValues) {
  RunResult r = RunCli("expand " + std::string(ASTRASWEEP_SOURCE_DIR) +
                       "/sweeps/quickstart.yaml --format jsonl --limit 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int lines = 0;
  for (std::size_t pos = 0; (pos = r.output.find('\n', pos)) != std::string::npos; ++pos) ++lines;
  EXPECT_EQ(lines, 3) << r.output;
  EXPECT_NE(r.output.find("{\"index\":0,\"id\":\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"parallelism.tp\":1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"parallelism.dp\":8"), std::string::npos) << r.output;
}

TEST(Cli, ValidateAcceptsTheShippedSpecsAndPoints) {
  for (const char* file : {"sweeps/quickstart.yaml", "sweeps/points/gpt3-175b.yaml",
                           "sweeps/points/gpt-1.3b-a100.yaml"}) {
    RunResult r = RunCli("validate " + std::string(ASTRASWEEP_SOURCE_DIR) + "/" + file);
    EXPECT_EQ(r.exit_code, 0) << file << ":\n" << r.output;
  }
}

TEST(Cli, HelpOnEverySubcommand) {
  for (const char* sub : {"expand", "validate", "point", "run", "inspect", "et", "simulate",
                          "verify", "merge", "diff"}) {
    RunResult r = RunCli(std::string(sub) + " --help");
    EXPECT_EQ(r.exit_code, 0) << sub << ":\n" << r.output;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << sub << ":\n" << r.output;
    EXPECT_NE(r.output.find(sub), std::string::npos) << sub << ":\n" << r.output;
  }
  RunResult top = RunCli("--help");
  EXPECT_EQ(top.exit_code, 0) << top.output;
  for (const char* sub : {"expand", "validate", "point", "run", "inspect", "et", "simulate",
                          "verify", "merge", "diff"})
    EXPECT_NE(top.output.find(sub), std::string::npos) << "--help does not list " << sub;
  RunResult version = RunCli("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("astrasweep 0."), std::string::npos) << version.output;
  EXPECT_NE(version.output.find("(git "), std::string::npos) << version.output;
  EXPECT_EQ(RunCli("no-such-command").exit_code, 2);
  EXPECT_EQ(RunCli("expand").exit_code, 2) << "missing spec argument";
}

// `astrasweep point`: the readable breakdown, JSON whose parts add up, the
// DOT graph, and points that cannot run or do not fit.
std::string Point(const std::string& name) {
  return std::string(ASTRASWEEP_SOURCE_DIR) + "/sweeps/points/" + name;
}

TEST(PointCommand, PrintsABreakdown) {
  RunResult r = RunCli("point " + Point("gpt3-175b.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* text : {"status  ok", "step time", "tokens/s", "MFU", "critical stage",
                           "exposed comm", "bubble", "memory (stage", "fits"})
    EXPECT_NE(r.output.find(text), std::string::npos) << text << " in:\n" << r.output;
}

TEST(PointCommand, JsonPartsAddUpToTheStepTime) {
  RunResult r = RunCli("point --json " + Point("gpt3-175b.yaml"), true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["mode"], "analytical");
  const auto& m = j["metrics"];
  const double step = m["step_time_s"];
  EXPECT_GT(step, 0);
  EXPECT_NEAR(m["compute_s"].get<double>() + m["exposed_comm_s"].get<double>() +
                  m["bubble_s"].get<double>(),
              step, 1e-9 * step);
  EXPECT_NEAR(m["tokens_per_s"].get<double>(), 1536.0 * 2048 / step, 1e-6 * 1536 * 2048 / step);
  EXPECT_GT(m["mfu"].get<double>(), 0.2);
  EXPECT_LT(m["mfu"].get<double>(), 0.8);
  EXPECT_EQ(j["stages"].size(), 8u);
}

TEST(PointCommand, WritesTheGraphAsDot) {
  const std::string dot = ::testing::TempDir() + "/pipeline.dot";
  std::remove(dot.c_str());
  RunResult r = RunCli("point " + Point("gpt-1.3b-a100.yaml") + " --dot " + dot);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  FILE* f = std::fopen(dot.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), f) != nullptr) text += buf.data();
  std::fclose(f);
  EXPECT_EQ(text.rfind("digraph", 0), 0u);
  EXPECT_NE(text.find("forward #0"), std::string::npos);
  EXPECT_NE(text.find("optimizer"), std::string::npos);
}

TEST(PointCommand, APointThatCannotRunIsAFailedPointWithItsReason) {
  RunResult r = RunCli("point " + Data("points/pp_over_layers.yaml"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("status  failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("32 pipeline stages but model.layers = 24"), std::string::npos)
      << r.output;
  r = RunCli("point --json " + Data("points/interleaved_few_microbatches.yaml"), true);
  EXPECT_EQ(r.exit_code, 1);
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["failure"]["stage"], "pipeline");
  EXPECT_NE(j["failure"]["message"].get<std::string>().find("= 12) to be a multiple of pp = 8"),
            std::string::npos);
}

TEST(PointCommand, APointThatDoesNotFitKeepsItsTimingAndIsInfeasible) {
  RunResult r = RunCli("point --json " + Data("points/infeasible.yaml"), true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["status"], "infeasible");
  EXPECT_GT(j["metrics"]["step_time_s"].get<double>(), 0);
  EXPECT_FALSE(j["metrics"]["fits_memory"].get<bool>());
  EXPECT_GT(j["metrics"]["peak_mem_bytes"].get<double>(), 80.0 * (1ull << 30));
}

TEST(PointCommand, TimesAContextParallelPoint) {
  RunResult r = RunCli("point " + Data("points/context_parallel.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("tp 8 x cp 2 x pp 2 x dp 1 = 32 GPUs"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("status  ok"), std::string::npos) << r.output;
}

TEST(RunCommand, RefusesToOverwriteAndExplainsBadInput) {
  const std::string dir = ::testing::TempDir() + "/run-command";
  std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
  const std::string spec = std::string(ASTRASWEEP_SOURCE_DIR) + "/sweeps/quickstart.yaml";
  const std::string out = dir + "/out.h5";
  RunResult r = RunCli("run " + spec + " -o " + out + " --shard 1/2 --progress lines");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("147 of 147 points"), std::string::npos) << "half of 294:\n" << r.output;
  EXPECT_NE(r.output.find("147/147 points (100.0%)"), std::string::npos) << r.output;

  r = RunCli("run " + spec + " -o " + out);  // again, without --resume
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;

  r = RunCli("run " + spec + " -o " + out + " --resume");  // another shard's journal
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("shard"), std::string::npos) << r.output;

  r = RunCli("run " + spec + " -o " + out + " --shard 1/2 --resume");  // nothing left to do
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 evaluated"), std::string::npos) << r.output;

  // An output that is not a file's path would scatter the run's files.
  for (const std::string& bad : std::vector<std::string>{"''", dir, dir + "/"}) {
    r = RunCli("run " + spec + " -o " + bad);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("is not an archive's path"), std::string::npos) << r.output;
  }

  r = RunCli("run " + spec + " -o " + dir + "/other.h5 --shard 2/2");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("0 <= i < N"), std::string::npos) << r.output;

  r = RunCli("inspect " + spec);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("not an HDF5 file"), std::string::npos) << r.output;

  // An archive cut short (a copy interrupted) is bad input like garbage:
  // both exit 2, each saying what is wrong with the file.
  {
    const std::string cut = dir + "/cut.h5";
    std::ifstream in(out, std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    std::ofstream(cut, std::ios::binary) << head;
    r = RunCli("inspect " + cut);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("cut.h5: an HDF5 file that is truncated or damaged (4096 bytes)"),
              std::string::npos)
        << r.output;
  }

  r = RunCli("inspect " + out + " --top 3", true);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("shard       1/2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("best 3 points by throughput"), std::string::npos) << r.output;
}

// One point must never end a sweep: a point past what astrasweep schedules
// fails alone, with its reason, and the others finish.
TEST(RunCommand, APointPastTheLimitsFailsAloneAndTheSweepFinishes) {
  const std::string dir = ::testing::TempDir() + "/run-too-big";
  std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str());
  RunResult r = RunCli("run " + Data("sweeps/one_point_too_big.yaml") + " -o " + dir +
                       "/out.h5 --progress none");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("4 of 4 points (3 ok, 0 infeasible, 1 failed)"), std::string::npos)
      << r.output;
  r = RunCli("inspect " + dir + "/out.h5", true);
  EXPECT_NE(r.output.find("more than astrasweep schedules"), std::string::npos) << r.output;
}

// `astrasweep et`: a collective bundle is written, checked and named with
// the AstraSim command that runs it; a broken bundle fails the check.
TEST(EtCommand, WritesACollectiveBundleThatPassesTheCheck) {
  const std::string dir = ::testing::TempDir() + "et-cli-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  RunResult r = RunCli("et " + std::string(ASTRASWEEP_SOURCE_DIR) +
                       "/sweeps/points/gpt3-175b.yaml -o " + dir +
                       " --collective all_gather --size '1 MiB' --group dp");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("over the dp group (24 ranks)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--workload-configuration=w"), std::string::npos) << r.output;
  r = RunCli("et --check " + dir);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("24 ranks, 24 nodes"), std::string::npos) << r.output;
  std::filesystem::remove(dir + "/w.5.et");
  r = RunCli("et --check " + dir);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("rank 5"), std::string::npos) << r.output;
  r = RunCli("et " + std::string(ASTRASWEEP_SOURCE_DIR) + "/sweeps/points/gpt3-175b.yaml -o " +
             dir + " --graph nonsense");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("expected collective, pipeline, block or flattened"), std::string::npos)
      << r.output;
  std::filesystem::remove_all(dir);
}

TEST(EtCommand, ContextParallelPointsHaveCollectivesOnly) {
  const std::string dir = ::testing::TempDir() + "et-cli-cp-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  RunResult r = RunCli("et " + Data("points/context_parallel.yaml") + " -o " + dir +
                       " --collective all_gather --size '1 MiB' --group cp");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("over the cp group (2 ranks)"), std::string::npos) << r.output;
  r = RunCli("et " + Data("points/context_parallel.yaml") + " -o " + dir + "-p --graph pipeline");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("parallelism.cp"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no context-parallel ranks"), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir + "-p");
}

// `simulate` takes AstraSim's flags and prints AstraSim's lines with
// AstraSim's answers (the reference case's, recorded from the binary).
TEST(SimulateCommand, PrintsAstraSimsLinesWithItsAnswers) {
  const std::string dir =
      std::string(ASTRASWEEP_SOURCE_DIR) + "/tests/data/astrasim-reference/cases/pipeline2_dp4_groups";
  const std::string flags = " --workload-configuration=" + dir + "/et/w --system-configuration=" +
                            dir + "/system.json --network-configuration=" + dir +
                            "/network.yml --comm-group-configuration=" + dir + "/comm_groups.json";
  RunResult r = RunCli("simulate" + flags);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("[workload] [info] sys[0] finished, 8565058 cycles, exposed "
                          "communication 7365058 cycles."),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("sys[7] finished, 8365058 cycles"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sys[7], Wall time: 8365058"), std::string::npos) << r.output;
  // Finish-time order, as AstraSim logs them: rank 1 (earlier) before 0.
  EXPECT_LT(r.output.find("sys[1] finished"), r.output.find("sys[0] finished"));
  r = RunCli("simulate --json" + flags);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto json = nlohmann::json::parse(r.output);
  EXPECT_EQ(json["ranks"][2]["finish_cycles"], 8565058);
  // AstraSim ignores an unknown flag; simulate refuses it.
  r = RunCli("simulate" + flags + " --num-queues-per-dim=2");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--num-queues-per-dim"), std::string::npos) << r.output;
  r = RunCli("simulate --workload-configuration=" + dir + "/et/w");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--system-configuration"), std::string::npos) << r.output;
  r = RunCli("simulate" + flags + " --congestion sometimes");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

// `astrasweep cache`: stats and clear on a folder laid out as the cache
// lays it out (entries named by their key in the folder of its first two
// digits; a crashed writer's temporary file is not an entry).
TEST(CacheCommand, StatsAndClearCountEntriesAndBytes) {
  const std::filesystem::path dir =
      ::testing::TempDir() + "cache-cli-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  const std::string key_a = "ab" + std::string(30, '1'), key_b = "cd" + std::string(30, '2');
  const std::pair<std::string, std::string> files[] = {
      {"ab", key_a}, {"cd", key_b}, {"ab", ".tmp-x1"}};
  for (const auto& [folder, name] : files) {
    std::filesystem::create_directories(dir / "v1" / folder);
    std::FILE* f = std::fopen((dir / "v1" / folder / name).c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(std::string(1000, 'x').c_str(), f);
    std::fclose(f);
  }
  RunResult r = RunCli("cache stats --cache-dir " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* text : {"entries  2\n", "size     2000 B (1.953 KiB)"})
    EXPECT_NE(r.output.find(text), std::string::npos) << text << " in:\n" << r.output;
  EXPECT_NE(r.output.find(dir.string()), std::string::npos) << r.output;

  r = RunCli("cache stats --json --cache-dir " + dir.string(), true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["entries"], 2);
  EXPECT_EQ(j["bytes"], 2000);
  EXPECT_EQ(j["dir"], dir.string());

  r = RunCli("cache clear --cache-dir " + dir.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("removed 2 entries, 2000 B"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "v1")) << "entries or the temporary file remain";
  r = RunCli("cache stats --cache-dir " + dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("entries  0\n"), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);

  r = RunCli("cache stats --cache-dir " + std::string(ASTRASWEEP_SOURCE_DIR) + "/README.md");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("not a folder"), std::string::npos) << r.output;
}

TEST(CacheCommand, DefaultsToNodeLocalScratch) {
  const std::string scratch = ::testing::TempDir() + "cache-scratch-" + std::to_string(::getpid());
  const char* old = std::getenv("SLURM_TMPDIR");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("SLURM_TMPDIR", scratch.c_str(), 1);
  RunResult r = RunCli("cache stats");
  if (old != nullptr)
    ::setenv("SLURM_TMPDIR", saved.c_str(), 1);
  else
    ::unsetenv("SLURM_TMPDIR");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(scratch + "/astrasweep-cache"), std::string::npos) << r.output;
}

TEST(CacheCommand, AnUnknownSubcommandOrFlagIsBadUsage) {
  for (const char* args : {"cache", "cache frobnicate", "cache stats --bogus", "cache clear --json",
                           "cache stats --cache-dir"}) {
    RunResult r = RunCli(args);
    EXPECT_EQ(r.exit_code, 2) << args << ":\n" << r.output;
    EXPECT_FALSE(r.output.empty()) << args << " says nothing";
  }
  RunResult help = RunCli("cache --help");
  EXPECT_EQ(help.exit_code, 0) << help.output;
  for (const char* text : {"stats", "clear"})
    EXPECT_NE(help.output.find(text), std::string::npos) << help.output;
}

}  // namespace

// `run` on AstraSim's backend, with a double of its binary: a binary that
// cannot be used or a bad cache mode stops the run before it starts; a
// crashing one fails each point with the reason and the sweep goes on; a
// good one fills the archive, keeps the bundles asked for, and a second
// run over the same cache simulates nothing.
TEST(RunCommand, OnAstraSimsBinary) {
  const std::string dir = ::testing::TempDir() + "run-astrasim-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string spec = Data("sweeps/astrasim-backend.yaml");
  const std::string run = "run " + spec + " --progress lines --cache-dir " + dir + "/cache";
  const std::string fake = std::string(" --astrasim-bin ") + FAKE_ASTRASIM;

  RunResult r = RunCli(run + " -o " + dir + "/a.h5 --astrasim-bin " + dir + "/no-such-binary");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(dir + "/no-such-binary"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/a.h5")) << "the sweep must not start";
  r = RunCli("run " + spec + " -o " + dir + "/a.h5 --cache-mode SOMETIMES");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown cache mode"), std::string::npos) << r.output;

  ::setenv("FAKE_ASTRASIM_MODE", "crash", 1);
  r = RunCli(run + fake + " -o " + dir + "/crash.h5");
  ::unsetenv("FAKE_ASTRASIM_MODE");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = RunCli("inspect " + dir + "/crash.h5", true);
  EXPECT_NE(r.output.find("0 ok  0 infeasible  4 failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("killed by SIGABRT"), std::string::npos) << r.output;

  r = RunCli(run + fake + " -o " + dir + "/ok.h5 --keep-et " + dir + "/kept");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("4 of 4 points (4 ok"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("cache hits 100%"), std::string::npos) << "a cold cache:\n" << r.output;
  bool kept = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/kept"))
    kept = kept || std::filesystem::exists(entry.path() / "network.yml");
  EXPECT_TRUE(kept) << "no bundle kept in " << dir << "/kept";
  r = RunCli("inspect " + dir + "/ok.h5", true);
  EXPECT_NE(r.output.find("astrasim-unaware sha256:"), std::string::npos) << r.output;

  r = RunCli(run + fake + " -o " + dir + "/again.h5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("cache hits 100%"), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);
}
