// astrasweep: parse flags, run the chosen subcommand, map errors to exit
// codes. Everything else lives in the libraries.
#include <cstdio>

#include "astrasweep/base/logging.h"
#include "commands.h"

namespace astrasweep::cli {

int ExitCodeFor(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidInput:
    case ErrorCode::kNotFound: return kExitUsage;
    case ErrorCode::kCancelled: return kExitInterrupted;
    default: return kExitFailure;
  }
}

namespace {

int RealMain(int argc, char** argv) {
  CLI::App app{"astrasweep: sweeps of distributed LLM training performance"};
  app.set_version_flag("--version", "astrasweep 0.1.0");
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  log::Options options;
  if (!log::ParseLevel(log_level, &options.console_level)) {
    std::fprintf(stderr, "astrasweep: --log-level: unknown level '%s'\n", log_level.c_str());
    return kExitUsage;
  }
  log::Setup(options);
  context.log_level = options.console_level;
  Status status = action();
  if (!status) {
    std::fprintf(stderr, "astrasweep: error: %s\n", status.error().ToString().c_str());
    return ExitCodeFor(status.error());
  }
  return kExitOk;
}

}  // namespace
}  // namespace astrasweep::cli

int main(int argc, char** argv) { return astrasweep::cli::RealMain(argc, argv); }
