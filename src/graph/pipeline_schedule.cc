// The schedules and checks of pipeline_schedule.h.
#include "astrasweep/graph/pipeline_schedule.h"

#include <fmt/format.h>

#include <algorithm>

namespace astrasweep::graph {
namespace {

using I32 = std::int32_t;
using I64 = std::int64_t;

// Forwards the stage runs before its first backward.
I64 WarmupForwards(config::Schedule schedule, const PipelineShape& shape, I64 stage) {
  const I64 total = shape.microbatches * shape.chunks;
  switch (schedule) {
    case config::Schedule::kGpipe: return total;
    case config::Schedule::k1F1B: return std::min(shape.stages - stage - 1, total);
    case config::Schedule::kInterleaved:
      if (shape.microbatches == shape.stages) return total;
      return std::min(2 * (shape.stages - stage - 1) + (shape.chunks - 1) * shape.stages, total);
  }
  return total;
}

}  // namespace

Status CheckPipeline(const config::Config& config) {
  const I64 pp = config.parallelism.pp, layers = config.model.layers;
  if (pp > layers)
    return InvalidInput(fmt::format("{} pipeline stages but model.layers = {}: each stage needs "
                                    "at least one layer; lower parallelism.pp",
                                    pp, layers),
                        {.key_path = "parallelism.pp"});
  if (config.training.schedule != config::Schedule::kInterleaved) return Ok();
  const I64 chunks = config.training.virtual_stages, microbatches = MicroBatches(config);
  if (pp < 2)
    return InvalidInput("the interleaved schedule needs parallelism.pp >= 2; use 1f1b",
                        {.key_path = "training.schedule"});
  if (layers % (pp * chunks) != 0)
    return InvalidInput(fmt::format("the interleaved schedule needs model.layers = {} to be a "
                                    "multiple of pp * virtual_stages = {}",
                                    layers, pp * chunks),
                        {.key_path = "training.virtual_stages"});
  if (microbatches % pp != 0)
    return InvalidInput(
        fmt::format("the interleaved schedule needs the micro-batches per pipeline "
                    "(global_batch / (micro_batch * dp) = {}) to be a multiple of pp = {}",
                    microbatches, pp),
        {.key_path = "training.global_batch"});
  return Ok();
}

std::int64_t MicroBatches(const config::Config& config) {
  return config.training.global_batch / (config.training.micro_batch * config.parallelism.dp);
}

std::pair<I32, I32> VirtualStageLayers(I64 layers, I64 count, I64 vs) {
  const I64 base = layers / count, extra = layers % count;
  const I64 begin = vs * base + std::min(vs, extra);
  return {static_cast<I32>(begin), static_cast<I32>(begin + base + (vs < extra ? 1 : 0))};
}

PipelineShape PipelineShape::Of(const config::Config& config) {
  const bool interleaved = config.training.schedule == config::Schedule::kInterleaved;
  return {.stages = config.parallelism.pp,
          .chunks = interleaved ? config.training.virtual_stages : 1,
          .microbatches = MicroBatches(config)};
}

StageSequence::StageSequence(config::Schedule schedule, const PipelineShape& shape,
                             std::int64_t stage)
    : shape_(shape),
      total_(shape.microbatches * shape.chunks),
      warmup_(WarmupForwards(schedule, shape, stage)) {}

std::vector<StageUnit> StageOrder(config::Schedule schedule, const PipelineShape& shape,
                                  std::int64_t stage) {
  const StageSequence sequence(schedule, shape, stage);
  std::vector<StageUnit> order;
  order.reserve(static_cast<std::size_t>(sequence.size()));
  for (I64 index = 0; index < sequence.size(); ++index) order.push_back(sequence.At(index));
  return order;
}

}  // namespace astrasweep::graph
