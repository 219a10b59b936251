// `astrasweep run SPEC -o OUT.h5`: the sweep over MPI ranks into an archive.
#include <cstdio>

#include "astrasweep/dist/mpi.h"
#include "astrasweep/dist/run.h"
#include "astrasweep/store/inspect.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

struct RunFlags {
  std::string spec;
  std::string out;
  bool resume = false;
  std::string shard;
  double grace = 30;
  std::string progress = "auto";
  double progress_interval = 10;
};

std::string Quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\"'\\$") == std::string::npos) return arg;
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

void AddRunCommand(CLI::App& app, Action& action, const Context& context) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Evaluate every point of a sweep over the MPI ranks into an HDF5 archive");
  cmd->add_option("spec", flags->spec, "Sweep spec (YAML)")->required();
  cmd->add_option("-o,--out", flags->out, "The archive to write (HDF5)")->required();
  cmd->add_flag("--resume", flags->resume,
                "Continue the archive's sweep: skip finished points (from its journal)");
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
  cmd->callback([flags, &action, &context] {
    action = [flags, &context]() -> Status {
      dist::RunOptions options;
      options.spec = flags->spec;
      options.out = flags->out;
      options.resume = flags->resume;
      if (!flags->shard.empty()) {
        ASTRASWEEP_ASSIGN_OR_RETURN(options.shard, dist::ParseShard(flags->shard));
      }
      options.grace_seconds = flags->grace;
      options.progress = flags->progress == "bar"     ? dist::ProgressStyle::kBar
                         : flags->progress == "lines" ? dist::ProgressStyle::kLines
                         : flags->progress == "none"  ? dist::ProgressStyle::kNone
                                                      : dist::ProgressStyle::kAuto;
      options.progress_interval_s = flags->progress_interval;
      for (int i = 0; i < context.argc; ++i)
        options.command_line += (i ? " " : "") + Quote(context.argv[i]);
      options.console_level = context.log_level;

      int argc = context.argc;
      char** argv = context.argv;
      dist::MpiSession session(argc, argv);
      dist::Transport& transport = session.transport();
      options.stop = &dist::InstallStopSignals();
      options.abort_job = [&session](const Error& error) {
        std::fprintf(stderr, "astrasweep: error: %s\nastrasweep: ending every rank of the job\n",
                     error.ToString().c_str());
        session.Abort(kExitFailure);
      };
      auto result = dist::RunSweep(transport, options);
      const bool root = transport.rank() == 0;
      if (root && result && result->abandoned_workers) {
        std::fprintf(stderr,
                     "astrasweep: interrupted; workers did not finish within the grace period. "
                     "The archive is partial; continue with --resume\n");
        session.Abort(kExitInterrupted);
      }
      int code = !result               ? ExitCodeFor(result.error())
                 : result->interrupted ? kExitInterrupted
                                       : kExitOk;
      // Every rank takes part; rank 0 alone reports and sets the job's exit
      // code. The others exit 0, because mpirun ends the whole job (rank 0
      // before it has reported) as soon as one rank exits with another code.
      transport.MaxAll(code);
      if (!root) return Ok();
      if (!result) return std::unexpected(result.error());
      const auto& r = *result;
      std::fprintf(stderr,
                   "astrasweep: %s: %llu of %llu points (%llu ok, %llu infeasible, %llu failed); "
                   "%llu evaluated in %.2f s\n",
                   flags->out.c_str(), static_cast<unsigned long long>(r.done),
                   static_cast<unsigned long long>(r.total), static_cast<unsigned long long>(r.ok),
                   static_cast<unsigned long long>(r.infeasible),
                   static_cast<unsigned long long>(r.failed),
                   static_cast<unsigned long long>(r.evaluated_now), r.elapsed_s);
      if (r.interrupted)
        return MakeError(ErrorCode::kCancelled,
                         "interrupted: the archive is partial; continue with: astrasweep run " +
                             Quote(flags->spec) + " -o " + Quote(flags->out) + " --resume",
                         {.file = flags->out});
      return Ok();
    };
  });
}

void AddInspectCommand(CLI::App& app, Action& action) {
  auto path = std::make_shared<std::string>();
  auto top = std::make_shared<std::size_t>(10);
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Summarise an archive: provenance, counts, best points, failures");
  cmd->add_option("archive", *path, "The archive (HDF5)")->required();
  cmd->add_option("--top", *top, "How many of the best points to list")->capture_default_str();
  cmd->callback([path, top, &action] {
    action = [path, top]() -> Status {
      ASTRASWEEP_ASSIGN_OR_RETURN(std::string text, store::InspectArchive(*path, *top));
      std::fputs(text.c_str(), stdout);
      return Ok();
    };
  });
}

}  // namespace astrasweep::cli
