// What a newcomer is told: `keys` and `presets` teach the config from the
// tool rather than from error messages, and each mistake of issue 13's list
// gets a message naming it and the fix.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "../support/shell.h"

namespace {

using astrasweep::testing::Capture;

struct Ran {
  int exit_code = -1;
  std::string output;
};

Ran Cli(const std::string& args) {
  Ran r;
  r.output = Capture(std::string(ASTRASWEEP_BIN) + " " + args, &r.exit_code);
  return r;
}

void ExpectIn(const Ran& r, const std::string& text) {
  EXPECT_NE(r.output.find(text), std::string::npos) << "expected '" << text << "' in:\n"
                                                    << r.output;
}

TEST(KeysCommand, ListsEveryKeyWithTypeUnitDefaultAndMeaning) {
  const Ran r = Cli("keys");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectIn(r, "training.micro_batch");
  ExpectIn(r, "sequences per micro-batch");
  ExpectIn(r, "a bandwidth with a unit, e.g. '300 GB/s'");
  ExpectIn(r, "= 4 * model.hidden");  // a dependent default
  ExpectIn(r, "one of bf16, fp16, fp32, fp8");
  ExpectIn(r, "an integer, 0 to 3");
}

TEST(KeysCommand, ASectionAloneAndAsJson) {
  const Ran r = Cli("keys parallelism --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto keys = nlohmann::json::parse(r.output);
  ASSERT_TRUE(keys.is_array());
  ASSERT_FALSE(keys.empty());
  for (const auto& key : keys) {
    EXPECT_TRUE(key["key"].get<std::string>().starts_with("parallelism.")) << key;
    EXPECT_FALSE(key["meaning"].get<std::string>().empty()) << key;
  }
}

TEST(KeysCommand, AnUnknownSectionSuggestsTheClosest) {
  const Ran r = Cli("keys trainin");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  ExpectIn(r, "did you mean 'training'");
}

TEST(PresetsCommand, ListsEachSectionsPresetsWithMemoryInGiB) {
  const Ran r = Cli("presets");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectIn(r, "hardware presets (hardware: NAME)");
  ExpectIn(r, "a100-80gb  80 GiB, bf16 312 TFLOP/s");
  ExpectIn(r, "h200       131.3 GiB");  // 141 GB, shown in GiB as everywhere
  ExpectIn(r, "gpt3-175b");
  ExpectIn(r, "dgx-a100  8 x 300 GB/s switch");
  EXPECT_EQ(r.output.find(" GB,"), std::string::npos) << r.output;
}

TEST(PresetsCommand, PrintsOnePresetWithItsSources) {
  const Ran r = Cli("presets h100-sxm");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectIn(r, "# hardware preset 'h100-sxm': ");
  ExpectIn(r, "gemm_efficiency: 0.58");
  ExpectIn(r, "fitted to");
}

// `hardware: h100` suggested h200 (issue 13).
TEST(PresetsCommand, ANameCutShortSuggestsTheFullName) {
  const Ran r = Cli("presets h100");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  ExpectIn(r, "no preset named 'h100' (did you mean 'h100-sxm'?)");
}

std::string Source(const std::string& path) {
  return std::string(ASTRASWEEP_SOURCE_DIR) + "/" + path;
}

TEST(Messages, ASpecGivenToPointSaysToRunIt) {
  const Ran r = Cli("point " + Source("sweeps/quickstart.yaml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  ExpectIn(r, "this is a sweep spec, not a point config: run it with `astrasweep run ");
}

TEST(Messages, APointGivenToRunSaysToEvaluateIt) {
  const Ran r = Cli("run " + Source("sweeps/points/gpt3-175b.yaml") + " -o /nonexistent/x.h5");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  ExpectIn(r,
           "this is a point config (it has 'model'), not a sweep spec: evaluate it with "
           "`astrasweep point ");
}

TEST(Messages, InspectOfAMissingArchiveSaysItIsMissing) {
  const Ran r = Cli("inspect " + ::testing::TempDir() + "/no-such-archive.h5");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  ExpectIn(r, "no-such-archive.h5: no such archive (check the path)");
}

TEST(Messages, AMissingOutputIsAnErrorInTheToolsFormat) {
  const Ran r = Cli("run " + Source("sweeps/quickstart.yaml"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  ExpectIn(r, "astrasweep: error: --out is required; see `astrasweep run --help`");
}

TEST(Messages, AConstraintOnAMisspeltKeyNamesTheKey) {
  const std::string dir = ::testing::TempDir() + "/newcomer_constraint";
  std::filesystem::create_directories(dir);
  {
    std::ofstream spec(dir + "/s.yaml");
    spec << "base: " << Source("sweeps/points/gpt-1.3b-a100.yaml") << "\n"
         << "axes:\n  model: [gpt-1.3b, gpt-13b]\nconstraints:\n  - \"model.head % 2 == 0\"\n";
  }
  const Ran r = Cli("validate " + dir + "/s.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  ExpectIn(r, "unknown key 'model.head' (did you mean 'model.heads'?)");
}

TEST(Messages, PointSaysWhereItWroteTheGraphAndItsJsonHasTheConfig) {
  const std::string dot = ::testing::TempDir() + "/newcomer.dot";
  const Ran r = Cli("point " + Source("sweeps/points/gpt-1.3b-a100.yaml") + " --dot " + dot);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ExpectIn(r, "wrote the pipeline graph");
  ExpectIn(r, dot);
  EXPECT_TRUE(std::filesystem::file_size(dot) > 0);
  int code = -1;
  const std::string json =
      Capture(std::string(ASTRASWEEP_BIN) + " point " + Source("sweeps/points/gpt-1.3b-a100.yaml") +
                  " --json 2>/dev/null",
              &code);
  ASSERT_EQ(code, 0) << json;
  const auto j = nlohmann::json::parse(json);
  EXPECT_NE(j["config"].get<std::string>().find("name: gpt-1.3b"), std::string::npos) << j;
}

// The lock keeps a second run off an archive being written; after the
// run it is gone (issue 13, item 9).
TEST(ArchiveFiles, TheLockIsRemovedAfterARun) {
  const std::string out = ::testing::TempDir() + "/newcomer_lock.h5";
  for (const char* suffix : {"", ".journal", ".lock"}) std::filesystem::remove(out + suffix);
  std::filesystem::remove_all(out + ".logs");
  const Ran r = Cli("run " + Source("sweeps/quickstart.yaml") + " -o " + out + " --progress none");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".lock"));
}

}  // namespace
