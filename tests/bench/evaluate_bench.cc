// Benchmarks of analytical evaluation: points per second per core on the
// quickstart sweep (building each point's config from the spec, then
// evaluating it; and evaluating prebuilt configs), on the prebuilt configs
// of the 1T search space of the Calculon comparison, and on one large point,
// a 1T-parameter GPT on 3072 GPUs (tests/bench/data/gpt-1t-3072.yaml).
// Run by tests/bench/run_evaluate_bench; figures go into the issue notes.
#include <benchmark/benchmark.h>

#include <stdexcept>

#include "astrasweep/config/loader.h"
#include "astrasweep/exec/evaluate.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep {
namespace {

const std::string kRoot = ASTRASWEEP_SOURCE_DIR;

sweep::Expander Open(const std::string& spec) {
  auto e = sweep::OpenSweep(kRoot + "/" + spec);
  if (!e) throw std::runtime_error(e.error().ToString());
  return std::move(*e);
}

sweep::Expander Quickstart() { return Open("sweeps/quickstart.yaml"); }

// Every valid quickstart point: index -> config -> evaluation.
void BM_QuickstartEndToEnd(benchmark::State& state) {
  sweep::Expander e = Quickstart();
  std::uint64_t points = 0;
  for (auto _ : state) {
    e.ForEachValid(0, e.total(), [&](std::uint64_t index) {
      auto point = e.Materialize(index);
      if (!point) throw std::runtime_error(point.error().ToString());
      auto outcome = exec::Evaluate(point->point.config);
      benchmark::DoNotOptimize(outcome.metrics.step_time_s);
      ++points;
      return true;
    });
  }
  state.counters["points_per_s"] =
      benchmark::Counter(static_cast<double>(points), benchmark::Counter::kIsRate);
}

// A sweep's points with their configs built beforehand: the model alone.
void EvaluateOnly(benchmark::State& state, const std::string& spec) {
  sweep::Expander e = Open(spec);
  std::vector<config::Config> configs;
  e.ForEachValid(0, e.total(), [&](std::uint64_t index) {
    configs.push_back(e.Materialize(index)->point.config);
    return true;
  });
  std::uint64_t points = 0;
  for (auto _ : state) {
    for (const auto& c : configs) {
      auto outcome = exec::Evaluate(c);
      benchmark::DoNotOptimize(outcome.metrics.step_time_s);
      ++points;
    }
  }
  state.counters["points_per_s"] =
      benchmark::Counter(static_cast<double>(points), benchmark::Counter::kIsRate);
}

void BM_QuickstartEvaluateOnly(benchmark::State& state) {
  EvaluateOnly(state, "sweeps/quickstart.yaml");
}

// The 1T search space of the Calculon comparison (8736 points).
void BM_1TSearchEvaluateOnly(benchmark::State& state) {
  EvaluateOnly(state, "tests/data/sweeps/gpt1t-3072-search.yaml");
}

void BM_Gpt1T3072Gpus(benchmark::State& state) {
  auto point = config::LoadPointFile(kRoot + "/tests/bench/data/gpt-1t-3072.yaml");
  if (!point) throw std::runtime_error(point.error().ToString());
  std::size_t nodes = 0;
  for (auto _ : state) {
    auto outcome = exec::Evaluate(point->config);
    benchmark::DoNotOptimize(outcome.metrics.step_time_s);
    nodes = static_cast<std::size_t>(outcome.scheduled_nodes);
  }
  state.counters["points_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["scheduled_nodes"] = static_cast<double>(nodes);
}

BENCHMARK(BM_QuickstartEndToEnd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_QuickstartEvaluateOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_1TSearchEvaluateOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gpt1T3072Gpus)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace astrasweep

BENCHMARK_MAIN();
