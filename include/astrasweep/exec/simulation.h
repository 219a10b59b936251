// The network simulators as the simulating modes use them: the builtin
// simulator (and AstraSim's binary when one is named) behind the
// node-local cache. One per process, set up before the first point
// (ConfigureSimulation) and used by Evaluate.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/netsim/astrasim.h"
#include "astrasweep/netsim/cache.h"
#include "astrasweep/netsim/simulator.h"

namespace astrasweep::exec {

struct SimulationOptions {
  std::string cache_dir;  // empty: netsim::DefaultCacheDir()
  // Unset: $ASTRASWEEP_CACHE_MODE, else CACHE_READWRITE.
  std::optional<netsim::CacheMode> cache_mode;
  // AstraSim's congestion-unaware binary (its aware one is looked for
  // beside it), for points with execution_backend.astra.backend: astrasim.
  // Empty: $ASTRASIM_BIN; neither: such points fail, saying how to name one.
  std::string astrasim_bin;
  std::chrono::seconds astrasim_timeout{600};  // per AstraSim run
  // Keep every simulated bundle under this folder, named <bundle>-<its
  // cache key's first 16 hex digits> (one copy of a bundle many points
  // share); empty: removed.
  std::string keep_et_dir;
};

// Counts of one point's simulations.
struct SimulationCounts {
  std::uint32_t runs = 0;  // the simulator ran
  std::uint32_t hits = 0;  // the cache answered
  std::uint32_t misses = 0;  // the cache was asked and did not answer
};

class Simulation {
 public:
  // The options resolved (the environment read, AstraSim's binaries opened
  // and hashed); errors as ConfigureSimulation's.
  static Expected<std::unique_ptr<Simulation>> Open(SimulationOptions options);
  ~Simulation();

  // The answer for the bundle `write` writes, for a point of `config` (its
  // backend and congestion model): the bundle is written (in memory for
  // the builtin simulator, unless bundles are kept; else into a folder),
  // then found in the cache under the simulator's identity and the
  // bundle's content hash (its traces and every configuration file), else
  // simulated and stored. `name` names the bundle in errors and in the
  // kept folder. A non-empty `memo` (everything that decides the bundle)
  // lets a bundle met before in this process skip even the writing.
  Expected<netsim::SimResult> Run(const config::Config& config, const std::string& name,
                                  const std::string& memo,
                                  const std::function<Status(const et::BundleDestination&)>& write,
                                  SimulationCounts& counts);

  // The answer stored under `key` (a netsim::CacheKey of everything that
  // decides it, the simulator's identity first), else what `simulate`
  // answers, stored: for workloads simulated from memory, with no bundle
  // folder. `name` names the workload in errors.
  Expected<netsim::SimResult> Cached(const std::string& key, const std::string& name,
                                     const std::function<Expected<netsim::SimResult>()>& simulate,
                                     SimulationCounts& counts);

  const SimulationOptions& options() const;
  const netsim::CacheStats& cache_stats() const;
  // A fault of the run rather than of a point: AstraSim's binary, usable
  // when the simulation was opened, can no longer be run (removed, or no
  // longer executable), or a bundle's folder (the temporary one, or
  // --keep-et's) cannot be made or written (full, read-only). Set when a
  // run fails that way; from then on every simulation that needs it fails
  // with this error (one naming the binary or folder and what to do), and
  // Evaluate reports the points that met it at stage kEnvironmentStage,
  // which a sweep does not store.
  const std::optional<Error>& fault() const;
  // The simulators and the cache, for the archive's provenance: each
  // simulator's identity (AstraSim's with its binaries' sha256), the cache
  // mode and folder.
  std::string Description() const;
  // The simulators alone, as they bear on results: Description without
  // the cache.
  std::string Identity() const;

 private:
  struct Impl;
  friend Simulation& ProcessSimulation();
  explicit Simulation(std::unique_ptr<Impl> impl);
  // Options already resolved (an unset cache mode: read-write).
  static std::unique_ptr<Simulation> Make(SimulationOptions options,
                                          std::optional<netsim::AstraSimBinary> astrasim);
  std::unique_ptr<Impl> impl_;
};

// The congestion model of a point's execution_backend.astra.network.
netsim::Congestion CongestionOf(const config::Config& config);

// The process's simulation; ConfigureSimulation replaces it (before any
// point is evaluated). An unknown $ASTRASWEEP_CACHE_MODE, or an AstraSim
// binary (named or $ASTRASIM_BIN) that is missing or not executable, is an
// error then, before any point runs. Without it, the defaults (and a bad
// environment is logged, then ignored).
Status ConfigureSimulation(SimulationOptions options);
Simulation& ProcessSimulation();

}  // namespace astrasweep::exec
