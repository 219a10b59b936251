// `keys` and `presets`: a newcomer learns the config from the tool, not
// from error messages (issue 13).
#include <gtest/gtest.h>

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

}  // namespace
