// The network simulators as the simulating modes use them: the builtin
// simulator (and AstraSim's binary when one is named) behind the
// node-local cache. One per process, set up before the first point
// (ConfigureSimulation) and used by Evaluate.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/netsim/cache.h"
#include "astrasweep/netsim/simulator.h"

namespace astrasweep::exec {

struct SimulationOptions {
  std::string cache_dir;  // empty: netsim::DefaultCacheDir()
  netsim::CacheMode cache_mode = netsim::CacheMode::kReadWrite;
  // AstraSim's binary, for points with execution_backend.astra.backend:
  // astrasim; empty: such points fail, saying how to name one.
  std::string astrasim_bin;
  // Keep every simulated bundle under this folder; empty: removed.
  std::string keep_et_dir;
};

// Counts of one point's simulations.
struct SimulationCounts {
  std::uint32_t runs = 0;  // the simulator ran
  std::uint32_t hits = 0;  // the cache answered
};

class Simulation {
 public:
  explicit Simulation(SimulationOptions options);
  ~Simulation();

  // The answer for the bundle `write` writes into a folder, for a point of
  // `config` (its backend and congestion model): the bundle is written,
  // then found in the cache under the simulator's identity and the
  // bundle's content hash (its traces and every configuration file), else
  // simulated and stored. `name` names the bundle in errors and in the
  // kept folder. A non-empty `memo` (everything that decides the bundle)
  // lets a bundle met before in this process skip even the writing.
  Expected<netsim::SimResult> Run(const config::Config& config, const std::string& name,
                                  const std::string& memo,
                                  const std::function<Status(const std::string& dir)>& write,
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The congestion model of a point's execution_backend.astra.network.
netsim::Congestion CongestionOf(const config::Config& config);

// The process's simulation; ConfigureSimulation replaces it (before any
// point is evaluated). Without it, the defaults (cache read-write in
// node-local scratch, ASTRASIM_BIN if set).
Status ConfigureSimulation(SimulationOptions options);
Simulation& ProcessSimulation();

}  // namespace astrasweep::exec
