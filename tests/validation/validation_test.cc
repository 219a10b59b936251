// The analytical model against published step times, each run with its
// source: every prediction within the file's `tolerance`, and the table of
// errors with their mean absolute value printed. megatron_step_times.yaml
// holds the runs the model was calibrated on (within 10%);
// published_runs.yaml the runs beyond them, not fitted to.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "astrasweep/base/units.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/config/node.h"
#include "astrasweep/config/presets.h"
#include "astrasweep/exec/evaluate.h"

namespace astrasweep {
namespace {

void CheckRuns(const std::string& file) {
  const std::string data = ASTRASWEEP_SOURCE_DIR "/tests/validation/" + file;
  auto root = config::LoadYamlFile(data);
  ASSERT_TRUE(root) << root.error().ToString();
  const config::Node* runs = root->Find("runs");
  ASSERT_TRUE(runs && runs->IsList() && !runs->items().empty());
  const config::Node* tolerance_node = root->Find("tolerance");
  ASSERT_TRUE(tolerance_node) << file << " needs a tolerance (a fraction)";
  const double tolerance = std::stod(tolerance_node->text());
  const auto presets = config::PresetLibrary::ForFileIn(std::filesystem::path(data).parent_path());
  double total_error = 0;
  int count = 0;
  std::printf("%-48s %10s %10s %8s %10s\n", "run", "published", "predicted", "error", "memory");
  for (const config::Node& run : runs->items()) {
    const config::Node* name = run.Find("name");
    const config::Node* time = run.Find("step_time");
    const config::Node* source = run.Find("source");
    const config::Node* point_node = run.Find("point");
    ASSERT_TRUE(name && time && source && point_node) << "each run needs name, source, step_time "
                                                         "and point";
    SCOPED_TRACE(name->text());
    EXPECT_FALSE(source->text().empty());
    auto published = ParseQuantity(time->text(), QuantityKind::kTime);
    ASSERT_TRUE(published) << published.error().ToString();
    auto point = config::BuildPoint(*point_node, presets);
    ASSERT_TRUE(point) << point.error().ToString();
    const exec::PointOutcome outcome = exec::Evaluate(point->config);
    ASSERT_EQ(outcome.status, exec::PointStatus::kOk) << outcome.failure_message;
    const double predicted = outcome.metrics.step_time_s;
    const double error = predicted / *published - 1;
    std::printf("%-48s %9.2fs %9.2fs %+7.1f%% %7.1f GiB\n", name->text().c_str(), *published,
                predicted, 100 * error, outcome.metrics.peak_mem_bytes / (1 << 30));
    EXPECT_LE(std::abs(error), tolerance)
        << "predicted " << predicted << " s against " << *published << " s published";
    total_error += std::abs(error);
    ++count;
  }
  std::printf("mean absolute error over %d runs: %.1f%%\n", count, 100 * total_error / count);
}

TEST(Validation, CalibrationRunsWithinTenPercent) { CheckRuns("megatron_step_times.yaml"); }

TEST(Validation, PublishedRunsBeyondTheCalibrationWithinTheirTolerance) {
  CheckRuns("published_runs.yaml");
}

}  // namespace
}  // namespace astrasweep
