// Evaluating one config point: the execution-mode dispatcher. Every mode
// fills the same result fields (result_fields.h defines them, with their
// meaning): step time, throughput, MFU, where the critical stage's time
// goes, peak memory, and the simulator's runs and cache hits.
//
// A point that cannot run (the pipeline does not fit the model, the
// schedule lacks micro-batches, a mode this build cannot run) comes back
// failed with a stage and a reason; one that runs but does not fit in memory
// keeps its timing and is infeasible. Nothing here throws or aborts.
#pragma once

#include <string>
#include <vector>

#include "astrasweep/config/config.h"
#include "astrasweep/graph/graph.h"
#include "astrasweep/graph/scheduler.h"
#include "astrasweep/model/memory.h"

namespace astrasweep::exec {

// The failure_stage of a point that met a fault of the run, not of the
// point (exec::Simulation::fault(): AstraSim's binary gone mid-run, a
// bundle's folder full). Its
// outcome is no answer about the point: a sweep stores no such point and
// stops, leaving it for --resume. The failure_message says what is wrong
// and what to do to mend it ("put the same build back there").
inline constexpr const char* kEnvironmentStage = "environment";

// The numbers are those of proto::PointStatus (the wire and the journal).
enum class PointStatus { kOk = 1, kFailed = 2, kInfeasible = 3 };
// "ok", "failed", "infeasible": the /points status column and every report.
const char* PointStatusName(PointStatus status);

struct Metrics {
  double step_time_s = 0;
  double tokens_per_s = 0;
  double model_tflops_per_gpu = 0;
  double mfu = 0;
  double compute_s = 0;
  double tp_comm_s = 0;
  double pp_comm_s = 0;
  double dp_comm_s = 0;
  double exposed_comm_s = 0;
  double bubble_s = 0;
  double peak_mem_bytes = 0;
  bool fits_memory = false;
};

// One NPU of a simulated step (the full modes): AstraSim's per-rank times.
struct SimRankTiming {
  std::uint32_t npu = 0;
  double finish_s = 0, compute_s = 0, comm_s = 0, exposed_comm_s = 0;
};

struct PointOutcome {
  PointStatus status = PointStatus::kFailed;
  std::string mode;  // "analytical", or the astra mode
  Metrics metrics;
  // Details for the readable breakdown and the per-rank table.
  model::MemoryBreakdown memory;
  std::vector<graph::StageTimeline> stages;
  // The full modes: every simulated NPU (the /rank_timings rows instead of
  // the stages); empty for a pipeline of one NPU, which is not simulated.
  std::vector<SimRankTiming> sim_ranks;
  std::int32_t critical_stage = 0;
  std::int64_t microbatches = 0;
  double model_flops = 0;     // per step, whole batch
  double hardware_flops = 0;  // executed per step by all GPUs, with recompute
  // Nodes the analytical schedule timed one by one: the graph's nodes when
  // a graph was asked for, else the units graph::TimePipeline simulated.
  std::int64_t scheduled_nodes = 0;
  std::uint32_t sim_runs = 0;    // network simulator runs (cache misses)
  std::uint32_t cache_hits = 0;  // simulator answers found in the cache
  std::uint32_t cache_misses = 0;  // looked for in the cache and not found
  // Failed points: where and why.
  std::string failure_stage;
  std::string failure_message;
};

// Evaluates a point in its configured mode. When `graph` is given it
// receives the pipeline graph (for DOT export), and the schedule is timed
// on it (graph::Simulate) rather than without it (graph::TimePipeline).
PointOutcome Evaluate(const config::Config& config, graph::Graph* graph = nullptr);

std::string ModeName(const config::Config& config);

}  // namespace astrasweep::exec
