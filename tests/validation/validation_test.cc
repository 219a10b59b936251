// The analytical model against published step times, each run with its
// source and assumptions: megatron_step_times.yaml (Korthikanti et al. 2022)
// and published_runs.yaml (SC21, NeMo on H100). Every prediction within
// its file's `tolerance`, the mean absolute error at most 5%, and the table
// printed with the fitted and held-out runs apart. And published per-GPU
// memory: published_memory.yaml (Korthikanti et al. 2022, Figure 1).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "astrasweep/base/units.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/config/node.h"
#include "astrasweep/config/presets.h"
#include "astrasweep/exec/evaluate.h"
#include "astrasweep/model/memory.h"

namespace astrasweep {
namespace {

struct Errors {
  double fitted = 0, held_out = 0;
  int fitted_runs = 0, held_out_runs = 0;
  double Mean() const { return (fitted + held_out) / (fitted_runs + held_out_runs); }
};

// Predicts every run of `file`, prints it and requires it within the file's
// tolerance; adds its absolute error to the fitted or the held-out total.
void CheckRuns(const std::string& file, Errors& errors) {
  const std::string data = ASTRASWEEP_SOURCE_DIR "/tests/validation/" + file;
  auto root = config::LoadYamlFile(data);
  ASSERT_TRUE(root) << root.error().ToString();
  const config::Node* runs = root->Find("runs");
  ASSERT_TRUE(runs && runs->IsList() && !runs->items().empty());
  const config::Node* tolerance_node = root->Find("tolerance");
  ASSERT_TRUE(tolerance_node) << file << " needs a tolerance (a fraction)";
  const double tolerance = std::stod(tolerance_node->text());
  const auto presets = config::PresetLibrary::ForFileIn(std::filesystem::path(data).parent_path());
  for (const config::Node& run : runs->items()) {
    const config::Node* name = run.Find("name");
    const config::Node* time = run.Find("step_time");
    const config::Node* source = run.Find("source");
    const config::Node* point_node = run.Find("point");
    ASSERT_TRUE(name && time && source && point_node) << "each run needs name, source, step_time "
                                                         "and point";
    SCOPED_TRACE(name->text());
    EXPECT_FALSE(source->text().empty());
    const config::Node* fitted_to = run.Find("fitted_to");
    if (fitted_to != nullptr) {
      EXPECT_TRUE(fitted_to->text() == "gemm_efficiency" ||
                  fitted_to->text() == "gemm_efficiency_fp8" ||
                  fitted_to->text() == "gemm_efficiency_megatron_2021")
          << "fitted_to names the hardware key fitted to the run: " << fitted_to->text();
    }
    auto published = ParseQuantity(time->text(), QuantityKind::kTime);
    ASSERT_TRUE(published) << published.error().ToString();
    auto point = config::BuildPoint(*point_node, presets);
    ASSERT_TRUE(point) << point.error().ToString();
    const exec::PointOutcome outcome = exec::Evaluate(point->config);
    ASSERT_EQ(outcome.status, exec::PointStatus::kOk)
        << "a published run ran, so it fits: " << outcome.failure_message;
    const double predicted = outcome.metrics.step_time_s;
    const double error = predicted / *published - 1;
    std::printf("%-52s %-8s %9.2fs %9.2fs %+7.1f%% %7.1f GiB\n", name->text().c_str(),
                fitted_to ? "fitted" : "held out", *published, predicted, 100 * error,
                outcome.metrics.peak_mem_bytes / (1 << 30));
    EXPECT_LE(std::abs(error), tolerance)
        << "predicted " << predicted << " s against " << *published << " s published";
    (fitted_to ? errors.fitted : errors.held_out) += std::abs(error);
    ++(fitted_to ? errors.fitted_runs : errors.held_out_runs);
  }
}

// Every published run within 12%, and the mean absolute error over all of
// them at most 5% (issue 12). The calibrated GEMM efficiencies were fitted
// to the runs marked `fitted_to` (tests/validation/calibrate); the others
// prove the model, and their mean is printed on its own.
TEST(Validation, PublishedRunsWithinTwelvePercentAndFivePercentOnAverage) {
  Errors errors;
  std::printf("%-52s %-8s %10s %10s %8s %10s\n", "run", "", "published", "predicted", "error",
              "memory");
  CheckRuns("megatron_step_times.yaml", errors);
  CheckRuns("published_runs.yaml", errors);
  const int runs = errors.fitted_runs + errors.held_out_runs;
  std::printf(
      "mean absolute error: %.1f%% over %d runs; %.1f%% over the %d fitted, %.1f%% over "
      "the %d held out\n",
      100 * errors.Mean(), runs, 100 * errors.fitted / errors.fitted_runs, errors.fitted_runs,
      100 * errors.held_out / errors.held_out_runs, errors.held_out_runs);
  EXPECT_GE(runs, 20);
  EXPECT_GT(errors.held_out_runs, errors.fitted_runs) << "most runs prove, few fit";
  EXPECT_LE(errors.Mean(), 0.05);
}

// The published per-GPU memory of published_memory.yaml: the total and the
// activations within the file's tolerance (5%), and the bytes the weights,
// gradients and optimizer keep per parameter (Figure 1 counts 12 l h^2 /
// (t p) parameters, no embedding; the first stage holds one).
TEST(Validation, KorthikantiFigure1MemoryWithinFivePercent) {
  const std::string data = ASTRASWEEP_SOURCE_DIR "/tests/validation/published_memory.yaml";
  auto root = config::LoadYamlFile(data);
  ASSERT_TRUE(root) << root.error().ToString();
  const config::Node* runs = root->Find("runs");
  ASSERT_TRUE(runs && runs->IsList() && runs->items().size() == 8);
  const double tolerance = std::stod(root->Find("tolerance")->text());
  const auto presets = config::PresetLibrary::ForFileIn(std::filesystem::path(data).parent_path());
  const auto gib = [](double bytes) { return bytes / (1 << 30); };
  std::printf("%-48s %21s %21s %21s\n", "run (GiB: published, predicted)", "weights+grads+opt",
              "activations", "total");
  for (const config::Node& run : runs->items()) {
    const config::Node* name = run.Find("name");
    const config::Node* states_node = run.Find("weights_gradients_optimizer");
    const config::Node* activations_node = run.Find("activations");
    const config::Node* point_node = run.Find("point");
    ASSERT_TRUE(name && states_node && activations_node && point_node)
        << "each run needs name, weights_gradients_optimizer, activations and point";
    SCOPED_TRACE(name->text());
    auto states = ParseQuantity(states_node->text(), QuantityKind::kBytes);
    auto activations = ParseQuantity(activations_node->text(), QuantityKind::kBytes);
    ASSERT_TRUE(states && activations);
    auto point = config::BuildPoint(*point_node, presets);
    ASSERT_TRUE(point) << point.error().ToString();
    const model::MemoryBreakdown memory = exec::Evaluate(point->config).memory;
    const double predicted_states = memory.weights + memory.gradients + memory.optimizer;
    const double total = *states + *activations;
    std::printf("%-48s %6.1f %6.1f %+6.1f%% %6.1f %6.1f %+6.1f%% %6.1f %6.1f %+6.1f%%\n",
                name->text().c_str(), gib(*states), gib(predicted_states),
                100 * (predicted_states / *states - 1), gib(*activations), gib(memory.activations),
                100 * (memory.activations / *activations - 1), gib(total), gib(memory.total),
                100 * (memory.total / total - 1));
    EXPECT_NEAR(memory.total / total, 1, tolerance);
    EXPECT_NEAR(memory.activations / *activations, 1, tolerance);
    const config::Config& c = point->config;
    const auto layers = static_cast<double>(c.model.layers);
    const auto hidden = static_cast<double>(c.model.hidden);
    const double figure_parameters =
        12 * layers * hidden * hidden / static_cast<double>(c.parallelism.tp * c.parallelism.pp);
    EXPECT_NEAR((predicted_states / memory.parameters) / (*states / figure_parameters), 1,
                tolerance)
        << predicted_states / memory.parameters << " bytes per parameter against "
        << *states / figure_parameters << " published";
  }
}

}  // namespace
}  // namespace astrasweep
