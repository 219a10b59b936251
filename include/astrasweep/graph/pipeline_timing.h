// The analytical pipeline schedule of a step without its graph: the times
// graph::Simulate and graph::AnalyzeStages give for the graph
// graph::BuildPipelineGraph builds, worked out unit by unit from the
// schedule (pipeline_schedule.h) and the plans the graph is built from.
//
// The steady state of every schedule repeats: once a whole period (one
// forward and one backward per chunk of p v micro-batches, per stage;
// gpipe: one forward, then one backward) ends with every stream, every
// transfer still pending (one that lands after its stage's compute stream
// is free: an earlier one delays nothing) and the exposed communication
// shifted by the same time as the period before, the remaining periods are
// not simulated: they add that shift, and the transfers they leave in
// flight are placed by it. Warm-up,
// cool-down and the last micro-batch (split per layer with dp_overlap) are
// timed unit by unit. In max-plus terms the step is a linear system; one
// period of uniform shift proves every later one.
//
// 1f1b's warm-up (each stage's forwards before its first backward) waits
// for nothing but itself, stage after stage: where the stages between the
// first and the last repeat their work and links every d stages, and two
// runs of d stages' warm-ups are the ones d stages before shifted by one
// time, every later stage's is too (each stage's warm-up is the same
// function of the one before's), so it is extrapolated rather than timed.
//
// What the workers use for analytical timing; the graph stays the
// reference (tests hold the two within 0.1%), what DOT export and the ET
// bundles are built from.
#pragma once

#include <cstdint>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/graph/scheduler.h"
#include "astrasweep/model/step_costs.h"

namespace astrasweep::graph {

struct PipelineTiming {
  double makespan = 0;
  std::vector<StageTimeline> stages;
  double flops = 0;              // per GPU, summed over the stages (one GPU of each)
  std::int64_t units_timed = 0;  // units timed one by one; the others repeated a period,
  std::int64_t units_extrapolated = 0;  // or are warm-up forwards of a stage a few stages on
};

// Fails as CheckPipeline does. `timing` keeps its memory between calls.
Status TimePipeline(const config::Config& config, const model::StepCosts& costs,
                    PipelineTiming& timing);

}  // namespace astrasweep::graph
