#include "astrasweep/netsim/simulator.h"

#include <filesystem>

namespace astrasweep::netsim {

const char* CongestionName(Congestion congestion) {
  return congestion == Congestion::kAware ? "aware" : "unaware";
}

Expected<Congestion> ParseCongestion(std::string_view text) {
  if (text == "unaware" || text == "congestion_unaware") return Congestion::kUnaware;
  if (text == "aware" || text == "congestion_aware") return Congestion::kAware;
  return InvalidInput("unknown congestion model '" + std::string(text) +
                      "': use unaware or aware");
}

BundlePaths BundlePaths::InFolder(const std::string& dir, const std::string& prefix) {
  BundlePaths paths;
  paths.workload = dir + "/" + prefix;
  paths.system = dir + "/system.json";
  paths.network = dir + "/network.yml";
  // The optional files only when the bundle has them: a file a caller
  // names must exist.
  std::error_code ec;
  if (std::filesystem::exists(dir + "/comm_groups.json", ec)) paths.comm_groups = dir + "/comm_groups.json";
  if (std::filesystem::exists(dir + "/remote_memory.json", ec))
    paths.remote_memory = dir + "/remote_memory.json";
  return paths;
}

}  // namespace astrasweep::netsim
