// `astrasweep inspect OUT.h5`: a readable summary of an archive.
#include <cstdio>

#include "astrasweep/store/inspect.h"
#include "commands.h"

namespace astrasweep::cli {

void AddInspectCommand(CLI::App& app, Action& action) {
  auto path = std::make_shared<std::string>();
  auto top = std::make_shared<std::size_t>(10);
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Summarise an archive: provenance, counts, best points, failures");
  cmd->add_option("archive", *path, "The archive (HDF5)")->required();
  cmd->add_option("--top", *top, "How many of the best points to list")->capture_default_str();
  cmd->callback([path, top, &action] {
    action = [path, top]() -> Outcome {
      ASTRASWEEP_ASSIGN_OR_RETURN(std::string text, store::InspectArchive(*path, *top));
      std::fputs(text.c_str(), stdout);
      return Ok();
    };
  });
}

}  // namespace astrasweep::cli
