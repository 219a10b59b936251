// The configuration files AstraSim's analytical binaries read beside the
// traces: network.yml, system.json, remote_memory.json and
// comm_groups.json. Units are converted here once: AstraSim's network
// bandwidth is in GB/s with GB = 2^30 bytes and latency in ns;
// system.json's local-mem-bw is in GB/s with GB = 10^9 bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/model/collectives.h"

namespace astrasweep::et {

// The network of a bundle: the config's dimensions, innermost first, with
// 1-NPU dimensions left out (AstraSim needs more than one per dimension).
std::vector<config::NetworkDimension> AstraDimensions(
    const std::vector<config::NetworkDimension>& network);

// AstraSim's bandwidth unit from bytes/s: GB/s with GB = 2^30 bytes.
double AstraBandwidth(double bytes_per_second);
// AstraSim's latency unit from seconds: ns.
double AstraLatency(double seconds);

// AstraSim's names: a topology in network.yml ("Ring"), a collective's
// implementation list in system.json ("all-reduce-implementation"), an
// implementation ("halvingDoubling"; kAuto has none: resolve it first).
const char* TopologyName(config::Topology topology);
const char* ImplementationKey(model::Collective collective);
const char* AstraName(config::CollectiveAlgorithm algorithm);

// network.yml for `dimensions` (already AstraDimensions).
std::string NetworkYaml(const std::vector<config::NetworkDimension>& dimensions);

// The implementation AstraSim runs a collective with on one dimension:
// the configured one, or for `auto` ring on a Ring, direct on a
// FullyConnected, halvingDoubling on a Switch; never halvingDoubling for
// an all-to-all (AstraSim exits on it), direct instead. An explicit
// halving_doubling all-to-all is an error naming the key.
Expected<std::string> Implementation(model::Collective collective,
                                     config::CollectiveAlgorithm algorithm,
                                     config::Topology topology);

struct SystemOptions {
  int preferred_dataset_splits = 4;
  int endpoint_delay_ns = 10;
};

// system.json: one implementation per dimension for every collective, the
// dataset splits, and local-mem-bw from the hardware's memory bandwidth.
Expected<std::string> SystemJson(const config::Config& config,
                                 const std::vector<config::NetworkDimension>& dimensions,
                                 const SystemOptions& options = {});

// remote_memory.json: no memory expansion.
std::string RemoteMemoryJson();

// comm_groups.json: group id (the collectives' pg_name) -> its ranks.
std::string CommGroupsJson(const std::map<int, std::vector<int>>& groups);

}  // namespace astrasweep::et
