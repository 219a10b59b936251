// The flags of the network simulators and their cache, shared by the
// commands that evaluate points (`run`, `point`).
#include "astrasweep/netsim/cache.h"
#include "commands.h"

namespace astrasweep::cli {

void AddSimulationFlags(CLI::App* cmd, SimulationFlags& flags) {
  cmd->add_option("--cache-mode", flags.cache_mode,
                  "NO_CACHE, CACHE_READONLY or CACHE_READWRITE (default: $ASTRASWEEP_CACHE_MODE, "
                  "else CACHE_READWRITE)")
      ->check([](const std::string& text) {
        auto mode = netsim::ParseCacheMode(text);
        return mode ? std::string() : mode.error().message();
      });
  cmd->add_option("--cache-dir", flags.options.cache_dir,
                  "The simulation cache's folder (default: $SLURM_TMPDIR, else $TMPDIR, else "
                  "/tmp, then /astrasweep-cache)");
  cmd->add_option("--astrasim-bin", flags.options.astrasim_bin,
                  "AstraSim's congestion-unaware analytical binary, for points with "
                  "execution_backend.astra.backend: astrasim; the aware one is looked for "
                  "beside it (default: $ASTRASIM_BIN)");
  cmd->add_option("--astrasim-timeout", flags.astrasim_timeout_s,
                  "Seconds an AstraSim run may take before it is killed")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--keep-et", flags.options.keep_et_dir,
                  "Keep every simulated ET bundle in DIR (as <bundle>-<cache key>)");
}

exec::SimulationOptions SimulationFlags::Options() const {
  exec::SimulationOptions resolved = options;
  if (!cache_mode.empty()) resolved.cache_mode = *netsim::ParseCacheMode(cache_mode);
  resolved.astrasim_timeout = std::chrono::seconds(astrasim_timeout_s);
  return resolved;
}

}  // namespace astrasweep::cli
