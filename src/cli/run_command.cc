// `astrasweep run SPEC -o OUT.h5`: the sweep over the ranks of an MPI job
// (or this process alone, without a launcher) into an archive.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "astrasweep/base/console.h"
#include "astrasweep/base/strings.h"
#include "astrasweep/dist/launcher.h"
#include "astrasweep/dist/run.h"
#include "astrasweep/dist/session.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

struct RunFlags {
  std::string spec;
  std::string from_archive;
  std::string out;
  bool resume = false;
  bool accept_changes = false;
  std::string shard;
  double grace = 30;
  std::string progress = "auto";
  double progress_interval = 10;
  SimulationFlags simulation;
};

std::vector<std::string> Arguments(const Context& context) {
  return {context.argv, context.argv + context.argc};
}

Expected<dist::RunOptions> OptionsFrom(const RunFlags& flags, const Context& context) {
  if (flags.spec.empty() == flags.from_archive.empty())
    return InvalidInput(flags.spec.empty()
                            ? "run needs a spec (astrasweep run SPEC.yaml -o OUT.h5) or an "
                              "archive to run again (--from-archive OLD.h5)"
                            : "run takes a spec or --from-archive, not both: the archive holds "
                              "its own spec");
  // An empty or folder output would scatter OUT.journal, OUT.lock and
  // OUT.logs/ in a folder not chosen for them.
  if (flags.out.empty() || flags.out.back() == '/' || std::filesystem::is_directory(flags.out))
    return InvalidInput("--out '" + flags.out +
                        "' is not an archive's path; name a file, e.g. -o results/sweep.h5");
  // Its folder must take the archive, the journal, the lock and the logs:
  // said before anything starts (a read-only mount, a folder not ours).
  if (const auto folder = std::filesystem::absolute(flags.out).parent_path();
      ::access(folder.c_str(), W_OK | X_OK) != 0)
    return InvalidInput("-o " + flags.out + ": the folder " + folder.string() +
                        " cannot be written (" + std::strerror(errno) +
                        "); choose another -o, or make the folder writable");
  dist::RunOptions options;
  options.spec = flags.spec;
  options.from_archive = flags.from_archive;
  options.shard_given = !flags.shard.empty();
  options.out = flags.out;
  options.opening = flags.resume ? dist::ArchiveOpening::kResume : dist::ArchiveOpening::kCreate;
  if (flags.accept_changes && !flags.resume)
    return InvalidInput(
        "--accept-changes goes with --resume: it lets a resume go on with inputs or a model "
        "that changed since the journal began");
  options.accept_changes = flags.accept_changes;
  if (!flags.shard.empty()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(options.shard, dist::ParseShard(flags.shard));
  }
  options.grace_seconds = flags.grace;
  options.progress = flags.progress == "bar"     ? dist::ProgressStyle::kBar
                     : flags.progress == "lines" ? dist::ProgressStyle::kLines
                     : flags.progress == "none"  ? dist::ProgressStyle::kNone
                                                 : dist::ProgressStyle::kAuto;
  options.progress_interval_s = flags.progress_interval;
  options.simulation = flags.simulation.Options();
  options.command_line = ShellCommand(Arguments(context));
  return options;
}

// Each rank logs to its own file beside the archive; rank 0 to the console too.
void SetUpLogging(const std::string& out, int rank, log::Level console_level) {
  std::error_code ec;
  std::filesystem::create_directories(out + ".logs", ec);
  log::Setup({.console_level = console_level,
              .console = rank == 0,
              .rank = rank,
              .file = ec ? "" : dist::RankLogPath(out, rank)});
}

void PrintSummary(const RunFlags& flags, const dist::RunResult& r) {
  std::fprintf(stderr,
               "astrasweep: %s: %llu of %llu points (%llu ok, %llu infeasible, %llu failed); "
               "%llu evaluated in %.2f s\n",
               flags.out.c_str(), static_cast<unsigned long long>(r.done),
               static_cast<unsigned long long>(r.total), static_cast<unsigned long long>(r.ok),
               static_cast<unsigned long long>(r.infeasible),
               static_cast<unsigned long long>(r.failed),
               static_cast<unsigned long long>(r.evaluated_now), r.elapsed_s);
}

Outcome Run(const RunFlags& flags, const Context& context) {
  ASTRASWEEP_ASSIGN_OR_RETURN(dist::RunOptions options, OptionsFrom(flags, context));
  // Before MPI starts (tens of ms): a SIGTERM then stops the run as any
  // other does, rather than killing the process (exit 143).
  dist::InstallStopSignals(0);
  int argc = context.argc;
  char** argv = context.argv;
  std::shared_ptr<dist::Session> session = dist::OpenSession(argc, argv);
  dist::Transport& transport = session->transport();
  SetUpLogging(flags.out, transport.rank(), context.log_level);
  // Rank 0 alone prints, and alone needs to know who launched the run.
  const dist::Launcher launcher =
      transport.rank() == 0
          ? dist::FindLauncher(dist::ProcessTable(), ::getpid(), Arguments(context))
          : dist::Launcher{};
  // mpiexec copies rank 0's stderr (a pipe) to its own: a terminal when
  // the person who started the run sees one.
  if (launcher.terminal && !StandardError().terminal())
    StandardError().UseTerminal(launcher.terminal_path);
  const dist::StopFlags stop = dist::InstallStopSignals(launcher.killer_pid);
  options.stop = stop.stop;
  options.hurry = stop.hurry;
  // Leave most of the time before the launcher's SIGKILL to closing the
  // archive and saying how to resume.
  options.hurried_grace_seconds = std::min(flags.grace, launcher.kill_after_s / 4);
  dist::RunOutcome run = dist::RunSweep(transport, options);
  Outcome outcome;
  outcome.quiet_worker = run.role == dist::Role::kWorker;
  outcome.keep_until_reported = session;
  if (run.must_end_job) {
    // A launcher that is ending the job (mpiexec after Ctrl-C) kills every
    // rank itself, in a moment: MPI_Abort would only add its banner.
    if (!stop.hurry->load())
      outcome.end_job = [session](int exit_code) { session->EndJob(exit_code); };
  } else {
    // Every rank ends together, so rank 0 reports before mpirun sees a
    // worker exit.
    transport.MaxAll(0);
  }
  if (!run.result) {
    outcome.status = std::unexpected(std::move(run.result).error());
    return outcome;
  }
  if (outcome.quiet_worker) return outcome;
  PrintSummary(flags, *run.result);
  // As the user ran it, launcher included.
  const std::string resume = dist::ResumeCommand(launcher.command);
  // After the launcher's signal the grace period is cut short on purpose
  // (the log says which points were left out): no more to say then.
  if (run.result->abandoned_workers && !stop.hurry->load())
    outcome.status = MakeError(ErrorCode::kCancelled,
                               "interrupted; workers did not finish within the grace period. The "
                               "archive is partial; continue with: " + resume,
                               {.file = flags.out});
  else if (run.result->interrupted)
    outcome.status = MakeError(ErrorCode::kCancelled,
                               "interrupted: the archive is partial; continue with: " + resume,
                               {.file = flags.out});
  return outcome;
}

}  // namespace

void AddRunCommand(CLI::App& app, Action& action, const Context& context) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Evaluate every point of a sweep over the MPI ranks into an HDF5 archive");
  cmd->add_option("spec", flags->spec, "Sweep spec (YAML)");
  cmd->add_option("--from-archive", flags->from_archive,
                  "Run again the sweep an archive holds (its spec, includes and presets, even "
                  "when their files are gone), with its shard unless --shard is given");
  cmd->add_option("-o,--out", flags->out, "The archive to write (HDF5)")->required();
  cmd->add_flag("--resume", flags->resume,
                "Continue the archive's sweep: skip finished points (from its journal)");
  cmd->add_flag("--accept-changes", flags->accept_changes,
                "With --resume: go on although the spec, a preset or astrasweep changed since "
                "the journal began; finished points whose config changed are evaluated again, "
                "the others kept, and the archive's accepted_changes records what changed");
  cmd->add_option("--shard", flags->shard, "Evaluate one Nth of the points: i/N, 0 <= i < N");
  cmd->add_option("--grace", flags->grace,
                  "Seconds to wait for points in flight after SIGTERM/SIGINT")
      ->capture_default_str();
  cmd->add_option("--progress", flags->progress, "auto, bar, lines or none")
      ->check(CLI::IsMember({"auto", "bar", "lines", "none"}))
      ->capture_default_str();
  cmd->add_option("--progress-interval", flags->progress_interval,
                  "Seconds between progress lines when stderr is not a terminal")
      ->capture_default_str();
  AddSimulationFlags(cmd, flags->simulation);
  cmd->callback([flags, &action, &context] {
    action = [flags, &context] { return Run(*flags, context); };
  });
}

}  // namespace astrasweep::cli
