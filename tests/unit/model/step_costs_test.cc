// Step costs by hand: tensor-parallel communication per layer in its 1-D,
// sequence-parallel and 2-D forms, hidden under GEMMs (tp_overlap), context parallelism (local
// tokens, ring attention, the data-parallel group with the cp ranks, the stage stride), the
// data-parallel gradient reduction, and the model FLOPs formula MFU is defined with.
#include "astrasweep/model/step_costs.h"

#include <gtest/gtest.h>

#include "astrasweep/model/layer_ops.h"
#include "astrasweep/model/ring_attention.h"
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

// Tensor-parallel overlap (training.tp_overlap) on the GPT of Point with
// GEMMs at exactly 0.72 of 312 TFLOP/s (no wave quantization, no launch
// cost, memory far from binding) and a slow 50 GB/s tensor-parallel link,
// so each collective outlasts the GEMM it hides under. Per GPU (tp 8,
// 2048 tokens): QKV is 2048 x 1536 x 4096, the output projection
// 2048 x 4096 x 512, FC1 2048 x 2048 x 4096, FC2 2048 x 4096 x 2048; a
// GEMM's weight gradient and input gradient cost what its forward does.
config::Config OverlapPoint(config::TpOverlap overlap, bool sequence_parallel) {
  config::Config c = Point(8, 1);
  c.hardware.sms = 0;
  c.hardware.kernel_launch = 0;
  c.hardware.memory_bandwidth = 1e18;
  c.hardware.gemm_efficiency = 0.72;
  c.network[0].bandwidth = 50e9;
  c.training.tp_overlap = overlap;
  c.training.sequence_parallel = sequence_parallel;
  return c;
}

constexpr double kRate = 312e12 * 0.72;
constexpr double kQkv = 2.0 * 2048 * 1536 * 4096 / kRate;
constexpr double kProj = 2.0 * 2048 * 4096 * 512 / kRate;
constexpr double kFc = 2.0 * 2048 * 2048 * 4096 / kRate;  // FC1 and FC2 alike

TEST(StepCosts, BackwardOverlapHidesTheInputGradientReductionUnderTheWeightGradient) {
  const StepCosts none = ComputeStepCosts(OverlapPoint(config::TpOverlap::kNone, false));
  const StepCosts k = ComputeStepCosts(OverlapPoint(config::TpOverlap::kBackward, false));
  const double all_reduce = 2 * 7 * kA / (8 * 50e9);
  EXPECT_DOUBLE_EQ(none.layer_backward_tp, 2 * all_reduce);
  EXPECT_DOUBLE_EQ(k.layer_forward_tp, 2 * all_reduce) << "the forward's all-reduces still block";
  EXPECT_NEAR(k.layer_backward_tp, (all_reduce - kQkv) + (all_reduce - kFc), 1e-12);
  EXPECT_DOUBLE_EQ(k.layer_backward, none.layer_backward) << "the kernels are the same";
}

TEST(StepCosts, FullOverlapHidesEachCollectiveUnderItsGemm) {
  const StepCosts k = ComputeStepCosts(OverlapPoint(config::TpOverlap::kFull, true));
  const double half = 7 * kA / (8 * 50e9);  // one all-gather or reduce-scatter
  // Forward: the all-gathers under QKV and FC1, the reduce-scatters under
  // the output projection and FC2; backward: the gradient's all-gathers
  // under the projection's and FC2's input gradients, the reduce-scatters
  // under QKV's and FC1's weight gradients.
  const double per_pass = (half - kQkv) + (half - kProj) + (half - kFc) + (half - kFc);
  EXPECT_NEAR(k.layer_forward_tp, per_pass, 1e-12);
  EXPECT_NEAR(k.layer_backward_tp, per_pass, 1e-12);
  EXPECT_DOUBLE_EQ(k.layer_recompute_tp, 0) << "no full recompute";
}

TEST(StepCosts, OverlapHidesAllOfACollectiveShorterThanItsGemm) {
  config::Config c = OverlapPoint(config::TpOverlap::kFull, true);
  c.network[0].bandwidth = 1e15;
  EXPECT_NEAR(ComputeStepCosts(c).layer_forward_tp, 0, 1e-15);
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

using Dims = std::vector<config::NetworkDimension>;

config::Config CpPoint(std::int64_t tp, std::int64_t cp, std::int64_t pp, std::int64_t dp,
                       Dims network) {
  config::Config c = Point(tp, dp);
  c.parallelism = {.tp = tp, .cp = cp, .pp = pp, .dp = dp};
  c.network = std::move(network);
  return c;
}

TEST(StepCosts, ContextParallelLayersMoveTheirTokensAndWaitForTheRing) {
  // tp 8 in the node, cp 2 across two nodes at 25 GB/s.
  config::Config c =
      CpPoint(8, 2, 1, 1,
              {{config::Topology::kSwitch, 8, kBw, 0}, {config::Topology::kSwitch, 2, 25e9, 0}});
  const StepCosts k = ComputeStepCosts(c);
  const double all_reduce = 2 * 7 * (kA / 2) / (8 * kBw);  // of the 1024 local tokens
  const RingAttention ring = RingAttentionCosts(c, LayerShape::From(c));
  ASSERT_GT(ring.forward.exposed, 0) << "test setup: the ring should show";
  EXPECT_DOUBLE_EQ(k.layer_forward_cp, ring.forward.exposed);
  EXPECT_DOUBLE_EQ(k.layer_backward_cp, ring.backward.exposed);
  EXPECT_DOUBLE_EQ(k.layer_forward_tp, 2 * all_reduce + ring.forward.exposed);
  EXPECT_DOUBLE_EQ(k.layer_backward_tp, 2 * all_reduce + ring.backward.exposed);
  EXPECT_DOUBLE_EQ(k.layer_recompute_tp, 0) << "no recompute, no ring again";
  EXPECT_DOUBLE_EQ(k.embedding_forward_tp, all_reduce);
  EXPECT_DOUBLE_EQ(k.p2p_bytes, kA / 2 / 8);

  c.training.recompute = config::Recompute::kSelective;
  EXPECT_DOUBLE_EQ(ComputeStepCosts(c).layer_recompute_tp, ring.forward.exposed)
      << "recomputing the attention core repeats the forward ring";
  c.training.recompute = config::Recompute::kFull;
  EXPECT_DOUBLE_EQ(ComputeStepCosts(c).layer_recompute_tp, 2 * all_reduce + ring.forward.exposed);
}

TEST(StepCosts, ContextParallelHalvesTheLayerFlops) {
  const Dims node = {{config::Topology::kSwitch, 8, kBw, 0}};
  const StepCosts one = ComputeStepCosts(CpPoint(4, 1, 1, 2, node));
  const StepCosts two = ComputeStepCosts(CpPoint(4, 2, 1, 1, node));
  EXPECT_DOUBLE_EQ(two.layer_forward_flops, one.layer_forward_flops / 2);
  EXPECT_DOUBLE_EQ(two.layer_backward_flops, one.layer_backward_flops / 2);
  EXPECT_DOUBLE_EQ(two.head_forward_flops, one.head_forward_flops / 2);
  EXPECT_DOUBLE_EQ(ModelFlopsPerStep(CpPoint(4, 2, 1, 1, node)),
                   ModelFlopsPerStep(CpPoint(4, 1, 1, 1, node)))
      << "model FLOPs are the batch's, whatever the parallelism";
}

TEST(StepCosts, DataParallelGroupIncludesTheCpRanks) {
  const auto group = DataParallelGroup({.tp = 2, .cp = 2, .pp = 2, .dp = 4});
  ASSERT_EQ(group.size(), 2u);
  EXPECT_EQ(group[0].stride, 2);
  EXPECT_EQ(group[0].size, 2);
  EXPECT_EQ(group[1].stride, 8) << "tp * cp * pp";
  EXPECT_EQ(group[1].size, 4);
  const auto contiguous = DataParallelGroup({.tp = 2, .cp = 2, .pp = 1, .dp = 4});
  ASSERT_EQ(contiguous.size(), 1u) << "pp 1: the cp ranks and the replicas are one run";
  EXPECT_EQ(contiguous[0].stride, 2);
  EXPECT_EQ(contiguous[0].size, 8);
  EXPECT_TRUE(DataParallelGroup({.tp = 8, .cp = 1, .pp = 4, .dp = 1}).empty());
}

TEST(StepCosts, GradientsAreReducedOverDataAndContextParallelRanks) {
  // tp 1, cp 2, pp 2, dp 2 on 2 x 2 x 2 NPUs: the group {0, 1, 4, 5}
  // spans dimension 0 (ranks 0, 1) and dimension 2 (0, 4).
  config::Config c = CpPoint(1, 2, 2, 2,
                             {{config::Topology::kSwitch, 2, kBw, 0},
                              {config::Topology::kSwitch, 2, 100e9, 0},
                              {config::Topology::kSwitch, 2, 25e9, 0}});
  const double grads = LayerParameters(c.model) * 2;
  // All-reduce: reduce-scatter over dimension 0 on S, over dimension 2 on
  // S/2, then all-gather back.
  const double reduce_scatter = (grads / 2) / kBw + (grads / 4) / 25e9;
  StepCosts k = ComputeStepCosts(c);
  EXPECT_DOUBLE_EQ(k.layer_grad_sync, 2 * reduce_scatter);
  const double optimizer_zero0 = k.optimizer_per_parameter;
  c.training.zero_stage = 1;
  k = ComputeStepCosts(c);
  EXPECT_DOUBLE_EQ(k.layer_grad_sync, reduce_scatter);
  EXPECT_DOUBLE_EQ(k.layer_weight_gather, reduce_scatter);
  EXPECT_DOUBLE_EQ(k.optimizer_per_parameter, optimizer_zero0 / 4) << "sharded over dp * cp";
}

TEST(StepCosts, ContextParallelRanksAloneReduceGradients) {
  // dp 1, cp 4: the 4 cp ranks (stride tp 2) hold the same weights.
  const config::Config c = CpPoint(2, 4, 1, 1, {{config::Topology::kSwitch, 8, kBw, 0}});
  const StepCosts k = ComputeStepCosts(c);
  const double grads = LayerParameters(c.model) / 2 * 2;
  EXPECT_DOUBLE_EQ(k.layer_grad_sync, 2 * 3 * grads / (4 * kBw));
}

TEST(StepCosts, StagesAreTpTimesCpRanksApart) {
  // tp 2, cp 2, pp 2: stage 1's first GPU is rank 4, in dimension 1.
  const config::Config c =
      CpPoint(2, 2, 2, 1,
              {{config::Topology::kSwitch, 4, kBw, 0}, {config::Topology::kSwitch, 2, 25e9, 0}});
  EXPECT_DOUBLE_EQ(StageTransferTime(c, 0, 1, 1e6), 1e6 / 25e9);
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
