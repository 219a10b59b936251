// Rank 0's coordinator and the workers (README.md, "Running a sweep").
//
// Workers ask for work, get batches of point indices, evaluate them and
// send the results back with their next request (so each worker always has
// its next batch in hand). Rank 0 never waits on a worker: its sends do not
// wait for the receiver, and it goes on receiving and storing meanwhile.
// Batches are sized to about `batch_seconds` of work from the measured cost
// per point, and shrink near the end so the last batches finish together.
// With one rank, rank 0 evaluates itself.
//
// Stopping (a signal): rank 0 stops handing out work, collects what is in
// flight for `grace_seconds`, and returns kCancelled; points not finished
// by then are simply not in the archive, and `--resume` evaluates them.
//
// A fault of the run (a point failed at exec::kEnvironmentStage: AstraSim's
// binary gone, a bundle's folder full) stops it the same way: that point is
// not stored, the worker that met it evaluates nothing more, and once the
// points in flight are in, Coordinate returns with RunSummary::fault set,
// naming the point; --resume evaluates what is missing once it is mended.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/dist/transport.h"

namespace astrasweep::proto {
class PointResult;
class WorkerStats;
}  // namespace astrasweep::proto

namespace astrasweep::dist {

// The indices to evaluate, in order, produced lazily on rank 0.
class IndexSource {
 public:
  virtual ~IndexSource() = default;
  // Appends up to `max` next indices to `out`; returns how many (0: done).
  virtual std::size_t Next(std::size_t max, std::vector<std::uint64_t>& out) = 0;
  // How many indices this source yields in all (for progress and batch
  // sizing near the end).
  virtual std::uint64_t total() const = 0;
};

// Evaluates one point on a worker; fills `out` entirely (never throws).
using EvaluateFn = std::function<void(std::uint64_t index, proto::PointResult& out)>;

// Where rank 0 puts results.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // May use the point's storage while it adds it; leaves it as it was.
  virtual Status Add(proto::PointResult& point) = 0;
  virtual Status AddWorker(const proto::WorkerStats& worker) = 0;
  // Called about every `checkpoint_seconds`: make what was added durable.
  // The progress reported counts what the last checkpoint made durable.
  virtual Status Checkpoint() = 0;
};

struct Progress {
  std::uint64_t done = 0;  // this run
  std::uint64_t total = 0;
  std::uint64_t failed = 0;
  std::uint64_t sim_runs = 0;
  std::uint64_t cache_hits = 0;
  double elapsed_s = 0;
  bool stopping = false;
};

struct CoordinatorOptions {
  double batch_seconds = 0.5;
  // Caps the messages (a batch of results is ~1 kB a point) and rank 0's
  // memory when points are cheap.
  std::size_t max_batch = 4096;
  double grace_seconds = 30;
  double checkpoint_seconds = 1;
  double progress_seconds = 0.2;            // how often `progress` is called
  double final_flush_seconds = 30;          // for the last messages to be delivered
  const std::atomic<bool>* stop = nullptr;  // set by a signal handler
  // Set with `stop` when whoever signalled kills the job soon (Open MPI's
  // mpiexec: SIGKILL a second after its SIGTERM): the grace period is then
  // cut to `hurried_grace_seconds`, to leave time to close the archive.
  const std::atomic<bool>* hurry = nullptr;
  double hurried_grace_seconds = 0.25;
  std::function<void(const Progress&)> progress;
};

struct RunSummary {
  Progress progress;
  bool interrupted = false;        // stopped by a signal: the archive is partial
  bool abandoned_workers = false;  // some did not report within the grace period
  // A fault of the run (see the top of this file) stopped it: what to tell
  // the user (kUnavailable or kIo). The points in flight
  // were collected (unless abandoned_workers); the archive is partial.
  std::optional<Error> fault;
};

// Rank 0. Returns when every point is done and every worker has reported,
// or when stopping; sink errors end the run with that error.
Expected<RunSummary> Coordinate(Transport& transport, IndexSource& source, ResultSink& sink,
                                const EvaluateFn& evaluate, const CoordinatorOptions& options);

// Ranks > 0. Returns when rank 0 says stop, after its last message has been
// delivered. (Rank 0's sink numbers the run in the stats.)
Status Work(Transport& transport, const EvaluateFn& evaluate, const std::atomic<bool>* stop);

// The batch size for `remaining` points with `workers` workers, given the
// cost per point so far (0: unknown).
std::size_t BatchSize(double seconds_per_point, std::uint64_t remaining, int workers,
                      const CoordinatorOptions& options);

}  // namespace astrasweep::dist
