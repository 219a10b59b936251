// The graph-free pipeline timing of pipeline_timing.h.
//
// The order the units run in is the shape's compiled walk (pipeline_walk.h):
// each unit reads its input's arrival at its own place, runs on its stage's
// compute stream, and writes its output's arrival at its consumer's place
// after the link. Times follow the scheduler's rules exactly (a node starts
// at the later of its stream's last finish and its dependencies'), so only
// the order of the floating-point additions differs from the graph. The
// sums of a stage's timeline that do not depend on when its units run (its
// compute, the communication its work blocks on, its transfers) are counted
// rather than added unit by unit.
#include "astrasweep/graph/pipeline_timing.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <span>

#include "pipeline_plan.h"
#include "pipeline_walk.h"

namespace astrasweep::graph {
namespace {

using I64 = std::int64_t;
using plan::DataParallelPlan;
using plan::GradientReduction;
using plan::VirtualStagePlan;
using plan::Work;
using walk::Link;
using walk::Op;
using walk::Program;
using walk::Repetition;

std::size_t Index(I64 value) { return static_cast<std::size_t>(value); }

// A node's time on its stream.
struct Interval {
  double start = 0, finish = 0;
};

// An arrival: the transfer that carries it (start = finish when nothing is
// transferred: the stage's own forward, or no input at all), so that the
// gap before a unit overlaps it only when it is communication.
struct Arrival {
  double start = 0, finish = 0;
};

// The sums a stage's timeline is made of (StageTimeline's fields).
struct Totals {
  double compute = 0, tp = 0, pp = 0, dp = 0, exposed = 0, flops = 0;
  void Add(const Work& work, double times) {
    compute += times * (work.duration() - work.blocking - work.data_parallel_blocking);
    tp += times * work.blocking;
    dp += times * work.data_parallel;
    exposed += times * (work.blocking + work.data_parallel_blocking);
    flops += times * work.flops;
  }
};

// When a stage's streams are next free, and the communication its compute
// stream waited for in idle gaps.
struct Clock {
  double compute = 0;
  std::array<double, 3> link{};  // by walk::Link; kNone's is never waited for
  double data_parallel = 0;
  double exposed = 0;
  Interval last_reduction;  // the last per-layer gradient reduction
  static constexpr int kStreams = 4;
  double& Stream(int i) { return i == 0 ? compute : i == 3 ? data_parallel : link[Index(i - 1)]; }
  double Stream(int i) const { return const_cast<Clock&>(*this).Stream(i); }
};

// An arrival in flight at a cut that can still make its unit wait: one
// that arrives after its stage's compute stream is free. An earlier one
// delays nothing and exposes nothing, whenever its unit runs.
struct Pending {
  std::int32_t stage, offset;  // its unit: the stage, the position after the cut
  Arrival when;
};

// The clocks at a cut, and the arrivals then pending.
struct Snapshot {
  std::vector<Clock> clocks;
  std::vector<Pending> pending;
};

class PipelineTimer {
 public:
  Status Run(const config::Config& config, const model::StepCosts& costs, PipelineTiming& out);

 private:
  void Plan(const config::Config& config, const model::StepCosts& costs);
  bool Time(Program& program);
  template <bool kRecord = false>
  void Replay(std::span<const Op> ops);
  void TimeWarmup(const Program& program);
  I64 RepeatingStages() const;
  bool ExtrapolateWarmup(const Program& program, I64 period);
  void RunSplit(const Op& op);
  Interval Compute(Clock& clock, double duration, const Arrival& input);
  bool RepeatPeriods(Program& program, std::size_t r);
  void TakeSnapshot(Program& program, std::size_t r, I64 n, Snapshot& snap) const;
  bool Periodic(const Snapshot& before, const Snapshot& after, double& shift) const;
  void Skip(Program& program, std::size_t r, I64 done, double shift);
  Totals Count(I64 stage) const;
  void Finish(I64 stage, Totals& totals);
  void Output(const config::Config& config, PipelineTiming& out);

  const config::Config* config_ = nullptr;
  const model::StepCosts* costs_ = nullptr;
  PipelineShape shape_;
  DataParallelPlan dp_{};
  std::vector<VirtualStagePlan> plans_;
  std::vector<double> durations_;                 // by Op::work
  std::vector<std::array<double, 3>> link_time_;  // per stage, by walk::Link
  std::vector<Clock> clocks_;
  std::vector<Arrival> arrivals_;  // by walk::Layout
  Snapshot before_, after_;
  // The warm-up's units timed to extrapolate from: when each finished, and
  // the communication its gap exposed.
  struct Timed {
    double finish, exposed;
  };
  std::vector<Timed> warmup_timed_;
  I64 units_timed_ = 0, units_extrapolated_ = 0;
};

void PipelineTimer::Plan(const config::Config& config, const model::StepCosts& costs) {
  config_ = &config;
  costs_ = &costs;
  shape_ = PipelineShape::Of(config);
  dp_ = plan::PlanDataParallel(config, costs);
  plans_ = plan::PlanVirtualStages(config, costs, shape_);
  durations_.clear();
  for (const VirtualStagePlan& plan : plans_) {
    durations_.push_back(plan.forward.duration());
    durations_.push_back(plan.backward.duration());
  }
  const I64 p = shape_.stages;
  link_time_.clear();
  for (I64 k = 0; k < p; ++k)
    link_time_.push_back({model::StageTransferTime(config, k, (k + 1) % p, costs.p2p_bytes),
                          model::StageTransferTime(config, k, (k + p - 1) % p, costs.p2p_bytes),
                          0.0});
}

Status PipelineTimer::Run(const config::Config& config, const model::StepCosts& costs,
                          PipelineTiming& out) {
  ASTRASWEEP_RETURN_IF_ERROR(CheckPipeline(config));
  Plan(config, costs);
  Program* program =
      walk::ProgramFor({.schedule = config.training.schedule,
                        .shape = shape_,
                        .split_last = dp_.reduction == GradientReduction::kPerLayerOfLastBackward});
  const auto deadlock = [] {
    return MakeError(ErrorCode::kInternal,
                     "the pipeline timing found no unit ready to run before the step's end");
  };
  if (program == nullptr) return deadlock();
  if (!Time(*program)) {  // a cut the walk cannot reach: time every unit
    if (!program->Linearize()) return deadlock();
    Time(*program);
  }
  Output(config, out);
  return Ok();
}

// Every unit, but for the periods repeated and the warm-ups extrapolated;
// false if a period cannot be walked.
bool PipelineTimer::Time(Program& program) {
  clocks_.assign(Index(shape_.stages), Clock{});
  arrivals_.resize(std::max(arrivals_.size(), program.layout().size(shape_.stages)));
  arrivals_[walk::Layout::kZero] = {};
  units_timed_ = units_extrapolated_ = 0;
  TimeWarmup(program);
  for (std::size_t r = 0; r < program.repetitions().size(); ++r) {
    Replay(program.Lead(r));
    if (!RepeatPeriods(program, r)) return false;
  }
  Replay(program.Lead(program.repetitions().size()));
  return true;
}

// The units in the compiled order. A unit's idle gap exposes the part of
// its input's transfer it overlaps (AnalyzeStages' rule): from the later of
// the gap's and the transfer's start to the transfer's end, where the gap
// ends at the latest; a gap that waited for no transfer overlaps an empty
// one.
// With `kRecord`, each unit's finish and exposed communication are kept in
// warmup_timed_ (for units not split per layer: the warm-up's).
template <bool kRecord>
void PipelineTimer::Replay(std::span<const Op> ops) {
  Arrival* const arrivals = arrivals_.data();
  Clock* const clocks = clocks_.data();
  const double* const durations = durations_.data();
  const std::array<double, 3>* const link_time = link_time_.data();
  for (const Op& op : ops) {
    if (op.split) [[unlikely]] {
      RunSplit(op);
    } else {
      const Arrival input = arrivals[op.in];
      Clock& clock = clocks[op.stage];
      const double idle = clock.compute, start = std::max(idle, input.finish);
      const double exposed = std::max(input.finish - std::max(idle, input.start), 0.0);
      clock.exposed += exposed;
      const double finish = start + durations[op.work];
      if constexpr (kRecord) warmup_timed_.push_back({finish, exposed});
      clock.compute = finish;
      double& link = clock.link[static_cast<std::size_t>(op.link)];
      const double send = std::max(link, finish);
      link = send + link_time[op.stage][static_cast<std::size_t>(op.link)];
      arrivals[op.out] = {send, link};
    }
  }
  units_timed_ += static_cast<I64>(ops.size());
}

// 1f1b's warm-up: the first 1 + 2 d stages' timed, the later ones'
// extrapolated from them where the stages repeat every d.
void PipelineTimer::TimeWarmup(const Program& program) {
  const std::span<const Op> warmup = program.Warmup();
  if (warmup.empty()) return;
  const I64 period = RepeatingStages();
  if (period == 0) {
    Replay(warmup);
    return;
  }
  const std::size_t timed = program.WarmupBegin(1 + 2 * period);
  warmup_timed_.clear();
  Replay</*kRecord=*/true>(warmup.first(timed));
  if (!ExtrapolateWarmup(program, period)) Replay(warmup.subspan(timed));
}

// The smallest d such that every stage from 1 + d to the one before last
// has the forward work and the link to the next stage of the stage d
// before it, and a few stages are left to extrapolate after the first
// 1 + 2 d; 0 if there is none.
I64 PipelineTimer::RepeatingStages() const {
  const I64 p = shape_.stages;
  if (shape_.chunks != 1) return 0;
  for (I64 d = 1; 1 + 2 * d + 2 < p; d *= 2) {
    bool repeats = true;
    for (I64 k = 1 + d; k < p - 1 && repeats; ++k)
      repeats = durations_[Index(2 * k)] == durations_[Index(2 * (k - d))] &&
                link_time_[Index(k)][0] == link_time_[Index(k - d)][0];
    if (repeats) return d;
  }
  return 0;
}

// Each of stages 1 + d to 2 d (timed) is the stage d before it shifted by
// one time, its sends and its exposed communication too: then so is every
// later stage's warm-up, by induction (a stage's warm-up is the same
// function of the warm-up of the stage before it as the one d stages
// before, and starts idle). A later stage takes the clocks its last
// warm-up unit leaves, the communication its units expose, and sends the
// next stage's first unit after the warm-up its input; the units in
// between are not timed. False, having written nothing, if the check
// fails.
bool PipelineTimer::ExtrapolateWarmup(const Program& program, I64 period) {
  const I64 p = shape_.stages, timed = 1 + 2 * period;
  const auto length = [&](I64 k) { return program.WarmupBegin(k + 1) - program.WarmupBegin(k); };
  const auto unit = [&](I64 k, std::size_t j) { return program.WarmupBegin(k) + j; };
  const auto sent = [&](I64 k, std::size_t j) -> const Arrival& {
    return arrivals_[program.Warmup()[unit(k, j)].out];
  };
  if (length(1 + period) == 0) return false;
  const double shift = warmup_timed_[unit(1 + period, 0)].finish - warmup_timed_[unit(1, 0)].finish;
  if (!(shift > 0)) return false;
  const auto same = [](double b, double a, double by) {
    return std::abs(a - b - by) <= 1e-12 * std::abs(a) + 1e-15;
  };
  for (I64 k = 1 + period; k < timed; ++k)
    for (std::size_t j = 0; j < length(k); ++j) {
      const Timed &b = warmup_timed_[unit(k - period, j)], &a = warmup_timed_[unit(k, j)];
      if (!same(b.finish, a.finish, shift) ||
          !same(sent(k - period, j).start, sent(k, j).start, shift) ||
          !same(sent(k - period, j).finish, sent(k, j).finish, shift) ||
          std::abs(a.exposed - b.exposed) > 1e-12 * std::abs(a.finish) + 1e-15)
        return false;
    }
  for (I64 k = timed; k < p; ++k) {
    if (length(k) == 0) continue;
    const I64 from = timed - period + (k - timed + period) % period;
    const double by = static_cast<double>((k - from) / period) * shift;
    const std::size_t last = length(k) - 1;
    Clock& clock = clocks_[Index(k)];
    clock.compute = warmup_timed_[unit(from, last)].finish + by;
    clock.link[0] = sent(from, last).finish + by;
    for (std::size_t j = 0; j <= last; ++j) clock.exposed += warmup_timed_[unit(from, j)].exposed;
    arrivals_[program.Warmup()[unit(k, last)].out] = {sent(from, last).start + by,
                                                      sent(from, last).finish + by};
    units_extrapolated_ += static_cast<I64>(length(k));
  }
  return true;
}

// The last micro-batch's backward with dp_overlap: layer by layer, each
// layer's gradients reduced on the data-parallel stream as soon as they
// are ready.
void PipelineTimer::RunSplit(const Op& op) {
  Clock& clock = clocks_[op.stage];
  const VirtualStagePlan& plan = plans_[op.work / 2];
  Arrival input = arrivals_[op.in];
  Interval exit;
  for (std::int32_t layer = plan.layers.end - 1; layer >= plan.layers.begin; --layer) {
    const plan::ModelEnds ends = plan::LayerEnds(plan, layer);
    exit = Compute(clock, plan::BackwardWork(*costs_, 1, ends).duration(), input);
    input = {};  // the later layers follow the first on the stream
    const double seconds = dp_.gradient_reduction.Seconds({.layers = 1, .ends = ends});
    const double start = std::max(clock.data_parallel, exit.finish);
    clock.last_reduction = {start, start + seconds};
    clock.data_parallel = clock.last_reduction.finish;
  }
  double& link = clock.link[static_cast<std::size_t>(op.link)];
  const double send = std::max(link, exit.finish);
  link = send + link_time_[op.stage][static_cast<std::size_t>(op.link)];
  arrivals_[op.out] = {send, link};
}

// A node on the stage's compute stream, and the communication its idle
// gap waited for.
Interval PipelineTimer::Compute(Clock& clock, double duration, const Arrival& input) {
  const double idle = clock.compute, start = std::max(idle, input.finish);
  clock.exposed += std::max(input.finish - std::max(idle, input.start), 0.0);
  clock.compute = start + duration;
  return {start, clock.compute};
}

// Repetition r from its first cut: period by period until one repeats the
// one before, then the rest of them skipped. False if a period cannot be
// walked.
bool PipelineTimer::RepeatPeriods(Program& program, std::size_t r) {
  const Repetition& rep = program.repetitions()[r];
  TakeSnapshot(program, r, 0, before_);
  for (I64 n = 1; n <= rep.periods; ++n) {
    const std::vector<Op>* ops = program.Period(r, n);
    if (ops == nullptr) return false;
    Replay(*ops);
    if (n == rep.periods) break;
    TakeSnapshot(program, r, n, after_);
    double shift = 0;
    if (Periodic(before_, after_, shift)) {
      Skip(program, r, n, shift);
      break;
    }
    std::swap(before_, after_);
  }
  return true;
}

void PipelineTimer::TakeSnapshot(Program& program, std::size_t r, I64 n, Snapshot& snap) const {
  snap.clocks = clocks_;
  snap.pending.clear();
  for (const walk::InFlight& f : program.InFlightAt(r, n)) {
    const Arrival& when = arrivals_[f.index];
    if (when.finish > clocks_[Index(f.stage)].compute)
      snap.pending.push_back({f.stage, f.offset, when});
  }
}

// Whether `after` is `before` with every time that moved shifted by one
// `shift`, the pending arrivals (waiting for the same units) with them.
// What follows a cut depends on its clocks and pending arrivals alone, so
// the periods after `after` repeat the one before it.
bool PipelineTimer::Periodic(const Snapshot& before, const Snapshot& after, double& shift) const {
  shift = after.clocks[0].compute - before.clocks[0].compute;
  if (!(shift > 0)) return false;
  const auto same = [&](double b, double a) {
    return std::abs(a - b - shift) <= 1e-12 * std::abs(a) + 1e-15;
  };
  for (std::size_t k = 0; k < after.clocks.size(); ++k)
    for (int s = 0; s < Clock::kStreams; ++s) {
      const double b = before.clocks[k].Stream(s), a = after.clocks[k].Stream(s);
      if (a != b && !same(b, a)) return false;
    }
  if (after.pending.size() != before.pending.size()) return false;
  for (std::size_t i = 0; i < after.pending.size(); ++i) {
    const Pending &b = before.pending[i], &a = after.pending[i];
    if (a.stage != b.stage || a.offset != b.offset || !same(b.when.start, a.when.start) ||
        !same(b.when.finish, a.when.finish))
      return false;
  }
  return true;
}

// The periods after `done` up to the repetition's end, not timed: every
// stream that moved and the exposed communication advance as in the last
// period, and the arrivals those periods send beyond the repetition are
// written, shifted.
void PipelineTimer::Skip(Program& program, std::size_t r, I64 done, double shift) {
  const Repetition& rep = program.repetitions()[r];
  const I64 skipped = rep.periods - done;
  const double skipped_d = static_cast<double>(skipped);
  for (std::size_t k = 0; k < clocks_.size(); ++k) {
    Clock& clock = clocks_[k];
    const Clock &b = before_.clocks[k], &a = after_.clocks[k];
    for (int s = 0; s < Clock::kStreams; ++s)
      if (a.Stream(s) != b.Stream(s)) clock.Stream(s) += skipped_d * shift;
    clock.exposed += skipped_d * (a.exposed - b.exposed);
  }
  for (const walk::SkipWrite& w : program.SkipWritesAfter(r, done)) {
    const double by = static_cast<double>(w.periods) * shift;
    arrivals_[w.to] = {arrivals_[w.from].start + by, arrivals_[w.from].finish + by};
  }
}

// What a stage's units add up to, whenever they run: m forwards and m
// backwards of each of its chunks (the last micro-batch's backward layer
// by layer with dp_overlap), and their transfers.
Totals PipelineTimer::Count(I64 stage) const {
  const double m = static_cast<double>(shape_.microbatches);
  const I64 last = shape_.virtual_stages() - 1;
  Totals totals;
  for (std::int32_t c = 0; c < shape_.chunks; ++c) {
    const I64 vs = shape_.VirtualStage(stage, c);
    const VirtualStagePlan& plan = plans_[Index(vs)];
    totals.Add(plan.forward, m);
    if (dp_.reduction != GradientReduction::kPerLayerOfLastBackward) {
      totals.Add(plan.backward, m);
    } else {
      totals.Add(plan.backward, m - 1);
      for (std::int32_t layer = plan.layers.begin; layer < plan.layers.end; ++layer) {
        const plan::ModelEnds ends = plan::LayerEnds(plan, layer);
        totals.Add(plan::BackwardWork(*costs_, 1, ends), 1);
        totals.dp += dp_.gradient_reduction.Seconds({.layers = 1, .ends = ends});
      }
    }
    if (vs != last) totals.pp += m * link_time_[Index(stage)][0];
    if (vs != 0) totals.pp += m * link_time_[Index(stage)][1];
  }
  totals.exposed += clocks_[Index(stage)].exposed;
  return totals;
}

// After a stage's last unit: its gradient reduction, the optimizer, and
// with ZeRO 1 and 2 the gather of the updated weights.
void PipelineTimer::Finish(I64 k, Totals& totals) {
  Clock& clock = clocks_[Index(k)];
  const plan::ParameterShare share = plan::StageShare(plans_, shape_, k);
  Arrival reduction;
  switch (dp_.reduction) {
    case GradientReduction::kNone: break;
    case GradientReduction::kPerLayerOfLastBackward:
      reduction = {clock.last_reduction.start, clock.last_reduction.finish};
      break;
    case GradientReduction::kAfterBackward: {
      const double seconds = dp_.gradient_reduction.Seconds(share);
      const double start = std::max(clock.data_parallel, clock.compute);
      reduction = {start, start + seconds};
      clock.data_parallel = reduction.finish;
      totals.dp += seconds;
      break;
    }
  }
  const double before = clock.exposed;
  const double optimizer = plan::OptimizerSeconds(*config_, *costs_, share);
  const Interval step = Compute(clock, optimizer, reduction);
  totals.exposed += clock.exposed - before;
  totals.compute += optimizer;
  if (dp_.gather_after_step) {
    const double seconds = dp_.weight_gather.Seconds(share);
    clock.data_parallel = std::max(clock.data_parallel, step.finish) + seconds;
    totals.dp += seconds;
  }
}

void PipelineTimer::Output(const config::Config& config, PipelineTiming& out) {
  const I64 p = shape_.stages;
  out.stages.resize(Index(p));
  out.makespan = 0;
  out.flops = 0;
  for (I64 k = 0; k < p; ++k) {
    Totals totals = Count(k);
    Finish(k, totals);
    const Clock& clock = clocks_[Index(k)];
    StageTimeline& t = out.stages[Index(k)];
    t = StageTimeline{};
    t.stage = static_cast<std::int32_t>(k);
    t.rank = plan::StageRank(config, k);
    t.finish = std::max({clock.compute, clock.link[0], clock.link[1], clock.data_parallel});
    t.compute = totals.compute;
    t.tp_comm = totals.tp;
    t.pp_comm = totals.pp;
    t.dp_comm = totals.dp;
    t.exposed_comm = totals.exposed + std::max(0.0, t.finish - clock.compute);
    out.makespan = std::max(out.makespan, t.finish);
    out.flops += totals.flops;
  }
  for (StageTimeline& t : out.stages) {
    t.bubble = out.makespan - t.compute - t.exposed_comm;
    if (t.bubble < 1e-9 * out.makespan) t.bubble = 0;  // rounding, not idling
  }
  out.units_timed = units_timed_;
  out.units_extrapolated = units_extrapolated_;
}

}  // namespace

Status TimePipeline(const config::Config& config, const model::StepCosts& costs,
                    PipelineTiming& timing) {
  thread_local PipelineTimer timer;  // its buffers stay allocated between points
  return timer.Run(config, costs, timing);
}

}  // namespace astrasweep::graph
