// Building the chains: the layer's ops in order, each GEMM's tensor-parallel
// collective before or after it by its kind (column- or row-parallel).
#include "layer_chain.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "astrasweep/et/collective_bundle.h"
#include "astrasweep/model/compute.h"
#include "astrasweep/model/layer_ops.h"

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
  return op.kind == model::OpKind::kGemm && (op.name == "qkv" || op.name == "attention_output" ||
                                             op.name == "fc1" || op.name == "fc2");
}
bool IsColumnParallel(std::string_view name) { return name == "qkv" || name == "fc1"; }
bool IsRowParallel(std::string_view name) { return name == "attention_output" || name == "fc2"; }

class ChainBuilder {
 public:
  explicit ChainBuilder(const config::Config& config) : config_(config) {}

  // The chain of `ops` in `pass`; backward GEMMs come as dX then dW.
  std::vector<ChainStep> Build(Pass pass, const std::vector<model::Op>& ops) {
    std::vector<ChainStep> steps;
    std::map<std::string_view, int> seen;
    for (const model::Op& op : ops) {
      const bool gradient =
          pass == Pass::kBackward && op.kind == model::OpKind::kGemm && seen[op.name]++ == 1;
      if (!gradient) CollectiveBefore(pass, op, steps);
      steps.push_back(Kernel(pass, op, gradient));
      if (!gradient) CollectiveAfter(pass, op, steps);
    }
    return steps;
  }

  // A reduction of the activation over the tensor-parallel group (the
  // embedding's output forward, the head's input gradient backward).
  void Reduction(Pass pass, const char* after, std::vector<ChainStep>& steps) const {
    if (config_.parallelism.tp > 1) steps.push_back(Collective(pass, ReduceKind(), after));
  }

 private:
  model::Collective ReduceKind() const {
    return config_.training.sequence_parallel ? model::Collective::kReduceScatter
                                              : model::Collective::kAllReduce;
  }

  static ChainStep Collective(Pass pass, model::Collective collective, std::string_view after) {
    return {.name = fmt::format("{} {} after {}", PassName(pass), model::CollectiveName(collective),
                                after),
            .type = NodeType::kCollective,
            .collective = collective};
  }

  void CollectiveBefore(Pass pass, const model::Op& op, std::vector<ChainStep>& steps) const {
    if (config_.parallelism.tp <= 1 || !config_.training.sequence_parallel) return;
    const bool forward = pass != Pass::kBackward;
    if (forward ? IsColumnParallel(op.name) : IsRowParallel(op.name))
      steps.push_back({.name = fmt::format("{} all_gather before {}", PassName(pass), op.name),
                       .type = NodeType::kCollective,
                       .collective = model::Collective::kAllGather});
  }

  void CollectiveAfter(Pass pass, const model::Op& op, std::vector<ChainStep>& steps) const {
    if (config_.parallelism.tp <= 1 || op.kind != model::OpKind::kGemm) return;
    const bool forward = pass != Pass::kBackward;
    if (forward ? IsRowParallel(op.name) : IsColumnParallel(op.name))
      steps.push_back(Collective(pass, ReduceKind(), op.name));
  }

  ChainStep Kernel(Pass pass, const model::Op& op, bool weight_gradient) const {
    const bool gemm_backward = pass == Pass::kBackward && op.kind == model::OpKind::kGemm;
    ChainStep step{.name = fmt::format("{} {}{}", PassName(pass), op.name,
                                       gemm_backward ? (weight_gradient ? " dW" : " dX") : ""),
                   .type = NodeType::kCompute,
                   .duration_micros = static_cast<std::uint64_t>(std::llround(
                       model::OpTime(op, config_.hardware, config_.training.dtype) * 1e6))};
    if (weight_gradient && IsWeightGemm(op)) {
      // dW = X^T dY is k x n: the weight's elements on this GPU.
      const double grad_bytes = config_.training.dtype == config::DType::kFp32 ? 4 : 2;
      step.weight = std::string(op.name);
      step.gradient_bytes =
          static_cast<std::uint64_t>(static_cast<double>(op.m * op.n) * grad_bytes);
    }
    return step;
  }

  const config::Config& config_;
};

}  // namespace

Expected<LayerChains> LayerChains::For(const config::Config& config) {
  if (config.parallelism.kp1 || config.parallelism.kp2)
    return InvalidInput("ET bundles do not express 2-D tensor parallelism yet",
                        {.key_path = "parallelism.kp1"});
  const model::LayerShape shape = model::LayerShape::From(config);
  ChainBuilder builder(config);
  LayerChains chains;
  chains.layer_forward = builder.Build(Pass::kForward, model::LayerForward(shape));
  chains.layer_backward =
      builder.Build(Pass::kRecompute, model::LayerRecompute(shape, config.training.recompute));
  const auto backward = builder.Build(Pass::kBackward, model::LayerBackward(shape));
  chains.layer_backward.insert(chains.layer_backward.end(), backward.begin(), backward.end());
  chains.embedding_forward = builder.Build(Pass::kForward, model::EmbeddingForward(shape));
  builder.Reduction(Pass::kForward, "embedding", chains.embedding_forward);
  chains.embedding_backward = builder.Build(Pass::kBackward, model::EmbeddingBackward(shape));
  chains.head_forward = builder.Build(Pass::kForward, model::HeadForward(shape));
  chains.head_backward = builder.Build(Pass::kBackward, model::HeadBackward(shape));
  builder.Reduction(Pass::kBackward, "logits", chains.head_backward);
  chains.tp = config.parallelism.tp;
  chains.activation_bytes =
      static_cast<std::uint64_t>(static_cast<double>(shape.b * shape.s * shape.h) * shape.e);
  return chains;
}

Node StepNode(const ChainStep& step, const LayerChains& chains, const std::string& tp_group) {
  Node node{.name = step.name, .type = step.type};
  node.Set("is_cpu_op", false);
  if (step.type == NodeType::kCompute) {
    node.duration_micros = step.duration_micros;
    return node;
  }
  const CollectiveType type = ChakraCollective(step.collective);
  node.Set("comm_type", std::int64_t{static_cast<int>(type)});
  node.Set("comm_size", static_cast<std::int64_t>(CommSize(
                            type, static_cast<double>(chains.activation_bytes), chains.tp)));
  node.Set("pg_name", tp_group);
  return node;
}

}  // namespace astrasweep::et
