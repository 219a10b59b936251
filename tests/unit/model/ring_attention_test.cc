// Ring attention by hand: the K/V bytes each step passes, the exposed time
// of a step against the attention block it overlaps, and which link a ring
// spread over two network dimensions waits for.
#include "astrasweep/model/ring_attention.h"

#include <gtest/gtest.h>

#include "astrasweep/model/compute.h"
#include "model_test_util.h"

namespace astrasweep::model {
namespace {

// GPT 4096 (32 heads of 128, no GQA), micro-batch 1, 2048 tokens.
config::Config Point(std::int64_t tp, std::int64_t cp, std::vector<config::NetworkDimension> net) {
  config::Config c;
  c.model = testing::Gpt4096();
  c.training.global_batch = 8;
  c.training.micro_batch = 1;
  c.training.attention = config::Attention::kFlash;
  c.parallelism = {.tp = tp, .cp = cp, .pp = 1, .dp = 1};
  c.hardware.peak_flops.bf16 = 312e12;
  c.hardware.memory_bandwidth = 2e12;
  c.hardware.sms = 108;
  c.network = std::move(net);
  return c;
}

TEST(RingAttention, ExposedTimeIsWhatEachStepsTransferOutlastsItsBlock) {
  EXPECT_DOUBLE_EQ(RingExposedTime(3, 5e-6, 2e-6), 3 * 3e-6) << "3 steps of 5 us against 2 us";
  EXPECT_DOUBLE_EQ(RingExposedTime(3, 1e-6, 2e-6), 0) << "the block hides the transfer";
  EXPECT_DOUBLE_EQ(RingExposedTime(0, 5e-6, 0), 0) << "cp 1: no step";
}

TEST(RingAttention, KeyValueBytesPerStep) {
  // 2 (K and V) x b 1 x s/c 512 x g 32 x d 128 x e 2 / t 2.
  const auto c = Point(2, 4, {{config::Topology::kSwitch, 8, 300e9, 0}});
  EXPECT_DOUBLE_EQ(RingKeyValueBytes(LayerShape::From(c)), 2.0 * 512 * 32 * 128 * 2 / 2);
  config::Config gqa = c;
  gqa.model.kv_heads = 8;
  EXPECT_DOUBLE_EQ(RingKeyValueBytes(LayerShape::From(gqa)), 2.0 * 512 * 8 * 128 * 2 / 2)
      << "grouped-query attention passes its fewer heads";
}

TEST(RingAttention, ForwardAndBackwardOverASlowLink) {
  // tp 8 fills the node; the 2 cp ranks are in dimension 1 at 1 GB/s and
  // 5 us, far slower than a block of attention.
  const auto c = Point(
      8, 2, {{config::Topology::kSwitch, 8, 300e9, 0}, {config::Topology::kSwitch, 2, 1e9, 5e-6}});
  const LayerShape shape = LayerShape::From(c);
  const RingAttention ring = RingAttentionCosts(c, shape);
  const double kv = 2.0 * 1024 * 32 * 128 * 2 / 8;  // 2 b (s/c) g d e / t
  EXPECT_EQ(ring.forward.steps, 1);
  EXPECT_DOUBLE_EQ(ring.forward.bytes_per_step, kv);
  EXPECT_DOUBLE_EQ(ring.forward.transfer, 5e-6 + kv / 1e9);
  const double forward_block =
      OpsTime(AttentionCoreForward(shape), c.hardware, c.training.dtype) / 2;
  EXPECT_DOUBLE_EQ(ring.forward.compute_per_block, forward_block);
  EXPECT_DOUBLE_EQ(ring.forward.exposed, 5e-6 + kv / 1e9 - forward_block);
  EXPECT_GT(ring.forward.exposed, 0);

  EXPECT_DOUBLE_EQ(ring.backward.bytes_per_step, 2 * kv) << "K, V, dK and dV";
  EXPECT_DOUBLE_EQ(ring.backward.transfer, 5e-6 + 2 * kv / 1e9);
  const double backward_block =
      OpsTime(AttentionCoreBackward(shape), c.hardware, c.training.dtype) / 2;
  EXPECT_DOUBLE_EQ(ring.backward.exposed, 5e-6 + 2 * kv / 1e9 - backward_block);
}

TEST(RingAttention, NvlinkHidesTheRing) {
  // cp 4 inside an NVSwitch node, 8192 tokens: 16 MiB per step at
  // 300 GB/s (56 us) against a quarter of the attention of 2048 queries
  // over 8192 keys (about 150 us). (At 2048 tokens the block is shorter
  // than its transfer: ring attention pays off on long sequences.)
  auto c = Point(2, 4, {{config::Topology::kSwitch, 8, 300e9, 0}});
  c.model.seq_len = 8192;
  const RingAttention ring = RingAttentionCosts(c, LayerShape::From(c));
  EXPECT_EQ(ring.forward.steps, 3);
  EXPECT_LT(ring.forward.transfer, ring.forward.compute_per_block);
  EXPECT_EQ(ring.forward.exposed, 0);
  EXPECT_EQ(ring.backward.exposed, 0);
}

TEST(RingAttention, AStepWaitsForTheSlowestNeighbourPair) {
  // tp 1, cp 4 over 2 x 2 NPUs: 0->1 and 2->3 in dimension 0, 1->2 and
  // 3->0 in dimension 1 (25 GB/s): every step waits for dimension 1.
  const auto c = Point(
      1, 4,
      {{config::Topology::kSwitch, 2, 300e9, 1e-6}, {config::Topology::kSwitch, 2, 25e9, 5e-6}});
  const RingAttention ring = RingAttentionCosts(c, LayerShape::From(c));
  const double kv = 2.0 * 512 * 32 * 128 * 2;
  EXPECT_DOUBLE_EQ(ring.forward.transfer, 5e-6 + kv / 25e9);
}

TEST(RingAttention, NothingWithoutContextParallelism) {
  const auto c = Point(8, 1, {{config::Topology::kSwitch, 8, 300e9, 0}});
  const RingAttention ring = RingAttentionCosts(c, LayerShape::From(c));
  EXPECT_EQ(ring.forward.exposed, 0);
  EXPECT_EQ(ring.backward.exposed, 0);
  EXPECT_EQ(ring.forward.bytes_per_step, 0);
}

}  // namespace
}  // namespace astrasweep::model
