// Time of one operation on one GPU: a roofline with the hardware's GEMM
// and memory efficiencies, wave quantization over the SMs for GEMMs, and a
// fixed launch cost per kernel.
//
//   GEMM:   tiles = ceil(m / T) ceil(n / T) batch, waves = ceil(tiles / sms)
//           utilisation = tiles / (waves sms)
//           t = max(flops / (peak eff utilisation), bytes / (bw mem_eff)) + launch
//   other:  t = max(bytes / (bw mem_eff), flops / peak_fp32_vector) + launch
//
// T = 128 is the output tile of cuBLAS/CUTLASS kernels for large GEMMs; a
// GEMM whose tiles fill 1.01 waves pays for 2.
#pragma once

#include <vector>

#include "astrasweep/config/config.h"
#include "astrasweep/model/layer_ops.h"

namespace astrasweep::model {

inline constexpr std::int64_t kGemmTile = 128;

// Peak matmul FLOP/s for the dtype.
double PeakFlops(const config::HardwareConfig& hw, config::DType dtype);
// Fraction of the SMs busy over a GEMM's waves, in (0, 1].
double WaveUtilisation(const Op& gemm, std::int64_t sms);

double OpTime(const Op& op, const config::HardwareConfig& hw, config::DType dtype);
double OpsTime(const std::vector<Op>& ops, const config::HardwareConfig& hw, config::DType dtype);

}  // namespace astrasweep::model
