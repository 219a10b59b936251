// The order in which the graph-free pipeline timing (pipeline_timing.cc)
// runs a pipeline shape's units, worked out once per shape and replayed for
// every point of that shape: which units depend on which is a matter of the
// schedule and the shape alone, never of the times.
//
// Each stage's arrivals live in one flat array, at the position of the unit
// that consumes them (Layout), so a unit reads its input and writes its
// output at indices known in advance (Op). The walk is cut where the
// schedule repeats (Repetition): a lead up to a repetition's first cut,
// its periods one by one (compiled when a point first needs them: most
// points skip all but the first few), and the lead after its last cut.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "astrasweep/config/config.h"
#include "astrasweep/graph/pipeline_schedule.h"

namespace astrasweep::graph::walk {

using I64 = std::int64_t;

// What the order depends on: the schedule, the pipeline's dimensions, and
// whether the last micro-batch's backward is split per layer (dp_overlap),
// which ends every repetition before it.
struct ShapeKey {
  config::Schedule schedule;
  PipelineShape shape;
  bool split_last;
  bool operator==(const ShapeKey& o) const {
    return schedule == o.schedule && shape.stages == o.shape.stages &&
           shape.chunks == o.shape.chunks && shape.microbatches == o.shape.microbatches &&
           split_last == o.split_last;
  }
};

// Where arrivals live in the flat array: index 0 holds the zero arrival of
// the units with no input, 1 takes the outputs nothing reads, then each
// stage's 2 m v positions.
struct Layout {
  I64 per_stage = 0;
  static constexpr std::uint32_t kZero = 0, kDiscard = 1;
  std::size_t size(I64 stages) const { return static_cast<std::size_t>(2 + stages * per_stage); }
  std::uint32_t Index(I64 stage, I64 position) const {
    return static_cast<std::uint32_t>(2 + stage * per_stage + position);
  }
  I64 StageOf(std::uint32_t index) const { return (index - 2) / per_stage; }
  I64 PositionOf(std::uint32_t index) const { return (index - 2) % per_stage; }
};

// The link an output crosses: to the next virtual stage, to the previous
// one, or none (the last virtual stage's forward to its own backward, the
// first's backward to nothing).
enum class Link : std::uint8_t { kForward = 0, kBackward = 1, kNone = 2 };

// One unit: read the arrival at `in`, run work `work` (2 vs + pass) on
// stage `stage`, write the output at `out` across `link`.
struct Op {
  std::uint32_t in, out;
  std::uint16_t stage, work;
  Link link;
  bool split;  // the last micro-batch's backward, split per layer
};

// A repeating part of every stage's sequence: positions begin[k] + n period
// for n <= periods are consistent cuts, and the units between two of them
// differ from the previous ones only in micro-batch (+ microbatches).
struct Repetition {
  std::vector<I64> begin;
  I64 periods = 0, period = 0, microbatches = 0;
  I64 Cut(I64 stage, I64 n) const { return begin[static_cast<std::size_t>(stage)] + n * period; }
};

// An arrival waiting at a cut for a unit of the repetition: its index, and
// its consumer's stage and position after the stage's cut.
struct InFlight {
  std::uint32_t index;
  std::int32_t stage;
  std::int32_t offset;
};

// An arrival a skip writes: the one at `from` (written in the last period
// timed), `periods` periods later, at `to` (beyond the repetition's last
// cut).
struct SkipWrite {
  std::uint32_t from, to;
  std::int32_t periods;
};

// The compiled walk of one shape.
class Program {
 public:
  // Fails (nullptr) only if the schedule deadlocks, which would be a bug.
  static std::unique_ptr<Program> Compile(const ShapeKey& key);

  const ShapeKey& key() const { return key_; }
  const Layout& layout() const { return layout_; }
  const std::vector<StageSequence>& sequences() const { return sequences_; }
  const std::vector<Repetition>& repetitions() const { return repetitions_; }
  // Ops up to repetition r's first cut; r = repetitions().size(): after the
  // last repetition's last cut to the end. With a warm-up, the first lead
  // runs after it and holds none of its ops.
  const std::vector<Op>& Lead(std::size_t r) const { return leads_[r]; }
  // 1f1b: the warm-up, each stage's forwards before its first backward,
  // stage after stage, which wait for nothing else (none for other
  // schedules). Stage k's are [WarmupBegin(k), WarmupBegin(k + 1)).
  const std::vector<Op>& Warmup() const { return warmup_; }
  std::size_t WarmupBegin(I64 stage) const {
    return warmup_begin_[static_cast<std::size_t>(stage)];
  }
  // Ops of repetition r's period n (1 <= n <= periods), compiled on first
  // use; null if its last cut cannot be walked to (then Linearize).
  const std::vector<Op>* Period(std::size_t r, I64 n);
  // The arrivals in flight at repetition r's cut n (n < periods).
  const std::vector<InFlight>& InFlightAt(std::size_t r, I64 n);
  // What skipping repetition r's periods after period n writes.
  const std::vector<SkipWrite>& SkipWritesAfter(std::size_t r, I64 n);
  // Ops compiled so far.
  std::size_t ops() const;
  // Drops the repetitions: one lead walks the whole step. False if it
  // cannot (the schedule deadlocks).
  bool Linearize();

 private:
  struct Compiled {
    std::vector<std::vector<Op>> periods;
    std::vector<std::vector<InFlight>> inflight;
    std::vector<std::optional<std::vector<SkipWrite>>> skip_writes;  // by period timed
  };
  explicit Program(const ShapeKey& key);
  bool Walk(std::vector<I64>& cursors, const std::vector<I64>& targets, std::vector<Op>& ops) const;
  bool Ready(const std::vector<I64>& cursors, I64 stage, const StageUnit& unit) const;
  Op MakeOp(I64 stage, I64 position, const StageUnit& unit, bool has_input) const;
  std::vector<InFlight> ComputeInFlight(const Repetition& rep, I64 n) const;
  std::vector<SkipWrite> ComputeSkipWrites(std::size_t r, I64 n);
  void FindRepetitions();
  bool CompileLeads();
  void TakeOutWarmup();

  ShapeKey key_;
  Layout layout_;
  std::vector<StageSequence> sequences_;
  std::vector<Repetition> repetitions_;
  std::vector<std::vector<Op>> leads_;
  std::vector<Op> warmup_;
  std::vector<std::size_t> warmup_begin_;  // per stage, and one past the last
  std::vector<Compiled> compiled_;  // per repetition
};

// The programs of the shapes met lately, per thread.
Program* ProgramFor(const ShapeKey& key);

}  // namespace astrasweep::graph::walk
