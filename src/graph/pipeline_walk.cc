// The compiled walk of pipeline_walk.h.
//
// Stages are walked in turn, back and forth, each as far as its inputs
// allow: a unit is ready once the unit it waits for has been walked on its
// own stage (its position is below that stage's cursor). With every
// arrival at its own place there is no ring to wait for room in, and the
// cursors alone are the walk's state: any consistent cut can be walked from
// without walking up to it, which is how periods and leads compile apart.
#include "pipeline_walk.h"

#include <algorithm>
#include <optional>

namespace astrasweep::graph::walk {
namespace {

std::size_t Index(I64 value) { return static_cast<std::size_t>(value); }

// A unit on a stage.
struct Peer {
  I64 stage;
  StageUnit unit;
};

StageUnit UnitOn(I64 vs, const PipelineShape& shape, std::int32_t microbatch, Pass pass) {
  return {static_cast<std::int32_t>(vs / shape.stages), microbatch, pass};
}

// The unit whose output `unit` on `stage` waits for: the previous virtual
// stage's forward, the next one's backward, or (last virtual stage's
// backward) its own forward. None for the first virtual stage's forward.
std::optional<Peer> Producer(const PipelineShape& shape, I64 stage, const StageUnit& unit) {
  const I64 vs = shape.VirtualStage(stage, unit.chunk), last = shape.virtual_stages() - 1;
  if (unit.pass == Pass::kForward) {
    if (vs == 0) return std::nullopt;
    return Peer{(vs - 1) % shape.stages, UnitOn(vs - 1, shape, unit.microbatch, Pass::kForward)};
  }
  if (vs == last) return Peer{stage, {unit.chunk, unit.microbatch, Pass::kForward}};
  return Peer{(vs + 1) % shape.stages, UnitOn(vs + 1, shape, unit.microbatch, Pass::kBackward)};
}

// The unit that waits for `unit`'s output, and the link it crosses.
std::optional<Peer> Consumer(const PipelineShape& shape, I64 stage, const StageUnit& unit,
                             Link& link) {
  const I64 vs = shape.VirtualStage(stage, unit.chunk), last = shape.virtual_stages() - 1;
  link = Link::kNone;
  if (unit.pass == Pass::kForward) {
    if (vs == last) return Peer{stage, {unit.chunk, unit.microbatch, Pass::kBackward}};
    link = Link::kForward;
    return Peer{(vs + 1) % shape.stages, UnitOn(vs + 1, shape, unit.microbatch, Pass::kForward)};
  }
  if (vs == 0) return std::nullopt;
  link = Link::kBackward;
  return Peer{(vs - 1) % shape.stages, UnitOn(vs - 1, shape, unit.microbatch, Pass::kBackward)};
}

}  // namespace

Program::Program(const ShapeKey& key) : key_(key) {
  const PipelineShape& shape = key.shape;
  layout_.per_stage = 2 * shape.microbatches * shape.chunks;
  for (I64 k = 0; k < shape.stages; ++k) sequences_.emplace_back(key.schedule, shape, k);
}

std::unique_ptr<Program> Program::Compile(const ShapeKey& key) {
  std::unique_ptr<Program> program(new Program(key));
  program->FindRepetitions();
  if (!program->CompileLeads()) return nullptr;
  return program;
}

bool Program::Linearize() {
  repetitions_.clear();
  compiled_.clear();
  leads_.clear();
  return CompileLeads();
}

// 1f1b and interleaved: the steady state, where every stage alternates
// forwards and backwards; gpipe: all forwards, then all backwards. Each ends
// before the last micro-batch's backward when that one is split per layer.
void Program::FindRepetitions() {
  const PipelineShape& shape = key_.shape;
  const I64 p = shape.stages, total = shape.microbatches * shape.chunks;
  const auto add = [&](Repetition rep, const std::vector<I64>& end) {
    rep.periods = total;
    for (I64 k = 0; k < p; ++k) {
      I64 limit = end[Index(k)];
      if (key_.split_last)
        for (std::int32_t c = 0; c < shape.chunks; ++c)
          limit = std::min(
              limit, sequences_[Index(k)].IndexOf(
                         {c, static_cast<std::int32_t>(shape.microbatches - 1), Pass::kBackward}));
      rep.periods = std::min(rep.periods, std::max<I64>(0, limit - rep.Cut(k, 0)) / rep.period);
    }
    if (rep.periods >= 3) repetitions_.push_back(std::move(rep));
  };
  if (key_.schedule == config::Schedule::kGpipe) {
    add({.begin = std::vector<I64>(Index(p), 0), .period = 1, .microbatches = 1},
        std::vector<I64>(Index(p), total));
    add({.begin = std::vector<I64>(Index(p), total), .period = 1, .microbatches = 1},
        std::vector<I64>(Index(p), 2 * total));
    return;
  }
  Repetition steady{.period = sequences_[0].period(),
                    .microbatches = sequences_[0].period_microbatches()};
  std::vector<I64> end;
  for (const StageSequence& seq : sequences_) {
    steady.begin.push_back(seq.steady_begin());
    end.push_back(seq.steady_end());
  }
  add(std::move(steady), end);
}

// The lead to each repetition's first cut and the one after the last;
// repetitions an earlier one went past, or whose first cut cannot be
// walked to, are dropped.
bool Program::CompileLeads() {
  const I64 p = key_.shape.stages;
  std::vector<I64> cursors(Index(p), 0), targets(Index(p));
  std::vector<Repetition> kept;
  std::vector<Op> lead;
  for (Repetition& rep : repetitions_) {
    bool reachable = true;
    for (I64 k = 0; k < p; ++k) {
      targets[Index(k)] = rep.Cut(k, 0);
      reachable = reachable && cursors[Index(k)] <= targets[Index(k)];
    }
    std::vector<I64> walked = cursors;
    const std::size_t mark = lead.size();
    if (!reachable || !Walk(walked, targets, lead)) {
      lead.resize(mark);
      continue;
    }
    leads_.push_back(std::move(lead));
    lead.clear();
    for (I64 k = 0; k < p; ++k) cursors[Index(k)] = rep.Cut(k, rep.periods);
    kept.push_back(std::move(rep));
  }
  for (I64 k = 0; k < p; ++k) targets[Index(k)] = sequences_[Index(k)].size();
  if (!Walk(cursors, targets, lead)) return false;
  leads_.push_back(std::move(lead));
  repetitions_ = std::move(kept);
  compiled_.assign(repetitions_.size(), {});
  TakeOutWarmup();
  return true;
}

// The first lead starts every stage at position 0, so a stage's ops in it
// come in position order: its first `warmup` are its warm-up. They wait
// only for warm-up forwards of the stage before (whose warm-up is longer)
// and for the ones before them on the stage: stage after stage is an order
// they can run in, before all the rest.
void Program::TakeOutWarmup() {
  const I64 p = key_.shape.stages;
  warmup_.clear();
  warmup_begin_.assign(Index(p) + 1, 0);
  if (key_.schedule != config::Schedule::k1F1B || key_.shape.chunks != 1) return;
  std::vector<std::vector<Op>> by_stage(Index(p));
  std::vector<Op> rest;
  for (const Op& op : leads_[0]) {
    std::vector<Op>& mine = by_stage[op.stage];
    if (static_cast<I64>(mine.size()) < sequences_[op.stage].warmup())
      mine.push_back(op);
    else
      rest.push_back(op);
  }
  for (I64 k = 0; k < p; ++k) {
    warmup_begin_[Index(k)] = warmup_.size();
    warmup_.insert(warmup_.end(), by_stage[Index(k)].begin(), by_stage[Index(k)].end());
  }
  warmup_begin_[Index(p)] = warmup_.size();
  leads_[0] = std::move(rest);
}

const std::vector<Op>* Program::Period(std::size_t r, I64 n) {
  Compiled& c = compiled_[r];
  const Repetition& rep = repetitions_[r];
  while (static_cast<I64>(c.periods.size()) < n) {
    const I64 from = static_cast<I64>(c.periods.size());
    std::vector<I64> cursors, targets;
    for (I64 k = 0; k < key_.shape.stages; ++k) {
      cursors.push_back(rep.Cut(k, from));
      targets.push_back(rep.Cut(k, from + 1));
    }
    std::vector<Op> ops;
    if (!Walk(cursors, targets, ops)) return nullptr;
    c.periods.push_back(std::move(ops));
  }
  return &c.periods[Index(n - 1)];
}

const std::vector<InFlight>& Program::InFlightAt(std::size_t r, I64 n) {
  Compiled& c = compiled_[r];
  while (static_cast<I64>(c.inflight.size()) <= n)
    c.inflight.push_back(ComputeInFlight(repetitions_[r], static_cast<I64>(c.inflight.size())));
  return c.inflight[Index(n)];
}

const std::vector<SkipWrite>& Program::SkipWritesAfter(std::size_t r, I64 n) {
  Compiled& c = compiled_[r];
  if (c.skip_writes.size() <= Index(n)) c.skip_writes.resize(Index(n) + 1);
  if (!c.skip_writes[Index(n)]) c.skip_writes[Index(n)] = ComputeSkipWrites(r, n);
  return *c.skip_writes[Index(n)];
}

// Each output of period n, d periods on (d <= the periods skipped), where
// that lands beyond the last cut: the same unit d periods' micro-batches
// later.
std::vector<SkipWrite> Program::ComputeSkipWrites(std::size_t r, I64 n) {
  const Repetition& rep = repetitions_[r];
  const I64 skipped = rep.periods - n;
  std::vector<SkipWrite> writes;
  for (const Op& op : *Period(r, n)) {
    if (op.out == Layout::kDiscard) continue;
    const I64 stage = layout_.StageOf(op.out);
    const StageSequence& seq = sequences_[Index(stage)];
    const StageUnit written = seq.At(layout_.PositionOf(op.out));
    for (I64 d = skipped; d >= 1; --d) {
      StageUnit unit = written;
      unit.microbatch += static_cast<std::int32_t>(d * rep.microbatches);
      const I64 position = seq.IndexOf(unit);
      if (position < rep.Cut(stage, rep.periods)) break;
      writes.push_back({op.out, layout_.Index(stage, position), static_cast<std::int32_t>(d)});
    }
  }
  return writes;
}

// Walks the stages in turn, back and forth, until each has reached its
// target; false when none can move before that (the targets are not a
// consistent cut).
bool Program::Walk(std::vector<I64>& cursors, const std::vector<I64>& targets,
                   std::vector<Op>& ops) const {
  const I64 p = key_.shape.stages;
  // Each stage's next unit and what it waits for, kept while the stage is
  // blocked: most sweeps find most stages still waiting.
  struct Next {
    bool known = false;
    StageUnit unit{};
    I64 from_stage = -1, from_position = 0;  // from_stage -1: no input
  };
  std::vector<Next> next(Index(p));
  for (bool forward_sweep = true;; forward_sweep = !forward_sweep) {
    bool moved = false, done = true;
    for (I64 i = 0; i < p; ++i) {
      const I64 k = forward_sweep ? i : p - 1 - i;
      I64& cursor = cursors[Index(k)];
      Next& n = next[Index(k)];
      for (; cursor < targets[Index(k)]; ++cursor, moved = true, n.known = false) {
        if (!n.known) {
          n = {.known = true, .unit = sequences_[Index(k)].At(cursor)};
          if (const std::optional<Peer> from = Producer(key_.shape, k, n.unit)) {
            n.from_stage = from->stage;
            n.from_position = sequences_[Index(from->stage)].IndexOf(from->unit);
          }
        }
        if (n.from_stage >= 0 && n.from_position >= cursors[Index(n.from_stage)]) break;
        ops.push_back(MakeOp(k, cursor, n.unit, n.from_stage >= 0));
      }
      done = done && cursor == targets[Index(k)];
    }
    if (done) return true;
    if (!moved) return false;
  }
}

bool Program::Ready(const std::vector<I64>& cursors, I64 stage, const StageUnit& unit) const {
  const std::optional<Peer> from = Producer(key_.shape, stage, unit);
  return !from || sequences_[Index(from->stage)].IndexOf(from->unit) < cursors[Index(from->stage)];
}

Op Program::MakeOp(I64 stage, I64 position, const StageUnit& unit, bool has_input) const {
  const PipelineShape& shape = key_.shape;
  const I64 vs = shape.VirtualStage(stage, unit.chunk);
  Op op{.in = has_input ? layout_.Index(stage, position) : Layout::kZero,
        .out = Layout::kDiscard,
        .stage = static_cast<std::uint16_t>(stage),
        .work = static_cast<std::uint16_t>(2 * vs + (unit.pass == Pass::kBackward ? 1 : 0)),
        .link = Link::kNone,
        .split = key_.split_last && unit.pass == Pass::kBackward &&
                 unit.microbatch == shape.microbatches - 1};
  if (const std::optional<Peer> to = Consumer(shape, stage, unit, op.link))
    op.out = layout_.Index(to->stage, sequences_[Index(to->stage)].IndexOf(to->unit));
  return op;
}

// The arrivals written before cut n that units of the repetition after it
// consume. Each class of a stage's inputs (a chunk's forwards, or its
// backwards) arrives in micro-batch order, as its producers run them: the
// ones in flight are those past the stage's cut whose producer is done.
std::vector<InFlight> Program::ComputeInFlight(const Repetition& rep, I64 n) const {
  const PipelineShape& shape = key_.shape;
  std::vector<I64> cursors;
  for (I64 k = 0; k < shape.stages; ++k) cursors.push_back(rep.Cut(k, n));
  std::vector<InFlight> inflight;
  for (I64 k = 0; k < shape.stages; ++k) {
    const StageSequence& seq = sequences_[Index(k)];
    const std::size_t first = inflight.size();
    for (std::int32_t c = 0; c < shape.chunks; ++c)
      for (const Pass pass : {Pass::kForward, Pass::kBackward}) {
        if (!Producer(shape, k, {c, 0, pass})) continue;  // the first virtual stage's forwards
        const auto position = [&](std::int32_t mb) { return seq.IndexOf({c, mb, pass}); };
        // The first micro-batch of the class past the cut.
        std::int32_t lo = 0, hi = static_cast<std::int32_t>(shape.microbatches);
        while (lo < hi) {
          const std::int32_t mid = lo + (hi - lo) / 2;
          if (position(mid) < cursors[Index(k)])
            lo = mid + 1;
          else
            hi = mid;
        }
        for (std::int32_t mb = lo; mb < shape.microbatches; ++mb) {
          const I64 at = position(mb);
          if (at >= rep.Cut(k, rep.periods) || !Ready(cursors, k, {c, mb, pass})) break;
          inflight.push_back({layout_.Index(k, at), static_cast<std::int32_t>(k),
                              static_cast<std::int32_t>(at - cursors[Index(k)])});
        }
      }
    std::sort(inflight.begin() + static_cast<std::ptrdiff_t>(first), inflight.end(),
              [](const InFlight& a, const InFlight& b) { return a.offset < b.offset; });
  }
  return inflight;
}

std::size_t Program::ops() const {
  std::size_t ops = 0;
  for (const std::vector<Op>& lead : leads_) ops += lead.size();
  for (const Compiled& c : compiled_)
    for (const std::vector<Op>& period : c.periods) ops += period.size();
  return ops;
}

Program* ProgramFor(const ShapeKey& key) {
  // The shapes a sweep's points cycle through, as long as they fit in a
  // few tens of megabytes.
  constexpr std::size_t kKeptShapes = 512, kKeptOps = std::size_t{1} << 22;
  thread_local std::vector<std::unique_ptr<Program>> programs;  // most recent first
  const auto it = std::find_if(programs.begin(), programs.end(),
                               [&](const auto& program) { return program->key() == key; });
  if (it != programs.end()) {
    std::rotate(programs.begin(), it, it + 1);
    return programs.front().get();
  }
  std::unique_ptr<Program> program = Program::Compile(key);
  if (!program) return nullptr;
  std::size_t kept = program->ops();
  for (std::size_t i = 0; i < programs.size(); ++i) {
    kept += programs[i]->ops();
    if (i + 1 >= kKeptShapes || kept > kKeptOps) {
      programs.resize(i);
      break;
    }
  }
  programs.insert(programs.begin(), std::move(program));
  return programs.front().get();
}

}  // namespace astrasweep::graph::walk
