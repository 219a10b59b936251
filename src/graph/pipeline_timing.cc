// The graph-free pipeline timing of pipeline_timing.h.
//
// Each stage walks its StageSequence. A unit runs when its input has
// arrived: the activation or gradient sent by the neighbouring virtual
// stage, or, for the last virtual stage's backward, its own forward. Each
// stage keeps the arrivals it has not consumed in a ring indexed by the
// position of the unit that consumes them; a sender waits (in walking
// order, not in time) while the receiver's ring has no room. The stages
// are walked in turn, back and forth, until every one has reached its
// target position; times follow the scheduler's rules exactly (a node
// starts at the later of its stream's last finish and its dependencies'),
// so only the order of the floating-point additions differs from the graph.
#include "astrasweep/graph/pipeline_timing.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>

#include "pipeline_plan.h"

namespace astrasweep::graph {
namespace {

using I64 = std::int64_t;
using plan::DataParallelPlan;
using plan::GradientReduction;
using plan::VirtualStagePlan;
using plan::Work;

std::size_t Index(I64 value) { return static_cast<std::size_t>(value); }

// A node's time on its stream.
struct Interval {
  double start = 0, finish = 0;
};

// An input waiting in a stage's ring: what the unit at `index` waits for.
struct Slot {
  I64 index = -1;
  Interval when;
  bool comm = false;  // a transfer (else the stage's own forward)
};

// The sums a stage's timeline is made of (StageTimeline's fields).
struct Totals {
  double compute = 0, tp = 0, pp = 0, dp = 0, exposed = 0, flops = 0;
  Totals& operator+=(const Totals& o) {
    compute += o.compute, tp += o.tp, pp += o.pp, dp += o.dp, exposed += o.exposed,
        flops += o.flops;
    return *this;
  }
  Totals Minus(const Totals& o) const {
    return {compute - o.compute, tp - o.tp,           pp - o.pp,
            dp - o.dp,           exposed - o.exposed, flops - o.flops};
  }
  Totals Times(double n) const {
    return {compute * n, tp * n, pp * n, dp * n, exposed * n, flops * n};
  }
};

// When each of a stage's streams is next free.
struct Streams {
  double compute = 0, forward_link = 0, backward_link = 0, data_parallel = 0;
  static constexpr int kCount = 4;
  double& operator[](int i) {
    return i == 0 ? compute : i == 1 ? forward_link : i == 2 ? backward_link : data_parallel;
  }
  double operator[](int i) const { return const_cast<Streams&>(*this)[i]; }
};

struct StageState {
  I64 cursor = 0;       // units done
  I64 target = 0;       // where the current walk stops
  I64 written_end = 0;  // one past the furthest position written into its ring
  Streams free;
  Totals totals;
  Interval last_reduction;  // the last per-layer gradient reduction
  bool waiting_for_room = false;
};

// A write into a ring during the period being watched: replayed, shifted,
// for the periods skipped.
struct Write {
  I64 stage;
  StageUnit unit;  // the receiver's unit
  Slot slot;
};

// A stage's state at the end of a period, for comparing periods.
struct StageSnapshot {
  Streams free;
  Totals totals;
  std::size_t inflight_begin = 0, inflight_end = 0;  // into Snapshot::inflight
};
struct InFlight {
  I64 offset;  // position after the stage's cursor
  Slot slot;
};
struct Snapshot {
  std::vector<StageSnapshot> stages;
  std::vector<InFlight> inflight;
};

// A repeating part of every stage's sequence: positions begin[k] + n period
// for n <= periods are consistent cuts, and the units between two of them
// differ from the previous ones only in micro-batch (+ microbatches).
struct Repetition {
  std::vector<I64> begin;
  I64 periods = 0, period = 0, microbatches = 0;
  I64 Cut(I64 stage, I64 n) const { return begin[Index(stage)] + n * period; }
};

class PipelineTimer {
 public:
  Status Run(const config::Config& config, const model::StepCosts& costs, PipelineTiming& out);

 private:
  void Plan(const config::Config& config, const model::StepCosts& costs);
  std::vector<Repetition> Repetitions() const;
  bool WalkTo(const std::function<I64(I64)>& target);
  bool Step(I64 stage);
  Interval Compute(StageState& st, const Work& work, double ready, const Slot* binding);
  void RepeatPeriods(const Repetition& rep);
  void TakeSnapshot(const Repetition& rep, Snapshot& snap) const;
  bool Periodic(const Snapshot& before, const Snapshot& after, double& shift) const;
  void Skip(const Repetition& rep, I64 done, const Snapshot& before, const Snapshot& after,
            double shift);
  void Finish(I64 stage);
  void Store(I64 stage, const StageUnit& unit, I64 index, Interval when, bool comm);
  void Grow();
  std::size_t SlotOf(I64 stage, I64 index) const {
    return Index(stage) * width_ + (static_cast<std::size_t>(index) & (width_ - 1));
  }
  Slot& RingAt(I64 stage, I64 index) { return ring_[SlotOf(stage, index)]; }
  const Slot& RingAt(I64 stage, I64 index) const { return ring_[SlotOf(stage, index)]; }

  const config::Config* config_ = nullptr;
  const model::StepCosts* costs_ = nullptr;
  PipelineShape shape_;
  DataParallelPlan dp_{};
  std::vector<VirtualStagePlan> plans_;
  std::vector<StageSequence> sequences_;
  std::vector<double> forward_seconds_, backward_seconds_;  // per stage's link
  std::vector<StageState> stages_;
  std::vector<Slot> ring_;
  std::size_t width_ = 0;  // ring slots per stage, a power of two
  bool logging_ = false;
  std::vector<Write> log_;
  Snapshot before_, after_;
  I64 units_timed_ = 0;
  bool forward_sweep_ = true;
};

void PipelineTimer::Plan(const config::Config& config, const model::StepCosts& costs) {
  config_ = &config;
  costs_ = &costs;
  shape_ = PipelineShape::Of(config);
  dp_ = plan::PlanDataParallel(config, costs);
  plans_ = plan::PlanVirtualStages(config, costs, shape_);
  const I64 p = shape_.stages;
  sequences_.clear();
  forward_seconds_.clear();
  backward_seconds_.clear();
  for (I64 k = 0; k < p; ++k) {
    sequences_.emplace_back(config.training.schedule, shape_, k);
    forward_seconds_.push_back(model::StageTransferTime(config, k, (k + 1) % p, costs.p2p_bytes));
    backward_seconds_.push_back(
        model::StageTransferTime(config, k, (k + p - 1) % p, costs.p2p_bytes));
  }
  stages_.assign(Index(p), StageState{});
  width_ = 16;  // grows when a stage needs more (Grow)
  ring_.assign(Index(p) * width_, Slot{});
  log_.clear();
  units_timed_ = 0;
}

// The parts of the sequences that repeat. 1f1b and interleaved: the steady
// state, where every stage alternates forwards and backwards; gpipe: all
// forwards, then all backwards. Each ends before the last micro-batch's
// backward when that one is split per layer.
std::vector<Repetition> PipelineTimer::Repetitions() const {
  const I64 p = shape_.stages, total = shape_.microbatches * shape_.chunks;
  std::vector<Repetition> reps;
  const auto add = [&](Repetition rep, const std::vector<I64>& end) {
    rep.periods = total;
    for (I64 k = 0; k < p; ++k) {
      I64 limit = end[Index(k)];
      if (dp_.reduction == GradientReduction::kPerLayerOfLastBackward)
        for (std::int32_t c = 0; c < shape_.chunks; ++c)
          limit = std::min(
              limit, sequences_[Index(k)].IndexOf(
                         {c, static_cast<std::int32_t>(shape_.microbatches - 1), Pass::kBackward}));
      rep.periods = std::min(rep.periods, std::max<I64>(0, limit - rep.Cut(k, 0)) / rep.period);
    }
    if (rep.periods >= 3) reps.push_back(std::move(rep));
  };
  if (config_->training.schedule == config::Schedule::kGpipe) {
    Repetition forwards{.begin = std::vector<I64>(Index(p), 0), .period = 1, .microbatches = 1};
    add(forwards, std::vector<I64>(Index(p), total));
    Repetition backwards{
        .begin = std::vector<I64>(Index(p), total), .period = 1, .microbatches = 1};
    add(backwards, std::vector<I64>(Index(p), 2 * total));
    return reps;
  }
  Repetition steady{.period = sequences_[0].period(),
                    .microbatches = sequences_[0].period_microbatches()};
  std::vector<I64> end;
  for (const StageSequence& seq : sequences_) {
    steady.begin.push_back(seq.steady_begin());
    end.push_back(seq.steady_end());
  }
  add(steady, end);
  return reps;
}

Status PipelineTimer::Run(const config::Config& config, const model::StepCosts& costs,
                          PipelineTiming& out) {
  ASTRASWEEP_RETURN_IF_ERROR(CheckPipeline(config));
  Plan(config, costs);
  for (const Repetition& rep : Repetitions()) RepeatPeriods(rep);
  if (!WalkTo([&](I64 k) { return sequences_[Index(k)].size(); }))
    return MakeError(ErrorCode::kInternal,
                     "the pipeline timing found no unit ready to run before the step's end");
  const I64 p = shape_.stages;
  for (I64 k = 0; k < p; ++k) Finish(k);
  out.stages.resize(Index(p));
  out.makespan = 0;
  out.flops = 0;
  for (I64 k = 0; k < p; ++k) {
    const StageState& st = stages_[Index(k)];
    StageTimeline& t = out.stages[Index(k)];
    t = StageTimeline{};
    t.stage = static_cast<std::int32_t>(k);
    t.rank = plan::StageRank(config, k);
    t.finish = std::max(
        {st.free.compute, st.free.forward_link, st.free.backward_link, st.free.data_parallel});
    t.compute = st.totals.compute;
    t.tp_comm = st.totals.tp;
    t.pp_comm = st.totals.pp;
    t.dp_comm = st.totals.dp;
    t.exposed_comm = st.totals.exposed + std::max(0.0, t.finish - st.free.compute);
    out.makespan = std::max(out.makespan, t.finish);
    out.flops += st.totals.flops;
  }
  for (StageTimeline& t : out.stages) {
    t.bubble = out.makespan - t.compute - t.exposed_comm;
    if (t.bubble < 1e-9 * out.makespan) t.bubble = 0;  // rounding, not idling
  }
  out.units_timed = units_timed_;
  return Ok();
}

// Walks the stages in turn until each has reached target(stage); false when
// none can move before that (the targets are not a consistent cut).
bool PipelineTimer::WalkTo(const std::function<I64(I64)>& target) {
  const I64 p = shape_.stages;
  for (I64 k = 0; k < p; ++k) stages_[Index(k)].target = target(k);
  for (;;) {
    bool moved = false, done = true, room = false;
    for (I64 i = 0; i < p; ++i) {
      const I64 k = forward_sweep_ ? i : p - 1 - i;
      StageState& st = stages_[Index(k)];
      st.waiting_for_room = false;
      while (st.cursor < st.target && Step(k)) moved = true;
      done = done && st.cursor == st.target;
      room = room || st.waiting_for_room;
    }
    forward_sweep_ = !forward_sweep_;
    if (done) return true;
    if (!moved && !room) return false;
    if (!moved) Grow();
  }
}

// Runs stage `k`'s next unit if its input has arrived and its output has
// room; false otherwise.
bool PipelineTimer::Step(I64 k) {
  StageState& st = stages_[Index(k)];
  const StageSequence& seq = sequences_[Index(k)];
  const I64 index = st.cursor, p = shape_.stages, last_vs = shape_.virtual_stages() - 1;
  const StageUnit unit = seq.At(index);
  const I64 vs = shape_.VirtualStage(k, unit.chunk);
  const bool forward = unit.pass == Pass::kForward;

  Slot arrival;  // a copy: Grow below moves the rings
  const Slot* input = nullptr;
  if (!(forward && vs == 0)) {
    arrival = RingAt(k, index);
    if (arrival.index != index) return false;
    input = &arrival;
  }
  // Where the output goes: the receiver's stage, unit and position.
  I64 to = -1, at = -1;
  StageUnit received{};
  if (forward && vs == last_vs) {
    to = k, received = {unit.chunk, unit.microbatch, Pass::kBackward};
  } else if (forward || vs > 0) {
    const I64 next_vs = forward ? vs + 1 : vs - 1;
    to = next_vs % p;
    received = {static_cast<std::int32_t>(next_vs / p), unit.microbatch, unit.pass};
  }
  if (to >= 0) {
    at = sequences_[Index(to)].IndexOf(received);
    if (at >= stages_[Index(to)].cursor + static_cast<I64>(width_)) {
      if (to != k) {
        st.waiting_for_room = true;
        return false;
      }
      while (at >= st.cursor + static_cast<I64>(width_)) Grow();
    }
  }

  const VirtualStagePlan& plan = plans_[Index(vs)];
  const double ready = input != nullptr ? input->when.finish : 0;

  Interval exit;
  if (dp_.PerLayer(unit, shape_.microbatches)) {
    for (std::int32_t layer = plan.layers.end - 1; layer >= plan.layers.begin; --layer) {
      const plan::ModelEnds ends = plan::LayerEnds(plan, layer);
      const bool first = layer == plan.layers.end - 1;
      exit = Compute(st, plan::BackwardWork(*costs_, 1, ends), first ? ready : 0,
                     first ? input : nullptr);
      const double seconds = dp_.gradient_reduction.Seconds({.layers = 1, .ends = ends});
      const double start = std::max(st.free.data_parallel, exit.finish);
      st.last_reduction = {start, start + seconds};
      st.free.data_parallel = st.last_reduction.finish;
      st.totals.dp += seconds;
    }
  } else {
    exit = Compute(st, plan.work(unit.pass), ready, input);
  }

  if (to == k && forward) {
    Store(to, received, at, exit, false);
  } else if (to >= 0) {
    double& link = forward ? st.free.forward_link : st.free.backward_link;
    const double seconds = forward ? forward_seconds_[Index(k)] : backward_seconds_[Index(k)];
    const double start = std::max(link, exit.finish);
    link = start + seconds;
    st.totals.pp += seconds;
    Store(to, received, at, {start, link}, true);
  }
  ++st.cursor;
  ++units_timed_;
  return true;
}

// A compute node on the stage's stream, and the communication its idle gap
// waited for (AnalyzeStages' rule).
Interval PipelineTimer::Compute(StageState& st, const Work& work, double ready,
                                const Slot* binding) {
  const double gap_begin = st.free.compute;
  const double start = std::max(gap_begin, ready);
  if (start > gap_begin && binding != nullptr && binding->comm) {
    const double from = std::max(gap_begin, binding->when.start);
    const double to = std::min(start, binding->when.finish);
    if (to > from) st.totals.exposed += to - from;
  }
  const double duration = work.duration();
  st.free.compute = start + duration;
  st.totals.compute += duration - work.blocking - work.data_parallel_blocking;
  st.totals.tp += work.blocking;
  st.totals.dp += work.data_parallel;
  st.totals.exposed += work.blocking + work.data_parallel_blocking;
  st.totals.flops += work.flops;
  return {start, st.free.compute};
}

// Field by field: a whole Slot built by the caller and copied would be
// read back before its parts were stored, stalling the copy.
void PipelineTimer::Store(I64 stage, const StageUnit& unit, I64 index, Interval when, bool comm) {
  Slot& slot = RingAt(stage, index);
  slot.index = index;
  slot.when.start = when.start;
  slot.when.finish = when.finish;
  slot.comm = comm;
  StageState& st = stages_[Index(stage)];
  st.written_end = std::max(st.written_end, index + 1);
  if (logging_) log_.push_back({stage, unit, slot});
}

// Doubles every ring, keeping the arrivals not yet consumed.
void PipelineTimer::Grow() {
  std::vector<Slot> old;
  old.swap(ring_);
  const std::size_t old_width = width_;
  width_ *= 2;
  ring_.assign(stages_.size() * width_, Slot{});
  for (std::size_t k = 0; k < stages_.size(); ++k)
    for (std::size_t i = 0; i < old_width; ++i) {
      const Slot& slot = old[k * old_width + i];
      if (slot.index >= stages_[k].cursor) RingAt(static_cast<I64>(k), slot.index) = slot;
    }
}

// Walks to the repetition's first cut, then period by period until one
// repeats the one before, then skips the rest of them.
void PipelineTimer::RepeatPeriods(const Repetition& rep) {
  if (!WalkTo([&](I64 k) { return std::max(stages_[Index(k)].cursor, rep.Cut(k, 0)); })) return;
  for (I64 k = 0; k < shape_.stages; ++k)
    if (stages_[Index(k)].cursor != rep.Cut(k, 0)) return;  // an earlier skip went past it
  TakeSnapshot(rep, before_);
  for (I64 n = 1; n < rep.periods; ++n) {
    log_.clear();
    logging_ = true;
    const bool cut = WalkTo([&](I64 k) { return rep.Cut(k, n); });
    logging_ = false;
    if (!cut) return;
    TakeSnapshot(rep, after_);
    double shift = 0;
    if (Periodic(before_, after_, shift)) {
      Skip(rep, n, before_, after_, shift);
      return;
    }
    std::swap(before_, after_);
  }
}

void PipelineTimer::TakeSnapshot(const Repetition& rep, Snapshot& snap) const {
  snap.stages.resize(stages_.size());
  snap.inflight.clear();
  for (I64 k = 0; k < shape_.stages; ++k) {
    const StageState& st = stages_[Index(k)];
    StageSnapshot& s = snap.stages[Index(k)];
    s.free = st.free;
    s.totals = st.totals;
    s.inflight_begin = snap.inflight.size();
    // Arrivals the rest of the repetition consumes; later ones are its
    // output, untouched by it.
    const I64 end = std::min(st.written_end, rep.Cut(k, rep.periods));
    for (I64 i = st.cursor; i < end; ++i) {
      const Slot& slot = RingAt(k, i);
      if (slot.index == i) snap.inflight.push_back({i - st.cursor, slot});
    }
    s.inflight_end = snap.inflight.size();
  }
}

// Whether `after` is `before` with every time that moved shifted by one
// `shift`, and the same arrivals in flight.
bool PipelineTimer::Periodic(const Snapshot& before, const Snapshot& after, double& shift) const {
  shift = after.stages[0].free.compute - before.stages[0].free.compute;
  if (!(shift > 0)) return false;
  const auto same = [&](double b, double a) {
    return std::abs(a - b - shift) <= 1e-12 * std::abs(a) + 1e-15;
  };
  for (std::size_t k = 0; k < after.stages.size(); ++k) {
    const StageSnapshot &b = before.stages[k], &a = after.stages[k];
    for (int s = 0; s < Streams::kCount; ++s)
      if (a.free[s] != b.free[s] && !same(b.free[s], a.free[s])) return false;
    if (a.inflight_end - a.inflight_begin != b.inflight_end - b.inflight_begin) return false;
    for (std::size_t i = 0; i < a.inflight_end - a.inflight_begin; ++i) {
      const InFlight& x = before.inflight[b.inflight_begin + i];
      const InFlight& y = after.inflight[a.inflight_begin + i];
      if (x.offset != y.offset || x.slot.comm != y.slot.comm ||
          !same(x.slot.when.start, y.slot.when.start) ||
          !same(x.slot.when.finish, y.slot.when.finish))
        return false;
    }
  }
  return true;
}

// The periods after `done` up to the repetition's end, not simulated: every
// stream that moved and every total advance as in the last period, and the
// arrivals those periods send beyond the repetition are written, shifted.
void PipelineTimer::Skip(const Repetition& rep, I64 done, const Snapshot& before,
                         const Snapshot& after, double shift) {
  const I64 skipped = rep.periods - done;
  const double skipped_d = static_cast<double>(skipped);
  for (I64 k = 0; k < shape_.stages; ++k) {
    StageState& st = stages_[Index(k)];
    const StageSnapshot &b = before.stages[Index(k)], &a = after.stages[Index(k)];
    for (int s = 0; s < Streams::kCount; ++s)
      if (a.free[s] != b.free[s]) st.free[s] += skipped_d * shift;
    st.totals += a.totals.Minus(b.totals).Times(skipped_d);
    st.cursor = rep.Cut(k, rep.periods);
  }
  for (const Write& w : log_) {  // not logging now: Store adds nothing to it
    const StageSequence& seq = sequences_[Index(w.stage)];
    for (I64 d = skipped; d >= 1; --d) {
      StageUnit unit = w.unit;
      unit.microbatch += static_cast<std::int32_t>(d * rep.microbatches);
      const I64 index = seq.IndexOf(unit);
      if (index < stages_[Index(w.stage)].cursor) break;
      while (index >= stages_[Index(w.stage)].cursor + static_cast<I64>(width_)) Grow();
      const double by = static_cast<double>(d) * shift;
      Store(w.stage, unit, index, {w.slot.when.start + by, w.slot.when.finish + by}, w.slot.comm);
    }
  }
}

// After a stage's last unit: its gradient reduction, the optimizer, and
// with ZeRO 1 and 2 the gather of the updated weights.
void PipelineTimer::Finish(I64 k) {
  StageState& st = stages_[Index(k)];
  const plan::ParameterShare share = plan::StageShare(plans_, shape_, k);
  Slot reduction;
  const Slot* binding = nullptr;
  switch (dp_.reduction) {
    case GradientReduction::kNone: break;
    case GradientReduction::kPerLayerOfLastBackward:
      reduction = {.index = 0, .when = st.last_reduction, .comm = true};
      binding = &reduction;
      break;
    case GradientReduction::kAfterBackward: {
      const double seconds = dp_.gradient_reduction.Seconds(share);
      const double start = std::max(st.free.data_parallel, st.free.compute);
      reduction = {.index = 0, .when = {start, start + seconds}, .comm = true};
      st.free.data_parallel = reduction.when.finish;
      st.totals.dp += seconds;
      binding = &reduction;
      break;
    }
  }
  const Interval optimizer = Compute(st, {plan::OptimizerSeconds(*config_, *costs_, share), 0, 0},
                                     binding != nullptr ? binding->when.finish : 0, binding);
  if (dp_.gather_after_step) {
    const double seconds = dp_.weight_gather.Seconds(share);
    st.free.data_parallel = std::max(st.free.data_parallel, optimizer.finish) + seconds;
    st.totals.dp += seconds;
  }
}

}  // namespace

Status TimePipeline(const config::Config& config, const model::StepCosts& costs,
                    PipelineTiming& timing) {
  thread_local PipelineTimer timer;  // its buffers stay allocated between points
  return timer.Run(config, costs, timing);
}

}  // namespace astrasweep::graph
