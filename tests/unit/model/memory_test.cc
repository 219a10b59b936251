// The memory model against Korthikanti et al. 2022's closed forms and
// hand-computed ZeRO cases.
#include "astrasweep/model/memory.h"

#include <gtest/gtest.h>

#include "astrasweep/model/layer_ops.h"
#include "model_test_util.h"

namespace astrasweep::model {
namespace {

config::Config Gpt(std::int64_t tp, bool sp, config::Recompute recompute) {
  config::Config c;
  c.model = testing::Gpt4096();
  c.training.global_batch = 64;
  c.training.micro_batch = 1;
  c.training.sequence_parallel = sp;
  c.training.recompute = recompute;
  c.training.attention = config::Attention::kUnfused;  // Korthikanti's runs
  c.parallelism = {.tp = tp, .kp1 = {}, .kp2 = {}, .pp = 4, .dp = 2};
  c.hardware.memory_bytes = 80.0 * (1ull << 30);
  return c;
}

constexpr double s = 2048, b = 1, h = 4096, a = 32;

TEST(Memory, ActivationsMatchKorthikanti) {
  using R = config::Recompute;
  const double sbh = s * b * h, t = 8;
  // Table 2 of the paper, rows by row.
  EXPECT_DOUBLE_EQ(LayerActivationBytes(Gpt(1, false, R::kNone)), sbh * (34 + 5 * a * s / h));
  EXPECT_DOUBLE_EQ(LayerActivationBytes(Gpt(8, false, R::kNone)),
                   sbh * (10 + 24 / t + 5 * a * s / (h * t)));
  EXPECT_DOUBLE_EQ(LayerActivationBytes(Gpt(8, true, R::kNone)),
                   sbh * (34 / t + 5 * a * s / (h * t)));
  EXPECT_DOUBLE_EQ(LayerActivationBytes(Gpt(8, true, R::kSelective)), sbh * 34 / t);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(Gpt(8, true, R::kFull)), sbh * 2 / t);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(Gpt(8, false, R::kFull)), sbh * 2);
}

TEST(Memory, FlashAttentionKeepsNoScores) {
  using R = config::Recompute;
  const double sbh = s * b * h, t = 8;
  auto flash = [](config::Config c) {
    c.training.attention = config::Attention::kFlash;
    return c;
  };
  // The 5 a s / h of the s x s scores becomes 4 bytes of softmax
  // statistics per query and head.
  EXPECT_DOUBLE_EQ(LayerActivationBytes(flash(Gpt(1, false, R::kNone))), sbh * 34 + 4 * a * s * b);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(flash(Gpt(8, true, R::kNone))),
                   sbh * 34 / t + 4 * a * s * b / t);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(flash(Gpt(8, true, R::kSelective))), sbh * 34 / t)
      << "selective recompute of the core drops the statistics too";
  EXPECT_DOUBLE_EQ(LayerActivationBytes(flash(Gpt(8, true, R::kFull))), sbh * 2 / t);
}

TEST(Memory, Fp8KeepsBf16WeightsWithAnFp8Copy) {
  auto bf16 = Gpt(8, true, config::Recompute::kSelective);
  auto fp8 = bf16;
  fp8.training.dtype = config::DType::kFp8;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(fp8), LayerActivationBytes(bf16))
      << "Transformer Engine keeps the activations in BF16";
  const auto peak = PeakMemory(fp8);
  EXPECT_DOUBLE_EQ(peak.weights, 3 * peak.parameters);
  EXPECT_DOUBLE_EQ(peak.gradients, 4 * peak.parameters);
  EXPECT_DOUBLE_EQ(peak.optimizer, 12 * peak.parameters);
}

TEST(Memory, InFlightMicroBatchesPerSchedule) {
  auto c = Gpt(1, false, config::Recompute::kNone);  // 32 micro-batches, pp 4
  c.training.schedule = config::Schedule::kGpipe;
  EXPECT_EQ(MicroBatchesInFlight(c), 32);
  EXPECT_EQ(MicroBatchesInFlight(c, 3), 32) << "GPipe: every stage holds all of them";
  c.training.schedule = config::Schedule::k1F1B;
  EXPECT_EQ(MicroBatchesInFlight(c), 4);
  EXPECT_EQ(MicroBatchesInFlight(c, 1), 3);
  EXPECT_EQ(MicroBatchesInFlight(c, 3), 1);
  c.training.schedule = config::Schedule::kInterleaved;
  c.training.virtual_stages = 2;
  EXPECT_DOUBLE_EQ(MicroBatchesInFlight(c), 4 * (1 + 3.0 / 8));
  // Last stage: (v - 1) p warm-up chunks plus one, of 1/v stage each.
  EXPECT_DOUBLE_EQ(MicroBatchesInFlight(c, 3), (4 + 1) / 2.0);
}

TEST(Memory, ZeroStagesShardStates) {
  auto c = Gpt(1, false, config::Recompute::kFull);
  c.training.zero_stage = 0;
  auto z0 = PeakMemory(c);
  EXPECT_DOUBLE_EQ(z0.weights, 2 * z0.parameters);
  EXPECT_DOUBLE_EQ(z0.gradients, 4 * z0.parameters) << "Megatron's fp32 main gradients";
  EXPECT_DOUBLE_EQ(z0.optimizer, 12 * z0.parameters);
  c.training.fp32_main_grads = false;
  EXPECT_DOUBLE_EQ(PeakMemory(c).gradients, 2 * z0.parameters) << "16-bit gradients";
  c.training.fp32_main_grads = true;
  c.training.zero_stage = 1;
  EXPECT_DOUBLE_EQ(PeakMemory(c).optimizer, 12 * z0.parameters / 2);
  c.training.zero_stage = 2;
  EXPECT_DOUBLE_EQ(PeakMemory(c).gradients, 4 * z0.parameters / 2);
  c.training.zero_stage = 3;
  // Two gathered units in flight: the larger of a layer and the embedding
  // (both end stages hold one), whole, with their unsharded gradients.
  const double unit = std::max(LayerParameters(c.model), EmbeddingParameters(c.model));
  EXPECT_DOUBLE_EQ(PeakMemory(c).weights, 2 * z0.parameters / 2 + 2 * 2 * unit);
  EXPECT_DOUBLE_EQ(PeakMemory(c).gradients, 4 * z0.parameters / 2 + 2 * 4 * unit);
}

config::Config WithCp(config::Config c, std::int64_t cp) {
  c.parallelism.cp = cp;
  return c;
}

TEST(Memory, ContextParallelismDividesTheActivations) {
  using R = config::Recompute;
  const double sbh = s * b * h, t = 8;
  // Each GPU keeps s/2 tokens; their queries' s/2 x s scores are half the
  // sequence's too.
  EXPECT_DOUBLE_EQ(LayerActivationBytes(WithCp(Gpt(8, false, R::kNone), 2)),
                   sbh * (10 + 24 / t + 5 * a * s / (h * t)) / 2);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(WithCp(Gpt(8, true, R::kSelective), 4)), sbh * 34 / t / 4);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(WithCp(Gpt(8, true, R::kFull), 2)), sbh * 2 / t / 2);
  auto flash = WithCp(Gpt(8, true, R::kNone), 2);
  flash.training.attention = config::Attention::kFlash;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(flash), (sbh * 34 / t + 4 * a * s * b / t) / 2);
}

TEST(Memory, ContextParallelKeepsTheWeightsAndShardsZeroOverDpTimesCp) {
  auto c = Gpt(1, false, config::Recompute::kNone);  // pp 4, dp 2: 32 micro-batches
  const auto one = PeakMemory(c);
  const auto two = PeakMemory(WithCp(c, 2));
  EXPECT_DOUBLE_EQ(two.parameters, one.parameters) << "each cp rank holds the whole stage";
  EXPECT_DOUBLE_EQ(two.weights, one.weights);
  EXPECT_DOUBLE_EQ(two.gradients, one.gradients);
  EXPECT_DOUBLE_EQ(two.optimizer, one.optimizer);
  EXPECT_DOUBLE_EQ(two.activations, one.activations / 2)
      << "the same micro-batches, half the tokens";
  c.training.zero_stage = 1;
  EXPECT_DOUBLE_EQ(PeakMemory(WithCp(c, 2)).optimizer, 12 * one.parameters / (2 * 2))
      << "the distributed optimizer shards over dp * cp";
  c.training.zero_stage = 3;
  const auto zero3 = PeakMemory(WithCp(c, 2));
  const double unit = std::max(LayerParameters(c.model), EmbeddingParameters(c.model));
  EXPECT_DOUBLE_EQ(zero3.weights, 2 * one.parameters / 4 + 2 * 2 * unit);
  EXPECT_DOUBLE_EQ(zero3.gradients, 4 * one.parameters / 4 + 2 * 4 * unit);
}

TEST(Memory, PeakStageAndFit) {
  auto c = Gpt(1, false, config::Recompute::kNone);
  auto peak = PeakMemory(c);
  EXPECT_EQ(peak.stage, 0) << "the first stage holds pp micro-batches";
  // 8 layers + embedding: 8 (12 h^2 + 13 h) + V h parameters
  EXPECT_DOUBLE_EQ(peak.parameters, 8 * (12 * h * h + 13 * h) + 51200 * h);
  EXPECT_DOUBLE_EQ(peak.activations, 8 * 4 * s * b * h * (34 + 5 * a * s / h));
  EXPECT_TRUE(peak.fits);
  c.hardware.memory_bytes = 1e9;
  EXPECT_FALSE(PeakMemory(c).fits);
  // What the hardware reserves (CUDA context, NCCL, fragmentation) is not
  // the model's: a peak 1 byte short of the memory fits, unless 2 are
  // reserved.
  c.hardware.memory_bytes = peak.total + 1;
  EXPECT_TRUE(PeakMemory(c).fits);
  c.hardware.reserved_bytes = 2;
  EXPECT_FALSE(PeakMemory(c).fits);
}

}  // namespace
}  // namespace astrasweep::model
