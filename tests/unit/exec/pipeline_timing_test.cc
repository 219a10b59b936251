// graph::TimePipeline, the graph-free timing every analytical point uses,
// held to the graph's schedule (graph::Simulate and AnalyzeStages) within
// 0.1% on every point of the quickstart, of the 1T search space of the
// Calculon comparison and of a sweep over every schedule and
// data-parallel plan; and shown to skip the steady state it repeats (every
// schedule's, gpipe's too) and to extrapolate 1f1b's warm-up over deep
// pipelines.
#include "astrasweep/graph/pipeline_timing.h"

#include <gtest/gtest.h>

#include <cmath>

#include "astrasweep/graph/pipeline.h"
#include "astrasweep/model/step_costs.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep::graph {
namespace {

struct Coverage {
  std::int64_t points = 0, failed = 0;
  // Points whose steady state lasts at least 4 p periods (1f1b and
  // interleaved), and
  // those of them the timing did not simulate unit by unit.
  std::int64_t long_steady = 0, skipped = 0;
  // gpipe points of at least 5 p micro-batches, and those of them skipped.
  std::int64_t long_gpipe = 0, gpipe_skipped = 0;
  // 1f1b points of 32 stages or more, and those of them whose warm-up was
  // extrapolated.
  std::int64_t deep_1f1b = 0, warmup_extrapolated = 0;
};

// Compares the two on one config.
void Compare(const config::Config& c, const std::string& label, Coverage& coverage) {
  const model::StepCosts costs = model::ComputeStepCosts(c);
  Graph graph;
  const Status built = BuildPipelineGraph(c, costs, graph);
  PipelineTiming timing;
  const Status timed = TimePipeline(c, costs, timing);
  ASSERT_EQ(built.has_value(), timed.has_value()) << label;
  ++coverage.points;
  if (!built) {
    EXPECT_EQ(built.error().ToString(), timed.error().ToString()) << label;
    ++coverage.failed;
    return;
  }
  const auto schedule = Simulate(graph);
  ASSERT_TRUE(schedule) << label;
  const std::vector<StageTimeline> stages = AnalyzeStages(graph, *schedule);
  const double step = schedule->makespan;
  ASSERT_GT(step, 0) << label;
  EXPECT_NEAR(timing.makespan, step, 1e-3 * step) << label;
  ASSERT_EQ(timing.stages.size(), stages.size()) << label;
  for (std::size_t k = 0; k < stages.size(); ++k) {
    const StageTimeline &want = stages[k], &got = timing.stages[k];
    const std::string where = label + ", stage " + std::to_string(k);
    EXPECT_EQ(got.rank, want.rank) << where;
    EXPECT_NEAR(got.finish, want.finish, 1e-3 * step) << where;
    EXPECT_NEAR(got.compute, want.compute, 1e-3 * step) << where;
    EXPECT_NEAR(got.tp_comm, want.tp_comm, 1e-3 * step) << where;
    EXPECT_NEAR(got.pp_comm, want.pp_comm, 1e-3 * want.pp_comm + 1e-12) << where;
    EXPECT_NEAR(got.dp_comm, want.dp_comm, 1e-3 * want.dp_comm + 1e-12) << where;
    EXPECT_NEAR(got.exposed_comm, want.exposed_comm, 1e-3 * step) << where;
    EXPECT_NEAR(got.bubble, want.bubble, 1e-3 * step) << where;
  }
  double flops = 0;
  for (const Node& node : graph.nodes()) flops += node.flops;
  EXPECT_NEAR(timing.flops, flops, 1e-9 * flops) << label;
  const std::int64_t units = 2 * MicroBatches(c) * PipelineShape::Of(c).virtual_stages();
  const std::int64_t worked_out = timing.units_timed + timing.units_extrapolated;
  EXPECT_LE(worked_out, units) << label;
  if (c.training.schedule == config::Schedule::k1F1B && c.parallelism.pp >= 32) {
    ++coverage.deep_1f1b;
    if (timing.units_extrapolated > 0) ++coverage.warmup_extrapolated;
  }
  if (MicroBatches(c) < 5 * c.parallelism.pp) return;
  if (c.training.schedule == config::Schedule::kGpipe) {
    ++coverage.long_gpipe;
    if (worked_out < units) ++coverage.gpipe_skipped;
    return;
  }
  ++coverage.long_steady;
  if (worked_out < units) ++coverage.skipped;
}

Coverage CompareSweep(const std::string& relative) {
  auto expander = sweep::OpenSweep(std::string(ASTRASWEEP_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(expander) << expander.error().ToString();
  Coverage coverage;
  if (!expander) return coverage;
  expander->ForEachValid(0, expander->total(), [&](std::uint64_t index) {
    auto point = expander->Materialize(index);
    EXPECT_TRUE(point) << point.error().ToString();
    if (point) Compare(point->point.config, relative + " point " + std::to_string(index), coverage);
    return !::testing::Test::HasFailure();  // the first point that differs is enough
  });
  EXPECT_EQ(coverage.skipped, coverage.long_steady)
      << relative << ": points with a long steady state timed unit by unit";
  EXPECT_EQ(coverage.gpipe_skipped, coverage.long_gpipe)
      << relative << ": gpipe points of many micro-batches timed unit by unit";
  EXPECT_EQ(coverage.warmup_extrapolated, coverage.deep_1f1b)
      << relative << ": 1f1b points of 32 stages or more whose warm-up was timed unit by unit";
  return coverage;
}

TEST(PipelineTiming, MatchesTheGraphOnEveryQuickstartPoint) {
  const Coverage c = CompareSweep("sweeps/quickstart.yaml");
  EXPECT_EQ(c.points, 294);
  EXPECT_GT(c.long_steady, 100);
}

TEST(PipelineTiming, MatchesTheGraphOnEverySchedulePlanAndShape) {
  const Coverage c = CompareSweep("tests/data/sweeps/pipeline-timing.yaml");
  EXPECT_EQ(c.points, 1008);
  EXPECT_GT(c.failed, 0) << "the sweep was meant to hold points the pipeline refuses";
  EXPECT_GT(c.long_steady, 50);
}

TEST(PipelineTiming, MatchesTheGraphOnTheMixedSweep) {
  const Coverage c = CompareSweep("tests/data/sweeps/mixed.yaml");
  EXPECT_EQ(c.points, 12312);
  EXPECT_EQ(c.failed, 1188);
}

TEST(PipelineTiming, MatchesTheGraphOnThe1TSearchSpace) {
  const Coverage c = CompareSweep("tests/data/sweeps/gpt1t-3072-search.yaml");
  EXPECT_EQ(c.points, 8736);
  EXPECT_GT(c.long_steady, 2000);
  EXPECT_GT(c.deep_1f1b, 1000) << "the 1T points of 32 to 128 stages, whose warm-ups repeat";
}

}  // namespace
}  // namespace astrasweep::graph
