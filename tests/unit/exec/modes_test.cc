// Every execution mode on a small point (tests/data/points/et-small-16:
// tp 2, pp 2, dp 4 on 16 GPUs), and what each changes against the
// analytical mode; every mode on a sample of the quickstart sweep's points;
// and the cache: the same point twice simulates nothing the second time and
// answers the same.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <tuple>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/exec/evaluate.h"
#include "astrasweep/exec/simulation.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep::exec {
namespace {

config::Config Point(config::AstraMode mode, bool analytical = false) {
  auto point = config::LoadPointFile(std::string(ASTRASWEEP_SOURCE_DIR) +
                                     "/tests/data/points/et-small-16.yaml");
  EXPECT_TRUE(point) << point.error().ToString();
  config::Config c = point->config;
  c.execution_backend.model =
      analytical ? config::ExecutionModel::kAnalytical : config::ExecutionModel::kAstra;
  c.execution_backend.astra.mode = mode;
  return c;
}

class Modes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("modes-cache-");
    ASSERT_TRUE(dir);
    cache_.emplace(std::move(*dir));
    ASSERT_TRUE(ConfigureSimulation(
        {.cache_dir = cache_->path().string(), .cache_mode = netsim::CacheMode::kReadWrite}));
  }
  void TearDown() override {
    ASSERT_TRUE(ConfigureSimulation({.cache_mode = netsim::CacheMode::kNone}));
  }
  std::optional<TempDir> cache_;
};

TEST_F(Modes, EachModeRunsAndChangesWhatItSimulates) {
  const PointOutcome analytical = Evaluate(Point(config::AstraMode::kHybrid, true));
  ASSERT_EQ(analytical.status, PointStatus::kOk) << analytical.failure_message;
  EXPECT_EQ(analytical.sim_runs + analytical.cache_hits, 0u);

  // hybrid: the same compute, communication re-timed by the simulator (its
  // collectives: tp all-reduces, dp gradient all-reduces).
  const PointOutcome hybrid = Evaluate(Point(config::AstraMode::kHybrid));
  ASSERT_EQ(hybrid.status, PointStatus::kOk) << hybrid.failure_message;
  EXPECT_GT(hybrid.sim_runs, 0u);
  EXPECT_DOUBLE_EQ(hybrid.metrics.compute_s, analytical.metrics.compute_s);
  EXPECT_NE(hybrid.metrics.tp_comm_s, analytical.metrics.tp_comm_s);
  EXPECT_TRUE(hybrid.sim_ranks.empty());

  // hybrid_congestion: the layers slowed by what contention costs the
  // simulated block: the stage's tp all-reduces and dp gradient
  // collectives share the switch here. New simulations: the block and each
  // of its distinct collectives alone (a tp all-reduce forward and
  // backward of one size, the dp all-reduces of the layer's weights'
  // gradients); the hybrid collectives come from the cache.
  const PointOutcome congestion = Evaluate(Point(config::AstraMode::kHybridCongestion));
  ASSERT_EQ(congestion.status, PointStatus::kOk) << congestion.failure_message;
  EXPECT_GE(congestion.sim_runs, 3u);
  EXPECT_EQ(congestion.cache_hits, hybrid.sim_runs);
  EXPECT_GT(congestion.metrics.compute_s, hybrid.metrics.compute_s);
  EXPECT_GT(congestion.metrics.step_time_s, hybrid.metrics.step_time_s);
  EXPECT_LT(congestion.metrics.step_time_s, 1.1 * hybrid.metrics.step_time_s)
      << "contention costs this block under 2%; the block's own gradient traffic is not charged";
  EXPECT_DOUBLE_EQ(congestion.metrics.dp_comm_s, hybrid.metrics.dp_comm_s);

  // full_astrasim: the simulator schedules the pipeline: one NPU per stage
  // and replica (tp folded), each with its own times.
  const PointOutcome full = Evaluate(Point(config::AstraMode::kFullAstrasim));
  ASSERT_EQ(full.status, PointStatus::kOk) << full.failure_message;
  EXPECT_EQ(full.sim_ranks.size(), 8u);
  double slowest = 0;
  for (const auto& npu : full.sim_ranks) slowest = std::max(slowest, npu.finish_s);
  EXPECT_DOUBLE_EQ(full.metrics.step_time_s, slowest);

  // full_astrasim_flattened: every GPU explicit.
  const PointOutcome flat = Evaluate(Point(config::AstraMode::kFullAstrasimFlattened));
  ASSERT_EQ(flat.status, PointStatus::kOk) << flat.failure_message;
  EXPECT_EQ(flat.sim_ranks.size(), 16u);
  // The simulated steps stay within a factor of the analytical one.
  for (const PointOutcome* o : {&hybrid, &congestion, &full, &flat}) {
    EXPECT_GT(o->metrics.step_time_s, 0.5 * analytical.metrics.step_time_s) << o->mode;
    EXPECT_LT(o->metrics.step_time_s, 2.0 * analytical.metrics.step_time_s) << o->mode;
  }
}

// Every 9th valid point of the quickstart (every model and GPU count, each
// parallelism kind), and every point whose stage is one GPU (tp = dp = 1:
// a block without traffic) or whose pipeline is one NPU (pp = dp = 1).
std::vector<sweep::ExpandedPoint> QuickstartSample() {
  auto sweep = sweep::OpenSweep(std::string(ASTRASWEEP_SOURCE_DIR) + "/sweeps/quickstart.yaml");
  EXPECT_TRUE(sweep) << sweep.error().ToString();
  if (!sweep) return {};
  std::vector<sweep::ExpandedPoint> points;
  std::uint64_t seen = 0;
  sweep->ForEachValid(0, sweep->total(), [&](std::uint64_t index) {
    auto point = sweep->Materialize(index);
    EXPECT_TRUE(point) << point.error().ToString();
    if (!point) return false;
    const auto& p = point->point.config.parallelism;
    if (seen++ % 9 == 0 || p.pp * p.dp == 1 || p.tp * p.dp == 1)
      points.push_back(std::move(*point));
    return true;
  });
  return points;
}

// The flattened bundle grows with GPUs x micro-batches x layers x tp; the
// test runs it on the sample's cheap points only (the benchmark,
// tests/bench/run_modes_bench, runs the whole sweep in every mode).
bool CheapToFlatten(const config::Config& c) {
  return c.parallelism.tp == 1 && c.training.micro_batch == 2 && c.parallelism.Gpus() <= 32;
}

TEST_F(Modes, EveryModeRunsTheQuickstartsPointsOkOrInfeasible) {
  const auto points = QuickstartSample();
  ASSERT_GE(points.size(), 30u);
  std::map<std::string, std::pair<int, double>> runs;  // mode: points, seconds
  const auto timed = [&](const config::Config& c) {
    const auto start = std::chrono::steady_clock::now();
    PointOutcome outcome = Evaluate(c);
    auto& [count, seconds] = runs[outcome.mode];
    ++count;
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return outcome;
  };
  for (const sweep::ExpandedPoint& point : points) {
    const config::Config& base = point.point.config;
    config::Config c = base;
    c.execution_backend.model = config::ExecutionModel::kAnalytical;
    const PointOutcome analytical = timed(c);
    ASSERT_NE(analytical.status, PointStatus::kFailed)
        << "point " << point.index << ": " << analytical.failure_message;
    c.execution_backend.model = config::ExecutionModel::kAstra;
    std::map<config::AstraMode, PointOutcome> by_mode;
    for (config::AstraMode mode :
         {config::AstraMode::kHybrid, config::AstraMode::kHybridCongestion,
          config::AstraMode::kFullAstrasim, config::AstraMode::kFullAstrasimFlattened}) {
      if (mode == config::AstraMode::kFullAstrasimFlattened && !CheapToFlatten(base)) continue;
      c.execution_backend.astra.mode = mode;
      const PointOutcome& o = by_mode[mode] = timed(c);
      const std::string what = "point " + std::to_string(point.index) + " in " + o.mode;
      ASSERT_NE(o.status, PointStatus::kFailed) << what << ": " << o.failure_message;
      EXPECT_EQ(o.status, analytical.status) << what;
      EXPECT_GT(o.metrics.step_time_s, 0.5 * analytical.metrics.step_time_s) << what;
      EXPECT_LT(o.metrics.step_time_s, 2.0 * analytical.metrics.step_time_s) << what;
    }
    const auto step = [&](config::AstraMode mode) { return by_mode[mode].metrics.step_time_s; };
    const std::string what = "point " + std::to_string(point.index);
    const auto& p = base.parallelism;
    // hybrid re-times the communication only.
    EXPECT_DOUBLE_EQ(by_mode[config::AstraMode::kHybrid].metrics.compute_s,
                     analytical.metrics.compute_s)
        << what;
    EXPECT_EQ(by_mode[config::AstraMode::kHybrid].metrics.bubble_s > 0,
              analytical.metrics.bubble_s > 0)
        << what;
    // Contention slows the layers, never speeds them; a stage of one GPU
    // has none.
    EXPECT_GE(step(config::AstraMode::kHybridCongestion),
              step(config::AstraMode::kHybrid) * (1 - 1e-12))
        << what;
    if (p.tp * p.dp == 1) {
      EXPECT_EQ(step(config::AstraMode::kHybridCongestion), step(config::AstraMode::kHybrid))
          << what;
    }
    // A pipeline of one NPU: its ops back to back, as the analytical
    // scheduler has them.
    if (p.pp * p.dp == 1) {
      EXPECT_EQ(step(config::AstraMode::kFullAstrasim), step(config::AstraMode::kHybridCongestion))
          << what;
      EXPECT_TRUE(by_mode[config::AstraMode::kFullAstrasim].sim_ranks.empty()) << what;
    }
  }
  for (const auto& [mode, run] : runs)
    std::printf("%-24s %3d quickstart points in %6.2f s\n", mode.c_str(), run.first, run.second);
}

// Contention is what the block's traffic costs over its collectives
// alone. With one kind of traffic (tensor-parallel only, or gradients
// only, which run one after another) nothing contends, and
// hybrid_congestion answers what hybrid does, to the bit. (With both, as
// in et-small-16, the tensor-parallel chunks wait behind the gradients' in
// AstraSim's one queue for a comm group's collectives, even on disjoint
// dimensions.)
TEST_F(Modes, ABlockWithOneKindOfTrafficIsNotSlowed) {
  for (const auto& [tp, pp, dp] : {std::tuple{2, 8, 1}, std::tuple{1, 4, 4}}) {
    config::Config c = Point(config::AstraMode::kHybrid);
    c.parallelism.tp = tp;
    c.parallelism.pp = pp;
    c.parallelism.dp = dp;
    const std::string what = "tp " + std::to_string(tp) + ", dp " + std::to_string(dp);
    const PointOutcome hybrid = Evaluate(c);
    ASSERT_EQ(hybrid.status, PointStatus::kOk) << what << ": " << hybrid.failure_message;
    c.execution_backend.astra.mode = config::AstraMode::kHybridCongestion;
    const PointOutcome congestion = Evaluate(c);
    ASSERT_EQ(congestion.status, PointStatus::kOk) << what << ": " << congestion.failure_message;
    EXPECT_GE(congestion.sim_runs, 2u) << what << ": the block and a collective alone";
    EXPECT_EQ(congestion.metrics.step_time_s, hybrid.metrics.step_time_s) << what;
    EXPECT_EQ(congestion.metrics.compute_s, hybrid.metrics.compute_s) << what;
  }
}

TEST_F(Modes, TheSamePointTwiceSimulatesNothingTheSecondTime) {
  const PointOutcome first = Evaluate(Point(config::AstraMode::kFullAstrasim));
  ASSERT_EQ(first.status, PointStatus::kOk) << first.failure_message;
  EXPECT_GT(first.sim_runs, 0u);
  // A new process's view: the disk alone (a fresh Simulation, same folder).
  ASSERT_TRUE(ConfigureSimulation(
      {.cache_dir = cache_->path().string(), .cache_mode = netsim::CacheMode::kReadOnly}));
  const PointOutcome second = Evaluate(Point(config::AstraMode::kFullAstrasim));
  ASSERT_EQ(second.status, PointStatus::kOk) << second.failure_message;
  EXPECT_EQ(second.sim_runs, 0u);
  EXPECT_EQ(second.cache_hits, first.sim_runs + first.cache_hits);
  EXPECT_EQ(second.metrics.step_time_s, first.metrics.step_time_s);
  // NO_CACHE simulates every time.
  ASSERT_TRUE(ConfigureSimulation(
      {.cache_dir = cache_->path().string(), .cache_mode = netsim::CacheMode::kNone}));
  const PointOutcome third = Evaluate(Point(config::AstraMode::kFullAstrasim));
  EXPECT_EQ(third.cache_hits, 0u);
  EXPECT_EQ(third.metrics.step_time_s, first.metrics.step_time_s);
}

TEST_F(Modes, TheFlattenedPointFoldedAnswersAsItsWholeBundle) {
  const config::Config c = Point(config::AstraMode::kFullAstrasimFlattened);
  // Keeping the bundle simulates it whole; otherwise one rank per stage.
  auto kept = TempDir::Create("modes-kept-");
  ASSERT_TRUE(kept);
  ASSERT_TRUE(ConfigureSimulation(
      {.cache_mode = netsim::CacheMode::kNone, .keep_et_dir = kept->path().string()}));
  const PointOutcome whole = Evaluate(c);
  ASSERT_EQ(whole.status, PointStatus::kOk) << whole.failure_message;
  bool whole_bundle_kept = false;
  for (const auto& entry : std::filesystem::directory_iterator(kept->path()))
    whole_bundle_kept =
        whole_bundle_kept || (entry.path().filename().string().starts_with("flattened-") &&
                              std::filesystem::exists(entry.path() / "w.15.et"));
  EXPECT_TRUE(whole_bundle_kept) << "no flattened-<key> folder with rank 15's trace";
  ASSERT_TRUE(ConfigureSimulation({.cache_mode = netsim::CacheMode::kNone}));
  const PointOutcome folded = Evaluate(c);
  ASSERT_EQ(folded.status, PointStatus::kOk) << folded.failure_message;
  ASSERT_EQ(folded.sim_ranks.size(), whole.sim_ranks.size());
  for (std::size_t r = 0; r < whole.sim_ranks.size(); ++r) {
    EXPECT_EQ(folded.sim_ranks[r].finish_s, whole.sim_ranks[r].finish_s) << "npu " << r;
    EXPECT_EQ(folded.sim_ranks[r].exposed_comm_s, whole.sim_ranks[r].exposed_comm_s) << "npu " << r;
  }
  EXPECT_EQ(folded.metrics.step_time_s, whole.metrics.step_time_s);
}

TEST_F(Modes, TheAstraSimBackendWithoutABinaryFailsThePointSayingHow) {
  config::Config c = Point(config::AstraMode::kHybrid);
  c.execution_backend.astra.backend = config::SimulatorBackend::kAstrasim;
  const PointOutcome out = Evaluate(c);
  EXPECT_EQ(out.status, PointStatus::kFailed);
  EXPECT_NE(out.failure_message.find("ASTRASIM_BIN"), std::string::npos) << out.failure_message;
}

}  // namespace
}  // namespace astrasweep::exec
