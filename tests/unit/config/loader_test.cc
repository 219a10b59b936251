// Strict loading of one point: defaults, units, presets, and the error for
// each kind of bad input (file, key path and problem named).
#include "astrasweep/config/loader.h"

#include <gtest/gtest.h>

#include "astrasweep/config/enums.h"
#include "config_test_util.h"

namespace astrasweep::config {
namespace {

using testing::BuildFromText;
using testing::Replace;
using testing::SmallPoint;

std::string Message(const Expected<ResolvedPoint>& r) {
  return r ? std::string("(no error)") : r.error().ToString();
}

TEST(Loader, FillsDefaultsAndUnits) {
  auto r = BuildFromText(SmallPoint());
  ASSERT_TRUE(r) << Message(r);
  const Config& c = r->config;
  EXPECT_EQ(c.model.kv_heads, 16) << "kv_heads defaults to heads";
  EXPECT_EQ(c.model.ffn_hidden, 4 * 2048) << "ffn_hidden defaults to 4 * hidden";
  EXPECT_EQ(c.training.dtype, DType::kBf16);
  EXPECT_EQ(c.training.schedule, Schedule::k1F1B);
  EXPECT_EQ(c.training.attention, Attention::kFlash) << "as Megatron-core and NeMo run today";
  EXPECT_DOUBLE_EQ(c.hardware.gemm_efficiency_fp8, c.hardware.gemm_efficiency)
      << "the FP8 GEMM efficiency defaults to the preset's other";
  EXPECT_TRUE(c.training.dp_overlap);
  EXPECT_EQ(c.hardware.name, "a100-80gb");
  EXPECT_DOUBLE_EQ(c.hardware.memory_bytes, 80.0 * (1ull << 30));
  EXPECT_DOUBLE_EQ(c.hardware.peak_flops.bf16, 312e12);
  EXPECT_FALSE(c.hardware.peak_flops.fp8.has_value());
  ASSERT_EQ(c.network.size(), 1u);
  EXPECT_DOUBLE_EQ(c.network[0].bandwidth, 300e9);
  EXPECT_DOUBLE_EQ(c.network[0].latency, 700e-9);
  EXPECT_EQ(c.execution_backend.model, ExecutionModel::kAnalytical);
  EXPECT_EQ(c.parallelism.cp, 1) << "no context parallelism unless asked";
  EXPECT_NE(r->canonical.find("cp: 1"), std::string::npos)
      << "the default is in the canonical form";
  EXPECT_EQ(r->id.Hex().size(), 32u);
}

TEST(Loader, TensorParallelismMustSplitTheKeyValueHeads) {
  const std::string gqa = Replace(SmallPoint(), "  heads: 16\n", "  heads: 16\n  kv_heads: 4\n");
  auto ok = BuildFromText(Replace(gqa, "{tp: 2, pp: 2, dp: 2}", "{tp: 4, pp: 1, dp: 2}"));
  ASSERT_TRUE(ok) << Message(ok);
  auto r = BuildFromText(Replace(gqa, "{tp: 2, pp: 2, dp: 2}", "{tp: 8, pp: 1, dp: 1}"), "p.yaml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "parallelism.tp");
  EXPECT_NE(r.error().message().find("tp = 8 does not divide model.kv_heads = 4"),
            std::string::npos)
      << r.error().message();
}

TEST(Loader, ReservedMemoryMustLeaveSome) {
  auto ok = BuildFromText(Replace(SmallPoint(), "hardware: a100-80gb",
                                  "hardware: {preset: a100-80gb, reserved_memory: 79 GiB}"));
  ASSERT_TRUE(ok) << Message(ok);
  EXPECT_DOUBLE_EQ(ok->config.hardware.reserved_bytes, 79.0 * (1ull << 30));
  auto r = BuildFromText(Replace(SmallPoint(), "hardware: a100-80gb",
                                 "hardware: {preset: a100-80gb, reserved_memory: 80 GiB}"),
                         "p.yaml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "hardware.reserved_memory");
}

TEST(Loader, UnknownKeySuggestsTheClosestKey) {
  auto r = BuildFromText(Replace(SmallPoint(), "  layers: 24", "  layer: 24"), "p.yaml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(r.error().context().file, "p.yaml");
  EXPECT_EQ(r.error().context().key_path, "model.layer");
  EXPECT_EQ(r.error().context().line, 2) << Message(r);
  EXPECT_NE(r.error().message().find("did you mean 'layers'"), std::string::npos) << Message(r);
}

TEST(Loader, WrongTypeNamesTheExpectedType) {
  auto r = BuildFromText(Replace(SmallPoint(), "layers: 24", "layers: many"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "model.layers");
  EXPECT_NE(r.error().message().find("expected an integer"), std::string::npos) << Message(r);

  r = BuildFromText(Replace(SmallPoint(), "layers: 24", "layers: [1, 2]"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("got a list"), std::string::npos) << Message(r);

  r = BuildFromText(Replace(SmallPoint(), "layers: 24", "layers: 24.5"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("integer"), std::string::npos) << Message(r);
}

TEST(Loader, QuantityWithoutUnitShowsAnExample) {
  auto r = BuildFromText(Replace(SmallPoint(), "bandwidth: 300 GB/s", "bandwidth: 300"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "network.0.bandwidth");
  EXPECT_NE(r.error().message().find("no unit"), std::string::npos) << Message(r);
  EXPECT_NE(r.error().message().find("e.g. '300 GB/s'"), std::string::npos) << Message(r);
}

TEST(Loader, NpusMustMatchTheParallelism) {
  auto r = BuildFromText(Replace(SmallPoint(), "npus: 8", "npus: 16"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "network");
  EXPECT_NE(r.error().message().find("multiply to 16"), std::string::npos) << Message(r);
  EXPECT_NE(r.error().message().find("tp * cp * pp * dp = 8"), std::string::npos) << Message(r);
}

TEST(Loader, InconsistentValuesAreNamed) {
  struct Case {
    std::string from, to, key, words;
  };
  const Case cases[] = {
      {"tp: 2, pp: 2, dp: 2", "tp: 3, pp: 2, dp: 2", "parallelism.tp",
       "does not divide model.heads"},
      {"micro_batch: 2", "micro_batch: 5", "training.micro_batch", "does not divide global_batch"},
      {"heads: 16", "heads: 15", "model.hidden", "not a multiple of heads"},
      {"global_batch: 64", "global_batch: 64\n  virtual_stages: 2", "training.virtual_stages",
       "interleaved"},
      {"global_batch: 64", "global_batch: 64\n  dtype: fp8", "training.dtype", "no FP8"},
      {"global_batch: 64", "global_batch: 64\n  zero_stage: 4", "training.zero_stage",
       "out of range"},
  };
  for (const auto& c : cases) {
    auto r = BuildFromText(Replace(SmallPoint(), c.from, c.to));
    ASSERT_FALSE(r) << c.to;
    EXPECT_EQ(r.error().context().key_path, c.key) << Message(r);
    EXPECT_NE(r.error().message().find(c.words), std::string::npos) << Message(r);
  }
}

TEST(Loader, MissingRequiredKeyIsNamed) {
  auto r = BuildFromText(Replace(SmallPoint(), "  vocab: 51200\n", ""));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "model.vocab");
  EXPECT_NE(r.error().message().find("missing required key"), std::string::npos) << Message(r);
}

TEST(Loader, YamlSyntaxErrorHasLineAndColumn) {
  auto r = BuildFromText("model:\n  layers: [1, 2\n", "broken.yaml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().file, "broken.yaml");
  EXPECT_GT(r.error().context().line, 0);
  EXPECT_GT(r.error().context().column, 0);
  EXPECT_NE(r.error().message().find("YAML syntax error"), std::string::npos) << Message(r);
}

TEST(Loader, NetworkPresetResolvesAutoNpus) {
  auto r = BuildFromText(
      Replace(SmallPoint(),
              "network:\n  - {topology: switch, npus: 8, bandwidth: 300 GB/s, latency: 700 ns}\n",
              "network: dgx-a100\n"));
  ASSERT_TRUE(r) << Message(r);
  ASSERT_EQ(r->config.network.size(), 2u);
  EXPECT_EQ(r->config.network[0].npus, 8);
  EXPECT_EQ(r->config.network[1].npus, 1) << "8 GPUs: the inter-node dimension holds one node";
  EXPECT_DOUBLE_EQ(r->config.network[1].bandwidth, 25e9) << "200 Gb/s is 25 GB/s";
  EXPECT_NE(r->canonical.find("npus: 1"), std::string::npos)
      << "auto is resolved in the canonical form";
}

TEST(Loader, UnknownPresetSuggestsAName) {
  auto r = BuildFromText(Replace(SmallPoint(), "hardware: a100-80gb", "hardware: a100-80g"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.error().context().key_path, "hardware");
  EXPECT_NE(r.error().message().find("did you mean 'a100-80gb'"), std::string::npos) << Message(r);
}

TEST(Loader, PresetWithOverrides) {
  auto r = BuildFromText(Replace(SmallPoint(), "hardware: a100-80gb",
                                 "hardware: {preset: a100-80gb, memory: 40 GiB, name: small}"));
  ASSERT_TRUE(r) << Message(r);
  EXPECT_DOUBLE_EQ(r->config.hardware.memory_bytes, 40.0 * (1ull << 30));
  EXPECT_DOUBLE_EQ(r->config.hardware.peak_flops.bf16, 312e12) << "the rest comes from the preset";
  EXPECT_EQ(r->config.hardware.name, "small");
}

TEST(Loader, EveryProjectPresetLoads) {
  const auto& presets = testing::ProjectPresets();
  for (const auto& name : presets.Names("hardware")) {
    auto r = BuildFromText(Replace(SmallPoint(), "hardware: a100-80gb", "hardware: " + name));
    EXPECT_TRUE(r) << name << ": " << Message(r);
  }
  for (const auto& name : presets.Names("model")) {
    auto node = ParseYaml("model: " + name + "\n", "x");
    ASSERT_TRUE(node);
    EXPECT_TRUE(presets.Expand(*node)) << name;
  }
  EXPECT_GE(presets.Names("hardware").size(), 6u);
  EXPECT_GE(presets.Names("network").size(), 2u);
}

TEST(Loader, ContextParallelismMultipliesTheGpus) {
  auto r =
      BuildFromText(Replace(SmallPoint(), "tp: 2, pp: 2, dp: 2", "tp: 2, cp: 2, pp: 1, dp: 2"));
  ASSERT_TRUE(r) << Message(r);
  EXPECT_EQ(r->config.parallelism.cp, 2);
  EXPECT_EQ(r->config.parallelism.Gpus(), 8) << "tp * cp * pp * dp";
  EXPECT_NE(r->id, BuildFromText(SmallPoint())->id);

  r = BuildFromText(Replace(SmallPoint(), "tp: 2, pp: 2, dp: 2", "tp: 2, cp: 2, pp: 2, dp: 2"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "network");
  EXPECT_NE(r.error().message().find("tp * cp * pp * dp = 16"), std::string::npos) << Message(r);

  r = BuildFromText(Replace(Replace(SmallPoint(), "tp: 2, pp: 2, dp: 2", "tp: 1, cp: 4, dp: 4"),
                            "npus: 8", "npus: auto"));
  ASSERT_TRUE(r) << Message(r);
  EXPECT_EQ(r->config.network[0].npus, 16) << "npus: auto takes cp into account";
}

TEST(Loader, ContextParallelismSplitsTheSequenceIn2CpChunks) {
  // 2048 tokens in 2 cp chunks: cp 4 (8 chunks of 256) is fine, cp 3 is not.
  const std::string cp4 = Replace(SmallPoint(), "tp: 2, pp: 2, dp: 2", "tp: 2, cp: 4, dp: 1");
  ASSERT_TRUE(BuildFromText(cp4)) << Message(BuildFromText(cp4));
  auto r = BuildFromText(
      Replace(Replace(SmallPoint(), "tp: 2, pp: 2, dp: 2", "tp: 1, cp: 3, pp: 1, dp: 1"), "npus: 8",
              "npus: 3"),
      "p.yaml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "parallelism.cp");
  EXPECT_NE(r.error().message().find("cp = 3 needs model.seq_len = 2048 to be a multiple of "
                                     "2 * cp = 6"),
            std::string::npos)
      << Message(r);
  // cp divides 1020 tokens (255 each) but not in 2 cp = 8 chunks.
  r = BuildFromText(Replace(cp4, "seq_len: 2048", "seq_len: 1020"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("seq_len = 1020"), std::string::npos) << Message(r);
}

TEST(Loader, ContextParallelismIsAnalyticalOnly) {
  const std::string cp2 = Replace(SmallPoint(), "tp: 2, pp: 2, dp: 2", "tp: 2, cp: 2, dp: 2");
  auto r = BuildFromText(cp2 + "execution_backend: {model: astra, astra: {mode: hybrid}}\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "parallelism.cp");
  EXPECT_NE(r.error().message().find("analytical model only"), std::string::npos) << Message(r);
  EXPECT_NE(r.error().message().find("execution_backend.model: analytical"), std::string::npos)
      << Message(r);
  auto astra_cp1 = BuildFromText(SmallPoint() + "execution_backend: {model: astra}\n");
  EXPECT_TRUE(astra_cp1) << Message(astra_cp1) << "cp 1 runs in every mode";
}

TEST(Loader, TensorParallelOverlap) {
  auto r = BuildFromText(SmallPoint());
  ASSERT_TRUE(r) << Message(r);
  EXPECT_EQ(r->config.training.tp_overlap, TpOverlap::kNone)
      << "every collective blocks by default";
  r = BuildFromText(
      Replace(SmallPoint(), "micro_batch: 2", "micro_batch: 2\n  tp_overlap: backward"));
  ASSERT_TRUE(r) << Message(r);
  EXPECT_EQ(r->config.training.tp_overlap, TpOverlap::kBackward);

  // Transformer Engine's overlap works on sequence-parallel collectives.
  const std::string full =
      Replace(SmallPoint(), "micro_batch: 2", "micro_batch: 2\n  tp_overlap: full");
  r = BuildFromText(full);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "training.tp_overlap");
  EXPECT_NE(r.error().message().find("needs training.sequence_parallel: true"), std::string::npos)
      << Message(r);
  const std::string full_sp =
      Replace(full, "tp_overlap: full", "tp_overlap: full\n  sequence_parallel: true");
  r = BuildFromText(full_sp);
  EXPECT_TRUE(r) << Message(r);

  r = BuildFromText(full_sp + "execution_backend: {model: astra}\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("analytical model only"), std::string::npos) << Message(r);
  r = BuildFromText(Replace(full_sp, "tp: 2, pp: 2, dp: 2", "kp1: 2, kp2: 2, pp: 1, dp: 2"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("1-D tensor parallelism"), std::string::npos) << Message(r);
}

TEST(Loader, OlderSoftwareTakesItsFittedGemmEfficiency) {
  auto r = BuildFromText(SmallPoint());
  ASSERT_TRUE(r) << Message(r);
  EXPECT_EQ(r->config.hardware.software, Software::kCurrent);
  const double current = r->config.hardware.gemm_efficiency;
  r = BuildFromText(Replace(SmallPoint(), "hardware: a100-80gb",
                            "hardware: {preset: a100-80gb, software: megatron-2021}"));
  ASSERT_TRUE(r) << Message(r);
  EXPECT_EQ(r->config.hardware.software, Software::kMegatron2021);
  EXPECT_LT(r->config.hardware.gemm_efficiency, current) << "2021's kernels reached less";
  EXPECT_DOUBLE_EQ(r->config.hardware.gemm_efficiency_fp8, current) << "FP8 has no 2021 generation";

  // A preset with no run of that software fitted says so.
  r = BuildFromText(Replace(Replace(SmallPoint(), "hardware: a100-80gb",
                                    "hardware: {preset: a100-80gb, software: megatron-2021}"),
                            "preset: a100-80gb", "preset: h100-sxm"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context().key_path, "hardware.software");
  EXPECT_NE(r.error().message().find("'h100-sxm' has no gemm_efficiency_megatron_2021"),
            std::string::npos)
      << Message(r);
}

TEST(Loader, TwoDTensorParallelism) {
  auto r =
      BuildFromText(Replace(SmallPoint(), "tp: 2, pp: 2, dp: 2", "kp1: 2, kp2: 2, pp: 1, dp: 2"));
  ASSERT_TRUE(r) << Message(r);
  EXPECT_EQ(r->config.parallelism.tp, 4);
}

// A point assembled from sections kept from two earlier points (the model
// of one, the parallelism of the other) that fails a check across them
// gets the error a point read afresh gets, with its line.
TEST(Loader, KeptSectionsFailAcrossSectionsAsAPointReadAfresh) {
  const std::string twelve_heads =
      Replace(Replace(SmallPoint(), "heads: 16", "heads: 12"), "hidden: 2048", "hidden: 1536");
  const std::string tp8 =
      Replace(Replace(SmallPoint(), "{tp: 2, pp: 2, dp: 2}", "{tp: 8, pp: 1, dp: 1}"),
              "micro_batch: 2", "micro_batch: 8");
  ASSERT_TRUE(BuildFromText(twelve_heads)) << Message(BuildFromText(twelve_heads));
  ASSERT_TRUE(BuildFromText(tp8)) << Message(BuildFromText(tp8));
  const std::string both = Replace(twelve_heads, "{tp: 2, pp: 2, dp: 2}", "{tp: 8, pp: 1, dp: 1}");
  const std::string mixed = Replace(both, "micro_batch: 2", "micro_batch: 8");
  auto kept = BuildFromText(mixed);
  auto tree = ParseYaml(mixed, "point.yaml");
  ASSERT_TRUE(tree);
  auto afresh = BuildPointAfresh(std::move(*tree), testing::ProjectPresets());
  ASSERT_FALSE(kept);
  ASSERT_FALSE(afresh);
  EXPECT_EQ(kept.error().ToString(), afresh.error().ToString());
  EXPECT_NE(kept.error().ToString().find("point.yaml:"), std::string::npos)
      << kept.error().ToString();
  EXPECT_NE(kept.error().ToString().find("does not divide model.heads = 12"), std::string::npos);
}

// Counts the model multiplies are bounded, and their products are formed
// with overflow-safe arithmetic: past a bound is an error naming the key,
// never a wrapped product (these once divided by zero, SIGFPE).
TEST(Loader, CountsPastAstrasweepsLimitsAreRefusedNamingTheKey) {
  auto expect_refused = [](const std::string& yaml, const std::string& key,
                           const std::string& words) {
    auto r = BuildFromText(yaml, "p.yaml");
    ASSERT_FALSE(r) << yaml;
    EXPECT_NE(r.error().ToString().find(key), std::string::npos) << r.error().ToString();
    EXPECT_NE(r.error().ToString().find(words), std::string::npos) << r.error().ToString();
  };
  const std::string base = SmallPoint();
  expect_refused(Replace(base, "{tp: 2, pp: 2, dp: 2}", "{tp: 2, pp: 2, dp: 4294967296}"),
                 "parallelism.dp", "out of range; expected 1 to 16777216");
  expect_refused(Replace(base, "{tp: 2, pp: 2, dp: 2}", "{tp: 4096, pp: 4096, dp: 4096}"),
                 "parallelism.dp", "more than astrasweep models (16777216)");
  expect_refused(
      Replace(base, "{tp: 2, pp: 2, dp: 2}", "{tp: 1, pp: 2, dp: 2, kp1: 16777216, kp2: 16777216}"),
      "parallelism", "more than astrasweep models");
  expect_refused(Replace(Replace(base, "  global_batch: 64\n  micro_batch: 2\n",
                                 "  global_batch: 1099511627776\n  micro_batch: 1099511627776\n"),
                         "{tp: 2, pp: 2, dp: 2}", "{tp: 1, pp: 1, dp: 16777216}"),
                 "training.micro_batch", "does not divide global_batch");
  expect_refused(Replace(base, "  global_batch: 64\n", "  global_batch: 400000000\n"),
                 "training.global_batch", "more than astrasweep schedules");
  expect_refused(
      Replace(base, "  - {topology: switch, npus: 8, bandwidth: 300 GB/s, latency: 700 ns}\n",
              "  - {topology: ring, npus: 16777216, bandwidth: 1 GB/s, latency: 1 us}\n"
              "  - {topology: ring, npus: 16777216, bandwidth: 1 GB/s, latency: 1 us}\n"
              "  - {topology: ring, npus: auto, bandwidth: 1 GB/s, latency: 1 us}\n"),
      "network.1.npus", "more than 16777216 NPUs");
}

// A rate of zero made every time it divides infinite, and the point "ok"
// at 0 tokens/s; a rate past 1e308 read as 'inf B/s' without its key.
TEST(Loader, RatesThatCannotFinishOrOverflowAreRefusedNamingTheKey) {
  const std::string link = "bandwidth: 300 GB/s";
  for (const std::string bad : {"bandwidth: 0 GB/s", "bandwidth: 1e-320 GB/s"}) {
    auto r = BuildFromText(Replace(SmallPoint(), link, bad), "p.yaml");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().ToString().find("network.0.bandwidth"), std::string::npos)
        << r.error().ToString();
    EXPECT_NE(r.error().message().find("not a rate anything finishes at"), std::string::npos)
        << r.error().ToString();
  }
  auto huge = BuildFromText(Replace(SmallPoint(), link, "bandwidth: 1e308 TB/s"), "p.yaml");
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().ToString().find("network.0.bandwidth"), std::string::npos);
  EXPECT_NE(huge.error().message().find("too large"), std::string::npos) << huge.error().ToString();
}

}  // namespace
}  // namespace astrasweep::config
