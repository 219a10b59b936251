// The request/reply protocol between rank 0 and the workers.
#include "astrasweep/dist/coordinator.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "astrasweep.pb.h"
#include "astrasweep/base/logging.h"

namespace astrasweep::dist {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

bool Stopped(const std::atomic<bool>* stop) {
  return stop != nullptr && stop->load(std::memory_order_relaxed);
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
  }

  Status Add(const proto::PointResult& p) {
    const auto t0 = Clock::now();
    ASTRASWEEP_RETURN_IF_ERROR(sink_.Add(p));
    store_s_ += Seconds(Clock::now() - t0);
    ++progress_.done;
    if (p.status() == proto::POINT_STATUS_FAILED) ++progress_.failed;
    progress_.sim_runs += p.sim_runs();
    progress_.cache_hits += p.cache_hits();
    eval_s_ += p.eval_s();
    ++evaluated_;
    return Ok();
  }

  double SecondsPerPoint() const {
    return evaluated_ == 0 ? 0 : eval_s_ / static_cast<double>(evaluated_);
  }

  // Checkpoints and progress, when their time has come (or `force`).
  Status Tick(bool force = false) {
    const auto now = Clock::now();
    if (force || Seconds(now - last_checkpoint_) >= options_.checkpoint_seconds) {
      ASTRASWEEP_RETURN_IF_ERROR(sink_.Checkpoint());
      store_s_ += Seconds(Clock::now() - now);
      last_checkpoint_ = Clock::now();
    }
    if (options_.progress &&
        (force || Seconds(now - last_progress_) >= options_.progress_seconds)) {
      progress_.elapsed_s = Seconds(now - start_);
      options_.progress(progress_);
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
  Clock::time_point start_, last_checkpoint_, last_progress_;
  double eval_s_ = 0;
  std::uint64_t evaluated_ = 0;
  double store_s_ = 0;
};

// The wire form of a message: a framing byte, then the protobuf bytes, raw
// (0) or zlib-compressed (1, after the raw size as 8 bytes). A batch of
// results is mostly canonical configs that differ in a few keys, so zlib
// at level 1 makes it about 5 times smaller at ~250 MB/s. That matters
// when ranks share cores: a large shared-memory message moves only while
// both ranks are scheduled, and took 0.1-0.4 s per batch with two workers
// and rank 0 on two cores.
constexpr std::size_t kCompressAbove = 16 << 10;

std::string Encode(const google::protobuf::Message& m) {
  const std::string raw = m.SerializeAsString();
  if (raw.size() <= kCompressAbove) return '\0' + raw;
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string out(9 + size, '\0');
  out[0] = '\1';
  const std::uint64_t raw_size = raw.size();
  std::memcpy(out.data() + 1, &raw_size, 8);
  if (compress2(reinterpret_cast<Bytef*>(out.data() + 9), &size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                1) != Z_OK)
    return '\0' + raw;
  out.resize(9 + size);
  return out;
}

bool Decode(std::string_view bytes, google::protobuf::Message& m) {
  if (bytes.empty()) return false;
  if (bytes[0] == '\0')
    return m.ParseFromArray(bytes.data() + 1, static_cast<int>(bytes.size() - 1));
  if (bytes[0] != '\1' || bytes.size() < 9) return false;
  std::uint64_t raw_size = 0;
  std::memcpy(&raw_size, bytes.data() + 1, 8);
  if (raw_size > (1ull << 32)) return false;
  std::string raw(raw_size, '\0');
  uLongf size = static_cast<uLongf>(raw_size);
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &size,
                 reinterpret_cast<const Bytef*>(bytes.data() + 9),
                 static_cast<uLong>(bytes.size() - 9)) != Z_OK ||
      size != raw_size)
    return false;
  return m.ParseFromString(raw);
}

Status SendProto(Transport& t, int dest, int tag, const google::protobuf::Message& m) {
  return t.Send(dest, tag, Encode(m));
}

Expected<RunSummary> CoordinateAlone(Transport& transport, IndexSource& source, ResultSink& sink,
                                     const EvaluateFn& evaluate,
                                     const CoordinatorOptions& options) {
  Tracker tracker(sink, options, source.total());
  RunSummary summary;
  std::vector<std::uint64_t> batch;
  proto::PointResult result;
  double busy_s = 0;
  std::uint64_t points = 0, sim_runs = 0, cache_hits = 0;
  while (!summary.interrupted) {
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
      evaluate(index, result);
      result.set_worker_rank(transport.rank());
      busy_s += Seconds(Clock::now() - t0);
      ++points;
      sim_runs += result.sim_runs();
      cache_hits += result.cache_hits();
      ASTRASWEEP_RETURN_IF_ERROR(tracker.Add(result));
      ASTRASWEEP_RETURN_IF_ERROR(tracker.Tick());
    }
  }
  proto::WorkerStats stats;
  stats.set_rank(transport.rank());
  stats.set_host(HostName());
  stats.set_points(points);
  stats.set_busy_s(busy_s);
  stats.set_idle_s(std::max(0.0, tracker.elapsed_s() - busy_s - tracker.store_s()));
  stats.set_sim_runs(sim_runs);
  stats.set_cache_hits(cache_hits);
  ASTRASWEEP_RETURN_IF_ERROR(sink.AddWorker(stats));
  tracker.progress().stopping = summary.interrupted;
  ASTRASWEEP_RETURN_IF_ERROR(tracker.Tick(true));
  summary.progress = tracker.progress();
  return summary;
}

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

  Tracker tracker(sink, options, source.total());
  RunSummary summary;
  const int workers = transport.size() - 1;
  int active = workers;
  bool exhausted = false;
  bool stopping = false;
  Clock::time_point deadline{};
  std::uint64_t dispatched = 0;
  proto::ResultBatch results;
  proto::WorkBatch work;
  std::vector<std::uint64_t> indices;
  std::uint64_t batch_id = 0;
  const auto start = Clock::now();
  // Stop handing out work, and give the points in flight a grace period.
  auto BeginStop = [&](const std::string& cause) {
    stopping = true;
    summary.interrupted = true;
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(options.grace_seconds));
    log::Warn(
        fmt::format("stopping on {}: no more work is handed out; waiting up to {:.0f} s "
                    "for the {} workers' points in flight",
                    cause, options.grace_seconds, active));
  };
  while (active > 0) {
    if (!stopping && Stopped(options.stop)) BeginStop("a signal");
    tracker.progress().stopping = stopping;
    if (stopping && Clock::now() > deadline) {
      log::Warn(
          fmt::format("{} workers did not report within the grace period; their points "
                      "in flight are not in the archive (--resume evaluates them)",
                      active));
      summary.abandoned_workers = true;
      break;
    }
    auto message = transport.Receive(std::chrono::milliseconds(50));
    ASTRASWEEP_RETURN_IF_ERROR(tracker.Tick());
    if (!message) continue;
    if (message->tag != kTagResults || !Decode(message->bytes, results))
      return MakeError(ErrorCode::kInternal, "rank " + std::to_string(message->source) +
                                                 " sent a message rank 0 cannot read");
    for (const auto& r : results.results()) ASTRASWEEP_RETURN_IF_ERROR(tracker.Add(r));
    if (results.final()) {
      ASTRASWEEP_RETURN_IF_ERROR(sink.AddWorker(results.stats()));
      --active;
      continue;
    }
    if (results.stopping() && !stopping)
      BeginStop("a signal to rank " + std::to_string(message->source));
    work.Clear();
    if (!stopping && !exhausted) {
      const std::uint64_t remaining = source.total() - std::min(source.total(), dispatched);
      indices.clear();
      source.Next(BatchSize(tracker.SecondsPerPoint(), remaining, workers, options), indices);
      if (indices.empty()) exhausted = true;
      dispatched += indices.size();
      work.set_batch_id(++batch_id);
      work.mutable_indices()->Assign(indices.begin(), indices.end());
    }
    if (work.indices_size() == 0) work.set_stop(true);
    ASTRASWEEP_RETURN_IF_ERROR(SendProto(transport, message->source, kTagWork, work));
  }
  // Rank 0's own row: its time storing results, and the rest waiting.
  proto::WorkerStats self;
  self.set_rank(0);
  self.set_host(HostName());
  self.set_busy_s(tracker.store_s());
  self.set_idle_s(std::max(0.0, Seconds(Clock::now() - start) - tracker.store_s()));
  ASTRASWEEP_RETURN_IF_ERROR(sink.AddWorker(self));
  ASTRASWEEP_RETURN_IF_ERROR(tracker.Tick(true));
  summary.progress = tracker.progress();
  return summary;
}

Status Work(Transport& transport, const EvaluateFn& evaluate, const std::atomic<bool>* stop) {
  proto::WorkerStats stats;
  stats.set_rank(transport.rank());
  stats.set_host(HostName());
  proto::ResultBatch pending;  // results of the batch evaluated last
  proto::WorkBatch work;
  ASTRASWEEP_RETURN_IF_ERROR(SendProto(transport, 0, kTagResults, pending));
  while (true) {
    const auto wait0 = Clock::now();
    std::optional<Message> message;
    while (!(message = transport.Receive(std::chrono::milliseconds(500)))) {
    }
    stats.set_idle_s(stats.idle_s() + Seconds(Clock::now() - wait0));
    if (message->tag != kTagWork || !Decode(message->bytes, work))
      return MakeError(ErrorCode::kInternal, "rank " + std::to_string(transport.rank()) +
                                                 " got a message it cannot read from rank " +
                                                 std::to_string(message->source));
    if (work.stop()) {
      pending.set_final(true);
      *pending.mutable_stats() = stats;
      return SendProto(transport, 0, kTagResults, pending);
    }
    if (Stopped(stop)) {
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
      proto::PointResult* result = pending.add_results();
      evaluate(index, *result);
      result->set_worker_rank(transport.rank());
      stats.set_points(stats.points() + 1);
      stats.set_sim_runs(stats.sim_runs() + result->sim_runs());
      stats.set_cache_hits(stats.cache_hits() + result->cache_hits());
    }
    stats.set_busy_s(stats.busy_s() + Seconds(Clock::now() - busy0));
  }
}

}  // namespace astrasweep::dist
