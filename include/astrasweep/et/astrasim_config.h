// AstraSim's configuration files read back into values: network.yml,
// system.json and comm_groups.json, with the meaning AstraSim's analytical
// binaries give each key (astrasim_files.h writes them). Units stay
// AstraSim's: bandwidth in GB/s with GB = 2^30 bytes, latency in ns,
// local-mem-bw in GB/s with GB = 10^9 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/enums.h"
#include "astrasweep/model/collectives.h"

namespace astrasweep::et {

struct AstraDimension {
  config::Topology topology = config::Topology::kRing;
  int npus = 2;
  double bandwidth_gbps = 0;  // GB/s, GB = 2^30 bytes
  double latency_ns = 0;
};

// A collective implementation AstraSim runs natively.
struct AstraImplementation {
  config::CollectiveAlgorithm algorithm = config::CollectiveAlgorithm::kRing;  // never kAuto
  int window = -1;  // direct[N]: messages in flight; -1: all peers
  bool one = false;  // oneRing/oneDirect/oneHalvingDoubling: one flat ring
};

struct AstraSystem {
  int preferred_dataset_splits = 0;
  double local_mem_bw_gbps = 0;  // GB/s, GB = 10^9 bytes
  std::uint64_t endpoint_delay_ns = 10;
  int active_chunks_per_dimension = 1;
  bool local_bw_aware = false;  // collective-optimization
  std::array<std::vector<AstraImplementation>, 4> implementations;  // by model::Collective
  const std::vector<AstraImplementation>& Implementations(model::Collective c) const {
    return implementations[static_cast<std::size_t>(c)];
  }
};

// `file` names the file in errors.
Expected<std::vector<AstraDimension>> ParseNetworkYml(std::string_view text,
                                                      const std::string& file);
// `dimensions` is how many network dimensions each implementation list
// must cover.
Expected<AstraSystem> ParseSystemJson(std::string_view text, const std::string& file,
                                      std::size_t dimensions);
Expected<std::map<int, std::vector<int>>> ParseCommGroupsJson(std::string_view text,
                                                              const std::string& file);

}  // namespace astrasweep::et
