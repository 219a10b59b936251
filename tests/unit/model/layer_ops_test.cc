// Layer FLOPs against Megatron-LM's closed forms (Narayanan et al. 2021,
// appendix: a layer's forward is 24 b s h^2 + 4 b s^2 h FLOPs with f = 4h),
// and bytes of a GEMM by hand.
#include "astrasweep/model/layer_ops.h"

#include <gtest/gtest.h>

#include "model_test_util.h"

namespace astrasweep::model {
namespace {

LayerShape Gpt(std::int64_t t, bool swiglu = false, bool flash = false) {
  const std::int64_t h = 4096, a = 32;
  return LayerShape{.b = 2,
                    .s = 2048,
                    .h = h,
                    .a = a,
                    .g = a,
                    .d = h / a,
                    .f = 4 * h,
                    .v = 51200,
                    .t = t,
                    .swiglu = swiglu,
                    .sequence_parallel = false,
                    .flash_attention = flash,
                    .e = 2};
}

double Gemms(const std::vector<Op>& ops) {
  double total = 0;
  for (const auto& op : ops)
    if (op.kind == OpKind::kGemm) total += op.flops;
  return total;
}

TEST(LayerOps, ForwardGemmFlopsMatchMegatron) {
  const double b = 2, s = 2048, h = 4096;
  const double expected = 24 * b * s * h * h + 4 * b * s * s * h;
  EXPECT_DOUBLE_EQ(Gemms(LayerForward(Gpt(1))), expected);
  EXPECT_DOUBLE_EQ(Gemms(LayerForward(Gpt(8))), expected / 8)
      << "tensor parallelism splits every GEMM";
  // Causal flash attention computes 16 * 17 / 2 of the 16 x 16 blocks of
  // 128 tokens; the unfused kernels compute every score and mask them.
  EXPECT_DOUBLE_EQ(Gemms(LayerForward(Gpt(1, false, true))),
                   24 * b * s * h * h + 4 * b * s * s * h * 17.0 / 32)
      << "flash skips the blocks above the diagonal";
}

TEST(LayerOps, BackwardIsTwiceForwardForGemms) {
  EXPECT_DOUBLE_EQ(Gemms(LayerBackward(Gpt(4))), 2 * Gemms(LayerForward(Gpt(4))));
}

TEST(LayerOps, SwigluHasThreeFfnGemms) {
  const double b = 2, s = 2048, h = 4096, f = 4 * h;
  EXPECT_DOUBLE_EQ(Gemms(LayerForward(Gpt(1, true))) - Gemms(LayerForward(Gpt(1))),
                   2 * b * s * h * f)
      << "one more h x f GEMM";
}

TEST(LayerOps, GroupedQueryAttentionShrinksQkv) {
  LayerShape gqa = Gpt(1);
  gqa.g = 8;
  const double b = 2, s = 2048, h = 4096, d = 128;
  const double saved = 2 * b * s * h * (2 * 32 * d - 2 * 8 * d);
  EXPECT_DOUBLE_EQ(Gemms(LayerForward(Gpt(1))) - Gemms(LayerForward(gqa)), saved);
}

TEST(LayerOps, RecomputeVariants) {
  EXPECT_TRUE(LayerRecompute(Gpt(1), config::Recompute::kNone).empty());
  EXPECT_DOUBLE_EQ(TotalFlops(LayerRecompute(Gpt(1), config::Recompute::kFull)),
                   TotalFlops(LayerForward(Gpt(1))));
  const double b = 2, s = 2048, h = 4096;
  EXPECT_DOUBLE_EQ(Gemms(LayerRecompute(Gpt(1), config::Recompute::kSelective)), 4 * b * s * s * h)
      << "selective recomputes only the attention core";
}

TEST(LayerOps, GemmBytesByHand) {
  auto ops = LayerForward(Gpt(1));
  const Op& qkv = ops[1];
  ASSERT_EQ(qkv.name, "qkv");
  const double m = 2 * 2048, k = 4096, n = 3 * 4096;
  EXPECT_DOUBLE_EQ(qkv.bytes, 2 * (m * k + k * n + m * n));
}

TEST(LayerOps, HeadAndParameters) {
  const double b = 2, s = 2048, h = 4096, v = 51200;
  EXPECT_DOUBLE_EQ(Gemms(HeadForward(Gpt(1))), 2 * b * s * h * v);
  EXPECT_DOUBLE_EQ(Gemms(HeadBackward(Gpt(1))), 4 * b * s * h * v);
  const config::ModelConfig m = testing::Gpt4096();
  // 12 h^2 + 13 h per layer (Narayanan et al. 2021, eq. 2 without the embedding)
  EXPECT_DOUBLE_EQ(LayerParameters(m), 12 * h * h + 13 * h);
}

LayerShape WithCp(LayerShape shape, std::int64_t cp) {
  shape.c = cp;
  return shape;
}

TEST(LayerOps, ContextParallelismHalvesEveryOpAtCp2) {
  for (const bool flash : {false, true}) {
    const LayerShape one = Gpt(2, false, flash), two = WithCp(one, 2);
    EXPECT_DOUBLE_EQ(TotalFlops(LayerForward(two)), TotalFlops(LayerForward(one)) / 2)
        << "flash " << flash;
    EXPECT_DOUBLE_EQ(TotalFlops(LayerBackward(two)), TotalFlops(LayerBackward(one)) / 2)
        << "flash " << flash;
    EXPECT_DOUBLE_EQ(TotalFlops(LayerRecompute(two, config::Recompute::kSelective)),
                     TotalFlops(LayerRecompute(one, config::Recompute::kSelective)) / 2)
        << "flash " << flash;
    EXPECT_DOUBLE_EQ(TotalFlops(HeadForward(two)), TotalFlops(HeadForward(one)) / 2);
    EXPECT_DOUBLE_EQ(TotalFlops(EmbeddingForward(two)), TotalFlops(EmbeddingForward(one)) / 2);
  }
}

TEST(LayerOps, ContextParallelQueriesAttendToTheWholeSequence) {
  // cp 4, tp 2: 512 local queries against 2048 keys, 16 heads.
  const auto core = AttentionCoreForward(WithCp(Gpt(2, false, true), 4));
  ASSERT_EQ(core.size(), 1u);
  const Op& flash = core[0];
  EXPECT_EQ(flash.m, 512);
  EXPECT_EQ(flash.n, 2048);
  EXPECT_EQ(flash.batch, 2 * 16);
  const double b = 2, h = 4096, e = 2;
  EXPECT_DOUBLE_EQ(flash.flops, 4 * b * 512 * 2048 * h / 2 * 17.0 / 32);
  // Reads the local q and every k and v, writes the local context.
  EXPECT_DOUBLE_EQ(flash.bytes, e * b * (512 * 2 * h / 2 + 2048 * 2 * h / 2));
  const auto unfused = AttentionCoreForward(WithCp(Gpt(2), 4));
  ASSERT_EQ(unfused.size(), 4u);
  EXPECT_EQ(unfused[0].m, 512) << unfused[0].name;
  EXPECT_EQ(unfused[0].n, 2048) << unfused[0].name;
  EXPECT_DOUBLE_EQ(TotalFlops(AttentionCoreBackward(WithCp(Gpt(2, false, true), 4))),
                   2.5 * flash.flops);
}

}  // namespace
}  // namespace astrasweep::model
