// `astrasweep cache stats|clear [--cache-dir DIR]`: how much the node-local
// simulation cache holds, and emptying it (to reclaim scratch space, or to
// recompute every simulation after changing the simulator by hand).
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "astrasweep/base/units.h"
#include "astrasweep/netsim/cache.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

struct CacheOptions {
  std::string dir;  // empty: netsim::DefaultCacheDir()
  bool json = false;
};

std::string SizeText(std::uint64_t bytes) {
  const double value = static_cast<double>(bytes);
  if (bytes < 1024) return fmt::format("{} B", bytes);
  return fmt::format("{} B ({})", bytes, HumanQuantity(value, QuantityKind::kBytes));
}

Status PrintStats(const CacheOptions& options) {
  const std::string dir = options.dir.empty() ? netsim::DefaultCacheDir() : options.dir;
  ASTRASWEEP_ASSIGN_OR_RETURN(const netsim::CacheUsage usage, netsim::ScanCache(dir));
  if (options.json) {
    const nlohmann::json j = {{"dir", dir}, {"entries", usage.entries}, {"bytes", usage.bytes}};
    std::printf("%s\n", j.dump().c_str());
    return Ok();
  }
  std::printf("cache    %s\nentries  %llu\nsize     %s\n", dir.c_str(),
              static_cast<unsigned long long>(usage.entries), SizeText(usage.bytes).c_str());
  return Ok();
}

Status Clear(const CacheOptions& options) {
  const std::string dir = options.dir.empty() ? netsim::DefaultCacheDir() : options.dir;
  ASTRASWEEP_ASSIGN_OR_RETURN(const netsim::CacheUsage removed, netsim::ClearCache(dir));
  std::printf("%s: removed %llu entries, %s\n", dir.c_str(),
              static_cast<unsigned long long>(removed.entries), SizeText(removed.bytes).c_str());
  return Ok();
}

void AddCacheDirOption(CLI::App* cmd, CacheOptions& options) {
  cmd->add_option("--cache-dir", options.dir,
                  "The cache folder (default: $SLURM_TMPDIR, else $TMPDIR, else /tmp, "
                  "then /astrasweep-cache)");
}

}  // namespace

void AddCacheCommand(CLI::App& app, Action& action) {
  auto options = std::make_shared<CacheOptions>();
  CLI::App* cmd = app.add_subcommand("cache", "The node-local simulation cache: stats or clear");
  cmd->require_subcommand(1);
  CLI::App* stats = cmd->add_subcommand("stats", "Print the cache's folder, entries and size");
  AddCacheDirOption(stats, *options);
  stats->add_flag("--json", options->json, "One JSON object: dir, entries, bytes");
  stats->callback(
      [options, &action] { action = [options] { return Outcome(PrintStats(*options)); }; });
  CLI::App* clear = cmd->add_subcommand("clear", "Remove every entry of the cache");
  AddCacheDirOption(clear, *options);
  clear->callback([options, &action] { action = [options] { return Outcome(Clear(*options)); }; });
}

}  // namespace astrasweep::cli
