#include "astrasweep/et/astrasim_config.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "astrasweep/config/node.h"
#include "astrasweep/et/astrasim_files.h"

namespace astrasweep::et {
namespace {

std::unexpected<Error> Bad(const std::string& file, const std::string& key, std::string message) {
  return InvalidInput(std::move(message), {.file = file, .key_path = key});
}

Expected<double> Number(const config::Node& node, const std::string& file, const std::string& key) {
  double value = 0;
  const std::string& text = node.text();
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!node.IsScalar() || ec != std::errc() || end != text.data() + text.size())
    return Bad(file, key, "'" + node.ToFlowText() + "' is not a number");
  return value;
}

Expected<AstraImplementation> ParseImplementation(const std::string& name,
                                                  const std::string& file,
                                                  const std::string& key) {
  AstraImplementation impl;
  std::string base = name;
  if (base.starts_with("one")) {
    impl.one = true;
    base = base.substr(3);
    if (!base.empty()) base[0] = static_cast<char>(std::tolower(base[0]));
  }
  if (base.starts_with("direct")) {
    impl.algorithm = config::CollectiveAlgorithm::kDirect;
    const std::string window = base.substr(6);
    if (!window.empty()) {
      int value = 0;
      const auto [end, ec] = std::from_chars(window.data(), window.data() + window.size(), value);
      if (ec != std::errc() || end != window.data() + window.size() || value <= 0)
        return Bad(file, key, "'" + name + "': direct takes a positive window, e.g. direct4");
      impl.window = value;
    }
    return impl;
  }
  for (auto algorithm : {config::CollectiveAlgorithm::kRing, config::CollectiveAlgorithm::kHalvingDoubling,
                         config::CollectiveAlgorithm::kDoubleBinaryTree})
    if (base == AstraName(algorithm) &&
        !(impl.one && algorithm == config::CollectiveAlgorithm::kDoubleBinaryTree)) {
      impl.algorithm = algorithm;
      return impl;
    }
  return Bad(file, key,
             "unknown collective implementation '" + name +
                 "': use ring, direct, halvingDoubling, doubleBinaryTree, oneRing, oneDirect "
                 "or oneHalvingDoubling");
}

}  // namespace

Expected<std::vector<AstraDimension>> ParseNetworkYml(std::string_view text,
                                                      const std::string& file) {
  ASTRASWEEP_ASSIGN_OR_RETURN(config::Node root, config::ParseYaml(text, file));
  if (!root.IsMap()) return Bad(file, "", "the network file must be a mapping");
  const auto list = [&](const char* key) -> Expected<const std::vector<config::Node>*> {
    const config::Node* node = root.Find(key);
    if (node == nullptr || !node->IsList() || node->items().empty())
      return Bad(file, key, std::string("'") + key + "' must be a non-empty list");
    return &node->items();
  };
  for (const auto& [key, value] : root.entries())
    if (key != "topology" && key != "npus_count" && key != "bandwidth" && key != "latency")
      return Bad(file, key, "unknown key '" + key + "': the network file has topology, "
                            "npus_count, bandwidth and latency");
  ASTRASWEEP_ASSIGN_OR_RETURN(auto topology, list("topology"));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto npus, list("npus_count"));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto bandwidth, list("bandwidth"));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto latency, list("latency"));
  const std::size_t dims = topology->size();
  if (npus->size() != dims || bandwidth->size() != dims || latency->size() != dims)
    return Bad(file, "", "topology, npus_count, bandwidth and latency must list one value per "
                         "dimension each");
  std::vector<AstraDimension> out(dims);
  for (std::size_t d = 0; d < dims; ++d) {
    const std::string at = "." + std::to_string(d);
    const std::string& name = (*topology)[d].text();
    bool known = false;
    for (auto t : {config::Topology::kRing, config::Topology::kSwitch, config::Topology::kFullyConnected})
      if (name == TopologyName(t)) {
        out[d].topology = t;
        known = true;
      }
    if (!known)
      return Bad(file, "topology" + at,
                 "unknown topology '" + name + "': use Ring, Switch or FullyConnected");
    ASTRASWEEP_ASSIGN_OR_RETURN(double n, Number((*npus)[d], file, "npus_count" + at));
    if (n < 2 || n != static_cast<int>(n))
      return Bad(file, "npus_count" + at, "each dimension needs an integer count of at least 2");
    out[d].npus = static_cast<int>(n);
    ASTRASWEEP_ASSIGN_OR_RETURN(out[d].bandwidth_gbps,
                                Number((*bandwidth)[d], file, "bandwidth" + at));
    ASTRASWEEP_ASSIGN_OR_RETURN(out[d].latency_ns, Number((*latency)[d], file, "latency" + at));
    if (out[d].bandwidth_gbps <= 0) return Bad(file, "bandwidth" + at, "bandwidth must be > 0");
    if (out[d].latency_ns < 0) return Bad(file, "latency" + at, "latency must be >= 0");
  }
  return out;
}

Expected<AstraSystem> ParseSystemJson(std::string_view text, const std::string& file,
                                      std::size_t dimensions) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return Bad(file, "", "not a JSON object");
  AstraSystem system;
  const auto integer = [&](const char* key, auto& out, bool required) -> Status {
    const auto it = json.find(key);
    if (it == json.end()) {
      if (required) return Bad(file, key, std::string("'") + key + "' is required");
      return Ok();
    }
    if (!it->is_number()) return Bad(file, key, std::string("'") + key + "' must be a number");
    out = it->template get<std::remove_reference_t<decltype(out)>>();
    return Ok();
  };
  ASTRASWEEP_RETURN_IF_ERROR(integer("preferred-dataset-splits", system.preferred_dataset_splits, true));
  if (system.preferred_dataset_splits < 1)
    return Bad(file, "preferred-dataset-splits", "must be at least 1 (AstraSim divides by it)");
  ASTRASWEEP_RETURN_IF_ERROR(integer("local-mem-bw", system.local_mem_bw_gbps, false));
  ASTRASWEEP_RETURN_IF_ERROR(integer("endpoint-delay", system.endpoint_delay_ns, false));
  ASTRASWEEP_RETURN_IF_ERROR(
      integer("active-chunks-per-dimension", system.active_chunks_per_dimension, false));
  if (system.active_chunks_per_dimension < 1)
    return Bad(file, "active-chunks-per-dimension", "must be at least 1");
  if (const auto it = json.find("collective-optimization"); it != json.end()) {
    if (*it == "localBWAware") system.local_bw_aware = true;
    else if (*it != "baseline")
      return Bad(file, "collective-optimization", "use baseline or localBWAware");
  }
  if (const auto it = json.find("scheduling-policy");
      it != json.end() && *it != "LIFO" && *it != "FIFO")
    return Bad(file, "scheduling-policy", "use LIFO or FIFO");
  for (auto collective : {model::Collective::kAllReduce, model::Collective::kAllGather,
                          model::Collective::kReduceScatter, model::Collective::kAllToAll}) {
    const std::size_t c = static_cast<std::size_t>(collective);
    const char* key = ImplementationKey(collective);
    const auto it = json.find(key);
    if (it == json.end() || !it->is_array() || it->empty())
      return Bad(file, key, std::string("'") + key + "' must list an implementation");
    for (const auto& entry : *it) {
      if (!entry.is_string()) return Bad(file, key, "implementations are names");
      ASTRASWEEP_ASSIGN_OR_RETURN(auto impl,
                                  ParseImplementation(entry.get<std::string>(), file, key));
      system.implementations[c].push_back(impl);
    }
    // AstraSim gives a wrong, smaller time without an error when a list is
    // short; a single one* entry covers every dimension.
    const bool one = system.implementations[c].size() == 1 && system.implementations[c][0].one;
    if (!one && system.implementations[c].size() != dimensions)
      return Bad(file, key,
                 std::string("'") + key + "' lists " +
                     std::to_string(system.implementations[c].size()) +
                     " implementations for a network of " + std::to_string(dimensions) +
                     " dimensions: give one per dimension");
  }
  for (const char* key : {"roofline-enabled", "replay-only"}) {
    const auto it = json.find(key);
    if (it != json.end() && it->is_number() && it->get<int>() != 0)
      return Bad(file, key, std::string("'") + key + "' is not supported by the builtin simulator");
  }
  return system;
}

Expected<std::map<int, std::vector<int>>> ParseCommGroupsJson(std::string_view text,
                                                              const std::string& file) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return Bad(file, "", "not a JSON object of group id -> ranks");
  std::map<int, std::vector<int>> groups;
  for (const auto& [key, ranks] : json.items()) {
    int id = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
    if (ec != std::errc() || end != key.data() + key.size() || id <= 0)
      return Bad(file, key, "group ids are integers > 0, not '" + key + "'");
    if (!ranks.is_array() || ranks.empty())
      return Bad(file, key, "a group lists its ranks");
    for (const auto& rank : ranks) {
      if (!rank.is_number_integer() || rank.get<int>() < 0)
        return Bad(file, key, "ranks are integers >= 0");
      groups[id].push_back(rank.get<int>());
    }
  }
  return groups;
}

}  // namespace astrasweep::et
