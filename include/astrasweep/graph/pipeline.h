// The pipeline graph of one training step: for every stage, the forward
// and backward of each micro-batch on each model chunk in the order the
// schedule runs them, the activations and gradients sent between stages,
// the data-parallel gradient reduction, the optimizer step and, with ZeRO,
// the weight all-gathers. Nodes describe the GPU of each stage with
// tensor-parallel rank 0 in data-parallel replica 0; the other replicas and
// tensor-parallel ranks run the same graph.
//
// Schedules (Megatron-LM's, with v model chunks per stage when interleaved;
// layers are split over the p v virtual stages, earlier ones taking the
// remainder; virtual stage c p + k runs on stage k):
//   gpipe        all forwards, then all backwards;
//   1f1b         p - k - 1 warm-up forwards on stage k, then one forward and
//                one backward in turn, then the remaining backwards;
//   interleaved  2 (p - k - 1) + (v - 1) p warm-up forwards (all of them
//                when m = p), chunk (u mod pv) / p for the u-th forward,
//                reversed for backwards; needs m a multiple of p.
// The backward of a micro-batch includes its recompute. With data-parallel
// overlap, the last micro-batch's backward on each chunk is split per layer
// so each layer's gradients are reduced while the next layer computes.
#pragma once

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/graph/graph.h"
#include "astrasweep/model/step_costs.h"

namespace astrasweep::graph {

// The reasons a valid config cannot run its pipeline: more stages than
// layers, an interleaved schedule without a multiple of p micro-batches or
// of p v layers. kInvalidInput with the key path.
Status CheckPipeline(const config::Config& c);

// Micro-batches per step on each pipeline: global_batch / (micro_batch dp).
std::int64_t MicroBatches(const config::Config& c);

// Layers [begin, end) of virtual stage `vs` out of `count`.
std::pair<std::int32_t, std::int32_t> VirtualStageLayers(std::int64_t layers, std::int64_t count,
                                                         std::int64_t vs);

Expected<Graph> BuildPipelineGraph(const config::Config& c, const model::StepCosts& costs);
// The same into `graph`, which is cleared first and keeps its memory: what
// a worker evaluating many points uses.
Status BuildPipelineGraph(const config::Config& c, const model::StepCosts& costs, Graph& graph);

}  // namespace astrasweep::graph
