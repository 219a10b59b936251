// The typed configuration of one point (README.md, "A point config"). Quantities
// are in SI base units: bytes, seconds, bytes/s, FLOP/s.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "astrasweep/base/hash.h"

namespace astrasweep::config {

enum class Ffn { kGelu, kSwiglu };
enum class DType { kBf16, kFp16, kFp32, kFp8 };
enum class Recompute { kNone, kSelective, kFull };
// flash: the fused kernel of FlashAttention (Dao et al. 2022), what
// Megatron-core and NeMo run today; unfused: QK^T, softmax, dropout and PV
// as separate kernels, the s x s scores stored (Megatron-LM until 2023).
enum class Attention { kFlash, kUnfused };
// Tensor-parallel communication hidden behind GEMMs. none: every
// collective blocks; backward: the input gradient's all-reduce (or
// reduce-scatter) of QKV and FC1 runs under their weight-gradient GEMMs
// (Megatron's asynchronous tensor-parallel all-reduce); full: also
// Transformer Engine's userbuffers overlap (NeMo's tp_comm_overlap), every
// all-gather and reduce-scatter split under the GEMM it feeds or follows.
enum class TpOverlap { kNone, kBackward, kFull };
// The software generation whose kernels a run's GEMMs reach the efficiency
// of: current (the preset's gemm_efficiency) or megatron-2021 (Megatron-LM
// of 2021, PyTorch 20.12 containers: the preset's
// gemm_efficiency_megatron_2021).
enum class Software { kCurrent, kMegatron2021 };
enum class Schedule { kGpipe, k1F1B, kInterleaved };
enum class Topology { kRing, kSwitch, kFullyConnected };
enum class ExecutionModel { kAnalytical, kAstra };
enum class AstraMode { kHybrid, kHybridCongestion, kFullAstrasim, kFullAstrasimFlattened };
enum class SimulatorBackend { kBuiltin, kAstrasim };
enum class NetworkModel { kCongestionUnaware, kCongestionAware };
enum class CollectiveAlgorithm { kAuto, kRing, kDirect, kHalvingDoubling, kDoubleBinaryTree };

struct ModelConfig {
  std::string name;
  std::int64_t layers = 0;
  std::int64_t hidden = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;
  std::int64_t ffn_hidden = 0;
  Ffn ffn = Ffn::kGelu;
  std::int64_t vocab = 0;
  std::int64_t seq_len = 0;
  bool operator==(const ModelConfig&) const = default;
};

struct TrainingConfig {
  std::int64_t global_batch = 0;
  std::int64_t micro_batch = 1;
  DType dtype = DType::kBf16;
  Recompute recompute = Recompute::kNone;
  Attention attention = Attention::kFlash;
  bool sequence_parallel = false;
  TpOverlap tp_overlap = TpOverlap::kNone;
  int zero_stage = 0;
  Schedule schedule = Schedule::k1F1B;
  std::int64_t virtual_stages = 1;
  bool dp_overlap = true;
  // Megatron's main gradients: 16-bit training accumulates gradients in an
  // fp32 buffer (4 bytes per parameter, not 2).
  bool fp32_main_grads = true;
  bool operator==(const TrainingConfig&) const = default;
};

// The loader's bounds on the products it forms from a config (the schema
// bounds each value): far above any real run, so that the model's counts
// stay exact and its schedules fit in memory.
inline constexpr std::int64_t kMaxGpus = std::int64_t{1} << 24;
// Micro-batch passes through the stages in a step: micro-batches x pp x
// virtual_stages.
inline constexpr std::int64_t kMaxStagePasses = std::int64_t{1} << 26;

struct ParallelismConfig {
  std::int64_t tp = 1;  // kp1 * kp2 when 2-D
  std::optional<std::int64_t> kp1;
  std::optional<std::int64_t> kp2;
  std::int64_t cp = 1;  // context parallel: each GPU holds seq_len / cp tokens
  std::int64_t pp = 1;
  std::int64_t dp = 1;
  // Ranks: rank = ((dp_index * pp + stage) * cp + cp_index) * tp + tp_rank.
  std::int64_t Gpus() const { return tp * cp * pp * dp; }
  // The GPUs of one tensor-parallel rank and stage, which hold the same
  // weights and reduce their gradients together.
  std::int64_t WeightReplicas() const { return dp * cp; }
  bool operator==(const ParallelismConfig&) const = default;
};

struct PeakFlops {
  double fp32 = 0;
  double fp16 = 0;
  double bf16 = 0;
  std::optional<double> fp8;  // absent: the device has no FP8 math
  bool operator==(const PeakFlops&) const = default;
};

struct HardwareConfig {
  std::string name;
  PeakFlops peak_flops;
  double memory_bytes = 0;
  double memory_bandwidth = 0;  // bytes/s
  std::int64_t sms = 0;         // streaming multiprocessors / compute units
  double gemm_efficiency = 0.72;    // of peak FLOP/s, for large GEMMs
  double gemm_efficiency_fp8 = 0.72;  // of the FP8 peak, for FP8 GEMMs
  // The software generation the run's kernels are of; gemm_efficiency
  // above is already that generation's.
  Software software = Software::kCurrent;
  double memory_efficiency = 0.85;  // of memory_bandwidth, for streaming kernels
  double kernel_launch = 4e-6;      // seconds per kernel
  // Bytes a training process cannot use: CUDA context, library workspaces,
  // NCCL buffers, allocator fragmentation. A point fits when its peak is at
  // most memory_bytes - reserved_bytes.
  double reserved_bytes = 0;
  bool operator==(const HardwareConfig&) const = default;
};

struct NetworkDimension {
  Topology topology = Topology::kSwitch;
  std::int64_t npus = 1;
  double bandwidth = 0;  // bytes/s per NPU link
  double latency = 0;    // seconds
  bool operator==(const NetworkDimension&) const = default;
};

struct CollectiveAlgorithms {
  CollectiveAlgorithm all_reduce = CollectiveAlgorithm::kAuto;
  CollectiveAlgorithm all_gather = CollectiveAlgorithm::kAuto;
  CollectiveAlgorithm reduce_scatter = CollectiveAlgorithm::kAuto;
  CollectiveAlgorithm all_to_all = CollectiveAlgorithm::kAuto;
  bool operator==(const CollectiveAlgorithms&) const = default;
};

struct AstraConfig {
  AstraMode mode = AstraMode::kHybrid;
  SimulatorBackend backend = SimulatorBackend::kBuiltin;
  NetworkModel network = NetworkModel::kCongestionUnaware;
  CollectiveAlgorithms collectives;
  bool operator==(const AstraConfig&) const = default;
};

struct ExecutionBackendConfig {
  ExecutionModel model = ExecutionModel::kAnalytical;
  AstraConfig astra;
  bool operator==(const ExecutionBackendConfig&) const = default;
};

struct Config {
  ModelConfig model;
  TrainingConfig training;
  ParallelismConfig parallelism;
  HardwareConfig hardware;
  std::vector<NetworkDimension> network;  // innermost first
  ExecutionBackendConfig execution_backend;
  bool operator==(const Config&) const = default;
};

// A config with its identity: the canonical text (sorted keys, normalised
// units, defaults filled in) and the point id, a hash of that text.
struct ResolvedPoint {
  Config config;
  std::string canonical;
  Hash128 id;
};

}  // namespace astrasweep::config
