// The pipeline bundle: a rank per stage and replica, the graph's nodes with
// its ids and durations, sends matched by receives, data-parallel
// collectives per stage group; it passes the check.
#include "astrasweep/et/pipeline_bundle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/et/check.h"
#include "astrasweep/et/trace_io.h"
#include "astrasweep/graph/pipeline.h"
#include "astrasweep/model/step_costs.h"

namespace astrasweep::et {
namespace {

namespace fs = std::filesystem;

TEST(PipelineBundle, IsTheGraphPerStageAndReplicaAndPassesTheCheck) {
  auto point = config::LoadPointFile(std::string(ASTRASWEEP_SOURCE_DIR) +
                                     "/tests/data/points/et-small-16.yaml");
  ASSERT_TRUE(point) << point.error().ToString();
  const auto& c = point->config;  // tp 2, pp 2, dp 4
  auto dir = TempDir::Create("pipeline-bundle");
  ASSERT_TRUE(dir);
  ASSERT_TRUE(WritePipelineBundle(c, dir->path().string()));
  auto report = CheckBundle(dir->path().string());
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->ranks, 8);

  auto graph = graph::BuildPipelineGraph(c, model::ComputeStepCosts(c));
  ASSERT_TRUE(graph);
  // Rank 5 is replica 2, stage 1: the graph's stage-1 nodes, with the
  // graph's ids, durations in microseconds, plus a receive per transfer in.
  auto trace = ReadTrace(TracePath((dir->path() / "w").string(), 5));
  ASSERT_TRUE(trace);
  std::size_t stage_nodes = 0, receives = 0;
  for (const Node& node : trace->nodes) {
    if (node.type == NodeType::kRecv) {
      ++receives;
      EXPECT_GE(node.id, kReceiveIdBase);
      EXPECT_EQ(node.Integer("comm_dst"), 5);
      EXPECT_EQ(node.Integer("comm_src"), 4) << "from stage 0 of replica 2";
      continue;
    }
    ++stage_nodes;
    const graph::Node& original = graph->node(static_cast<graph::NodeId>(node.id));
    EXPECT_EQ(original.stage, 1);
    EXPECT_EQ(node.name, graph->Label(static_cast<graph::NodeId>(node.id)));
    if (node.type == NodeType::kCompute) {
      EXPECT_EQ(node.duration_micros,
                static_cast<std::uint64_t>(std::llround(original.duration * 1e6)));
    }
    if (node.type == NodeType::kCollective) {
      EXPECT_EQ(std::get<std::string>(node.Find("pg_name")->value), "2");
    }
  }
  std::size_t graph_stage_nodes = 0, transfers_in = 0;
  for (const graph::Node& n : graph->nodes()) {
    graph_stage_nodes += n.stage == 1 ? 1 : 0;
    transfers_in += n.kind == graph::NodeKind::kSendRecv && n.peer / 2 == 1 ? 1 : 0;
  }
  EXPECT_EQ(stage_nodes, graph_stage_nodes);
  EXPECT_EQ(receives, transfers_in);
  std::ifstream groups(dir->path() / "comm_groups.json");
  std::stringstream text;
  text << groups.rdbuf();
  EXPECT_EQ(nlohmann::json::parse(text.str())["2"], nlohmann::json::parse("[1, 3, 5, 7]"));
}

}  // namespace
}  // namespace astrasweep::et
