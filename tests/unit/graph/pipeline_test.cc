// The pipeline builder and scheduler against the closed forms of uniform
// stages: with forward time f and backward time b per stage and free
// transfers, GPipe and 1F1B take (m + p - 1)(f + b) and leave a bubble of
// (p - 1)(f + b); the interleaved schedule shrinks the bubble to
// (p - 1)(f + b) / v (Narayanan et al. 2021, sections 2.2.1-2.2.2).
#include "astrasweep/graph/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include "astrasweep/graph/scheduler.h"

namespace astrasweep::graph {
namespace {

config::Config Pipeline(std::int64_t pp, std::int64_t m, config::Schedule schedule,
                        std::int64_t v = 1) {
  config::Config c;
  c.model = {.name = "gpt",
             .layers = 48,
             .hidden = 1024,
             .heads = 16,
             .kv_heads = 16,
             .ffn_hidden = 4096,
             .ffn = config::Ffn::kGelu,
             .vocab = 51200,
             .seq_len = 1024};
  c.training.global_batch = m;
  c.training.micro_batch = 1;
  c.training.schedule = schedule;
  c.training.virtual_stages = v;
  c.parallelism = {.tp = 1, .pp = pp, .dp = 1};
  c.hardware.kernel_launch = 0;
  c.network = {{config::Topology::kSwitch, pp, 100e9, 0}};
  return c;
}

// Uniform costs: forward 1 s and backward 2 s per layer, nothing else.
model::StepCosts Uniform() {
  model::StepCosts k;
  k.layer_forward = 1;
  k.layer_backward = 2;
  return k;
}

struct Timing {
  double step;
  double stage0_bubble;
};

Timing Schedule(const config::Config& c, const model::StepCosts& k) {
  auto g = BuildPipelineGraph(c, k);
  EXPECT_TRUE(g) << g.error().ToString();
  auto s = Simulate(*g);
  EXPECT_TRUE(s) << s.error().ToString();
  auto stages = AnalyzeStages(*g, *s);
  return {s->makespan, stages[0].bubble};
}

class ClosedForm : public ::testing::TestWithParam<std::tuple<config::Schedule, int, int>> {};

std::string ClosedFormName(const ::testing::TestParamInfo<ClosedForm::ParamType>& param_info) {
  const config::Schedule schedule = std::get<0>(param_info.param);
  return std::string(schedule == config::Schedule::kGpipe ? "gpipe" : "1f1b") + "_pp" +
         std::to_string(std::get<1>(param_info.param)) + "_m" +
         std::to_string(std::get<2>(param_info.param));
}

TEST_P(ClosedForm, GpipeAnd1F1BMatchTheBubbleFormula) {
  const auto [schedule, pp, m] = GetParam();
  const double per_stage = 48.0 / pp * 3;  // (f + b) of one stage and micro-batch
  const Timing t = Schedule(Pipeline(pp, m, schedule), Uniform());
  EXPECT_NEAR(t.step, (m + pp - 1) * per_stage, 1e-9);
  EXPECT_NEAR(t.stage0_bubble, (pp - 1) * per_stage, 1e-9);
}

INSTANTIATE_TEST_SUITE_P(
    Schedules, ClosedForm,
    ::testing::Combine(::testing::Values(config::Schedule::kGpipe, config::Schedule::k1F1B),
                       ::testing::Values(1, 2, 4, 8, 16), ::testing::Values(1, 3, 8, 32)),
    ClosedFormName);

TEST(Interleaved, BubbleShrinksByTheVirtualStages) {
  for (std::int64_t v : {2, 3}) {
    for (std::int64_t pp : {2, 4, 8}) {
      for (std::int64_t m : {pp, 2 * pp, 4 * pp}) {
        if (48 % (pp * v) != 0) continue;
        const double per_stage = 48.0 / static_cast<double>(pp) * 3;
        const Timing t = Schedule(Pipeline(pp, m, config::Schedule::kInterleaved, v), Uniform());
        SCOPED_TRACE(testing::Message() << "pp " << pp << " v " << v << " m " << m);
        EXPECT_NEAR(t.step,
                    static_cast<double>(m) * per_stage +
                        static_cast<double>(pp - 1) * per_stage / static_cast<double>(v),
                    1e-9);
      }
    }
  }
}

TEST(Pipeline, TransfersAddTheirLatencyToTheCriticalPath) {
  // One micro-batch through 4 stages: 3 activation and 3 gradient hops.
  config::Config c = Pipeline(4, 1, config::Schedule::k1F1B);
  model::StepCosts k = Uniform();
  k.p2p_bytes = 1e9;  // 10 ms at 100 GB/s
  const Timing t = Schedule(c, k);
  EXPECT_NEAR(t.step, 4 * 36.0 + 6 * 0.01, 1e-9);
}

TEST(Pipeline, OneFOneBKeepsAtMostPMicroBatchesInFlight) {
  // The order on stage k never holds more than p - k forwards without their
  // backward; GPipe holds all m.
  for (auto schedule : {config::Schedule::k1F1B, config::Schedule::kGpipe}) {
    const std::int64_t pp = 4, m = 16;
    auto g = BuildPipelineGraph(Pipeline(pp, m, schedule), Uniform());
    ASSERT_TRUE(g);
    std::map<int, int> in_flight, peak;
    std::map<int, std::pair<int, int>> counts;  // stage -> (forwards, backwards)
    for (const Node& n : g->nodes()) {
      if (n.kind != NodeKind::kCompute || n.microbatch < 0) continue;
      in_flight[n.stage] += n.direction == Direction::kForward ? 1 : -1;
      peak[n.stage] = std::max(peak[n.stage], in_flight[n.stage]);
      (n.direction == Direction::kForward ? counts[n.stage].first : counts[n.stage].second)++;
    }
    for (int stage = 0; stage < pp; ++stage) {
      EXPECT_EQ(counts[stage].first, m);
      EXPECT_EQ(counts[stage].second, m);
      EXPECT_EQ(peak[stage], schedule == config::Schedule::kGpipe ? m : pp - stage);
    }
  }
}

TEST(Pipeline, DataParallelReductionOverlapsTheLastBackward) {
  config::Config c = Pipeline(1, 4, config::Schedule::k1F1B);
  c.parallelism.dp = 2;
  c.training.global_batch = 8;  // 4 micro-batches per replica
  c.network = {{config::Topology::kSwitch, 2, 100e9, 0}};
  model::StepCosts k = Uniform();
  k.layer_grad_sync = 1.5;  // per layer; the next layer's backward takes 2
  c.training.dp_overlap = true;
  const double compute = 4 * 48 * 3.0;
  // Only the first layer's reduction is left after the last backward.
  EXPECT_NEAR(Schedule(c, k).step, compute + 1.5, 1e-9);
  c.training.dp_overlap = false;
  EXPECT_NEAR(Schedule(c, k).step, compute + 48 * 1.5, 1e-9);
}

// Two stages of 24 layers, 4 micro-batches per replica, 2 replicas,
// overlapping the gradient reduction.
config::Config DataParallel(int zero_stage) {
  config::Config c = Pipeline(2, 4, config::Schedule::k1F1B);
  c.parallelism.dp = 2;
  c.training.global_batch = 8;
  c.training.dp_overlap = true;
  c.training.zero_stage = zero_stage;
  c.network = {{config::Topology::kSwitch, 4, 100e9, 0}};
  return c;
}

// The nodes `id` waits for.
std::vector<NodeId> Dependencies(const Graph& g, NodeId id) {
  std::vector<NodeId> out;
  for (const auto& [node, dependency] : g.edges())
    if (node == id) out.push_back(dependency);
  return out;
}

TEST(Pipeline, DataParallelOverlapSplitsTheLastBackwardPerLayer) {
  model::StepCosts k = Uniform();
  k.layer_grad_sync = 1.5;
  auto g = BuildPipelineGraph(DataParallel(0), k);
  ASSERT_TRUE(g) << g.error().ToString();
  std::map<int, std::vector<int>> last_backward_layers;  // stage -> layer_begin, in node order
  for (NodeId id = 0; id < static_cast<NodeId>(g->size()); ++id) {
    const Node& n = g->node(id);
    if (n.kind == NodeKind::kCollective) {
      ASSERT_EQ(n.duration, 1.5) << "one layer's reduction: " << g->Label(id);
      const auto after = Dependencies(*g, id);
      ASSERT_EQ(after.size(), 1u) << g->Label(id);
      EXPECT_EQ(after[0], id - 1) << g->Label(id) << " should follow the layer it reduces";
      EXPECT_EQ(g->node(after[0]).layer_end - g->node(after[0]).layer_begin, 1);
    }
    if (n.direction != Direction::kBackward || n.kind != NodeKind::kCompute) continue;
    if (n.microbatch != 3) {
      EXPECT_EQ(n.layer_end - n.layer_begin, 24) << "whole: " << g->Label(id);
      continue;
    }
    EXPECT_EQ(n.layer_end - n.layer_begin, 1) << "split: " << g->Label(id);
    last_backward_layers[n.stage].push_back(n.layer_begin);
  }
  for (int stage : {0, 1}) {
    const auto& layers = last_backward_layers[stage];
    ASSERT_EQ(layers.size(), 24u) << "stage " << stage;
    for (std::size_t i = 0; i < layers.size(); ++i)
      EXPECT_EQ(layers[i], 24 * stage + 23 - static_cast<int>(i)) << "last layer first";
  }
}

TEST(Pipeline, WithoutOverlapEachStageReducesOnceBeforeItsOptimizer) {
  model::StepCosts k = Uniform();
  k.layer_grad_sync = 1.5;
  config::Config c = DataParallel(0);
  c.training.dp_overlap = false;
  auto g = BuildPipelineGraph(c, k);
  ASSERT_TRUE(g) << g.error().ToString();
  int reductions = 0;
  for (NodeId id = 0; id < static_cast<NodeId>(g->size()); ++id) {
    const Node& n = g->node(id);
    if (n.kind == NodeKind::kCompute && n.microbatch >= 0) {
      EXPECT_EQ(n.layer_end - n.layer_begin, 24) << "no split: " << g->Label(id);
    }
    if (n.kind != NodeKind::kCollective) continue;
    ++reductions;
    EXPECT_EQ(n.duration, 24 * 1.5) << "the whole stage's gradients: " << g->Label(id);
    EXPECT_EQ(std::string(g->node(id + 1).name), "optimizer");
    EXPECT_EQ(Dependencies(*g, id + 1), std::vector<NodeId>{id}) << "the optimizer waits for it";
  }
  EXPECT_EQ(reductions, 2) << "one per stage";
}

TEST(Pipeline, ZeroOneGathersTheUpdatedWeightsAfterTheOptimizer) {
  auto g = BuildPipelineGraph(DataParallel(1), Uniform());
  ASSERT_TRUE(g) << g.error().ToString();
  int gathers = 0;
  for (NodeId id = 0; id < static_cast<NodeId>(g->size()); ++id) {
    const Node& n = g->node(id);
    if (std::string(n.name) == "dp_weight_all_gather") ++gathers;
    if (std::string(n.name) == "optimizer") {
      EXPECT_EQ(Dependencies(*g, id + 1), std::vector<NodeId>{id})
          << "ZeRO 1 gathers the updated weights after the optimizer";
    }
  }
  EXPECT_EQ(gathers, 2) << "one per stage";
}

// ZeRO 3, each stage's 24 layers per unit: layer compute c (forward 1 s,
// backward 2 s), gather g and reduce-scatter r per layer, the next layer's
// gather prefetched while one computes.
TEST(Pipeline, ZeroThreeWaitsForWhatTheLayersCannotHideOfTheirGathers) {
  for (const auto& [g, r] : std::vector<std::pair<double, double>>{{0.5, 0.5}, {1.5, 1.0}}) {
    model::StepCosts k = Uniform();
    k.layer_weight_gather = g;
    k.layer_grad_sync = r;
    auto graph = BuildPipelineGraph(DataParallel(3), k);
    ASSERT_TRUE(graph) << graph.error().ToString();
    int collectives = 0, units = 0;
    for (NodeId id = 0; id < static_cast<NodeId>(graph->size()); ++id) {
      const Node& n = graph->node(id);
      if (n.kind == NodeKind::kCollective) ++collectives;
      if (n.kind != NodeKind::kCompute || n.microbatch < 0) continue;
      ++units;
      ASSERT_EQ(n.layer_end - n.layer_begin, 24) << "ZeRO 3 splits no unit: " << graph->Label(id);
      const bool forward = n.direction == Direction::kForward;
      const double c = forward ? 1 : 2, per_layer = forward ? g : g + r;
      // The first gather, then per later layer what the compute does not
      // hide, then (backward) the last reduce-scatter.
      const double waits = g + 23 * std::max(0.0, per_layer - c) + (forward ? 0 : r);
      EXPECT_NEAR(n.blocking_dp, waits, 1e-12) << graph->Label(id) << " g " << g << " r " << r;
      EXPECT_NEAR(n.dp_comm, 24 * per_layer, 1e-12) << graph->Label(id);
      EXPECT_NEAR(n.duration, 24 * c + waits, 1e-12) << graph->Label(id);
    }
    EXPECT_EQ(units, 2 * 2 * 4);
    EXPECT_EQ(collectives, 0) << "each unit reduces its own gradients; nothing after the step";
  }
}

TEST(Pipeline, RunsThatCannotWorkAreRejectedWithTheReason) {
  auto status = CheckPipeline(Pipeline(64, 64, config::Schedule::k1F1B));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().context().key_path, "parallelism.pp");
  EXPECT_NE(status.error().message().find("64 pipeline stages but model.layers = 48"),
            std::string::npos);

  status = CheckPipeline(Pipeline(4, 6, config::Schedule::kInterleaved, 2));
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("= 6) to be a multiple of pp = 4"), std::string::npos)
      << status.error().message();

  status = CheckPipeline(Pipeline(4, 8, config::Schedule::kInterleaved, 5));
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("multiple of pp * virtual_stages = 20"),
            std::string::npos);
  EXPECT_TRUE(CheckPipeline(Pipeline(4, 8, config::Schedule::kInterleaved, 3)));
  EXPECT_FALSE(BuildPipelineGraph(Pipeline(64, 64, config::Schedule::k1F1B), Uniform()));
}

TEST(Pipeline, UnevenLayersGoToTheFirstStages) {
  EXPECT_EQ(VirtualStageLayers(10, 4, 0), std::make_pair(0, 3));
  EXPECT_EQ(VirtualStageLayers(10, 4, 1), std::make_pair(3, 6));
  EXPECT_EQ(VirtualStageLayers(10, 4, 2), std::make_pair(6, 8));
  EXPECT_EQ(VirtualStageLayers(10, 4, 3), std::make_pair(8, 10));
}

}  // namespace
}  // namespace astrasweep::graph
