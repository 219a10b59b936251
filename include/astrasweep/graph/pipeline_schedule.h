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

// Stage `stage`'s 2 m v units in the order it runs them, as a function of
// the position: a warm-up of forwards, a steady state of one forward and
// one backward in turn, a cool-down of backwards. The steady state repeats
// every period() positions with the micro-batches `period_microbatches()`
// further on (1 unless interleaved; p for interleaved, whose chunks take
// turns every p micro-batches).
class StageSequence {
 public:
  StageSequence(config::Schedule schedule, const PipelineShape& shape, std::int64_t stage);

  std::int64_t size() const { return 2 * total_; }
  std::int64_t warmup() const { return warmup_; }
  // Positions [steady_begin, steady_end) are the steady state.
  std::int64_t steady_begin() const { return warmup_; }
  std::int64_t steady_end() const { return 2 * total_ - warmup_; }
  std::int64_t period() const { return 2 * shape_.chunks * period_microbatches(); }
  std::int64_t period_microbatches() const { return shape_.chunks > 1 ? shape_.stages : 1; }

  StageUnit At(std::int64_t index) const {
    if (index < warmup_) return Nth(index, Pass::kForward);
    if (index >= steady_end()) return Nth(index - total_, Pass::kBackward);
    const std::int64_t step = index - warmup_;  // steady state: one of each
    return step % 2 == 0 ? Nth(warmup_ + step / 2, Pass::kForward) : Nth(step / 2, Pass::kBackward);
  }

  // The position of `unit`: At's inverse.
  std::int64_t IndexOf(const StageUnit& unit) const {
    const std::int64_t n = Ordinal(unit);
    if (unit.pass == Pass::kForward) return n < warmup_ ? n : 2 * n - warmup_;
    return n < total_ - warmup_ ? warmup_ + 2 * n + 1 : n + total_;
  }

 private:
  // The n-th forward (or backward) of the stage: chunks take turns every p
  // micro-batches, backwards visit them in reverse.
  StageUnit Nth(std::int64_t n, Pass pass) const {
    if (shape_.chunks == 1) return {0, static_cast<std::int32_t>(n), pass};
    std::int64_t chunk = (n % shape_.virtual_stages()) / shape_.stages;
    if (pass == Pass::kBackward) chunk = shape_.chunks - 1 - chunk;
    const std::int64_t microbatch =
        (n / shape_.virtual_stages()) * shape_.stages + n % shape_.stages;
    return {static_cast<std::int32_t>(chunk), static_cast<std::int32_t>(microbatch), pass};
  }
  // Nth's inverse: which forward (or backward) `unit` is.
  std::int64_t Ordinal(const StageUnit& unit) const {
    if (shape_.chunks == 1) return unit.microbatch;
    const std::int64_t p = shape_.stages, mb = unit.microbatch;
    const std::int64_t chunk =
        unit.pass == Pass::kForward ? unit.chunk : shape_.chunks - 1 - unit.chunk;
    return (mb / p) * shape_.virtual_stages() + chunk * p + mb % p;
  }

  PipelineShape shape_;
  std::int64_t total_;   // forwards (and backwards): m v
  std::int64_t warmup_;  // forwards before the first backward
};

// Stage `stage`'s 2 m v units in the order it runs them.
std::vector<StageUnit> StageOrder(config::Schedule schedule, const PipelineShape& shape,
                                  std::int64_t stage);

}  // namespace astrasweep::graph
