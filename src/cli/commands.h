// The subcommands. Each registers its flags on the CLI11 app and sets the
// action to run when it is chosen; the action returns a Status, and main
// alone turns that into an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "astrasweep/base/error.h"
#include "astrasweep/base/logging.h"

namespace astrasweep::cli {

using Action = std::function<Status()>;

// What main knows that a command may need: the raw arguments (for MPI and
// the provenance) and the log level chosen. Filled before the action runs.
struct Context {
  int argc = 0;
  char** argv = nullptr;
  log::Level log_level = log::Level::kWarn;
};

void AddExpandCommand(CLI::App& app, Action& action);
void AddValidateCommand(CLI::App& app, Action& action);
void AddPointCommand(CLI::App& app, Action& action);
void AddRunCommand(CLI::App& app, Action& action, const Context& context);
void AddInspectCommand(CLI::App& app, Action& action);

// Exit codes of DESIGN.md section 11.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 3;
int ExitCodeFor(const Error& error);

}  // namespace astrasweep::cli
