// The pipeline schedule of one training step, before any graph: how many
// micro-batches, which layers each virtual stage holds, in which order each
// stage runs its forwards and backwards, and the configs that cannot run.
// The graph builders add one or more compute nodes per unit, on the stage's
// compute stream, in this order.
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
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/graph/graph.h"

namespace astrasweep::graph {

// The reasons a valid config cannot run its pipeline: more stages than
// layers, an interleaved schedule without a multiple of p micro-batches or
// of p v layers. kInvalidInput with the key path.
Status CheckPipeline(const config::Config& config);

// Micro-batches per step on each pipeline: global_batch / (micro_batch dp).
std::int64_t MicroBatches(const config::Config& config);

// Layers [begin, end) of virtual stage `vs` out of `count`.
std::pair<std::int32_t, std::int32_t> VirtualStageLayers(std::int64_t layers, std::int64_t count,
                                                         std::int64_t vs);

// The pipeline's dimensions: p stages of v model chunks each (v = 1 unless
// interleaved), m micro-batches per step.
struct PipelineShape {
  std::int64_t stages = 1, chunks = 1, microbatches = 1;

  static PipelineShape Of(const config::Config& config);
  std::int64_t virtual_stages() const { return stages * chunks; }
  std::int64_t VirtualStage(std::int64_t stage, std::int32_t chunk) const {
    return chunk * stages + stage;
  }
};

enum class Pass : std::uint8_t { kForward, kBackward };

inline Direction DirectionOf(Pass pass) {
  return pass == Pass::kForward ? Direction::kForward : Direction::kBackward;
}

// One forward or backward of a micro-batch through one of a stage's chunks.
struct StageUnit {
  std::int32_t chunk;
  std::int32_t microbatch;
  Pass pass;
};

// Stage `stage`'s 2 m v units in the order it runs them.
std::vector<StageUnit> StageOrder(config::Schedule schedule, const PipelineShape& shape,
                                  std::int64_t stage);

}  // namespace astrasweep::graph
