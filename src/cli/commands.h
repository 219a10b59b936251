// The subcommands. Each registers its flags on the CLI11 app and sets the
// action to run when it is chosen; the action returns an Outcome, and main
// alone turns that into an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

#include "astrasweep/base/error.h"
#include "astrasweep/base/logging.h"
#include "astrasweep/exec/simulation.h"

namespace astrasweep::cli {

// What an action ends with.
struct Outcome {
  // Implicit, so an action returns a Status or an error as it is.
  Outcome(Status result = Ok()) : status(std::move(result)) {}
  Outcome(std::unexpected<Error> error) : status(std::move(error)) {}
  Status status;
  // A worker rank of an MPI job: rank 0 reports for the job, so this rank
  // prints nothing and exits 0 (mpirun ends the whole job, rank 0 before it
  // has reported, as soon as one rank exits with another code).
  bool quiet_worker = false;
  // Set when the other ranks of the job cannot be waited for: main calls
  // it with the exit code, and it ends every rank.
  std::function<void(int exit_code)> end_job;
  // Held until main has reported: run's MPI session, whose end
  // (MPI_Finalize) waits on the launcher, and a launcher ending the job
  // (mpiexec after Ctrl-C) answers only with SIGKILL.
  std::shared_ptr<void> keep_until_reported;
  // The command's answer is "they differ" (verify, diff): exit 1, with
  // no error message (the report said what differs).
  bool differs = false;
};

using Action = std::function<Outcome()>;

// What main knows that a command may need: the raw arguments (for MPI and
// the provenance) and the console's log level. Filled before the action
// runs.
struct Context {
  int argc = 0;
  char** argv = nullptr;
  log::Level log_level = log::Level::kWarn;
};

// The simulators' and the cache's flags of the commands that evaluate
// points; checked by CLI11, resolved against the environment by
// exec::ConfigureSimulation.
struct SimulationFlags {
  exec::SimulationOptions options;
  std::string cache_mode;  // empty: not given
  long long astrasim_timeout_s = 600;
  exec::SimulationOptions Options() const;
};
void AddSimulationFlags(CLI::App* cmd, SimulationFlags& flags);

void AddExpandCommand(CLI::App& app, Action& action);
void AddValidateCommand(CLI::App& app, Action& action);
void AddPointCommand(CLI::App& app, Action& action);
// `run` sets up logging itself (per rank, to a file beside the archive);
// main sets it up for every other command.
void AddRunCommand(CLI::App& app, Action& action, const Context& context);
void AddInspectCommand(CLI::App& app, Action& action);
void AddEtCommand(CLI::App& app, Action& action);
void AddSimulateCommand(CLI::App& app, Action& action);
void AddCacheCommand(CLI::App& app, Action& action);
void AddKeysCommand(CLI::App& app, Action& action);
void AddPresetsCommand(CLI::App& app, Action& action);
void AddVerifyCommand(CLI::App& app, Action& action);
void AddMergeCommand(CLI::App& app, Action& action, const Context& context);
void AddDiffCommand(CLI::App& app, Action& action);

}  // namespace astrasweep::cli
