// The plans of pipeline_plan.h.
#include "pipeline_plan.h"

#include <algorithm>

#include "astrasweep/model/layer_ops.h"

namespace astrasweep::graph::plan {

Work ForwardWork(const model::StepCosts& costs, double layers, ModelEnds ends) {
  return {layers * costs.layer_forward + (ends.embedding ? costs.embedding_forward : 0) +
              (ends.head ? costs.head_forward : 0),
          layers * costs.layer_forward_tp + (ends.embedding ? costs.embedding_forward_tp : 0),
          layers * costs.layer_forward_flops + (ends.head ? costs.head_forward_flops : 0)};
}

Work BackwardWork(const model::StepCosts& costs, double layers, ModelEnds ends) {
  return {layers * (costs.layer_backward + costs.layer_recompute) +
              (ends.embedding ? costs.embedding_backward : 0) +
              (ends.head ? costs.head_backward : 0),
          layers * (costs.layer_backward_tp + costs.layer_recompute_tp) +
              (ends.head ? costs.head_backward_tp : 0),
          layers * costs.layer_backward_flops + (ends.head ? costs.head_backward_flops : 0)};
}

bool ShardsPerLayer(const config::Config& config) {
  return config.parallelism.WeightReplicas() > 1 && config.training.zero_stage >= 3;
}

void AddZeroThreeTraffic(const model::StepCosts& costs, Pass pass, double layers, ModelEnds ends,
                         Work& work) {
  const bool forward = pass == Pass::kForward;
  const double g = costs.layer_weight_gather, r = forward ? 0 : costs.layer_grad_sync;
  const double ends_seconds =
      ends.count() * (costs.embedding_weight_gather + (forward ? 0 : costs.embedding_grad_sync));
  if (layers <= 0) {
    work.data_parallel += ends_seconds;
    work.data_parallel_blocking += ends_seconds;
    return;
  }
  const double c = forward ? costs.layer_forward + costs.layer_forward_tp
                           : costs.layer_backward + costs.layer_recompute +
                                 costs.layer_backward_tp + costs.layer_recompute_tp;
  work.data_parallel += layers * (g + r) + ends_seconds;
  work.data_parallel_blocking += g + (layers - 1) * std::max(0.0, g + r - c) + r + ends_seconds;
}

std::vector<VirtualStagePlan> PlanVirtualStages(const config::Config& config,
                                                const model::StepCosts& costs,
                                                const PipelineShape& shape) {
  const std::int64_t count = shape.virtual_stages();
  std::vector<VirtualStagePlan> plans;
  plans.reserve(static_cast<std::size_t>(count));
  for (std::int64_t vs = 0; vs < count; ++vs) {
    const auto [begin, end] = VirtualStageLayers(config.model.layers, count, vs);
    const LayerRange layers{begin, end};
    const ModelEnds ends{.embedding = vs == 0, .head = vs == count - 1};
    VirtualStagePlan plan{layers, ends, ForwardWork(costs, layers.count(), ends),
                          BackwardWork(costs, layers.count(), ends)};
    if (ShardsPerLayer(config)) {
      AddZeroThreeTraffic(costs, Pass::kForward, layers.count(), ends, plan.forward);
      AddZeroThreeTraffic(costs, Pass::kBackward, layers.count(), ends, plan.backward);
    }
    plans.push_back(plan);
  }
  return plans;
}

ModelEnds LayerEnds(const VirtualStagePlan& plan, std::int32_t layer) {
  return {.embedding = plan.ends.embedding && layer == plan.layers.begin,
          .head = plan.ends.head && layer == plan.layers.end - 1};
}

DataParallelPlan PlanDataParallel(const config::Config& config, const model::StepCosts& costs) {
  const bool replicated = config.parallelism.WeightReplicas() > 1,
             overlap = config.training.dp_overlap;
  const config::DType dtype = config.training.dtype;
  const bool sharded = ShardsPerLayer(config);
  DataParallelPlan plan{
      .reduction = GradientReduction::kNone,
      .gather_after_step = replicated && config.training.zero_stage >= 1 && !sharded};
  if (replicated && !sharded)
    plan.reduction =
        overlap ? GradientReduction::kPerLayerOfLastBackward : GradientReduction::kAfterBackward;
  plan.gradient_reduction = {.name = costs.grad_collective == model::Collective::kAllReduce
                                         ? "dp_grad_all_reduce"
                                         : "dp_grad_reduce_scatter",
                             .collective = costs.grad_collective,
                             .layer_seconds = costs.layer_grad_sync,
                             .end_seconds = costs.embedding_grad_sync,
                             .bytes_per_parameter = dtype == config::DType::kFp32 ? 4.0 : 2.0};
  plan.weight_gather = {.name = "dp_weight_all_gather",
                        .collective = model::Collective::kAllGather,
                        .layer_seconds = costs.layer_weight_gather,
                        .end_seconds = costs.embedding_weight_gather,
                        .bytes_per_parameter = static_cast<double>(model::BytesPerElement(dtype))};
  return plan;
}

double Parameters(const model::StepCosts& costs, const ParameterShare& share) {
  return share.layers * costs.layer_parameters + share.ends.count() * costs.embedding_parameters;
}

ParameterShare StageShare(const std::vector<VirtualStagePlan>& plans, const PipelineShape& shape,
                          std::int64_t stage) {
  std::int64_t layers = 0;
  for (std::int32_t chunk = 0; chunk < shape.chunks; ++chunk) {
    const LayerRange& range =
        plans[static_cast<std::size_t>(shape.VirtualStage(stage, chunk))].layers;
    layers += range.end - range.begin;
  }
  return {.layers = static_cast<double>(layers),
          .ends = {.embedding = stage == 0, .head = stage == shape.stages - 1}};
}

double OptimizerSeconds(const config::Config& config, const model::StepCosts& costs,
                        const ParameterShare& share) {
  return Parameters(costs, share) * costs.optimizer_per_parameter + config.hardware.kernel_launch;
}

std::int32_t StageRank(const config::Config& config, std::int64_t stage) {
  return static_cast<std::int32_t>(stage * config.parallelism.tp * config.parallelism.cp);
}

}  // namespace astrasweep::graph::plan
