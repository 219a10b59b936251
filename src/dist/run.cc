// RunSweep: set-up agreed by every rank, then the coordinator on rank 0
// (its index source, the archive as its sink, progress) and the workers.
#include "astrasweep/dist/run.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <optional>

#include "archive_sink.h"
#include "astrasweep.pb.h"
#include "astrasweep/base/logging.h"
#include "astrasweep/base/version.h"
#include "astrasweep/dist/point_result.h"
#include "astrasweep/store/archive.h"
#include "astrasweep/store/archive_lock.h"
#include "astrasweep/store/archive_reader.h"
#include "astrasweep/sweep/expander.h"
#include "index_source.h"
#include "progress_printer.h"
#include "provenance.h"

namespace astrasweep::dist {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What rank 0 holds while it runs the sweep, set up before the ranks agree
// to start.
struct Rank0State {
  store::ArchiveLock lock;
  store::OpenedArchive archive;
  std::uint64_t shard_valid = 0;
};

Expected<store::OpenedArchive> OpenArchive(const RunOptions& options,
                                           const sweep::Expander& expander,
                                           const store::Provenance& provenance) {
  if (options.opening == ArchiveOpening::kResume)
    return store::ResumeArchive(
        options.out, expander.SweptKeyInfo(), provenance,
        [&](proto::PointResult& point) { return RestorePointConfig(expander, point); },
        options.accept_changes);
  return store::CreateArchive(options.out, expander.SweptKeyInfo(), provenance);
}

Expected<Rank0State> SetUpRank0(Transport& transport, const sweep::Expander& expander,
                                const RunOptions& options, const std::vector<std::string>& hosts) {
  ASTRASWEEP_ASSIGN_OR_RETURN(auto lock, store::ArchiveLock::Acquire(options.out));
  const std::uint64_t shard_valid = options.shard.PointsOf(expander.Count().valid);
  ASTRASWEEP_ASSIGN_OR_RETURN(
      const store::Provenance prov,
      MakeProvenance(expander, options.spec, options.command_line, transport.size(), hosts,
                     options.shard, shard_valid));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto opened, OpenArchive(options, expander, prov));
  proto::RunStart start;
  start.set_run(static_cast<std::uint32_t>(opened.archive.run()));
  start.set_started_utc(prov.created_utc);
  start.set_command_line(options.command_line);
  start.set_mpi_size(transport.size());
  start.set_accepted_changes(opened.accepted_now);
  opened.journal.Add(start);
  ASTRASWEEP_RETURN_IF_ERROR(opened.journal.Flush(store::Durability::kSynced));
  return Rank0State{std::move(lock), std::move(opened), shard_valid};
}

void WarnAboutStart(const RunOptions& options, const Rank0State& state) {
  if (state.shard_valid == 0)
    log::Warn(fmt::format(
        "{} has no valid points{}: every point fails a constraint (astrasweep expand --count "
        "shows which)",
        options.spec, options.shard.whole() ? "" : " in this shard"));
  if (!state.archive.done.empty())
    log::Warn(fmt::format("resuming: {} of {} points are finished; evaluating the other {}",
                          state.archive.done.size(), state.shard_valid,
                          state.shard_valid - state.archive.done.size()));
}

RunResult ResultOf(const RunSummary& summary, const Rank0State& state) {
  const store::ArchiveCounts& counts = state.archive.archive.counts();
  RunResult result;
  result.total = state.shard_valid;
  result.done = counts.done;
  result.ok = counts.ok;
  result.failed = counts.failed;
  result.infeasible = counts.infeasible;
  result.interrupted = summary.interrupted;
  result.abandoned_workers = summary.abandoned_workers;
  result.evaluated_now = summary.progress.done;
  result.complete = !result.interrupted && !summary.fault && counts.done == state.shard_valid;
  return result;
}

// Rank 0 after the start: coordinates, then closes the archive.
RunOutcome CoordinateSweep(Transport& transport, const sweep::Expander& expander,
                      const RunOptions& options, const EvaluateFn& evaluate, Rank0State& state,
                      Clock::time_point start) {
  store::OpenedArchive& opened = state.archive;
  WarnAboutStart(options, state);
  SweepIndexSource source(expander, options.shard, opened.done, state.shard_valid);
  ArchiveSink sink(opened);
  ProgressPrinter printer(options.progress, options.progress_interval_s, opened.done.size(),
                          state.shard_valid);
  CoordinatorOptions co;
  co.grace_seconds = options.grace_seconds;
  co.stop = options.stop;
  co.hurry = options.hurry;
  co.hurried_grace_seconds = options.hurried_grace_seconds;
  co.progress = [&](const Progress& p) { printer(p); };
  auto summary = dist::Coordinate(transport, source, sink, evaluate, co);
  RunOutcome outcome;
  if (!summary) {
    // Keep what was done: the journal has it; try to leave the archive
    // consistent too.
    (void)opened.journal.Flush(store::Durability::kSynced);
    (void)opened.archive.Finish(store::ArchiveStatus::kPartial, UtcNow());
    outcome.must_end_job = transport.size() > 1;
    outcome.result = std::unexpected(std::move(summary).error());
    return outcome;
  }
  RunResult result = ResultOf(*summary, state);
  outcome.must_end_job = result.abandoned_workers;
  auto finished = [&]() -> Status {
    ASTRASWEEP_RETURN_IF_ERROR(opened.journal.Flush(store::Durability::kSynced));
    return opened.archive.Finish(
        result.complete ? store::ArchiveStatus::kComplete : store::ArchiveStatus::kPartial,
        UtcNow());
  }();
  result.elapsed_s = Since(start);
  log::Info(fmt::format(
      "{}: {} of {} points ({} ok, {} failed, {} infeasible), {} this run in {:.1f} s",
      result.complete ? "complete" : "partial", result.done, result.total, result.ok,
      result.failed, result.infeasible, result.evaluated_now, result.elapsed_s));
  if (!finished)
    outcome.result = std::unexpected(std::move(finished).error());
  else if (summary->fault)
    outcome.result = std::unexpected(*summary->fault);
  else if (!result.complete && !result.interrupted)
    outcome.result = MakeError(ErrorCode::kInternal,
                               fmt::format("the run ended with {} of {} points; the archive is "
                                           "partial (--resume evaluates the rest)",
                                           result.done, result.total),
                               {.file = options.out});
  else
    outcome.result = result;
  return outcome;
}

// The sweep to run, and the options it runs with: the spec's files, or
// those an archive stored (with its shard, unless one was given).
Expected<sweep::Expander> OpenRunSweep(RunOptions& options, Role role) {
  if (options.from_archive.empty()) return sweep::OpenSweep(options.spec);
  ASTRASWEEP_ASSIGN_OR_RETURN(store::ArchivedSweep archived,
                              store::ReadArchivedSweep(options.from_archive));
  if (!archived.presets && role == Role::kCoordinator)
    log::Warn(fmt::format(
        "{} was written before archives stored their presets (schema 1); its sweep reads "
        "them from the usual search path (README, \"A point config\"), which may have changed",
        options.from_archive));
  options.spec = archived.spec_file;
  if (!options.shard_given && !archived.shard.empty()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(options.shard, ParseShard(archived.shard));
  }
  auto expander = sweep::OpenSweep(archived.spec_file, archived.Source());
  if (!expander)
    return MakeError(expander.error().code(),
                     "the sweep stored in " + options.from_archive +
                         " does not load: " + expander.error().ToString(),
                     {.file = options.from_archive});
  return expander;
}

// Why a rank could not start, as the ranks tell each other: its error's
// code, a space, its text; "" when it could.
std::string Refusal(const std::optional<Error>& error) {
  return error ? fmt::format("{} {}", static_cast<int>(error->code()), error->ToString()) : "";
}

bool Refused(const std::string& refusal) { return !refusal.empty(); }

// On a rank that could start: the first rank's that could not, named, as
// its own error (its code gives the exit code), and how many others.
Error AnotherRanksRefusal(const std::vector<std::string>& refusals,
                          const std::vector<std::string>& hosts, const RunOptions& options) {
  const auto first = std::ranges::find_if(refusals, Refused);
  const std::size_t rank = static_cast<std::size_t>(first - refusals.begin());
  const auto others = static_cast<std::size_t>(std::ranges::count_if(refusals, Refused)) - 1;
  int code = static_cast<int>(ErrorCode::kInternal);
  const std::size_t space = first->find(' ');
  std::from_chars(first->data(), first->data() + space, code);
  if (code < 0 || code > static_cast<int>(ErrorCode::kCancelled))
    code = static_cast<int>(ErrorCode::kInternal);
  return Error(static_cast<ErrorCode>(code),
               fmt::format("rank {} (on {}) could not start the sweep: {}{}", rank,
                           rank < hosts.size() ? hosts[rank] : "?", first->substr(space + 1),
                           others == 0 ? ""
                                       : fmt::format("; nor could {} other ranks (each says why "
                                                     "in {}.logs/rank-<r>.log)",
                                                     others, options.out)));
}

}  // namespace

std::string RankLogPath(const std::string& out, int rank) {
  return out + ".logs/rank-" + std::to_string(rank) + ".log";
}

RunOutcome RunSweep(Transport& transport, const RunOptions& given) {
  RunOptions options = given;
  const int rank = transport.rank();
  const auto start = Clock::now();
  const Role role = rank == 0 ? Role::kCoordinator : Role::kWorker;
  log::Info(fmt::format("{} rank {} of {} on {}: {}", VersionLine(), rank, transport.size(),
                        HostName(), options.command_line));
  const std::vector<std::string> hosts = transport.AllGather(HostName());

  // Set up, then agree: every rank starts, or none does.
  auto expander = OpenRunSweep(options, role);
  std::optional<Rank0State> state;
  std::optional<Error> setup_error;
  if (!expander) {
    setup_error = expander.error();
  } else if (auto configured = exec::ConfigureSimulation(options.simulation); !configured) {
    setup_error = configured.error();
  } else if (role == Role::kCoordinator) {
    auto set_up = SetUpRank0(transport, *expander, options, hosts);
    if (set_up)
      state.emplace(std::move(*set_up));
    else
      setup_error = set_up.error();
  }
  const std::vector<std::string> refusals = transport.AllGather(Refusal(setup_error));
  if (std::ranges::any_of(refusals, Refused)) {
    if (setup_error) log::Info("not starting: " + setup_error->ToString());
    // Nothing was evaluated: the archive made for this run goes (with the
    // lock still held), so the same command runs once the cause is fixed.
    if (state && options.opening == ArchiveOpening::kCreate) {
      std::error_code ec;
      std::filesystem::remove(options.out, ec);
      std::filesystem::remove(store::JournalPath(options.out), ec);
    }
    return {.role = role,
            .result = std::unexpected(setup_error ? *setup_error
                                                  : AnotherRanksRefusal(refusals, hosts, options)),
            .must_end_job = false};
  }

  const EvaluateFn evaluate =
      options.evaluate ? options.evaluate : [&](std::uint64_t index, proto::PointResult& out) {
        EvaluateSweepPoint(*expander, index, out);
      };
  if (role == Role::kWorker) {
    Status worked = Work(transport, evaluate, options.stop);
    if (!worked) return {.role = role, .result = std::unexpected(std::move(worked).error())};
    return {.role = role, .result = RunResult{.elapsed_s = Since(start)}};
  }
  return CoordinateSweep(transport, *expander, options, evaluate, *state, start);
}

}  // namespace astrasweep::dist
