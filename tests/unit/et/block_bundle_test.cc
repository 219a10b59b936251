// The block bundle: every GPU of a stage runs one layer's kernels with the
// tensor-parallel collectives where Megatron issues them and each weight's
// gradient collective right after its gradient; it passes the check.
#include "astrasweep/et/block_bundle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/check.h"
#include "astrasweep/et/trace_io.h"
#include "et_test_util.h"

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
  const std::vector<std::string> expected = {"forward all_reduce after attention_output",
                                             "forward all_reduce after fc2",
                                             "dp all_reduce of fc2 gradients",
                                             "backward all_reduce after fc1",
                                             "dp all_reduce of fc1 gradients",
                                             "dp all_reduce of attention_output gradients",
                                             "backward all_reduce after qkv",
                                             "dp all_reduce of qkv gradients"};
  EXPECT_EQ(CollectiveNames(SmallConfig()), expected);
}

TEST(BlockBundle, SequenceParallelismGathersBeforeAndScattersAfter) {
  config::Config c = SmallConfig();
  c.training.sequence_parallel = true;
  c.training.zero_stage = 1;
  const std::vector<std::string> names = CollectiveNames(c);
  const std::vector<std::string> forward(names.begin(), names.begin() + 4);
  EXPECT_EQ(forward,
            (std::vector<std::string>{
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

// The bundle kept in memory (for the builtin simulator) is the one its
// folder holds, with the same content hash, so both find the same cache
// entries.
TEST(BlockBundle, InMemoryItIsWhatItsFolderHolds) {
  const config::Config c = SmallConfig();
  auto dir = TempDir::Create("block-bundle");
  ASSERT_TRUE(dir);
  ASSERT_TRUE(WriteBlockBundle(c, dir->path().string()));
  MemoryBundle memory;
  ASSERT_TRUE(WriteBlockBundle(c, &memory));
  const auto hash = ReadContentHash(dir->path().string());
  ASSERT_TRUE(hash);
  EXPECT_EQ(memory.content_hash, *hash);
  ASSERT_EQ(memory.traces.size(), 8u);
  for (int rank = 0; rank < 8; ++rank) {
    auto trace = ReadTrace(TracePath((dir->path() / "w").string(), rank));
    ASSERT_TRUE(trace);
    EXPECT_EQ(memory.traces[static_cast<std::size_t>(rank)], trace->nodes) << "rank " << rank;
  }
  EXPECT_EQ(memory.files.network_yml, testing::FileText(dir->path() / "network.yml"));
  EXPECT_EQ(memory.files.system_json, testing::FileText(dir->path() / "system.json"));
  EXPECT_EQ(CommGroupsJson(memory.files.comm_groups),
            testing::FileText(dir->path() / "comm_groups.json"));
}

// A collective of rank 0 alone: every rank issues it in its own group of
// that kind (rank 3 is replica 1's second tensor-parallel GPU: its
// tensor-parallel group is "2", its gradient group dp + 1 + 1 = "6").
TEST(BlockBundle, ACollectiveAloneRunsOnEveryRankInItsOwnGroup) {
  const config::Config c = SmallConfig();
  MemoryBundle block;
  ASSERT_TRUE(WriteBlockBundle(c, &block));
  for (const auto& [name, rank3_group] : {std::pair{"forward all_reduce after fc2", "2"},
                                          std::pair{"dp all_reduce of fc2 gradients", "6"}}) {
    const auto it = std::find_if(block.traces[0].begin(), block.traces[0].end(),
                                 [&](const Node& node) { return node.name == name; });
    ASSERT_NE(it, block.traces[0].end()) << name;
    MemoryBundle alone;
    ASSERT_TRUE(WriteBlockCollectiveBundle(c, *it, &alone));
    ASSERT_EQ(alone.traces.size(), 8u);
    EXPECT_EQ(alone.files.comm_groups, block.files.comm_groups);
    EXPECT_EQ(alone.files.network_yml, block.files.network_yml);
    for (const auto& trace : alone.traces) {
      ASSERT_EQ(trace.size(), 1u) << name;
      EXPECT_TRUE(trace[0].data_deps.empty() && trace[0].ctrl_deps.empty()) << name;
      EXPECT_EQ(trace[0].Integer("comm_size"), it->Integer("comm_size")) << name;
    }
    const auto* group = alone.traces[3][0].Find("pg_name");
    ASSERT_NE(group, nullptr);
    EXPECT_EQ(group->value, AttributeValue(std::string(rank3_group))) << name;
  }
}

// Uncontended, with collectives that take no time, the block is its
// kernels back to back; the same collective is asked for by the same name.
TEST(BlockBundle, UncontendedItsKernelsAndEachCollectiveAlone) {
  const config::Config c = SmallConfig();
  MemoryBundle block;
  ASSERT_TRUE(WriteBlockBundle(c, &block));
  std::uint64_t kernels_ns = 0;
  for (const Node& node : block.traces[0])
    if (node.type == NodeType::kCompute) kernels_ns += node.duration_micros * 1000;
  std::set<std::string> names;
  int asked = 0;
  const auto free_collectives = [&](const Node&,
                                    const std::string& name) -> Expected<std::uint64_t> {
    names.insert(name);
    ++asked;
    return 0;
  };
  EXPECT_EQ(UncontendedBlockNanoseconds(c, free_collectives), kernels_ns);
  EXPECT_EQ(asked, 8) << "every collective of rank 0 (TensorCollectivesWhereMegatronIssuesThem)";
  EXPECT_EQ(names.size(), 4u) << "the tp all-reduce of one size, three gradient sizes: "
                              << ::testing::PrintToString(names);
  // Gradient collectives of a second each: they run one after another from
  // the first gradient kernel's end (fc2's), and end the block.
  const auto first_gradient =
      std::find_if(block.traces[0].begin(), block.traces[0].end(),
                   [](const Node& node) { return node.name.starts_with("dp "); });
  ASSERT_NE(first_gradient, block.traces[0].end());
  std::uint64_t first_gradient_ready_ns = 0;
  for (const Node& node : block.traces[0]) {
    first_gradient_ready_ns += node.duration_micros * 1000;
    if (node.id == first_gradient->data_deps.at(0)) break;
  }
  const auto slow_gradients = [&](const Node&, const std::string& name) -> Expected<std::uint64_t> {
    return name.ends_with("-dp") ? 1'000'000'000 : 0;
  };
  EXPECT_EQ(UncontendedBlockNanoseconds(c, slow_gradients),
            first_gradient_ready_ns + 4'000'000'000u);
}

}  // namespace
}  // namespace astrasweep::et
