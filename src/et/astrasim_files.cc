// AstraSim's configuration files, as text. The fixed system settings
// (scheduling policy, active chunks, collective optimization) are those of
// AstraSim's own example inputs, which the reference runs used too.
#include "astrasweep/et/astrasim_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace astrasweep::et {
namespace {

using config::CollectiveAlgorithm;
using config::Topology;
using model::Collective;

CollectiveAlgorithm AutoAlgorithm(Collective collective, Topology topology) {
  switch (topology) {
    case Topology::kRing: return CollectiveAlgorithm::kRing;
    case Topology::kFullyConnected: return CollectiveAlgorithm::kDirect;
    case Topology::kSwitch:
      return collective == Collective::kAllToAll ? CollectiveAlgorithm::kDirect
                                                 : CollectiveAlgorithm::kHalvingDoubling;
  }
  return CollectiveAlgorithm::kDirect;
}

template <typename Value>
std::string YamlList(const std::vector<config::NetworkDimension>& dims, Value value) {
  std::string out = "[ ";
  for (std::size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + value(dims[i]);
  return out + " ]";
}

}  // namespace

const char* TopologyName(Topology topology) {
  switch (topology) {
    case Topology::kRing: return "Ring";
    case Topology::kSwitch: return "Switch";
    case Topology::kFullyConnected: return "FullyConnected";
  }
  return "Switch";
}

// system.json's key of each collective's implementations.
const char* ImplementationKey(Collective collective) {
  switch (collective) {
    case Collective::kAllReduce: return "all-reduce-implementation";
    case Collective::kAllGather: return "all-gather-implementation";
    case Collective::kReduceScatter: return "reduce-scatter-implementation";
    case Collective::kAllToAll: return "all-to-all-implementation";
  }
  return "";
}

const char* AstraName(CollectiveAlgorithm algorithm) {
  switch (algorithm) {
    case CollectiveAlgorithm::kRing: return "ring";
    case CollectiveAlgorithm::kDirect: return "direct";
    case CollectiveAlgorithm::kHalvingDoubling: return "halvingDoubling";
    case CollectiveAlgorithm::kDoubleBinaryTree: return "doubleBinaryTree";
    case CollectiveAlgorithm::kAuto: break;
  }
  return "direct";
}

std::vector<config::NetworkDimension> AstraDimensions(
    const std::vector<config::NetworkDimension>& network) {
  std::vector<config::NetworkDimension> dims;
  for (const auto& dim : network)
    if (dim.npus > 1) dims.push_back(dim);
  return dims;
}

double AstraBandwidth(double bytes_per_second) { return bytes_per_second / 1073741824.0; }
double AstraLatency(double seconds) { return seconds * 1e9; }

std::string NetworkYaml(const std::vector<config::NetworkDimension>& dims) {
  // "200.0", "12.5": as AstraSim's own example files write them.
  const auto number = [](double value) {
    return value == std::floor(value) ? fmt::format("{:.1f}", value) : fmt::format("{:.10g}", value);
  };
  std::string out;
  out += "topology: " + YamlList(dims, [](const auto& d) { return std::string(TopologyName(d.topology)); }) + "\n";
  out += "npus_count: " + YamlList(dims, [](const auto& d) { return std::to_string(d.npus); }) + "\n";
  out += "bandwidth: " +
         YamlList(dims, [&](const auto& d) { return number(AstraBandwidth(d.bandwidth)); }) +
         "  # GB/s, GB = 2^30 bytes\n";
  out += "latency: " + YamlList(dims, [&](const auto& d) { return number(AstraLatency(d.latency)); }) +
         "  # ns\n";
  return out;
}

Expected<std::string> Implementation(Collective collective, CollectiveAlgorithm algorithm,
                                     Topology topology) {
  if (algorithm == CollectiveAlgorithm::kAuto) algorithm = AutoAlgorithm(collective, topology);
  if (collective == Collective::kAllToAll && algorithm == CollectiveAlgorithm::kHalvingDoubling)
    return InvalidInput(
        "AstraSim cannot run an all-to-all with halving_doubling (it exits); use direct, ring "
        "or auto",
        {.key_path = "execution_backend.astra.collectives.all_to_all"});
  return std::string(AstraName(algorithm));
}

Expected<std::string> SystemJson(const config::Config& config,
                                 const std::vector<config::NetworkDimension>& dims,
                                 const SystemOptions& options) {
  const auto& algorithms = config.execution_backend.astra.collectives;
  const std::pair<Collective, CollectiveAlgorithm> collectives[] = {
      {Collective::kAllReduce, algorithms.all_reduce},
      {Collective::kAllGather, algorithms.all_gather},
      {Collective::kReduceScatter, algorithms.reduce_scatter},
      {Collective::kAllToAll, algorithms.all_to_all}};
  nlohmann::ordered_json system;
  system["scheduling-policy"] = "LIFO";
  system["endpoint-delay"] = options.endpoint_delay_ns;
  system["active-chunks-per-dimension"] = 1;
  system["preferred-dataset-splits"] = options.preferred_dataset_splits;
  for (const auto& [collective, algorithm] : collectives) {
    nlohmann::json per_dimension = nlohmann::json::array();
    for (const auto& dim : dims) {
      ASTRASWEEP_ASSIGN_OR_RETURN(std::string name,
                                  Implementation(collective, algorithm, dim.topology));
      per_dimension.push_back(name);
    }
    system[ImplementationKey(collective)] = per_dimension;
  }
  system["collective-optimization"] = "localBWAware";
  system["local-mem-bw"] = config.hardware.memory_bandwidth / 1e9;
  return system.dump(1) + "\n";
}

std::string RemoteMemoryJson() { return "{\"memory-type\": \"NO_MEMORY_EXPANSION\"}\n"; }

std::string CommGroupsJson(const std::map<int, std::vector<int>>& groups) {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  for (const auto& [id, ranks] : groups) json[std::to_string(id)] = ranks;
  return json.dump() + "\n";
}

}  // namespace astrasweep::et
