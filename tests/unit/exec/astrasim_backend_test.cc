// Points with execution_backend.astra.backend: astrasim, run by the
// dispatcher on a stand-in for AstraSim's binary (tests/support/
// fake_astrasim) that misbehaves on request: each fault gives the retry
// AstraSimBinary documents or a failed point saying why, never an
// analytical number, and the next point runs as if nothing happened.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/exec/evaluate.h"
#include "astrasweep/exec/simulation.h"
#include "scoped_env.h"

namespace astrasweep::exec {
namespace {

using astrasweep::testing::ScopedEnv;

config::Config HybridOnAstraSim() {
  auto point = config::LoadPointFile(std::string(ASTRASWEEP_SOURCE_DIR) +
                                     "/tests/data/points/et-small-16.yaml");
  EXPECT_TRUE(point) << point.error().ToString();
  config::Config c = point->config;
  c.execution_backend.model = config::ExecutionModel::kAstra;
  c.execution_backend.astra.mode = config::AstraMode::kHybrid;
  c.execution_backend.astra.backend = config::SimulatorBackend::kAstrasim;
  return c;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class AstraSimBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("astrasim-backend-");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    ASSERT_TRUE(ConfigureSimulation({.cache_dir = (dir_->path() / "cache").string(),
                                     .cache_mode = netsim::CacheMode::kReadWrite,
                                     .astrasim_bin = FAKE_ASTRASIM,
                                     .astrasim_timeout = std::chrono::seconds(1)}));
  }
  void TearDown() override {
    ASSERT_TRUE(ConfigureSimulation({.cache_mode = netsim::CacheMode::kNone}));
  }

  PointOutcome EvaluateIn(const std::string& mode) {
    ScopedEnv env("FAKE_ASTRASIM_MODE", mode);
    return Evaluate(HybridOnAstraSim());
  }

  int Runs() const {
    std::ifstream in(counter());
    int runs = 0;
    in >> runs;
    return runs;
  }
  std::string counter() const { return (dir_->path() / "runs").string(); }

  std::optional<TempDir> dir_;
};

TEST_F(AstraSimBackend, TheBinarysAnswersTimeTheCollectives) {
  const PointOutcome out = EvaluateIn("ok");
  ASSERT_EQ(out.status, PointStatus::kOk) << out.failure_message;
  EXPECT_GT(out.sim_runs, 0u);
  // The double answers 1000 + 100 r ns for rank r, whatever the bundle:
  // every collective takes the slowest rank's, a few microseconds, where
  // the analytical model gives milliseconds.
  EXPECT_GT(out.metrics.tp_comm_s, 0);
  EXPECT_LT(out.metrics.tp_comm_s, 1e-3);
}

TEST_F(AstraSimBackend, EachFaultFailsThePointWithItsReasonAndTheNextPointRuns) {
  struct Fault {
    const char* mode;
    const char* reason;
  };
  for (const Fault& fault : {Fault{"crash", "killed by SIGABRT"}, Fault{"hang", "timed out after 1 s"},
                             Fault{"garbage", "did not report every rank"},
                             Fault{"drop-rank", "no `finished` line for rank(s) 1"},
                             Fault{"exit1", "exited with status 1"},
                             Fault{"zeros", "0 cycles"}}) {
    SCOPED_TRACE(fault.mode);
    const PointOutcome failed = EvaluateIn(fault.mode);
    EXPECT_EQ(failed.status, PointStatus::kFailed);
    EXPECT_EQ(failed.failure_stage, "simulate");
    EXPECT_TRUE(Contains(failed.failure_message, fault.reason)) << failed.failure_message;
    EXPECT_TRUE(Contains(failed.failure_message, "--keep-et")) << failed.failure_message;
  }
  // Nothing of the failures was cached: the next point simulates and is ok.
  const PointOutcome next = EvaluateIn("ok");
  EXPECT_EQ(next.status, PointStatus::kOk) << next.failure_message;
  EXPECT_GT(next.sim_runs, 0u);
}

TEST_F(AstraSimBackend, ZerosThenSuccessIsRetried) {
  ScopedEnv count("FAKE_ASTRASIM_COUNTER", counter());
  ScopedEnv zeros("FAKE_ASTRASIM_ZERO_RUNS", "2");
  const PointOutcome out = EvaluateIn("zeros-then-ok");
  ASSERT_EQ(out.status, PointStatus::kOk) << out.failure_message;
  EXPECT_EQ(Runs(), static_cast<int>(out.sim_runs) + 2) << "two runs answered zeros, then again";
}

TEST_F(AstraSimBackend, AnAwarePointWithoutAnAwareBinarySaysWhereItLooked) {
  config::Config c = HybridOnAstraSim();
  c.execution_backend.astra.network = config::NetworkModel::kCongestionAware;
  const PointOutcome out = Evaluate(c);
  EXPECT_EQ(out.status, PointStatus::kFailed);
  EXPECT_TRUE(Contains(out.failure_message, "aware")) << out.failure_message;
}

TEST(SimulationSetUp, ABadBinaryOrCacheModeIsAnErrorBeforeAnyPoint) {
  auto missing = ConfigureSimulation({.astrasim_bin = "/nonexistent/AstraSim"});
  ASSERT_FALSE(missing);
  EXPECT_TRUE(Contains(missing.error().message(), "/nonexistent/AstraSim"));
  {
    ScopedEnv bin("ASTRASIM_BIN", "/nonexistent/from-env");
    auto from_env = ConfigureSimulation({});
    ASSERT_FALSE(from_env);
    EXPECT_TRUE(Contains(from_env.error().message(), "/nonexistent/from-env"));
    EXPECT_TRUE(Contains(from_env.error().message(), "ASTRASIM_BIN")) << "says how to name one";
    // The flag wins over the environment.
    auto flag = Simulation::Open({.astrasim_bin = FAKE_ASTRASIM});
    ASSERT_TRUE(flag) << flag.error().message();
    EXPECT_TRUE(Contains((*flag)->Description(), FAKE_ASTRASIM)) << (*flag)->Description();
  }
  {
    ScopedEnv mode("ASTRASWEEP_CACHE_MODE", "SOMETIMES");
    auto bad_mode = ConfigureSimulation({});
    ASSERT_FALSE(bad_mode);
    EXPECT_TRUE(Contains(bad_mode.error().message(), "ASTRASWEEP_CACHE_MODE=SOMETIMES"));
  }
  ASSERT_TRUE(ConfigureSimulation({.cache_mode = netsim::CacheMode::kNone}));
}

}  // namespace
}  // namespace astrasweep::exec
