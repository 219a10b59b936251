// The block bundle: every GPU of a stage runs one layer's kernels with the
// tensor-parallel collectives where Megatron issues them and each weight's
// gradient collective right after its gradient; it passes the check.
#include "astrasweep/et/block_bundle.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/et/check.h"
#include "astrasweep/et/trace_io.h"

namespace astrasweep::et {
namespace {

// Rank 3's collectives, in order.
std::vector<Node> Collectives(const config::Config& c) {
  auto dir = TempDir::Create("block-bundle");
  EXPECT_TRUE(dir);
  EXPECT_TRUE(WriteBlockBundle(c, dir->path().string()));
  auto report = CheckBundle(dir->path().string());
  EXPECT_TRUE(report && report->ok());
  EXPECT_EQ(report->ranks, c.parallelism.tp * c.parallelism.dp);
  auto trace = ReadTrace(TracePath((dir->path() / "w").string(), 3));
  EXPECT_TRUE(trace);
  std::vector<Node> collectives;
  for (const Node& node : trace->nodes)
    if (node.type == NodeType::kCollective) collectives.push_back(node);
  return collectives;
}

std::vector<std::string> CollectiveNames(const config::Config& c) {
  std::vector<std::string> names;
  for (const Node& node : Collectives(c)) names.push_back(node.name);
  return names;
}

config::Config SmallConfig() {
  auto point = config::LoadPointFile(std::string(ASTRASWEEP_SOURCE_DIR) +
                                     "/tests/data/points/et-small-16.yaml");  // tp 2, dp 4
  EXPECT_TRUE(point);
  return point->config;
}

TEST(BlockBundle, TensorCollectivesWhereMegatronIssuesThemAndGradientsAsTheyAreReady) {
  const std::vector<std::string> expected = {
      "forward all_reduce after attention_output", "forward all_reduce after fc2",
      "dp all_reduce of fc2 gradients",            "backward all_reduce after fc1",
      "dp all_reduce of fc1 gradients",            "dp all_reduce of attention_output gradients",
      "backward all_reduce after qkv",             "dp all_reduce of qkv gradients"};
  EXPECT_EQ(CollectiveNames(SmallConfig()), expected);
}

TEST(BlockBundle, SequenceParallelismGathersBeforeAndScattersAfter) {
  config::Config c = SmallConfig();
  c.training.sequence_parallel = true;
  c.training.zero_stage = 1;
  const std::vector<std::string> names = CollectiveNames(c);
  const std::vector<std::string> forward(names.begin(), names.begin() + 4);
  EXPECT_EQ(forward, (std::vector<std::string>{
                         "forward all_gather before qkv", "forward reduce_scatter after attention_output",
                         "forward all_gather before fc1", "forward reduce_scatter after fc2"}));
  EXPECT_EQ(names[4], "backward all_gather before fc2");
  EXPECT_NE(std::find(names.begin(), names.end(), "dp reduce_scatter of qkv gradients"),
            names.end())
      << "ZeRO 1 reduce-scatters the gradients";
}

// AstraSim's comm_size of an all-gather is each rank's part (its result is
// tp times larger); a reduce-scatter's is its whole input. Both move the
// layer's activation.
TEST(BlockBundle, AnAllGathersCommSizeIsEachRanksPart) {
  config::Config c = SmallConfig();
  c.training.sequence_parallel = true;
  const std::vector<Node> collectives = Collectives(c);
  ASSERT_GE(collectives.size(), 2u);
  ASSERT_EQ(collectives[0].name, "forward all_gather before qkv");
  ASSERT_EQ(collectives[1].name, "forward reduce_scatter after attention_output");
  const auto gathered = collectives[0].Integer("comm_size");
  const auto scattered = collectives[1].Integer("comm_size");
  ASSERT_TRUE(gathered && scattered);
  EXPECT_EQ(*gathered * c.parallelism.tp, *scattered);
}

}  // namespace
}  // namespace astrasweep::et
