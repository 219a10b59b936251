// `astrasweep verify OUT.h5 [--sample N]`: archived points evaluated again
// from their archived configs and compared with the archive; exit 1 when
// any differs.
#include <cstdio>

#include "astrasweep/dist/verify.h"
#include "astrasweep/netsim/cache.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

struct VerifyFlags {
  dist::VerifyOptions options;
  SimulationFlags simulation;
};

Outcome Verify(const VerifyFlags& flags) {
  exec::SimulationOptions simulation = flags.simulation.Options();
  // A cached answer is the answer being checked: simulate again, unless
  // the cache is asked for.
  if (flags.simulation.cache_mode.empty()) simulation.cache_mode = netsim::CacheMode::kNone;
  ASTRASWEEP_RETURN_IF_ERROR(exec::ConfigureSimulation(simulation));
  ASTRASWEEP_ASSIGN_OR_RETURN(dist::VerifyReport report, dist::VerifyArchive(flags.options));
  std::fputs(report.Text(flags.options).c_str(), stdout);
  Outcome outcome;
  outcome.differs = report.differing_points > 0;
  return outcome;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, Action& action) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Evaluate archived points again from their archived configs and report every difference "
      "(exit 1 when any differs)");
  cmd->add_option("archive", flags->options.archive, "The archive (HDF5)")->required();
  cmd->add_option("--sample", flags->options.sample,
                  "Check N points spread evenly over the archive in index order (default: all)");
  cmd->add_option("--astrasim-tolerance", flags->options.astrasim_tolerance,
                  "Relative difference allowed for points an external AstraSim simulated "
                  "(others must match exactly)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  AddSimulationFlags(cmd, flags->simulation);
  cmd->callback([flags, &action] { action = [flags] { return Verify(*flags); }; });
}

}  // namespace astrasweep::cli
