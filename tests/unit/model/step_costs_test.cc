// Step costs by hand: tensor-parallel communication per layer in its 1-D,
// sequence-parallel and 2-D forms, the data-parallel gradient reduction,
// and the model FLOPs formula MFU is defined with.
#include "astrasweep/model/step_costs.h"

#include <gtest/gtest.h>

#include "astrasweep/model/layer_ops.h"
#include "model_test_util.h"

namespace astrasweep::model {
namespace {

constexpr double kBw = 300e9;

config::Config Point(std::int64_t tp, std::int64_t dp) {
  config::Config c;
  c.model = testing::Gpt4096();
  c.training.global_batch = 64 * dp;
  c.training.micro_batch = 1;
  c.parallelism = {.tp = tp, .pp = 1, .dp = dp};
  c.hardware.peak_flops.bf16 = 312e12;
  c.hardware.memory_bandwidth = 2e12;
  c.hardware.sms = 108;
  c.network = {{config::Topology::kSwitch, tp, kBw, 0}, {config::Topology::kSwitch, dp, 25e9, 0}};
  return c;
}

// One layer's activation: s b h e = 2048 * 4096 * 2 bytes.
constexpr double kA = 2048.0 * 4096 * 2;

TEST(StepCosts, TensorParallelAllReducesPerLayer) {
  const StepCosts k = ComputeStepCosts(Point(8, 1));
  const double all_reduce = 2 * 7 * kA / (8 * kBw);  // ring: 2 (n-1) S / (n B)
  EXPECT_DOUBLE_EQ(k.layer_forward_tp, 2 * all_reduce);
  EXPECT_DOUBLE_EQ(k.layer_backward_tp, 2 * all_reduce);
  EXPECT_DOUBLE_EQ(k.layer_recompute_tp, 0);
  EXPECT_DOUBLE_EQ(k.embedding_forward_tp, all_reduce);
  EXPECT_DOUBLE_EQ(k.p2p_bytes, kA / 8);
}

TEST(StepCosts, SequenceParallelMovesTheSameVolume) {
  config::Config c = Point(8, 1);
  c.training.sequence_parallel = true;
  c.training.recompute = config::Recompute::kFull;
  const StepCosts k = ComputeStepCosts(c);
  const double half = 7 * kA / (8 * kBw);  // one reduce-scatter or all-gather
  EXPECT_DOUBLE_EQ(k.layer_forward_tp, 4 * half);
  EXPECT_DOUBLE_EQ(k.layer_recompute_tp, 4 * half) << "full recompute repeats the forward's";
  EXPECT_DOUBLE_EQ(k.embedding_forward_tp, half);
}

TEST(StepCosts, TwoDimensionalTensorParallelism) {
  config::Config c = Point(8, 1);
  c.parallelism.kp1 = 2;
  c.parallelism.kp2 = 4;
  const StepCosts k = ComputeStepCosts(c);
  // All-gather of A / kp2 over the 2 kp1 ranks, reduce-scatter of A / kp1
  // over the 4 kp2 ranks (stride 2, same NVSwitch dimension).
  const double block = 1 * (kA / 4) / (2 * kBw) + 3 * (kA / 2) / (4 * kBw);
  EXPECT_DOUBLE_EQ(k.layer_forward_tp, 2 * block);
}

TEST(StepCosts, DataParallelGradientsPerLayer) {
  config::Config c = Point(1, 4);
  StepCosts k = ComputeStepCosts(c);
  const double grads = LayerParameters(c.model) * 2;  // bf16 gradients
  EXPECT_EQ(k.grad_collective, Collective::kAllReduce);
  EXPECT_DOUBLE_EQ(k.layer_grad_sync, 2 * 3 * grads / (4 * 25e9));
  EXPECT_DOUBLE_EQ(k.layer_weight_gather, 0);
  c.training.zero_stage = 1;
  k = ComputeStepCosts(c);
  EXPECT_EQ(k.grad_collective, Collective::kReduceScatter);
  EXPECT_DOUBLE_EQ(k.layer_grad_sync, 3 * grads / (4 * 25e9));
  EXPECT_DOUBLE_EQ(k.layer_weight_gather, 3 * grads / (4 * 25e9));
}

TEST(StepCosts, ModelFlopsMatchNarayanan2021) {
  config::Config c;
  c.model = {.name = "gpt3-175b",
             .layers = 96,
             .hidden = 12288,
             .heads = 96,
             .kv_heads = 96,
             .ffn_hidden = 4 * 12288,
             .ffn = config::Ffn::kGelu,
             .vocab = 51200,
             .seq_len = 2048};
  c.training.global_batch = 1536;
  const double B = 1536, s = 2048, l = 96, h = 12288, V = 51200;
  const double expected = 72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
  EXPECT_NEAR(ModelFlopsPerStep(c) / expected, 1.0, 1e-12);
}

}  // namespace
}  // namespace astrasweep::model
