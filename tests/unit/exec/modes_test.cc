// Every execution mode on a small point (tests/data/points/et-small-16:
// tp 2, pp 2, dp 4 on 16 GPUs), and what each changes against the
// analytical mode; and the cache: the same point twice simulates nothing
// the second time and answers the same.
#include <gtest/gtest.h>

#include <filesystem>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/exec/evaluate.h"
#include "astrasweep/exec/simulation.h"

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
    ASSERT_TRUE(ConfigureSimulation({.cache_dir = cache_->path().string(),
                                     .cache_mode = netsim::CacheMode::kReadWrite}));
  }
  void TearDown() override { ASSERT_TRUE(ConfigureSimulation({.cache_mode = netsim::CacheMode::kNone})); }
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

  // hybrid_congestion: the layers take the simulated block's time (tp and
  // dp traffic contending), so compute and tp communication change; the
  // collectives are the cache's from the hybrid point.
  const PointOutcome congestion = Evaluate(Point(config::AstraMode::kHybridCongestion));
  ASSERT_EQ(congestion.status, PointStatus::kOk) << congestion.failure_message;
  EXPECT_EQ(congestion.sim_runs, 1u) << "only the block is new";
  EXPECT_GT(congestion.cache_hits, 0u);
  EXPECT_NE(congestion.metrics.compute_s, hybrid.metrics.compute_s);

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

TEST_F(Modes, TheSamePointTwiceSimulatesNothingTheSecondTime) {
  const PointOutcome first = Evaluate(Point(config::AstraMode::kFullAstrasim));
  ASSERT_EQ(first.status, PointStatus::kOk) << first.failure_message;
  EXPECT_GT(first.sim_runs, 0u);
  // A new process's view: the disk alone (a fresh Simulation, same folder).
  ASSERT_TRUE(ConfigureSimulation({.cache_dir = cache_->path().string(),
                                   .cache_mode = netsim::CacheMode::kReadOnly}));
  const PointOutcome second = Evaluate(Point(config::AstraMode::kFullAstrasim));
  ASSERT_EQ(second.status, PointStatus::kOk) << second.failure_message;
  EXPECT_EQ(second.sim_runs, 0u);
  EXPECT_EQ(second.cache_hits, first.sim_runs + first.cache_hits);
  EXPECT_EQ(second.metrics.step_time_s, first.metrics.step_time_s);
  // NO_CACHE simulates every time.
  ASSERT_TRUE(ConfigureSimulation({.cache_dir = cache_->path().string(),
                                   .cache_mode = netsim::CacheMode::kNone}));
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
    whole_bundle_kept = whole_bundle_kept || (entry.path().filename().string().starts_with(
                                                  "flattened-") &&
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
