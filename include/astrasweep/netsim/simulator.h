// The network simulators: what a simulation of an ET bundle answers, the
// interface every simulator implements, and the bundle on disk as
// AstraSim's analytical binaries name it. The builtin simulator
// (builtin.h) is the default; the external AstraSim binary (astrasim.h)
// answers the same questions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::netsim {

// What AstraSim reports of one rank (1 cycle = 1 ns).
struct RankTiming {
  // When the rank's last node finished: `sys[i] finished, T cycles`.
  std::uint64_t finish_ns = 0;
  // The sum of the durations of its compute nodes (overlap not removed).
  std::uint64_t compute_ns = 0;
  // How long at least one communication node of the rank was in flight.
  std::uint64_t comm_ns = 0;
  // finish - compute: `exposed communication E cycles`.
  std::uint64_t exposed_ns = 0;
  bool operator==(const RankTiming&) const = default;
};

struct SimResult {
  std::vector<RankTiming> ranks;  // one per rank, in rank order
  bool operator==(const SimResult&) const = default;
};

// Whether links are shared by concurrent transfers (AstraSim's two
// analytical binaries).
enum class Congestion { kUnaware, kAware };
const char* CongestionName(Congestion congestion);  // "unaware", "aware"
Expected<Congestion> ParseCongestion(std::string_view text);

// A bundle on disk, as the binaries' flags name its parts. Relative paths
// are relative to the working directory.
struct BundlePaths {
  std::string workload;       // --workload-configuration: <workload>.<rank>.et
  std::string system;         // --system-configuration
  std::string network;        // --network-configuration
  std::string comm_groups;    // --comm-group-configuration; empty: none
  std::string remote_memory;  // --remote-memory-configuration; empty: none
  // The parts of a bundle folder written by et::BundleWriter (comm groups
  // and remote memory only when the folder has them).
  static BundlePaths InFolder(const std::string& dir, const std::string& prefix = "w");
};

class NetworkSimulator {
 public:
  virtual ~NetworkSimulator() = default;
  // Who answers, for cache keys and provenance: "builtin <n>" or
  // "astrasim-<congestion> sha256:<hex>".
  virtual std::string Identity(Congestion congestion) const = 0;
  // Simulates the bundle; an answer lacking a rank is an error, never a
  // partial result.
  virtual Expected<SimResult> Run(const BundlePaths& bundle, Congestion congestion) = 0;
};

}  // namespace astrasweep::netsim
