// The canonical form is the point's identity: equal configs written
// differently get equal ids, different configs different ids.
#include <gtest/gtest.h>

#include "astrasweep/config/loader.h"
#include "config_test_util.h"

namespace astrasweep::config {
namespace {

using testing::BuildFromText;
using testing::Replace;
using testing::SmallPoint;

Hash128 IdOf(const std::string& yaml) {
  auto r = BuildFromText(yaml);
  EXPECT_TRUE(r) << r.error().ToString();
  return r ? r->id : Hash128{};
}

TEST(Canonical, SpellingDoesNotChangeTheId) {
  const Hash128 base = IdOf(SmallPoint());
  EXPECT_EQ(base, IdOf(Replace(SmallPoint(), "700 ns", "0.7 us")));
  EXPECT_EQ(base, IdOf(Replace(SmallPoint(), "300 GB/s", "300000 MB/s")));
  EXPECT_EQ(base, IdOf(Replace(SmallPoint(), "  heads: 16\n", "  heads: 16\n  kv_heads: 16\n")))
      << "a default written out is the same point";
  EXPECT_EQ(base, IdOf(Replace(SmallPoint(), "tp: 2, pp: 2, dp: 2", "dp: 2, pp: 2, tp: 2")))
      << "key order does not matter";
}

TEST(Canonical, PresetAndExplicitValuesAgree) {
  std::string explicit_hw = Replace(SmallPoint(), "hardware: a100-80gb", R"(hardware:
  name: a100-80gb
  peak_flops: {fp32: 156 TFLOP/s, bf16: 312 TFLOP/s}
  memory: 80 GiB
  memory_bandwidth: 2.039 TB/s
  sms: 108
  gemm_efficiency: 0.69
  gemm_efficiency_megatron_2021: 0.65
  reserved_memory: 6 GiB)");
  EXPECT_EQ(IdOf(SmallPoint()), IdOf(explicit_hw));
}

TEST(Canonical, IgnoredSettingsDoNotChangeTheId) {
  std::string with_astra =
      SmallPoint() + "execution_backend:\n  model: analytical\n  astra: {mode: full_astrasim}\n";
  EXPECT_EQ(IdOf(SmallPoint()), IdOf(with_astra)) << "astra settings are ignored by analytical";
}

TEST(Canonical, DifferentPointsDifferentIds) {
  EXPECT_NE(IdOf(SmallPoint()), IdOf(Replace(SmallPoint(), "micro_batch: 2", "micro_batch: 1")));
  EXPECT_NE(IdOf(SmallPoint()), IdOf(Replace(SmallPoint(), "700 ns", "701 ns")));
}

TEST(Canonical, TextReloadsToTheSamePoint) {
  auto r = BuildFromText(SmallPoint());
  ASSERT_TRUE(r);
  auto again = BuildFromText(r->canonical);
  ASSERT_TRUE(again) << again.error().ToString() << "\n" << r->canonical;
  EXPECT_EQ(again->canonical, r->canonical);
  EXPECT_EQ(again->id, r->id);
}

}  // namespace
}  // namespace astrasweep::config
