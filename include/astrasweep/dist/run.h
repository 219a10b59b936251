// `astrasweep run`: a sweep evaluated over the ranks of a transport into an
// archive, as every rank calls it. Rank 0 expands lazily, hands out work,
// writes the archive and its journal, and reports progress; the other ranks
// evaluate. Every rank opens the spec itself (only indices travel).
// Logging is the caller's to set up (each rank's log file: RankLogPath).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "astrasweep/base/error.h"
#include "astrasweep/dist/coordinator.h"
#include "astrasweep/dist/shard.h"
#include "astrasweep/dist/transport.h"
#include "astrasweep/exec/simulation.h"

namespace astrasweep::dist {

enum class ProgressStyle { kAuto, kBar, kLines, kNone };
// A new archive, or the continuation of one from its journal.
enum class ArchiveOpening { kCreate, kResume };

struct RunOptions {
  std::string spec;
  std::string out;
  // Runs the sweep an archive stored (its spec, includes and presets)
  // rather than `spec`'s files: `run --from-archive`. The run takes the
  // archive's shard unless shard_given.
  std::string from_archive;
  bool shard_given = false;
  ArchiveOpening opening = ArchiveOpening::kCreate;
  // On resume: go on although the inputs or the model changed since the
  // journal began, recording it (store::ResumeArchive).
  bool accept_changes = false;
  Shard shard;
  std::string command_line;
  double grace_seconds = 30;
  ProgressStyle progress = ProgressStyle::kAuto;
  double progress_interval_s = 10;  // between progress lines (not a terminal)
  const std::atomic<bool>* stop = nullptr;
  // Set with `stop` when the job is killed soon anyway: the grace period
  // is then at most `hurried_grace_seconds` (CoordinatorOptions).
  const std::atomic<bool>* hurry = nullptr;
  double hurried_grace_seconds = 0.25;
  // The network simulators and the cache, set up on every rank before the
  // sweep starts (a bad cache mode or AstraSim binary stops it there).
  exec::SimulationOptions simulation;
  // Replaces the evaluation of each point (benchmarks of the dispatch and
  // the store); empty: EvaluateSweepPoint.
  EvaluateFn evaluate;
};

// What rank 0 reports of a run.
struct RunResult {
  bool complete = false;     // every point of the sweep (or shard) is in the archive
  bool interrupted = false;  // stopped by a signal
  bool abandoned_workers = false;  // some did not report within the grace period
  std::uint64_t total = 0, done = 0, ok = 0, failed = 0, infeasible = 0;
  std::uint64_t evaluated_now = 0;  // in this run
  double elapsed_s = 0;
};

enum class Role { kCoordinator, kWorker };

// How RunSweep ended on this rank.
struct RunOutcome {
  Role role = Role::kCoordinator;
  Expected<RunResult> result = RunResult{};
  // Rank 0 could not wait for every worker (it failed after the start, or
  // workers did not report within the grace period): the caller must end
  // the whole job, or the workers would wait forever.
  bool must_end_job = false;
};

// Called by every rank with the same options. Errors before the sweep
// starts (a bad spec, an archive that exists) are agreed on by all ranks,
// which all return them.
RunOutcome RunSweep(Transport& transport, const RunOptions& options);

// The per-rank log file of an archive: <out>.logs/rank-<r>.log.
std::string RankLogPath(const std::string& out, int rank);

// The flags the stop signals set.
struct StopFlags {
  const std::atomic<bool>* stop;   // SIGTERM or SIGINT came
  const std::atomic<bool>* hurry;  // ... from `killer`: see InstallStopSignals
};

// SIGTERM and SIGINT (Slurm's time limit, Ctrl-C) set `stop`; the run then
// stops as README.md ("Running a sweep") says. A second signal ends the
// process at once (the journal still has every finished point). A signal
// from `killer` (a launcher that kills the job soon after it signals it;
// 0: none) sets `hurry` too. The handlers are installed by the first call;
// a later one only names the killer.
StopFlags InstallStopSignals(int killer = 0);

}  // namespace astrasweep::dist
