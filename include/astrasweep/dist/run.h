// `astrasweep run`: a sweep evaluated over the ranks of a transport into an
// archive, as every rank calls it. Rank 0 expands lazily, hands out work,
// writes the archive and its journal, and reports progress; the other ranks
// evaluate. Every rank opens the spec itself (only indices travel).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "astrasweep/base/error.h"
#include "astrasweep/base/logging.h"
#include "astrasweep/dist/coordinator.h"
#include "astrasweep/dist/transport.h"

namespace astrasweep::sweep {
class Expander;
}

namespace astrasweep::dist {

struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
  bool whole() const { return count == 1; }
};
// "i/N" with 0 <= i < N.
Expected<Shard> ParseShard(const std::string& text);

enum class ProgressStyle { kAuto, kBar, kLines, kNone };

struct RunOptions {
  std::string spec;
  std::string out;
  bool resume = false;
  Shard shard;
  std::string command_line;
  double grace_seconds = 30;
  ProgressStyle progress = ProgressStyle::kAuto;
  double progress_interval_s = 10;  // between progress lines (not a terminal)
  const std::atomic<bool>* stop = nullptr;
  log::Level console_level = log::Level::kWarn;
  // Called on rank 0 when the run cannot go on and workers may still be
  // waiting (after what is done has been saved): it ends the whole job.
  std::function<void(const Error&)> abort_job;
  // Replaces the evaluation of each point (benchmarks of the dispatch and
  // the store); empty: EvaluateSweepPoint.
  EvaluateFn evaluate;
};

struct RunResult {
  bool complete = false;     // every point of the sweep (or shard) is in the archive
  bool interrupted = false;  // stopped by a signal
  bool abandoned_workers = false;
  std::uint64_t total = 0, done = 0, ok = 0, failed = 0, infeasible = 0;
  std::uint64_t evaluated_now = 0;  // in this run
  double elapsed_s = 0;
};

// Called by every rank with the same options. Errors before the sweep
// starts (a bad spec, an archive that exists) are agreed on by all ranks,
// which all return them.
Expected<RunResult> RunSweep(Transport& transport, const RunOptions& options);

// Evaluates one point of a sweep into a result row: materialises the
// config, runs its mode, and never fails (a point that cannot be built or
// run is a failed row with a stage and message).
void EvaluateSweepPoint(const sweep::Expander& expander, std::uint64_t index,
                        proto::PointResult& out);

// The per-rank log file of an archive: <out>.logs/rank-<r>.log.
std::string RankLogPath(const std::string& out, int rank);

}  // namespace astrasweep::dist

namespace astrasweep::dist {

// SIGTERM and SIGINT (Slurm's time limit, Ctrl-C) set the returned flag;
// the run then stops as DESIGN.md section 10 says. A second signal ends the
// process at once (the journal still has every finished point).
const std::atomic<bool>& InstallStopSignals();

}  // namespace astrasweep::dist
