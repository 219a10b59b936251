// The flattened bundle: every GPU explicit in the README's rank order, each
// compute node expanded into its kernel chain with the stage's
// tensor-parallel collectives, transfers between the same tensor-parallel
// rank of neighbouring stages, data-parallel collectives over each (stage,
// tp rank)'s replicas; it passes the check.
#include "astrasweep/et/flattened_bundle.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/et/check.h"
#include "astrasweep/et/pipeline_bundle.h"
#include "astrasweep/et/trace_io.h"
#include "et_test_util.h"

namespace astrasweep::et {
namespace {

TEST(FlattenedBundle, EveryGpuExplicitAndSound) {
  auto point = config::LoadPointFile(std::string(ASTRASWEEP_SOURCE_DIR) +
                                     "/tests/data/points/et-small-16.yaml");  // tp 2, pp 2, dp 4
  ASSERT_TRUE(point) << point.error().ToString();
  auto dir = TempDir::Create("flattened-bundle");
  ASSERT_TRUE(dir);
  ASSERT_TRUE(WriteFlattenedBundle(point->config, dir->path().string()));
  auto report = CheckBundle(dir->path().string());
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->ranks, 16);

  // Rank 11 = (replica 2 * pp 2 + stage 1) * tp 2 + tp rank 1.
  auto trace = ReadTrace(TracePath((dir->path() / "w").string(), 11));
  ASSERT_TRUE(trace);
  std::size_t tensor_collectives = 0, receives = 0;
  for (const Node& node : trace->nodes) {
    if (node.type == NodeType::kRecv) {
      ++receives;
      EXPECT_EQ(node.Integer("comm_src"), 9) << "stage 0 of replica 2, the same tp rank";
      EXPECT_EQ(node.Integer("comm_dst"), 11);
      continue;
    }
    if (node.type != NodeType::kCollective) continue;
    const std::string group = std::get<std::string>(node.Find("pg_name")->value);
    if (node.name.find("all_reduce after") != std::string::npos) {
      ++tensor_collectives;
      EXPECT_EQ(group, std::to_string(1 + 2 * 2 + 2 * 2 + 1)) << "the tp group of replica 2, stage 1";
    } else {
      EXPECT_EQ(group, std::to_string(1 + 1 * 2 + 1)) << node.name << ": the dp group of stage 1, tp rank 1";
    }
  }
  EXPECT_GT(receives, 0u);
  EXPECT_GT(tensor_collectives, 0u);
  const auto groups =
      nlohmann::json::parse(testing::FileText(dir->path() / "comm_groups.json"));
  EXPECT_EQ(groups["4"], nlohmann::json::parse("[3, 7, 11, 15]")) << "stage 1, tp rank 1";
  EXPECT_EQ(groups["10"], nlohmann::json::parse("[10, 11]")) << "replica 2, stage 1";
}

}  // namespace
}  // namespace astrasweep::et
