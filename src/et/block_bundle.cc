// The block bundle: the layer's kernels as a chain, with the tensor- and
// data-parallel collectives inserted where they are issued.
#include "astrasweep/et/block_bundle.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <optional>

#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/et/collective_bundle.h"
#include "astrasweep/model/compute.h"
#include "astrasweep/model/layer_ops.h"
#include "astrasweep/model/step_costs.h"

namespace astrasweep::et {
namespace {

using model::Collective;

enum class Pass { kForward, kRecompute, kBackward };

const char* PassName(Pass pass) {
  switch (pass) {
    case Pass::kForward: return "forward";
    case Pass::kRecompute: return "recompute";
    case Pass::kBackward: return "backward";
  }
  return "";
}

bool IsWeightGemm(const model::Op& op) {
  return op.kind == model::OpKind::kGemm &&
         (op.name == "qkv" || op.name == "attention_output" || op.name == "fc1" || op.name == "fc2");
}
bool IsColumnParallel(std::string_view name) { return name == "qkv" || name == "fc1"; }
bool IsRowParallel(std::string_view name) { return name == "attention_output" || name == "fc2"; }

// One rank's nodes, built in order: kernels chained, each blocking
// collective between two kernels, gradient collectives hanging off their
// weight gradient and chained among themselves.
class BlockEmitter {
 public:
  BlockEmitter(const config::Config& config, std::int64_t replica, std::int64_t tp_rank)
      : config_(config),
        shape_(model::LayerShape::From(config)),
        replica_(replica),
        tp_rank_(tp_rank),
        activation_(static_cast<double>(shape_.b * shape_.s * shape_.h) * shape_.e) {}

  std::vector<Node> Build() {
    EmitPass(Pass::kForward, model::LayerForward(shape_));
    EmitPass(Pass::kRecompute, model::LayerRecompute(shape_, config_.training.recompute));
    EmitPass(Pass::kBackward, model::LayerBackward(shape_));
    return std::move(nodes_);
  }

 private:
  bool SequenceParallel() const { return config_.training.sequence_parallel; }
  bool TensorParallel() const { return config_.parallelism.tp > 1; }

  void EmitPass(Pass pass, const std::vector<model::Op>& ops) {
    std::map<std::string_view, int> seen;  // backward: a GEMM's dX comes before its dW
    for (const model::Op& op : ops) {
      const bool gradient = pass == Pass::kBackward && op.kind == model::OpKind::kGemm &&
                            seen[op.name]++ == 1;
      if (!gradient) TensorCollectiveBefore(pass, op);
      Kernel(pass, op, gradient);
      if (gradient && IsWeightGemm(op)) GradientCollective(op);
      if (!gradient) TensorCollectiveAfter(pass, op);
    }
  }

  // Megatron's tensor-parallel communication around a GEMM (see the header).
  void TensorCollectiveBefore(Pass pass, const model::Op& op) {
    if (!TensorParallel() || !SequenceParallel()) return;
    const bool forward = pass != Pass::kBackward;
    if (forward ? IsColumnParallel(op.name) : IsRowParallel(op.name))
      Blocking(Collective::kAllGather, fmt::format("{} all_gather before {}", PassName(pass), op.name));
  }

  void TensorCollectiveAfter(Pass pass, const model::Op& op) {
    if (!TensorParallel() || op.kind != model::OpKind::kGemm) return;
    const bool forward = pass != Pass::kBackward;
    if (!(forward ? IsRowParallel(op.name) : IsColumnParallel(op.name))) return;
    const Collective collective =
        SequenceParallel() ? Collective::kReduceScatter : Collective::kAllReduce;
    Blocking(collective, fmt::format("{} {} after {}", PassName(pass),
                                     model::CollectiveName(collective), op.name));
  }

  void Kernel(Pass pass, const model::Op& op, bool weight_gradient) {
    Node node = Next(NodeType::kCompute,
                     fmt::format("{} {}{}", PassName(pass), op.name,
                                 pass == Pass::kBackward && op.kind == model::OpKind::kGemm
                                     ? (weight_gradient ? " dW" : " dX")
                                     : ""));
    node.duration_micros = static_cast<std::uint64_t>(std::llround(
        model::OpTime(op, config_.hardware, config_.training.dtype) * 1e6));
    Chain(node);
  }

  // A tensor-parallel collective the next kernel waits for.
  void Blocking(Collective collective, std::string name) {
    Node node = Next(NodeType::kCollective, std::move(name));
    node.Set("comm_type", std::int64_t{static_cast<int>(ChakraCollective(collective))});
    node.Set("comm_size", static_cast<std::int64_t>(std::llround(activation_)));
    node.Set("pg_name", std::to_string(replica_ + 1));
    Chain(node);
  }

  // A weight's data-parallel gradient collective: after its gradient, in
  // the fixed order of the gradient collectives, not blocking the kernels.
  void GradientCollective(const model::Op& dw) {
    if (config_.parallelism.dp <= 1) return;
    const Collective collective = config_.training.zero_stage >= 1 ? Collective::kReduceScatter
                                                                   : Collective::kAllReduce;
    const double grad_bytes = config_.training.dtype == config::DType::kFp32 ? 4 : 2;
    Node node = Next(NodeType::kCollective,
                     fmt::format("dp {} of {} gradients", model::CollectiveName(collective), dw.name));
    node.Set("comm_type", std::int64_t{static_cast<int>(ChakraCollective(collective))});
    // dW = X^T dY is k x n: the weight's elements on this GPU.
    node.Set("comm_size",
             static_cast<std::int64_t>(static_cast<double>(dw.m * dw.n) * grad_bytes));
    node.Set("pg_name", std::to_string(config_.parallelism.dp + tp_rank_ + 1));
    node.data_deps.push_back(*chain_end_);  // the weight gradient just computed
    if (last_gradient_) node.ctrl_deps.push_back(*last_gradient_);
    last_gradient_ = node.id;
    nodes_.push_back(std::move(node));
  }

  Node Next(NodeType type, std::string name) {
    Node node{.id = next_id_++, .name = std::move(name), .type = type};
    node.Set("is_cpu_op", false);
    return node;
  }

  // The next link of the chain of kernels and blocking collectives.
  void Chain(Node& node) {
    if (chain_end_) node.data_deps.push_back(*chain_end_);
    chain_end_ = node.id;
    nodes_.push_back(std::move(node));
  }

  const config::Config& config_;
  model::LayerShape shape_;
  std::int64_t replica_, tp_rank_;
  double activation_;
  std::vector<Node> nodes_;
  std::uint64_t next_id_ = 0;
  std::optional<std::uint64_t> chain_end_;
  std::optional<std::uint64_t> last_gradient_;
};

std::map<int, std::vector<int>> Groups(std::int64_t tp, std::int64_t dp) {
  std::map<int, std::vector<int>> groups;
  for (std::int64_t replica = 0; tp > 1 && replica < dp; ++replica)
    for (std::int64_t r = 0; r < tp; ++r)
      groups[static_cast<int>(replica + 1)].push_back(static_cast<int>(replica * tp + r));
  for (std::int64_t r = 0; dp > 1 && r < tp; ++r)
    for (std::int64_t replica = 0; replica < dp; ++replica)
      groups[static_cast<int>(dp + r + 1)].push_back(static_cast<int>(replica * tp + r));
  return groups;
}

// The network of one stage's GPUs (tensor-parallel ranks fastest, then the
// replicas): per dimension the GPUs of both groups it holds, in the order
// of the point's dimensions; dimensions with one GPU left out.
std::vector<config::NetworkDimension> StageNetwork(const config::Config& config) {
  const auto& p = config.parallelism;
  std::vector<std::int64_t> npus(config.network.size(), 1);
  for (const auto& share : model::GroupShares(config.network, 1, p.tp)) npus[share.dimension] *= share.npus;
  for (const auto& share : model::GroupShares(config.network, p.tp * p.pp, p.dp))
    npus[share.dimension] *= share.npus;
  std::vector<config::NetworkDimension> dims = config.network;
  for (std::size_t i = 0; i < dims.size(); ++i) dims[i].npus = npus[i];
  return AstraDimensions(dims);
}

}  // namespace

Status WriteBlockBundle(const config::Config& config, const std::string& dir) {
  const auto& p = config.parallelism;
  if (p.kp1 || p.kp2)
    return InvalidInput("the block bundle does not express 2-D tensor parallelism yet",
                        {.key_path = "parallelism.kp1"});
  if (p.tp * p.dp == 1)
    return InvalidInput("one GPU per stage: a block has no collective to simulate",
                        {.key_path = "parallelism"});
  const auto dims = StageNetwork(config);
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string system, SystemJson(config, dims));
  ASTRASWEEP_ASSIGN_OR_RETURN(BundleWriter writer,
                              BundleWriter::Create(dir, static_cast<int>(p.tp * p.dp)));
  for (std::int64_t replica = 0; replica < p.dp; ++replica)
    for (std::int64_t tp_rank = 0; tp_rank < p.tp; ++tp_rank) {
      ASTRASWEEP_RETURN_IF_ERROR(writer.BeginRank(static_cast<int>(replica * p.tp + tp_rank)));
      for (const Node& node : BlockEmitter(config, replica, tp_rank).Build())
        ASTRASWEEP_RETURN_IF_ERROR(writer.Add(node));
    }
  return writer.Finish({.network_yml = NetworkYaml(dims),
                        .system_json = std::move(system),
                        .remote_memory_json = RemoteMemoryJson(),
                        .comm_groups = Groups(p.tp, p.dp)});
}

}  // namespace astrasweep::et
