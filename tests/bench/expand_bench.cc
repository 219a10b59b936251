// Benchmarks of sweep expansion: counting valid points of a 10^8-point spec
// (with pruning, and the worst case without), the first valid points of
// it, and building point configs of the quickstart and the 1T search space. Run by
// tests/bench/run_expand_bench; figures go into the issue notes, never
// into test assertions.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "astrasweep/sweep/expander.h"

namespace astrasweep::sweep {
namespace {

Expander Load(const std::string& relative) {
  auto e = OpenSweep(std::string(ASTRASWEEP_SOURCE_DIR) + "/" + relative);
  if (!e) throw std::runtime_error(e.error().ToString());
  return std::move(*e);
}

double MaxRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

void Count(benchmark::State& state, const char* spec) {
  Expander e = Load(spec);
  CountResult r;
  for (auto _ : state) {
    r = e.Count();
    benchmark::DoNotOptimize(r.valid);
  }
  state.counters["points_per_s"] =
      benchmark::Counter(static_cast<double>(r.total) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.counters["valid"] = static_cast<double>(r.valid);
  state.counters["max_rss_mb"] = MaxRssMb();
}

void BM_Count1e8Pruned(benchmark::State& state) { Count(state, "tests/bench/data/huge_1e8.yaml"); }
void BM_Count1e8Unpruned(benchmark::State& state) {
  Count(state, "tests/bench/data/huge_1e8_unpruned.yaml");
}
void BM_CountQuickstart(benchmark::State& state) { Count(state, "sweeps/quickstart.yaml"); }

// What `expand --limit 10` does: load, compile, find and build 10 points.
void BM_FirstTenOf1e8(benchmark::State& state) {
  for (auto _ : state) {
    Expander e = Load("tests/bench/data/huge_1e8.yaml");
    int built = 0;
    e.ForEachValid(0, e.total(), [&](std::uint64_t i) {
      auto p = e.Materialize(i);
      built += p ? 1 : 0;
      benchmark::DoNotOptimize(p);
      return built < 10;
    });
  }
  state.counters["max_rss_mb"] = MaxRssMb();
}

// Index -> resolved config (canonical text and id), the valid points in
// index order, as a run takes them.
void Materialize(benchmark::State& state, const char* spec) {
  Expander e = Load(spec);
  std::vector<std::uint64_t> valid;
  e.ForEachValid(0, e.total(), [&](std::uint64_t i) {
    valid.push_back(i);
    return true;
  });
  std::size_t k = 0;
  for (auto _ : state) {
    auto p = e.Materialize(valid[k++ % valid.size()]);
    benchmark::DoNotOptimize(p);
  }
  state.counters["points_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_MaterializeQuickstart(benchmark::State& state) {
  Materialize(state, "sweeps/quickstart.yaml");
}
// The 1T search space of the Calculon comparison (8736 points).
void BM_Materialize1TSearch(benchmark::State& state) {
  Materialize(state, "tests/data/sweeps/gpt1t-3072-search.yaml");
}

BENCHMARK(BM_Count1e8Pruned)->Unit(benchmark::kMillisecond)->MinTime(2);
BENCHMARK(BM_Count1e8Unpruned)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(BM_CountQuickstart)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FirstTenOf1e8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaterializeQuickstart)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Materialize1TSearch)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace astrasweep::sweep

BENCHMARK_MAIN();
