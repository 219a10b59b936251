// What the pipeline graph (pipeline.cc) and the graph-free pipeline timing
// (pipeline_timing.cc) both plan from a config and its step costs: each
// virtual stage's layers and the work of one micro-batch through them, and
// what data parallelism adds to each stage. Written once here so the two
// time the same step.
#pragma once

#include <cstdint>
#include <vector>

#include "astrasweep/config/config.h"
#include "astrasweep/graph/pipeline_schedule.h"
#include "astrasweep/model/step_costs.h"

namespace astrasweep::graph::plan {

// What a compute node does: kernel time, the tensor-parallel communication
// it blocks on, and FLOPs per GPU; with ZeRO 3 also the data-parallel
// traffic it runs layer by layer (ZeroThreeTraffic): all of it, and the
// part its kernels do not hide.
struct Work {
  double kernels, blocking, flops;
  double data_parallel = 0, data_parallel_blocking = 0;
  double duration() const { return kernels + blocking + data_parallel_blocking; }
};

// Which ends of the model a piece of work holds: the embedding (first
// virtual stage) and the head, logits and loss (last virtual stage).
struct ModelEnds {
  bool embedding = false;
  bool head = false;
  int count() const { return (embedding ? 1 : 0) + (head ? 1 : 0); }
};

// The forward of `layers` layers of one micro-batch, plus the ends it holds.
Work ForwardWork(const model::StepCosts& costs, double layers, ModelEnds ends);
// The same backward, including its recompute.
Work BackwardWork(const model::StepCosts& costs, double layers, ModelEnds ends);

struct LayerRange {
  std::int32_t begin, end;  // transformer layers [begin, end)
  double count() const { return static_cast<double>(end - begin); }
};

// The parameters data-parallel traffic and the optimizer act on: those of
// `layers` transformer layers plus the model ends among them.
struct ParameterShare {
  double layers;
  ModelEnds ends;
};

// A virtual stage's layers and the work of one micro-batch through them:
// computed once, used by every micro-batch.
struct VirtualStagePlan {
  LayerRange layers;
  ModelEnds ends;
  Work forward, backward;
  const Work& work(Pass pass) const { return pass == Pass::kForward ? forward : backward; }
  ParameterShare share() const { return {.layers = layers.count(), .ends = ends}; }
};

// ZeRO 3 as FSDP and DeepSpeed run it, added to the work of `layers`
// layers (and the model ends among them) of one micro-batch: each layer's
// weights all-gathered before its forward and again before its backward,
// its gradients reduce-scattered after its backward, on one data-parallel
// stream, with the next layer's gather prefetched while a layer computes
// (one layer ahead, no more). With g the gather, r the reduce-scatter and
// c a layer's compute, the forward waits g + (L - 1) max(0, g - c), the
// backward g + (L - 1) max(0, g + r - c) + r (the next unit's first gather
// queues behind the last reduce-scatter); each model end's gather (and
// reduce-scatter) is waited for whole.
// Whether the units carry ZeRO 3's traffic (dp > 1 and zero_stage 3).
bool ShardsPerLayer(const config::Config& config);
void AddZeroThreeTraffic(const model::StepCosts& costs, Pass pass, double layers, ModelEnds ends,
                         Work& work);

// Every virtual stage's plan, in virtual-stage order.
std::vector<VirtualStagePlan> PlanVirtualStages(const config::Config& config,
                                                const model::StepCosts& costs,
                                                const PipelineShape& shape);

// The layer-by-layer backward of a virtual stage (the last micro-batch's,
// with dp_overlap): layer `layer` of `plan`, from the last layer down.
ModelEnds LayerEnds(const VirtualStagePlan& plan, std::int32_t layer);

// A data-parallel collective: its cost per layer and per model end.
struct DataParallelCollective {
  const char* name;
  model::Collective collective;
  double layer_seconds, end_seconds, bytes_per_parameter;
  double Seconds(const ParameterShare& share) const {
    return share.layers * layer_seconds + share.ends.count() * end_seconds;
  }
};

// When each stage's gradients are reduced over the data-parallel replicas.
enum class GradientReduction {
  kNone,                    // dp = 1
  kAfterBackward,           // once, after the stage's last backward
  kPerLayerOfLastBackward,  // dp_overlap: per layer, while the next one computes
};

// What data parallelism adds to each stage.
struct DataParallelPlan {
  GradientReduction reduction;  // kNone with ZeRO 3: each unit reduces its own
  bool gather_after_step;       // ZeRO 1 and 2: the updated weights gathered after the optimizer
  DataParallelCollective gradient_reduction, weight_gather;
  // Whether the unit's backward is split per layer for its reduction.
  bool PerLayer(const StageUnit& unit, std::int64_t microbatches) const {
    return reduction == GradientReduction::kPerLayerOfLastBackward &&
           unit.pass == Pass::kBackward && unit.microbatch == microbatches - 1;
  }
};

DataParallelPlan PlanDataParallel(const config::Config& config, const model::StepCosts& costs);

// Parameters of a share on one GPU.
double Parameters(const model::StepCosts& costs, const ParameterShare& share);

// All of a stage's chunks: the embedding on the first stage, the head on
// the last.
ParameterShare StageShare(const std::vector<VirtualStagePlan>& plans, const PipelineShape& shape,
                          std::int64_t stage);

// The optimizer step of a stage's share, with its kernel launch.
double OptimizerSeconds(const config::Config& config, const model::StepCosts& costs,
                        const ParameterShare& share);

// The GPU a stage's nodes describe: its tensor-parallel and context-parallel rank 0 in
// data-parallel replica 0.
std::int32_t StageRank(const config::Config& config, std::int64_t stage);

}  // namespace astrasweep::graph::plan
