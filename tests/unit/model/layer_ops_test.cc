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
  EXPECT_DOUBLE_EQ(Gemms(LayerForward(Gpt(1, false, true))), expected)
      << "flash does the same math";
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

}  // namespace
}  // namespace astrasweep::model
