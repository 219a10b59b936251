// `astrasweep merge A.h5 B.h5 ... -o OUT.h5`: the shards of one sweep
// joined into a new archive.
#include <cstdio>

#include "astrasweep/store/merge.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

std::string CommandLine(const Context& context) {
  std::string line;
  for (int i = 0; i < context.argc; ++i) line += (i ? " " : "") + std::string(context.argv[i]);
  return line;
}

}  // namespace

void AddMergeCommand(CLI::App& app, Action& action, const Context& context) {
  auto options = std::make_shared<store::MergeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "merge",
      "Join the shards of one sweep (run --shard i/N, every i) into a new archive, as if the "
      "sweep had run whole");
  cmd->add_option("shards", options->inputs, "The shards' archives (HDF5), complete")->required();
  cmd->add_option("-o,--out", options->out, "The merged archive to write; must not exist")
      ->required();
  cmd->callback([options, &action, &context] {
    action = [options, &context]() -> Outcome {
      options->command_line = CommandLine(context);
      ASTRASWEEP_ASSIGN_OR_RETURN(store::MergeResult merged, store::MergeArchives(*options));
      std::fprintf(stderr,
                   "astrasweep: %s: %llu shards merged: %llu points (%llu ok, %llu infeasible, "
                   "%llu failed)\n",
                   options->out.c_str(), static_cast<unsigned long long>(merged.shards),
                   static_cast<unsigned long long>(merged.points),
                   static_cast<unsigned long long>(merged.ok),
                   static_cast<unsigned long long>(merged.infeasible),
                   static_cast<unsigned long long>(merged.failed));
      return Ok();
    };
  });
}

}  // namespace astrasweep::cli
