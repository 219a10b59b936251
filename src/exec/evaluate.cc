// The dispatcher of evaluate.h. The analytical mode: step costs from the
// model, the pipeline graph, the scheduler, then the metrics.
#include "astrasweep/exec/evaluate.h"

#include <algorithm>

#include "astrasweep/config/enums.h"
#include "astrasweep/graph/pipeline.h"
#include "astrasweep/model/compute.h"
#include "astrasweep/model/step_costs.h"

namespace astrasweep::exec {
namespace {

double D(std::int64_t x) { return static_cast<double>(x); }

PointOutcome Failed(PointOutcome outcome, std::string stage, const Error& error) {
  outcome.status = PointStatus::kFailed;
  outcome.failure_stage = std::move(stage);
  outcome.failure_message = error.ToString();
  return outcome;
}

}  // namespace

const char* PointStatusName(PointStatus status) {
  switch (status) {
    case PointStatus::kOk: return "ok";
    case PointStatus::kFailed: return "failed";
    case PointStatus::kInfeasible: return "infeasible";
  }
  return "?";
}

std::string ModeName(const config::Config& c) {
  if (c.execution_backend.model == config::ExecutionModel::kAnalytical) return "analytical";
  return std::string(config::EnumName(c.execution_backend.astra.mode));
}

PointOutcome Evaluate(const config::Config& c, graph::Graph* graph_out) {
  PointOutcome out;
  out.mode = ModeName(c);
  out.memory = model::PeakMemory(c);
  out.metrics.peak_mem_bytes = out.memory.total;
  out.metrics.fits_memory = out.memory.fits;
  out.microbatches = graph::MicroBatches(c);
  out.model_flops = model::ModelFlopsPerStep(c);
  if (c.execution_backend.model != config::ExecutionModel::kAnalytical) {
    return Failed(std::move(out), "dispatch",
                  Error(ErrorCode::kUnavailable,
                        "execution mode " + out.mode +
                            " needs the network simulator, which this build does not have yet; "
                            "set execution_backend.model: analytical",
                        {.key_path = "execution_backend.astra.mode"}));
  }
  const model::StepCosts costs = model::ComputeStepCosts(c);
  // One graph per thread, reused: its memory stays allocated and warm.
  thread_local graph::Graph scratch;
  graph::Graph& g = graph_out ? *graph_out : scratch;
  auto built = graph::BuildPipelineGraph(c, costs, g);
  if (!built) return Failed(std::move(out), "pipeline", built.error());
  out.graph_nodes = g.size();
  auto schedule = graph::Simulate(g);
  if (!schedule) return Failed(std::move(out), "schedule", schedule.error());

  out.stages = graph::AnalyzeStages(g, *schedule);
  const auto critical =
      std::min_element(out.stages.begin(), out.stages.end(),
                       [](const auto& a, const auto& b) { return a.bubble < b.bubble; });
  out.critical_stage = critical->stage;
  const double gpus = D(c.parallelism.Gpus());
  const double step = schedule->makespan;
  Metrics& m = out.metrics;
  m.step_time_s = step;
  m.tokens_per_s = D(c.training.global_batch) * D(c.model.seq_len) / step;
  m.model_tflops_per_gpu = out.model_flops / step / gpus / 1e12;
  m.mfu = out.model_flops / (step * gpus * model::PeakFlops(c.hardware, c.training.dtype));
  m.compute_s = critical->compute;
  m.tp_comm_s = critical->tp_comm;
  m.pp_comm_s = critical->pp_comm;
  m.dp_comm_s = critical->dp_comm;
  m.exposed_comm_s = critical->exposed_comm;
  m.bubble_s = critical->bubble;
  double flops = 0;
  for (const auto& node : g.nodes()) flops += node.flops;
  out.hardware_flops = flops * D(c.parallelism.tp) * D(c.parallelism.dp);
  out.status = m.fits_memory ? PointStatus::kOk : PointStatus::kInfeasible;
  return out;
}

}  // namespace astrasweep::exec
