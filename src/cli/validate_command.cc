// `astrasweep validate FILE`: check a sweep spec (every valid point's config
// is built) or a single point config, and say what is wrong.
#include <cstdio>
#include <filesystem>

#include "astrasweep/config/loader.h"
#include "astrasweep/sweep/expander.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

struct ValidateOptions {
  std::string file;
  std::uint64_t max_points = 100000;
};

constexpr int kErrorsShown = 5;

Status ValidateSpec(const ValidateOptions& options) {
  ASTRASWEEP_ASSIGN_OR_RETURN(auto expander, sweep::OpenSweep(options.file));
  const auto count = expander.Count();
  std::uint64_t checked = 0, invalid = 0;
  std::optional<Error> first_error;
  if (options.max_points > 0) {
    expander.ForEachValid(0, expander.total(), [&](std::uint64_t index) {
      auto point = expander.Materialize(index);
      ++checked;
      if (!point) {
        if (++invalid <= kErrorsShown)
          std::fprintf(stderr, "  %s\n", point.error().ToString().c_str());
        if (!first_error) first_error = point.error();
      }
      return checked < options.max_points;
    });
  }
  std::printf(
      "%s: %llu valid points, %llu skipped by constraints; built %llu point configs, %llu "
      "invalid\n",
      options.file.c_str(), static_cast<unsigned long long>(count.valid),
      static_cast<unsigned long long>(count.skipped), static_cast<unsigned long long>(checked),
      static_cast<unsigned long long>(invalid));
  if (first_error) {
    return InvalidInput(std::to_string(invalid) +
                        " points have invalid configs (first: " + first_error->ToString() +
                        "); add constraints to skip them or fix the spec");
  }
  return Ok();
}

Status RunValidate(const ValidateOptions& options) {
  ASTRASWEEP_ASSIGN_OR_RETURN(config::Node root, config::LoadYamlFile(options.file));
  if (sweep::LooksLikeSweepSpec(root)) return ValidateSpec(options);
  ASTRASWEEP_ASSIGN_OR_RETURN(auto point, config::LoadPointFile(options.file));
  std::printf("%s: valid point config, id %s\n", options.file.c_str(), point.id.Hex().c_str());
  return Ok();
}

}  // namespace

void AddValidateCommand(CLI::App& app, Action& action) {
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* cmd = app.add_subcommand("validate", "Check a sweep spec or a point config");
  cmd->add_option("file", options->file, "Sweep spec or point config (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--max-points", options->max_points, "Build at most N point configs of a spec")
      ->capture_default_str();
  cmd->callback([options, &action] { action = [options] { return RunValidate(*options); }; });
}

}  // namespace astrasweep::cli
