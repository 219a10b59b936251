// Folded or whole: the fold is tried first; its cache key is made of what
// the folded simulation reads (the representatives' traces, the
// configuration files, the symmetry), so it is as content-addressed as a
// bundle's.
#include "flattened_simulation.h"

#include "astrasweep/base/hash.h"
#include "astrasweep/base/logging.h"
#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/flattened_bundle.h"
#include "astrasweep/et/trace_io.h"
#include "astrasweep/netsim/builtin.h"
#include "astrasweep/netsim/cache.h"
#include "astrasweep/netsim/fold.h"

namespace astrasweep::exec {
namespace {

constexpr const char* kName = "flattened";

// The representatives' traces and what else the folded simulation reads.
std::string FoldedContentHash(const et::FlattenedWorkload& workload,
                              const et::RankSymmetry& symmetry, const netsim::Traces& traces) {
  Hasher hasher;
  hasher.Add("folded flattened workload").Add(symmetry.ToString());
  const et::GlobalMetadata metadata{.version = std::string(et::kChakraVersion), .attrs = {}};
  const auto representatives = symmetry.Representatives();
  for (std::size_t i = 0; i < traces.size(); ++i)
    hasher.Add(std::to_string(representatives[i])).Add(et::ContentHash(metadata, traces[i]).Hex());
  const et::BundleConfig& files = workload.files();
  hasher.Add("network.yml").Add(files.network_yml);
  hasher.Add("system.json").Add(files.system_json);
  hasher.Add("comm_groups.json").Add(et::CommGroupsJson(files.comm_groups));
  return hasher.Finish().Hex();
}

Expected<netsim::SimResult> SimulateWhole(const config::Config& config,
                                          const et::FlattenedWorkload& workload,
                                          SimulationCounts& counts) {
  return ProcessSimulation().Run(
      config, kName, "", [&](const et::BundleDestination& to) { return workload.Write(to); },
      counts);
}

// Why the point's simulation is not one the fold applies to; empty: it is.
std::string Unfoldable(const config::Config& config) {
  if (config.execution_backend.astra.backend != config::SimulatorBackend::kBuiltin)
    return "AstraSim's binary runs every rank";
  if (!ProcessSimulation().options().keep_et_dir.empty())
    return "the bundle is to be kept (--keep-et)";
  return {};
}

}  // namespace

Expected<netsim::SimResult> SimulateFlattened(const config::Config& config,
                                              SimulationCounts& counts) {
  auto built = et::FlattenedWorkload::Build(config);
  if (!built)
    return std::unexpected(Error(built.error().code(),
                                 std::string(kName) + " bundle: " + built.error().message(),
                                 built.error().context()));
  const et::FlattenedWorkload& workload = *built;
  if (const std::string why = Unfoldable(config); !why.empty()) {
    log::Debug("flattened point simulated whole: " + why);
    return SimulateWhole(config, workload, counts);
  }
  ASTRASWEEP_ASSIGN_OR_RETURN(const netsim::Setup setup, netsim::ParseSetup(workload.files()));
  const et::RankSymmetry symmetry = workload.symmetry();
  netsim::Traces traces;
  for (int rank : symmetry.Representatives()) traces.push_back(workload.Trace(rank));
  auto fold = netsim::FoldMap::Check(setup, symmetry, traces, CongestionOf(config));
  if (!fold) {
    log::Debug("flattened point simulated whole, not folded over " + symmetry.ToString() + ": " +
               fold.error());
    traces.clear();
    return SimulateWhole(config, workload, counts);
  }
  const std::string identity = netsim::BuiltinSimulator().Identity(netsim::Congestion::kUnaware);
  const std::string key =
      netsim::CacheKey({identity, FoldedContentHash(workload, symmetry, traces)});
  return ProcessSimulation().Cached(
      key, kName, [&] { return netsim::SimulateFolded(setup, *fold, traces); }, counts);
}

}  // namespace astrasweep::exec
