// The dispatcher of evaluate.h. Every mode: step costs (collectives timed
// analytically, or by the network simulator in the simulating modes), the
// pipeline graph, the analytical scheduler, the metrics; the full modes
// then take the step and each NPU's times from the simulated pipeline or
// flattened bundle.
#include "astrasweep/exec/evaluate.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "astrasweep/config/enums.h"
#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/block_bundle.h"
#include "astrasweep/et/collective_bundle.h"
#include "astrasweep/et/pipeline_bundle.h"
#include "astrasweep/exec/simulation.h"
#include "astrasweep/graph/pipeline.h"
#include "astrasweep/graph/pipeline_timing.h"
#include "astrasweep/model/compute.h"
#include "astrasweep/model/step_costs.h"
#include "flattened_simulation.h"

namespace astrasweep::exec {
namespace {

double D(std::int64_t x) { return static_cast<double>(x); }

PointOutcome Failed(PointOutcome outcome, std::string stage, const Error& error) {
  outcome.status = PointStatus::kFailed;
  outcome.failure_stage = std::move(stage);
  outcome.failure_message = error.ToString();
  return outcome;
}

// A simulation's failure: the point's ("simulate"), or the run's when it
// is the simulation's fault (Simulation::fault()).
PointOutcome SimulateFailed(PointOutcome outcome, const Error& error) {
  const std::optional<Error>& fault = ProcessSimulation().fault();
  const bool environment = fault && fault->message() == error.message();
  return Failed(std::move(outcome), environment ? kEnvironmentStage : "simulate", error);
}

double Seconds(std::uint64_t ns) { return static_cast<double>(ns) * 1e-9; }

// When the slowest rank of a simulation finished.
std::uint64_t SlowestNanoseconds(const netsim::SimResult& result) {
  std::uint64_t slowest = 0;
  for (const auto& rank : result.ranks) slowest = std::max(slowest, rank.finish_ns);
  return slowest;
}
double SlowestSeconds(const netsim::SimResult& result) {
  return Seconds(SlowestNanoseconds(result));
}

// Times each distinct collective of a point with the network simulator:
// the collective's bundle over its group (et::WriteCollectiveBundle), its
// time the slowest member's finish. The first failure is kept; the point
// fails with it.
class SimulatedCollectives {
 public:
  SimulatedCollectives(const config::Config& c, SimulationCounts& counts)
      : c_(c), counts_(counts) {}

  double operator()(model::Collective coll, double bytes, std::int64_t stride, std::int64_t size) {
    if (failure_ || size <= 1) return 0;
    const std::uint64_t comm = et::CommSize(et::ChakraCollective(coll), bytes, size);
    if (comm == 0) return 0;
    const et::CollectiveBenchmark benchmark{
        .collective = coll, .bytes = comm, .stride = stride, .size = size};
    const std::string name = std::string(model::CollectiveName(coll)) + "-" + std::to_string(comm) +
                             "B-" + std::to_string(size) + "x" + std::to_string(stride);
    if (const auto it = seen_.find(name); it != seen_.end()) return it->second;
    auto network = et::BenchmarkNetwork(c_, benchmark);
    if (!network) return Fail(network.error());
    auto system = et::SystemJson(c_, *network);
    if (!system) return Fail(system.error());
    auto result = ProcessSimulation().Run(
        c_, name, "collective\n" + name + "\n" + et::NetworkYaml(*network) + *system,
        [&](const et::BundleDestination& to) {
          return et::WriteCollectiveBundle(c_, benchmark, to);
        },
        counts_);
    if (!result) return Fail(result.error());
    return seen_[name] = SlowestSeconds(*result);
  }

  const std::optional<Error>& failure() const { return failure_; }

 private:
  double Fail(const Error& error) {
    failure_ = error;
    return 0;
  }
  const config::Config& c_;
  SimulationCounts& counts_;
  std::map<std::string, double> seen_;
  std::optional<Error> failure_;
};

// A graph bundle (block, pipeline, flattened) of the point, simulated.
Expected<netsim::SimResult> SimulateGraphBundle(
    const config::Config& c, const std::string& kind,
    const std::function<Status(const et::BundleDestination&)>& write, SimulationCounts& counts) {
  return ProcessSimulation().Run(c, kind, "", write, counts);
}

// hybrid_congestion and full_astrasim: each transformer layer's forward,
// recompute and backward, with their tensor-parallel communication, slowed
// by what contention costs the simulated block (one layer of a stage, its
// tensor- and data-parallel traffic together): by the block's simulated
// time over its time with each of its collectives simulated alone
// (et::UncontendedBlockNanoseconds). The block's gradient traffic itself is
// not charged to the layers: the step's gradient synchronisation is, as in
// hybrid. A stage of one GPU has no traffic to contend: its layers keep
// their times.
Status ApplyBlock(const config::Config& c, model::StepCosts& costs, SimulationCounts& counts) {
  if (c.parallelism.tp * c.parallelism.dp == 1) return Ok();
  ASTRASWEEP_ASSIGN_OR_RETURN(
      const auto block,
      SimulateGraphBundle(
          c, "block", [&](const et::BundleDestination& to) { return et::WriteBlockBundle(c, to); },
          counts));
  std::map<std::string, std::uint64_t> alone;  // by the collective's name
  ASTRASWEEP_ASSIGN_OR_RETURN(
      const std::uint64_t uncontended,
      et::UncontendedBlockNanoseconds(
          c, [&](const et::Node& node, const std::string& name) -> Expected<std::uint64_t> {
            if (const auto it = alone.find(name); it != alone.end()) return it->second;
            ASTRASWEEP_ASSIGN_OR_RETURN(const auto result,
                                        SimulateGraphBundle(
                                            c, name,
                                            [&](const et::BundleDestination& to) {
                                              return et::WriteBlockCollectiveBundle(c, node, to);
                                            },
                                            counts));
            return alone[name] = SlowestNanoseconds(result);
          }));
  const std::uint64_t simulated = SlowestNanoseconds(block);
  if (uncontended == 0 || simulated == 0) return Ok();
  const double slowdown = static_cast<double>(simulated) / static_cast<double>(uncontended);
  for (double* t : {&costs.layer_forward, &costs.layer_forward_tp, &costs.layer_backward,
                    &costs.layer_backward_tp, &costs.layer_recompute, &costs.layer_recompute_tp})
    *t *= slowdown;
  return Ok();
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
  const bool simulated = c.execution_backend.model != config::ExecutionModel::kAnalytical;
  const config::AstraMode mode = c.execution_backend.astra.mode;
  SimulationCounts counts;
  // Records the simulations' counts in `o`, and hands it on.
  const auto count = [&](PointOutcome& o) -> PointOutcome&& {
    o.sim_runs = counts.runs;
    o.cache_hits = counts.hits;
    o.cache_misses = counts.misses;
    return std::move(o);
  };
  model::StepCosts costs;
  if (!simulated) {
    costs = model::ComputeStepCosts(c);
  } else {
    SimulatedCollectives collectives(c, counts);
    costs = model::ComputeStepCosts(
        c, [&](model::Collective coll, double bytes, std::int64_t stride, std::int64_t size) {
          return collectives(coll, bytes, stride, size);
        });
    if (collectives.failure()) return SimulateFailed(count(out), *collectives.failure());
    if (mode == config::AstraMode::kHybridCongestion || mode == config::AstraMode::kFullAstrasim) {
      if (auto applied = ApplyBlock(c, costs, counts); !applied)
        return SimulateFailed(count(out), applied.error());
    }
  }
  // Without a graph to hand back, the schedule is timed without building
  // one (graph/pipeline_timing.h); the graph is the reference it matches.
  thread_local graph::PipelineTiming timing;
  if (graph_out == nullptr) {
    if (auto timed = graph::TimePipeline(c, costs, timing); !timed)
      return Failed(count(out), "pipeline", timed.error());
    out.stages = timing.stages;
  } else {
    auto built = graph::BuildPipelineGraph(c, costs, *graph_out);
    if (!built) return Failed(count(out), "pipeline", built.error());
    auto schedule = graph::Simulate(*graph_out);
    if (!schedule) return Failed(count(out), "schedule", schedule.error());
    out.stages = graph::AnalyzeStages(*graph_out, *schedule);
    timing.makespan = schedule->makespan;
    timing.flops = 0;
    for (const auto& node : graph_out->nodes()) timing.flops += node.flops;
    timing.units_timed = static_cast<std::int64_t>(graph_out->size());
  }
  out.scheduled_nodes = timing.units_timed;
  const auto critical =
      std::min_element(out.stages.begin(), out.stages.end(),
                       [](const auto& a, const auto& b) { return a.bubble < b.bubble; });
  out.critical_stage = critical->stage;
  const double gpus = D(c.parallelism.Gpus());
  double step = timing.makespan;
  const SimRankTiming* slowest_npu = nullptr;
  // The full modes: the simulator schedules the step. A pipeline of one
  // NPU (pp = dp = 1) sends nothing: its ops run back to back, as the
  // analytical schedule has them, and that is its answer (AstraSim does
  // not take one NPU).
  const bool one_npu = c.parallelism.pp * c.parallelism.dp == 1;
  if (simulated && ((mode == config::AstraMode::kFullAstrasim && !one_npu) ||
                    mode == config::AstraMode::kFullAstrasimFlattened)) {
    const bool flattened = mode == config::AstraMode::kFullAstrasimFlattened;
    auto result = flattened ? SimulateFlattened(c, counts)
                            : SimulateGraphBundle(
                                  c, "pipeline",
                                  [&](const et::BundleDestination& to) {
                                    return et::WritePipelineBundle(c, costs, to);
                                  },
                                  counts);
    if (!result) return SimulateFailed(count(out), result.error());
    for (std::size_t r = 0; r < result->ranks.size(); ++r) {
      const auto& rank = result->ranks[r];
      out.sim_ranks.push_back(SimRankTiming{static_cast<std::uint32_t>(r), Seconds(rank.finish_ns),
                                            Seconds(rank.compute_ns), Seconds(rank.comm_ns),
                                            Seconds(rank.exposed_ns)});
    }
    slowest_npu =
        &*std::max_element(out.sim_ranks.begin(), out.sim_ranks.end(),
                           [](const auto& a, const auto& b) { return a.finish_s < b.finish_s; });
    step = slowest_npu->finish_s;
  }
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
  if (slowest_npu != nullptr) {
    // The slowest simulated NPU's own split (the kinds of communication
    // stay the analytical schedule's).
    m.compute_s = slowest_npu->compute_s;
    m.exposed_comm_s = slowest_npu->exposed_comm_s;
    m.bubble_s = std::max(0.0, step - slowest_npu->compute_s - slowest_npu->exposed_comm_s);
  }
  count(out);
  out.hardware_flops = timing.flops * D(c.parallelism.Gpus() / c.parallelism.pp);
  out.status = m.fits_memory ? PointStatus::kOk : PointStatus::kInfeasible;
  return out;
}

}  // namespace astrasweep::exec
