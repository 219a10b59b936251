// The flattened bundle: every GPU explicit in the README's rank order, each
// compute node expanded into its kernel chain with the stage's
// tensor-parallel collectives, transfers between the same tensor-parallel
// rank of neighbouring stages, data-parallel collectives over each (stage,
// tp rank)'s replicas; it passes the check. Every rank's trace is its
// representative's with peers and groups shifted: the symmetry the
// workload claims.
#include "astrasweep/et/flattened_bundle.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// `trace` with its peers moved by `shift` of `symmetry` and its groups to
// the groups of the moved members.
std::vector<Node> Shifted(std::vector<Node> trace, const RankSymmetry& symmetry, int shift,
                          const std::map<int, std::vector<int>>& groups) {
  const auto image_group = [&](int id) {
    std::vector<int> moved;
    for (int member : groups.at(id)) moved.push_back(symmetry.Apply(shift, member));
    std::sort(moved.begin(), moved.end());
    for (const auto& [other, members] : groups) {
      std::vector<int> sorted = members;
      std::sort(sorted.begin(), sorted.end());
      if (sorted == moved) return other;
    }
    return -1;
  };
  for (Node& node : trace) {
    for (const char* peer : {"comm_src", "comm_dst"})
      if (const auto rank = node.Integer(peer))
        node.Set(peer, std::int64_t{symmetry.Apply(shift, static_cast<int>(*rank))});
    if (const Attribute* pg = node.Find("pg_name"))
      node.Set("pg_name", std::to_string(image_group(std::stoi(std::get<std::string>(pg->value)))));
  }
  return trace;
}

TEST(FlattenedWorkload, EveryTraceIsItsRepresentativesShifted) {
  auto point = config::LoadPointFile(std::string(ASTRASWEEP_SOURCE_DIR) +
                                     "/tests/data/points/et-small-16.yaml");
  ASSERT_TRUE(point) << point.error().ToString();
  for (const auto& [tp, pp, dp] : {std::tuple{2, 2, 4}, std::tuple{4, 2, 2}, std::tuple{4, 1, 4}}) {
    config::Config c = point->config;
    c.parallelism.tp = tp;
    c.parallelism.pp = pp;
    c.parallelism.dp = dp;
    auto workload = FlattenedWorkload::Build(c);
    ASSERT_TRUE(workload) << workload.error().ToString();
    const RankSymmetry symmetry = workload->symmetry();
    ASSERT_EQ(symmetry.ranks(), 16);
    EXPECT_EQ(symmetry.Representatives().size(), static_cast<std::size_t>(pp));
    for (int rank = 0; rank < symmetry.ranks(); ++rank) {
      const int shift = symmetry.ShiftToRepresentative(rank);
      EXPECT_EQ(Shifted(workload->Trace(rank), symmetry, shift, workload->files().comm_groups),
                workload->Trace(symmetry.Representative(rank)))
          << "tp " << tp << " pp " << pp << " dp " << dp << ": rank " << rank
          << " is not its representative's image";
    }
  }
}

TEST(RankSymmetry, ShiftsCyclicAxesOnly) {
  const RankSymmetry symmetry({{.name = "tp", .size = 2, .cyclic = true},
                               {.name = "pp", .size = 3, .cyclic = false},
                               {.name = "dp", .size = 4, .cyclic = true}});
  EXPECT_EQ(symmetry.ranks(), 24);
  EXPECT_EQ(symmetry.shifts(), 8);
  EXPECT_EQ(symmetry.Representatives(), (std::vector<int>{0, 2, 4}));
  // Rank 23 = (dp 3, pp 2, tp 1): its representative is (0, 2, 0) = 4.
  EXPECT_EQ(symmetry.Representative(23), 4);
  EXPECT_EQ(symmetry.Apply(symmetry.ShiftToRepresentative(23), 23), 4);
  // The same shift moves rank 6 = (dp 1, pp 0, tp 0) to (dp 2, pp 0, tp 1) = 13.
  EXPECT_EQ(symmetry.Apply(symmetry.ShiftToRepresentative(23), 6), 13);
  EXPECT_EQ(symmetry.ToString(), "tp 2 cyclic x pp 3 x dp 4 cyclic");
}

}  // namespace
}  // namespace astrasweep::et
