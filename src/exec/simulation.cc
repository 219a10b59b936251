#include "astrasweep/exec/simulation.h"

#include <cstdlib>
#include <filesystem>

#include "astrasweep/base/logging.h"
#include "astrasweep/base/temp_dir.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/netsim/builtin.h"

namespace astrasweep::exec {
namespace {

// `error`, its message saying which bundle it came from.
std::unexpected<Error> OfBundle(const std::string& name, const Error& error) {
  return std::unexpected(Error(error.code(), name + " bundle: " + error.message(), error.context()));
}

}  // namespace

struct Simulation::Impl {
  SimulationOptions options;
  netsim::SimCache cache;
  netsim::BuiltinSimulator builtin;
  // memo -> cache key, for bundles met before in this process
  std::unordered_map<std::string, std::string> memo;
};

Simulation::Simulation(SimulationOptions options)
    : impl_(std::make_unique<Impl>(Impl{
          options,
          netsim::SimCache(options.cache_dir.empty() ? netsim::DefaultCacheDir() : options.cache_dir,
                           options.cache_mode),
          {},
          {}})) {}

Simulation::~Simulation() = default;

const netsim::CacheStats& Simulation::cache_stats() const { return impl_->cache.stats(); }
const SimulationOptions& Simulation::options() const { return impl_->options; }

netsim::Congestion CongestionOf(const config::Config& config) {
  return config.execution_backend.astra.network == config::NetworkModel::kCongestionAware
             ? netsim::Congestion::kAware
             : netsim::Congestion::kUnaware;
}

Expected<netsim::SimResult> Simulation::Run(const config::Config& config, const std::string& name,
                                            const std::string& memo,
                                            const std::function<Status(const std::string&)>& write,
                                            SimulationCounts& counts) {
  const auto& astra = config.execution_backend.astra;
  const netsim::Congestion congestion = CongestionOf(config);
  netsim::NetworkSimulator* simulator = &impl_->builtin;
  if (astra.backend != config::SimulatorBackend::kBuiltin)
    return MakeError(ErrorCode::kUnavailable,
                     "execution_backend.astra.backend: astrasim needs AstraSim's binary "
                     "(--astrasim-bin or ASTRASIM_BIN)",
                     {.key_path = "execution_backend.astra.backend"});
  const std::string identity = simulator->Identity(congestion);
  const std::string memo_key = memo.empty() ? std::string() : identity + "\n" + memo;
  if (!memo_key.empty() && impl_->options.cache_mode != netsim::CacheMode::kNone) {
    if (const auto it = impl_->memo.find(memo_key); it != impl_->memo.end()) {
      if (auto hit = impl_->cache.Lookup(it->second)) {
        ++counts.hits;
        return *hit;
      }
    }
  }
  std::filesystem::path dir;
  std::optional<TempDir> temp;
  if (!impl_->options.keep_et_dir.empty()) {
    dir = std::filesystem::path(impl_->options.keep_et_dir) / name;
  } else {
    ASTRASWEEP_ASSIGN_OR_RETURN(auto made, TempDir::Create("astrasweep-bundle-"));
    temp.emplace(std::move(made));
    dir = temp->path() / "bundle";
  }
  if (auto written = write(dir.string()); !written) return OfBundle(name, written.error());
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string content, et::ReadContentHash(dir.string()));
  const std::string key = netsim::CacheKey({identity, content});
  if (!memo_key.empty()) impl_->memo[memo_key] = key;
  return Cached(
      key, name,
      [&] { return simulator->Run(netsim::BundlePaths::InFolder(dir.string()), congestion); },
      counts);
}

Expected<netsim::SimResult> Simulation::Cached(
    const std::string& key, const std::string& name,
    const std::function<Expected<netsim::SimResult>()>& simulate, SimulationCounts& counts) {
  if (auto hit = impl_->cache.Lookup(key)) {
    ++counts.hits;
    return *hit;
  }
  ++counts.runs;
  auto result = simulate();
  if (!result) return OfBundle(name, result.error());
  for (std::size_t r = 0; r < result->ranks.size(); ++r)
    if (result->ranks[r].finish_ns == 0)
      return MakeError(ErrorCode::kUnavailable,
                       name + " bundle: the simulator reported 0 ns for rank " + std::to_string(r));
  impl_->cache.Store(key, *result);
  return result;
}

namespace {
std::unique_ptr<Simulation>& Slot() {
  static std::unique_ptr<Simulation> simulation;
  return simulation;
}
}  // namespace

Status ConfigureSimulation(SimulationOptions options) {
  Slot() = std::make_unique<Simulation>(std::move(options));
  return Ok();
}

Simulation& ProcessSimulation() {
  auto& slot = Slot();
  if (!slot) {
    SimulationOptions options;
    if (const char* mode = std::getenv("ASTRASWEEP_CACHE_MODE"); mode && *mode) {
      if (auto parsed = netsim::ParseCacheMode(mode)) options.cache_mode = *parsed;
      else log::Warn("ASTRASWEEP_CACHE_MODE ignored: " + parsed.error().message());
    }
    slot = std::make_unique<Simulation>(std::move(options));
  }
  return *slot;
}

}  // namespace astrasweep::exec
