// AstraSim's configuration files: what this project writes for a network
// and a hardware equals what the reference runs used (the same networks),
// units converted once; `auto` picks AstraSim's implementation per
// dimension, and never halvingDoubling for an all-to-all.
#include "astrasweep/et/astrasim_files.h"
#include "et_test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace astrasweep::et {
namespace {

using testing::FileText;
using testing::kReferenceCases;
using testing::kGiB;

namespace fs = std::filesystem;
using config::CollectiveAlgorithm;
using config::Topology;



config::Config ConfigWith(std::vector<config::NetworkDimension> network) {
  config::Config c;
  c.network = std::move(network);
  c.hardware.memory_bandwidth = 50e9;  // the reference runs' local-mem-bw: 50 GB/s
  return c;
}

void ExpectSameAsReference(const std::string& name, const config::Config& c) {
  SCOPED_TRACE(name);
  const auto dims = AstraDimensions(c.network);
  EXPECT_EQ(NetworkYaml(dims), FileText(kReferenceCases / name / "network.yml"));
  auto system = SystemJson(c, dims);
  ASSERT_TRUE(system) << system.error().ToString();
  EXPECT_EQ(nlohmann::json::parse(*system),
            nlohmann::json::parse(FileText(kReferenceCases / name / "system.json")));
  EXPECT_EQ(nlohmann::json::parse(RemoteMemoryJson()),
            nlohmann::json::parse(FileText(kReferenceCases / name / "remote_memory.json")));
}

TEST(AstrasimFiles, TheReferenceRunsNetworksAndSystemsComeOutTheSame) {
  ExpectSameAsReference(
      "all_reduce_ring8xswitch4_16MiB",
      ConfigWith({{.topology = Topology::kRing, .npus = 8, .bandwidth = 200 * kGiB, .latency = 100e-9},
                  {.topology = Topology::kSwitch, .npus = 4, .bandwidth = 25 * kGiB, .latency = 1e-6}}));
  ExpectSameAsReference(
      "all_gather_fullyconnected8_1KiB",
      ConfigWith({{.topology = Topology::kFullyConnected, .npus = 8, .bandwidth = 150 * kGiB,
                   .latency = 100e-9}}));
}

TEST(AstrasimFiles, OneNpuDimensionsAreLeftOutAndUnitsConvertedOnce) {
  const auto dims = AstraDimensions(
      {{.topology = Topology::kSwitch, .npus = 8, .bandwidth = 300e9, .latency = 700e-9},
       {.topology = Topology::kSwitch, .npus = 1, .bandwidth = 25e9, .latency = 5e-6}});
  ASSERT_EQ(dims.size(), 1u);
  EXPECT_DOUBLE_EQ(AstraBandwidth(300e9), 300e9 / kGiB) << "GB/s with GB = 2^30 bytes";
  EXPECT_DOUBLE_EQ(AstraLatency(700e-9), 700);
  EXPECT_NE(NetworkYaml(dims).find("npus_count: [ 8 ]"), std::string::npos) << NetworkYaml(dims);
}

TEST(AstrasimFiles, AutoPicksPerTopologyAndNeverHalvingDoublingForAllToAll) {
  using C = model::Collective;
  EXPECT_EQ(*Implementation(C::kAllReduce, CollectiveAlgorithm::kAuto, Topology::kRing), "ring");
  EXPECT_EQ(*Implementation(C::kAllReduce, CollectiveAlgorithm::kAuto, Topology::kFullyConnected),
            "direct");
  EXPECT_EQ(*Implementation(C::kAllReduce, CollectiveAlgorithm::kAuto, Topology::kSwitch),
            "halvingDoubling");
  EXPECT_EQ(*Implementation(C::kAllToAll, CollectiveAlgorithm::kAuto, Topology::kSwitch), "direct");
  EXPECT_EQ(*Implementation(C::kAllGather, CollectiveAlgorithm::kDoubleBinaryTree, Topology::kRing),
            "doubleBinaryTree");
  auto refused =
      Implementation(C::kAllToAll, CollectiveAlgorithm::kHalvingDoubling, Topology::kSwitch);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().ToString().find("collectives.all_to_all"), std::string::npos);
}

TEST(AstrasimFiles, CommGroups) {
  EXPECT_EQ(nlohmann::json::parse(CommGroupsJson({{1, {0, 2, 4, 6}}, {2, {1, 3, 5, 7}}})),
            nlohmann::json::parse(FileText(kReferenceCases / "pipeline2_dp4_groups" / "comm_groups.json")));
}

}  // namespace
}  // namespace astrasweep::et
