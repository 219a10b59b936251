// The dispatcher on real configs: an ok point's fields add up, an
// infeasible one keeps its timing, one that cannot run says where and why.
#include "astrasweep/exec/evaluate.h"

#include <gtest/gtest.h>

#include <cmath>

#include "astrasweep/config/loader.h"
#include "astrasweep/exec/result_fields.h"

namespace astrasweep::exec {
namespace {

PointOutcome EvaluateFile(const std::string& relative) {
  auto point = config::LoadPointFile(std::string(ASTRASWEEP_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(point) << point.error().ToString();
  return point ? Evaluate(point->config) : PointOutcome{};
}

TEST(Evaluate, AnOkPointsTimesAddUpToItsStep) {
  const PointOutcome o = EvaluateFile("sweeps/points/gpt3-175b.yaml");
  ASSERT_EQ(o.status, PointStatus::kOk) << o.failure_message;
  const Metrics& m = o.metrics;
  EXPECT_GT(m.step_time_s, 0);
  EXPECT_NEAR(m.compute_s + m.exposed_comm_s + m.bubble_s, m.step_time_s, 1e-9 * m.step_time_s)
      << "compute + exposed comm + bubble must be the step";
  EXPECT_GT(m.mfu, 0.2);
  EXPECT_LT(m.mfu, 0.7);
  EXPECT_EQ(o.mode, "analytical");
  EXPECT_EQ(o.sim_runs, 0u) << "the analytical mode runs no simulator";
  for (const ResultField& field : ResultFields())
    EXPECT_TRUE(std::isfinite(field.read(o))) << field.name;
}

TEST(Evaluate, AnInfeasiblePointKeepsItsTiming) {
  const PointOutcome o = EvaluateFile("tests/data/points/infeasible.yaml");
  EXPECT_EQ(o.status, PointStatus::kInfeasible);
  EXPECT_FALSE(o.metrics.fits_memory);
  EXPECT_GT(o.metrics.peak_mem_bytes, 80.0 * (1 << 30));
  EXPECT_GT(o.metrics.step_time_s, 0);
}

TEST(Evaluate, APointThatCannotRunSaysWhereAndWhy) {
  const PointOutcome o = EvaluateFile("tests/data/points/pp_over_layers.yaml");
  EXPECT_EQ(o.status, PointStatus::kFailed);
  EXPECT_EQ(o.failure_stage, "pipeline");
  EXPECT_NE(o.failure_message.find("parallelism.pp"), std::string::npos) << o.failure_message;
}

TEST(Evaluate, StatusNames) {
  EXPECT_STREQ(PointStatusName(PointStatus::kOk), "ok");
  EXPECT_STREQ(PointStatusName(PointStatus::kFailed), "failed");
  EXPECT_STREQ(PointStatusName(PointStatus::kInfeasible), "infeasible");
}

}  // namespace
}  // namespace astrasweep::exec
