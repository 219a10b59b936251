// The collective microbenchmark bundle: on the reference runs' networks it
// is the bundle AstraSim ran (same collective node, same files), it passes
// the check, and its manifest summarises every rank.
#include "astrasweep/et/collective_bundle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/et/check.h"
#include "astrasweep/et/trace_io.h"
#include "et_test_util.h"

namespace astrasweep::et {
namespace {

using testing::FileText;
using testing::kReferenceCases;
using testing::kGiB;

namespace fs = std::filesystem;
using config::Topology;



// The reference case's bundle, rebuilt from a config of its network.
void ExpectReferenceBundle(const std::string& name, std::vector<config::NetworkDimension> network,
                           CollectiveBenchmark benchmark) {
  SCOPED_TRACE(name);
  config::Config c;
  c.network = std::move(network);
  c.hardware.memory_bandwidth = 50e9;
  auto dir = TempDir::Create("bundle-test");
  ASSERT_TRUE(dir);
  ASSERT_TRUE(WriteCollectiveBundle(c, benchmark, dir->path().string()));
  EXPECT_EQ(FileText(dir->path() / "network.yml"), FileText(kReferenceCases / name / "network.yml"));
  EXPECT_EQ(nlohmann::json::parse(FileText(dir->path() / "system.json")),
            nlohmann::json::parse(FileText(kReferenceCases / name / "system.json")));
  for (int rank = 0; rank < benchmark.size; ++rank) {
    auto ours = ReadTrace(TracePath((dir->path() / "w").string(), rank));
    auto theirs = ReadTrace(TracePath((kReferenceCases / name / "et" / "w").string(), rank));
    ASSERT_TRUE(ours && theirs);
    ASSERT_EQ(ours->nodes.size(), 1u);
    Node node = ours->nodes[0];
    node.name = theirs->nodes[0].name;  // names say what a node is, in each project's words
    EXPECT_EQ(node, theirs->nodes[0]) << "rank " << rank;
  }
  auto report = CheckBundle(dir->path().string());
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_TRUE(report->ok());
  const auto manifest = nlohmann::json::parse(FileText(dir->path() / "manifest.json"));
  EXPECT_EQ(manifest["ranks"], benchmark.size);
  EXPECT_EQ(manifest["per_rank"].size(), static_cast<std::size_t>(benchmark.size));
  EXPECT_EQ(manifest["per_rank"][0]["collective_bytes"], benchmark.bytes);
  EXPECT_EQ(manifest["content_hash"].get<std::string>().size(), 32u);
}

TEST(CollectiveBundle, IsTheBundleTheReferenceRunsUsed) {
  ExpectReferenceBundle("all_gather_fullyconnected8_1KiB",
                        {{.topology = Topology::kFullyConnected, .npus = 8,
                          .bandwidth = 150 * kGiB, .latency = 100e-9}},
                        {.collective = model::Collective::kAllGather, .bytes = 1024, .stride = 1,
                         .size = 8});
  ExpectReferenceBundle(
      "all_reduce_ring8xswitch4_16MiB",
      {{.topology = Topology::kRing, .npus = 8, .bandwidth = 200 * kGiB, .latency = 100e-9},
       {.topology = Topology::kSwitch, .npus = 4, .bandwidth = 25 * kGiB, .latency = 1e-6}},
      {.collective = model::Collective::kAllReduce, .bytes = 16u << 20, .stride = 1, .size = 32});
}

TEST(CollectiveBundle, AGroupGetsItsShareOfTheDimensionsItSpans) {
  config::Config c;
  c.network = {{.topology = Topology::kSwitch, .npus = 8, .bandwidth = 300e9, .latency = 7e-7},
               {.topology = Topology::kSwitch, .npus = 4, .bandwidth = 25e9, .latency = 5e-6}};
  // A data-parallel group of 4 with stride 8 (tp 8): the outer dimension only.
  auto dims = BenchmarkNetwork(c, {.stride = 8, .size = 4});
  ASSERT_TRUE(dims);
  ASSERT_EQ(dims->size(), 1u);
  EXPECT_EQ((*dims)[0].npus, 4);
  EXPECT_EQ((*dims)[0].bandwidth, 25e9);
  // A group of 16 with stride 2: 4 of the inner dimension, 4 of the outer.
  dims = BenchmarkNetwork(c, {.stride = 2, .size = 16});
  ASSERT_TRUE(dims);
  ASSERT_EQ(dims->size(), 2u);
  EXPECT_EQ((*dims)[0].npus, 4);
  EXPECT_EQ((*dims)[1].npus, 4);
  EXPECT_FALSE(BenchmarkNetwork(c, {.stride = 1, .size = 1})) << "one rank: nothing to simulate";
}

}  // namespace
}  // namespace astrasweep::et
