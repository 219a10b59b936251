// astrasweep: parse flags, run the chosen subcommand, and decide the exit
// code (README.md, "Commands"): 0 success, 2 bad usage or input, 3
// interrupted, 1 anything else (and differences found by verify and diff).
// Everything else lives in the libraries.
#include <cstdio>
#include <string>

#include "astrasweep/base/logging.h"
#include "astrasweep/base/version.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 3;

int ExitCodeFor(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidInput:
    case ErrorCode::kNotFound: return kExitUsage;
    case ErrorCode::kCancelled: return kExitInterrupted;
    default: return kExitFailure;
  }
}

int Finish(const Outcome& outcome) {
  const int code = !outcome.status   ? ExitCodeFor(outcome.status.error())
                   : outcome.differs ? kExitFailure
                                     : kExitOk;
  if (!outcome.status && !outcome.quiet_worker)
    std::fprintf(stderr, "astrasweep: error: %s\n", outcome.status.error().ToString().c_str());
  if (outcome.end_job) {
    std::fflush(stderr);
    outcome.end_job(code);
  }
  return outcome.quiet_worker ? kExitOk : code;
}

int RealMain(int argc, char** argv) {
  CLI::App app{"astrasweep: sweeps of distributed LLM training performance"};
  app.set_version_flag("--version", VersionLine());
  app.require_subcommand(1);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "debug, info, warn, error or off")
      ->capture_default_str();
  Action action;
  Context context{argc, argv, log::Level::kWarn};
  AddExpandCommand(app, action);
  AddRunCommand(app, action, context);
  AddInspectCommand(app, action);
  AddValidateCommand(app, action);
  AddPointCommand(app, action);
  AddEtCommand(app, action);
  AddSimulateCommand(app, action);
  AddCacheCommand(app, action);
  AddKeysCommand(app, action);
  AddPresetsCommand(app, action);
  AddVerifyCommand(app, action);
  AddMergeCommand(app, action, context);
  AddDiffCommand(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version print and succeed; a usage error is reported as
    // every other error is.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "astrasweep: error: %s; see `%s --help`\n", e.what(),
                 (std::string("astrasweep") +
                  (app.get_subcommands().empty() ? "" : " " + app.get_subcommands()[0]->get_name()))
                     .c_str());
    return kExitUsage;
  }
  if (!log::ParseLevel(log_level, &context.log_level)) {
    std::fprintf(stderr, "astrasweep: error: --log-level: unknown level '%s'\n",
                 log_level.c_str());
    return kExitUsage;
  }
  if (!app.got_subcommand("run")) log::Setup({.console_level = context.log_level});
  return Finish(action());
}

}  // namespace
}  // namespace astrasweep::cli

int main(int argc, char** argv) { return astrasweep::cli::RealMain(argc, argv); }
