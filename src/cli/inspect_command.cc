// `astrasweep inspect OUT.h5`: a readable summary of an archive, over the
// points a --where expression keeps, with the best point per group.
#include <cstdio>

#include "astrasweep/store/inspect.h"
#include "commands.h"

namespace astrasweep::cli {

void AddInspectCommand(CLI::App& app, Action& action) {
  auto path = std::make_shared<std::string>();
  auto options = std::make_shared<store::InspectOptions>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Summarise an archive: provenance, counts, best points (per group), infeasible points "
      "against GPU memory, failures by reason");
  cmd->add_option("archive", *path, "The archive (HDF5)")->required();
  cmd->add_option("--top", options->top,
                  "How many points (best, infeasible) and failure reasons each list shows")
      ->capture_default_str();
  cmd->add_option("--where", options->where,
                  "Keep the points for which this expression (the language of derive and "
                  "constraints) is true, over /points columns: swept keys as the spec writes "
                  "them, status, tokens_per_s, ...: 'parallelism.tp == 8 and status == \"ok\"'");
  cmd->add_option("--group-by", options->group_by,
                  "The best point per value of these columns (comma separated): "
                  "model,training.recompute")
      ->delimiter(',');
  cmd->callback([path, options, &action] {
    action = [path, options]() -> Outcome {
      ASTRASWEEP_ASSIGN_OR_RETURN(std::string text, store::InspectArchive(*path, *options));
      std::fputs(text.c_str(), stdout);
      return Ok();
    };
  });
}

}  // namespace astrasweep::cli
