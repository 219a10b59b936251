// The pipeline graph of one training step: for every stage, the forward
// and backward of each micro-batch on each model chunk in the order the
// schedule runs them, the activations and gradients sent between stages,
// the data-parallel gradient reduction, the optimizer step and, with ZeRO 1
// and 2, the weight all-gather after it. With ZeRO 3 each forward and
// backward carries its own layer-by-layer gathers and reduce-scatters
// (pipeline_plan.h, AddZeroThreeTraffic) and the step adds none. Nodes describe the GPU of each
// stage with tensor-parallel rank 0 in data-parallel replica 0; the other replicas and
// tensor-parallel ranks run the same graph.
//
// The schedules, the split of the layers over virtual stages and the
// checks are in pipeline_schedule.h, which this header includes.
//
// The backward of a micro-batch includes its recompute. With data-parallel
// overlap, the last micro-batch's backward on each chunk is split per layer
// so each layer's gradients are reduced while the next layer computes.
#pragma once

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/graph/graph.h"
#include "astrasweep/graph/pipeline_schedule.h"
#include "astrasweep/model/step_costs.h"

namespace astrasweep::graph {

// Fails as CheckPipeline does.
Expected<Graph> BuildPipelineGraph(const config::Config& config, const model::StepCosts& costs);
// The same into `graph`, which is cleared first and keeps its memory: what
// a worker evaluating many points uses.
Status BuildPipelineGraph(const config::Config& config, const model::StepCosts& costs,
                          Graph& graph);

}  // namespace astrasweep::graph
