// The roofline of compute.h.
#include "astrasweep/model/compute.h"

#include <algorithm>
#include <cmath>

namespace astrasweep::model {
namespace {

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Element-wise kernels run on the vector units: about 1/16 of the tensor
// rate on recent GPUs; they are memory-bound long before this matters.
constexpr double kVectorFraction = 1.0 / 16;

}  // namespace

double PeakFlops(const config::HardwareConfig& hw, config::DType dtype) {
  switch (dtype) {
    case config::DType::kFp32: return hw.peak_flops.fp32;
    case config::DType::kFp16: return hw.peak_flops.fp16;
    case config::DType::kFp8: return hw.peak_flops.fp8.value_or(hw.peak_flops.bf16);
    case config::DType::kBf16: return hw.peak_flops.bf16;
  }
  return hw.peak_flops.bf16;
}

double WaveUtilisation(const Op& gemm, std::int64_t sms) {
  if (gemm.m <= 0 || gemm.n <= 0 || sms <= 0) return 1.0;
  const std::int64_t tiles = CeilDiv(gemm.m, kGemmTile) * CeilDiv(gemm.n, kGemmTile) * gemm.batch;
  const std::int64_t waves = CeilDiv(tiles, sms);
  return static_cast<double>(tiles) / static_cast<double>(waves * sms);
}

double OpTime(const Op& op, const config::HardwareConfig& hw, config::DType dtype) {
  // FP8 training as Transformer Engine runs it: the GEMMs in FP8, at their
  // own efficiency; everything else in BF16.
  const bool fp8 = dtype == config::DType::kFp8;
  const double memory = op.bytes / (hw.memory_bandwidth * hw.memory_efficiency);
  double math = 0;
  if (op.kind == OpKind::kGemm) {
    const double efficiency = fp8 ? hw.gemm_efficiency_fp8 : hw.gemm_efficiency;
    math = op.flops / (PeakFlops(hw, dtype) * efficiency * WaveUtilisation(op, hw.sms));
  } else {
    math = op.flops / (PeakFlops(hw, fp8 ? config::DType::kBf16 : dtype) * kVectorFraction);
  }
  return std::max(math, memory) + hw.kernel_launch;
}

double OpsTime(const std::vector<Op>& ops, const config::HardwareConfig& hw, config::DType dtype) {
  double total = 0;
  for (const auto& op : ops) total += OpTime(op, hw, dtype);
  return total;
}

}  // namespace astrasweep::model
