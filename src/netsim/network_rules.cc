#include "network_rules.h"

#include <algorithm>

namespace astrasweep::netsim {

std::vector<int> Strides(const std::vector<et::AstraDimension>& network) {
  std::vector<int> strides;
  strides.reserve(network.size());
  int stride = 1;
  for (const auto& dimension : network) {
    strides.push_back(stride);
    stride *= dimension.npus;
  }
  return strides;
}

std::vector<int> DimensionLine(int rank, int npus, int stride) {
  std::vector<int> line(static_cast<std::size_t>(npus));
  const int base = rank - ((rank / stride) % npus) * stride;
  for (int i = 0; i < npus; ++i) line[static_cast<std::size_t>(i)] = base + i * stride;
  return line;
}

Crossing CrossingOf(const std::vector<et::AstraDimension>& network, const std::vector<int>& strides,
                    int src, int dst) {
  for (std::size_t d = 0; d < network.size(); ++d) {
    const int n = network[d].npus;
    const int a = (src / strides[d]) % n, b = (dst / strides[d]) % n;
    if (a == b) continue;
    switch (network[d].topology) {
      case config::Topology::kRing: {
        const int clockwise = (b - a + n) % n;
        return {d, std::min(clockwise, n - clockwise)};
      }
      case config::Topology::kSwitch: return {d, 2};
      case config::Topology::kFullyConnected: return {d, 1};
    }
    return {d, 1};
  }
  return {network.size(), 0};
}

std::expected<int, std::string> CommGroupOf(const et::Node& node) {
  const et::Attribute* pg = node.Find("pg_name");
  if (pg == nullptr) return 0;
  const std::string* text = std::get_if<std::string>(&pg->value);
  if (text == nullptr) return std::unexpected("pg_name must be a string");
  if (text->empty()) return 0;
  try {
    return std::stoi(*text);
  } catch (...) {
    return std::unexpected("pg_name '" + *text + "' is not a group id");
  }
}

et::AstraImplementation GroupImplementation(
    const std::vector<et::AstraImplementation>& per_dimension) {
  return per_dimension.size() > 1 ? et::AstraImplementation{} : per_dimension[0];
}

}  // namespace astrasweep::netsim
