// The roofline by hand: compute-bound and memory-bound ops, and waves.
#include "astrasweep/model/compute.h"

#include <gtest/gtest.h>

namespace astrasweep::model {
namespace {

config::HardwareConfig A100() {
  config::HardwareConfig hw;
  hw.peak_flops = {.fp32 = 156e12, .fp16 = 312e12, .bf16 = 312e12, .fp8 = {}};
  hw.memory_bandwidth = 2039e9;
  hw.sms = 108;
  hw.gemm_efficiency = 0.8;
  hw.memory_efficiency = 0.85;
  hw.kernel_launch = 4e-6;
  return hw;
}

Op GemmOp(std::int64_t m, std::int64_t n, std::int64_t k) {
  const double dm = static_cast<double>(m), dn = static_cast<double>(n),
               dk = static_cast<double>(k);
  return Op{"g", OpKind::kGemm, 2 * dm * dn * dk, 2 * (dm * dk + dk * dn + dm * dn), m, n, k, 1};
}

TEST(Compute, FullWavesRunAtEfficiency) {
  // 108 x 16 tiles of 128: exactly 16 waves on 108 SMs.
  Op g = GemmOp(108 * 128, 16 * 128, 8192);
  EXPECT_DOUBLE_EQ(WaveUtilisation(g, 108), 1.0);
  EXPECT_DOUBLE_EQ(OpTime(g, A100(), config::DType::kBf16), g.flops / (312e12 * 0.8) + 4e-6);
}

TEST(Compute, OneTileOverAWavePaysForTwo) {
  Op g = GemmOp(109 * 128, 128, 8192);  // 109 tiles on 108 SMs
  EXPECT_DOUBLE_EQ(WaveUtilisation(g, 108), 109.0 / 216);
  EXPECT_DOUBLE_EQ(OpTime(g, A100(), config::DType::kBf16),
                   g.flops / (312e12 * 0.8 * 109.0 / 216) + 4e-6);
}

TEST(Compute, MemoryBoundOps) {
  Op e{"gelu", OpKind::kMemoryBound, 8 * 1e8, 2 * 2e8, 0, 0, 0, 1};
  EXPECT_DOUBLE_EQ(OpTime(e, A100(), config::DType::kBf16), 4e8 / (2039e9 * 0.85) + 4e-6);
  // A skinny GEMM is limited by its bytes.
  Op skinny = GemmOp(1, 8192, 8192);
  EXPECT_DOUBLE_EQ(OpTime(skinny, A100(), config::DType::kBf16),
                   skinny.bytes / (2039e9 * 0.85) + 4e-6);
}

TEST(Compute, Fp8RunsOnlyTheGemmsInFp8) {
  auto hw = A100();
  hw.peak_flops.fp8 = 989e12 * 2;  // an H100-like FP8 rate
  hw.peak_flops.bf16 = 989e12;
  hw.gemm_efficiency_fp8 = 0.5;
  Op g = GemmOp(108 * 128, 16 * 128, 8192);
  EXPECT_DOUBLE_EQ(OpTime(g, hw, config::DType::kFp8), g.flops / (1978e12 * 0.5) + 4e-6)
      << "the FP8 peak at the FP8 GEMM efficiency";
  // Memory-bound kernels run as in BF16: compute-heavy enough to meet the
  // vector rate, which is BF16's.
  Op softmax{"softmax", OpKind::kMemoryBound, 1e12, 1e3, 0, 0, 0, 1};
  EXPECT_DOUBLE_EQ(OpTime(softmax, hw, config::DType::kFp8),
                   OpTime(softmax, hw, config::DType::kBf16));
}

TEST(Compute, PeakPerDtype) {
  auto hw = A100();
  EXPECT_EQ(PeakFlops(hw, config::DType::kFp32), 156e12);
  EXPECT_EQ(PeakFlops(hw, config::DType::kBf16), 312e12);
}

}  // namespace
}  // namespace astrasweep::model
