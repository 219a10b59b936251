// `astrasweep expand SPEC`: list the valid points of a sweep (index, id and
// swept values) as a table or JSON lines, or count them.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "astrasweep/sweep/expander.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

struct ExpandOptions {
  std::string spec;
  bool count = false;
  std::uint64_t limit = 0;  // 0: no limit
  std::string format = "table";
};

void PrintCount(const sweep::Expander& expander) {
  const sweep::CountResult r = expander.Count();
  std::printf("%llu valid points, %llu skipped by constraints, %llu in the full product\n",
              static_cast<unsigned long long>(r.valid), static_cast<unsigned long long>(r.skipped),
              static_cast<unsigned long long>(r.total));
  for (std::size_t i = 0; i < r.skipped_by.size(); ++i) {
    std::printf("  skipped by constraint %zu '%s': %llu\n", i, expander.ConstraintText(i).c_str(),
                static_cast<unsigned long long>(r.skipped_by[i]));
  }
}

std::string TableRow(const sweep::ExpandedPoint& p) {
  std::string row = std::to_string(p.index) + "\t" + p.point.id.Hex();
  for (const auto& v : p.swept) row += "\t" + v.text;
  return row;
}

std::string JsonRow(const sweep::ExpandedPoint& p) {
  nlohmann::ordered_json row;
  row["index"] = p.index;
  row["id"] = p.point.id.Hex();
  for (const auto& v : p.swept) {
    if (v.is_number) {
      const double number = std::stod(v.text);
      if (std::floor(number) == number && std::fabs(number) < 9e15)
        row[v.key] = static_cast<std::int64_t>(number);
      else
        row[v.key] = number;
    } else
      row[v.key] = v.text;
  }
  return row.dump();
}

Status RunExpand(const ExpandOptions& options) {
  ASTRASWEEP_ASSIGN_OR_RETURN(auto expander, sweep::OpenSweep(options.spec));
  if (options.count) {
    PrintCount(expander);
    return Ok();
  }
  const bool table = options.format == "table";
  if (table) {
    std::string header = "index\tid";
    for (const auto& key : expander.SweptKeys()) header += "\t" + key;
    std::puts(header.c_str());
  }
  std::uint64_t listed = 0;
  std::uint64_t invalid = 0;
  expander.ForEachValid(0, expander.total(), [&](std::uint64_t index) {
    auto point = expander.Materialize(index);
    if (!point) {
      // A config the constraints let through but the loader rejects: say so
      // and go on, as a run would record it as a failed point.
      ++invalid;
      std::fprintf(stderr, "astrasweep: invalid point: %s\n", point.error().ToString().c_str());
    } else {
      std::puts((table ? TableRow(*point) : JsonRow(*point)).c_str());
    }
    return options.limit == 0 || ++listed < options.limit;
  });
  if (invalid > 0) {
    std::fprintf(
        stderr,
        "astrasweep: %llu listed points have invalid configs; add constraints to skip them\n",
        static_cast<unsigned long long>(invalid));
  }
  return Ok();
}

}  // namespace

void AddExpandCommand(CLI::App& app, Action& action) {
  auto options = std::make_shared<ExpandOptions>();
  CLI::App* cmd = app.add_subcommand("expand", "List or count the points of a sweep spec");
  cmd->add_option("spec", options->spec, "Sweep spec (YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--count", options->count, "Print only the number of valid and skipped points");
  cmd->add_option("--limit", options->limit, "List at most N valid points");
  cmd->add_option("--format", options->format, "table or jsonl")
      ->check(CLI::IsMember({"table", "jsonl"}))
      ->capture_default_str();
  cmd->callback([options, &action] { action = [options] { return RunExpand(*options); }; });
}

}  // namespace astrasweep::cli
