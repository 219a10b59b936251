// `astrasweep diff A.h5 B.h5`: which points of two archives differ and by
// how much; exit 0 when equal, 1 when different, 2 on bad input.
#include <cstdio>

#include "astrasweep/store/diff.h"
#include "commands.h"

namespace astrasweep::cli {

void AddDiffCommand(CLI::App& app, Action& action) {
  auto options = std::make_shared<store::DiffOptions>();
  CLI::App* cmd = app.add_subcommand(
      "diff",
      "Compare the points of two archives: only in one, status changes, metrics that differ and "
      "by how much (exit 0 equal, 1 different)");
  cmd->add_option("a", options->a, "The first archive (HDF5)")->required();
  cmd->add_option("b", options->b, "The second archive (HDF5)")->required();
  cmd->add_option("--tolerance", options->tolerance,
                  "Numbers within this relative difference count as equal")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--limit", options->limit, "Points listed per kind of difference")
      ->capture_default_str();
  cmd->callback([options, &action] {
    action = [options]() -> Outcome {
      ASTRASWEEP_ASSIGN_OR_RETURN(store::DiffReport report, store::DiffArchives(*options));
      std::fputs(report.text.c_str(), stdout);
      Outcome outcome;
      outcome.differs = !report.equal;
      return outcome;
    };
  });
}

}  // namespace astrasweep::cli
