// The request/reply protocol between rank 0 and the workers.
#include "astrasweep/dist/coordinator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "astrasweep.pb.h"
#include "astrasweep/base/logging.h"
#include "astrasweep/dist/point_result.h"
#include "astrasweep/dist/wire.h"
#include "astrasweep/exec/evaluate.h"

namespace astrasweep::dist {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

Clock::duration Duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

bool Stopped(const std::atomic<bool>* stop) {
  return stop != nullptr && stop->load(std::memory_order_relaxed);
}

Status SendProto(Transport& t, int dest, int tag, const google::protobuf::MessageLite& m) {
  return t.Send(dest, tag, EncodeMessage(m));
}

// Rank 0's running totals and the clocks of its periodic duties.
class Tracker {
 public:
  Tracker(ResultSink& sink, const CoordinatorOptions& options, std::uint64_t total)
      : sink_(sink),
        options_(options),
        start_(Clock::now()),
        last_checkpoint_(start_),
        last_progress_(start_) {
    progress_.total = total;
    saved_.total = total;
  }

  Status Add(proto::PointResult& p) {
    const auto t0 = Clock::now();
    ASTRASWEEP_RETURN_IF_ERROR(sink_.Add(p));
    store_s_ += Seconds(Clock::now() - t0);
    ++progress_.done;
    if (p.status() == proto::POINT_STATUS_FAILED) ++progress_.failed;
    progress_.sim_runs += SimRuns(p);
    progress_.cache_hits += CacheHits(p);
    eval_s_ += p.eval_s();
    return Ok();
  }

  double SecondsPerPoint() const {
    return progress_.done == 0 ? 0 : eval_s_ / static_cast<double>(progress_.done);
  }

  // Checkpoints and progress, when their time has come (or `force`).
  Status Tick(bool force = false) {
    const auto now = Clock::now();
    if (force || Seconds(now - last_checkpoint_) >= options_.checkpoint_seconds) {
      ASTRASWEEP_RETURN_IF_ERROR(sink_.Checkpoint());
      saved_ = progress_;
      store_s_ += Seconds(Clock::now() - now);
      last_checkpoint_ = Clock::now();
    }
    if (options_.progress &&
        (force || Seconds(now - last_progress_) >= options_.progress_seconds)) {
      // The counts as of the last checkpoint: what the sink holds durably,
      // so a kill never takes points the progress showed done.
      Progress shown = saved_;
      shown.elapsed_s = Seconds(now - start_);
      shown.stopping = progress_.stopping;
      options_.progress(shown);
      last_progress_ = now;
    }
    return Ok();
  }

  Progress& progress() { return progress_; }
  double elapsed_s() const { return Seconds(Clock::now() - start_); }
  double store_s() const { return store_s_; }

 private:
  ResultSink& sink_;
  const CoordinatorOptions& options_;
  Progress progress_;
  Progress saved_;  // progress_ at the last checkpoint
  Clock::time_point start_, last_checkpoint_, last_progress_;
  double eval_s_ = 0;
  double store_s_ = 0;
};

// Rank 0's own /workers row: its time storing results and blocked in
// communication; the rest it waited.
proto::WorkerStats CoordinatorStats(const Transport& transport, const Tracker& tracker) {
  proto::WorkerStats self;
  self.set_rank(transport.rank());
  self.set_host(HostName());
  self.set_busy_s(tracker.store_s());
  self.set_comm_s(transport.blocked_seconds());
  self.set_idle_s(
      std::max(0.0, tracker.elapsed_s() - tracker.store_s() - transport.blocked_seconds()));
  return self;
}

// A point that met a fault of the run, not of the point
// (exec::kEnvironmentStage: AstraSim's binary gone): no answer to store.
bool MetAFault(const proto::PointResult& result) {
  return result.status() == proto::POINT_STATUS_FAILED &&
         result.failure_stage() == exec::kEnvironmentStage;
}

// What rank 0 ends the run with when a point met a fault: the fault, and
// that nothing finished is lost.
Error RunFault(const proto::PointResult& result) {
  return Error(ErrorCode::kUnavailable,
               result.failure_message() +
                   ", then run the same command with --resume: the run stopped here, and "
                   "every point finished is kept in the archive (partial)",
               {.point_index = result.index()});
}

// Evaluates one point on the calling rank and counts it in `stats`; false
// (and not counted) when the point met a fault of the run.
bool EvaluateCounted(const EvaluateFn& evaluate, std::uint64_t index, int rank,
                     proto::PointResult& result, proto::WorkerStats& stats) {
  evaluate(index, result);
  result.set_worker_rank(rank);
  if (MetAFault(result)) return false;
  stats.set_points(stats.points() + 1);
  stats.set_sim_runs(stats.sim_runs() + SimRuns(result));
  stats.set_cache_hits(stats.cache_hits() + CacheHits(result));
  stats.set_cache_misses(stats.cache_misses() + CacheMisses(result));
  return true;
}

Expected<RunSummary> CoordinateAlone(Transport& transport, IndexSource& source, ResultSink& sink,
                                     const EvaluateFn& evaluate,
                                     const CoordinatorOptions& options) {
  Tracker tracker(sink, options, source.total());
  RunSummary summary;
  std::vector<std::uint64_t> batch;
  proto::PointResult result;
  proto::WorkerStats stats = CoordinatorStats(transport, tracker);
  double busy_s = 0;
  std::optional<Error>& fault = summary.fault;
  while (!summary.interrupted && !fault) {
    const std::uint64_t remaining =
        source.total() - std::min(source.total(), tracker.progress().done);
    batch.clear();
    if (source.Next(BatchSize(tracker.SecondsPerPoint(), remaining, 1, options), batch) == 0) break;
    for (std::uint64_t index : batch) {
      if (Stopped(options.stop)) {
        summary.interrupted = true;
        break;
      }
      result.Clear();
      const auto t0 = Clock::now();
      const bool answered = EvaluateCounted(evaluate, index, transport.rank(), result, stats);
      busy_s += Seconds(Clock::now() - t0);
      if (!answered) {
        fault = RunFault(result);
        break;
      }
      ASTRASWEEP_RETURN_IF_ERROR(tracker.Add(result));
      ASTRASWEEP_RETURN_IF_ERROR(tracker.Tick());
    }
  }
  stats.set_busy_s(busy_s);
  stats.set_idle_s(std::max(0.0, tracker.elapsed_s() - busy_s - tracker.store_s()));
  ASTRASWEEP_RETURN_IF_ERROR(sink.AddWorker(stats));
  tracker.progress().stopping = summary.interrupted || fault;
  ASTRASWEEP_RETURN_IF_ERROR(tracker.Tick(true));
  summary.progress = tracker.progress();
  return summary;
}

// Rank 0 with workers: answers each worker's request (carrying its last
// results) with its next batch, until the work is done or stopped and
// every worker has reported.
class Coordinator {
 public:
  Coordinator(Transport& transport, IndexSource& source, ResultSink& sink,
              const CoordinatorOptions& options)
      : transport_(transport),
        source_(source),
        sink_(sink),
        options_(options),
        tracker_(sink, options, source.total()),
        workers_(transport.size() - 1),
        active_(workers_) {}

  Expected<RunSummary> Run() {
    while (active_ > 0) {
      if (!stopping_ && Stopped(options_.stop)) BeginStop("a signal");
      if (stopping_ && Stopped(options_.hurry))
        deadline_ = std::min(deadline_, stopped_at_ + Duration(options_.hurried_grace_seconds));
      tracker_.progress().stopping = stopping_;
      if (stopping_ && Clock::now() > deadline_) {
        log::Warn(fmt::format(
            "{} workers did not report within the grace period; their points in flight are "
            "not in the archive (--resume evaluates them)",
            active_));
        summary_.abandoned_workers = true;
        break;
      }
      auto message = transport_.Receive(std::chrono::milliseconds(50));
      ASTRASWEEP_RETURN_IF_ERROR(tracker_.Tick());
      if (message) ASTRASWEEP_RETURN_IF_ERROR(Handle(*message));
    }
    if (!summary_.abandoned_workers) {
      ASTRASWEEP_ASSIGN_OR_RETURN(const bool delivered,
                                  transport_.Flush(Millis(options_.final_flush_seconds)));
      if (!delivered) log::Warn("the last messages to the workers were not delivered in time");
    }
    ASTRASWEEP_RETURN_IF_ERROR(sink_.AddWorker(CoordinatorStats(transport_, tracker_)));
    ASTRASWEEP_RETURN_IF_ERROR(tracker_.Tick(true));
    summary_.progress = tracker_.progress();
    return summary_;
  }

 private:
  // A worker's results, then its next batch (or stop).
  Status Handle(const Message& message) {
    if (message.tag != kTagResults || !DecodeMessage(message.bytes, results_))
      return MakeError(ErrorCode::kInternal, "rank " + std::to_string(message.source) +
                                                 " sent a message rank 0 cannot read");
    for (auto& r : *results_.mutable_results()) {
      if (MetAFault(r)) {
        NoteFault(r, message.source);
        continue;
      }
      ASTRASWEEP_RETURN_IF_ERROR(tracker_.Add(r));
    }
    if (results_.final()) {
      --active_;
      return sink_.AddWorker(results_.stats());
    }
    if (results_.stopping() && !stopping_)
      BeginStop("a signal to rank " + std::to_string(message.source));
    return SendProto(transport_, message.source, kTagWork, NextBatch());
  }

  const proto::WorkBatch& NextBatch() {
    work_.Clear();
    if (!stopping_ && !exhausted_) {
      const std::uint64_t remaining = source_.total() - std::min(source_.total(), dispatched_);
      indices_.clear();
      source_.Next(BatchSize(tracker_.SecondsPerPoint(), remaining, workers_, options_), indices_);
      exhausted_ = indices_.empty();
      dispatched_ += indices_.size();
      work_.set_batch_id(++batch_id_);
      work_.mutable_indices()->Assign(indices_.begin(), indices_.end());
    }
    if (work_.indices_size() == 0) work_.set_stop(true);
    return work_;
  }

  // The first point that met a fault of the run stops it: the workers'
  // points in flight are collected, then the run ends with the fault.
  // The user reads the fault once, as the run's error when it ends; the
  // log file has it from the moment it was met.
  void NoteFault(const proto::PointResult& result, int rank) {
    if (summary_.fault) return;
    summary_.fault = RunFault(result);
    log::Info(fmt::format("rank {}, point {}: {}", rank, result.index(), result.failure_message()));
    if (!stopping_)
      BeginStop(fmt::format("the fault rank {} met at point {}", rank, result.index()));
  }

  // Stop handing out work, and give the points in flight a grace period.
  void BeginStop(const std::string& cause) {
    stopping_ = true;
    summary_.interrupted = true;
    stopped_at_ = Clock::now();
    const bool hurried = Stopped(options_.hurry);
    const double grace = hurried ? options_.hurried_grace_seconds : options_.grace_seconds;
    deadline_ = stopped_at_ + Duration(grace);
    log::Warn(fmt::format(
        "stopping on {}{}: no more work is handed out; waiting up to {:g} s for the {} "
        "workers' points in flight",
        cause, hurried ? " from the launcher, which kills the job soon" : "", grace, active_));
  }

  Transport& transport_;
  IndexSource& source_;
  ResultSink& sink_;
  const CoordinatorOptions& options_;
  Tracker tracker_;
  RunSummary summary_;
  const int workers_;
  int active_;
  bool exhausted_ = false;
  bool stopping_ = false;
  Clock::time_point stopped_at_{}, deadline_{};
  std::uint64_t dispatched_ = 0;
  std::uint64_t batch_id_ = 0;
  proto::ResultBatch results_;
  proto::WorkBatch work_;
  std::vector<std::uint64_t> indices_;
};

}  // namespace

std::size_t BatchSize(double seconds_per_point, std::uint64_t remaining, int workers,
                      const CoordinatorOptions& options) {
  // Unknown cost: one point, to measure it.
  double n = seconds_per_point > 0 ? options.batch_seconds / seconds_per_point : 1;
  // Near the end, no batch bigger than a share of what is left, so the
  // workers finish together.
  const double tail = std::ceil(static_cast<double>(remaining) / (2.0 * std::max(workers, 1)));
  n = std::min(n, std::max(tail, 1.0));
  n = std::clamp(n, 1.0, static_cast<double>(options.max_batch));
  return static_cast<std::size_t>(n);
}

Expected<RunSummary> Coordinate(Transport& transport, IndexSource& source, ResultSink& sink,
                                const EvaluateFn& evaluate, const CoordinatorOptions& options) {
  if (transport.size() == 1) return CoordinateAlone(transport, source, sink, evaluate, options);
  return Coordinator(transport, source, sink, options).Run();
}

Status Work(Transport& transport, const EvaluateFn& evaluate, const std::atomic<bool>* stop) {
  proto::WorkerStats stats;
  stats.set_rank(transport.rank());
  stats.set_host(HostName());
  proto::ResultBatch pending;  // results of the batch evaluated last
  proto::WorkBatch work;
  // A point met a fault of the run: evaluate nothing more (the points would
  // meet it too), as when signalled; rank 0 learns of it from the point.
  bool faulted = false;
  ASTRASWEEP_RETURN_IF_ERROR(SendProto(transport, 0, kTagResults, pending));
  while (true) {
    const auto wait0 = Clock::now();
    std::optional<Message> message;
    while (!(message = transport.Receive(std::chrono::milliseconds(500)))) {
    }
    stats.set_idle_s(stats.idle_s() + Seconds(Clock::now() - wait0));
    if (message->tag != kTagWork || !DecodeMessage(message->bytes, work))
      return MakeError(ErrorCode::kInternal, "rank " + std::to_string(transport.rank()) +
                                                 " got a message it cannot read from rank " +
                                                 std::to_string(message->source));
    if (work.stop()) {
      pending.set_final(true);
      stats.set_comm_s(transport.blocked_seconds());
      *pending.mutable_stats() = stats;
      ASTRASWEEP_RETURN_IF_ERROR(SendProto(transport, 0, kTagResults, pending));
      ASTRASWEEP_ASSIGN_OR_RETURN(const bool delivered,
                                  transport.Flush(std::chrono::seconds(30)));
      if (!delivered) return MakeError(ErrorCode::kIo, "rank 0 did not take the last results");
      return Ok();
    }
    if (faulted || Stopped(stop)) {
      // Signalled: this batch is left for --resume; ask to be stopped.
      pending.set_stopping(true);
      ASTRASWEEP_RETURN_IF_ERROR(SendProto(transport, 0, kTagResults, pending));
      pending.clear_results();
      continue;
    }
    // Ask for the next batch now, with the last one's results, so it is
    // here when this one is done.
    ASTRASWEEP_RETURN_IF_ERROR(SendProto(transport, 0, kTagResults, pending));
    pending.clear_results();
    const auto busy0 = Clock::now();
    for (std::uint64_t index : work.indices()) {
      if (Stopped(stop)) break;
      faulted = !EvaluateCounted(evaluate, index, transport.rank(), *pending.add_results(), stats);
      // Moves the results sent before this batch along: a large message
      // may need its sender's help to be delivered.
      ASTRASWEEP_RETURN_IF_ERROR(transport.Flush(std::chrono::milliseconds(0)));
      if (faulted) break;
    }
    stats.set_busy_s(stats.busy_s() + Seconds(Clock::now() - busy0));
  }
}

}  // namespace astrasweep::dist
