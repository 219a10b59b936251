// ET writing speed: nodes encoded and written per second by one rank's
// TraceWriter (target: 2 million per second per core), for the kinds of
// node the builders emit: a compute node with a data dependency, and a
// collective with its attributes and a control dependency.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/et/trace_io.h"

namespace {

using namespace astrasweep;

void WriteNodes(benchmark::State& state) {
  auto dir = TempDir::Create("et-bench");
  const std::string path = (dir->path() / "w.0.et").string();
  et::Node compute{.id = 0, .name = "forward stage 0 mb 0", .type = et::NodeType::kCompute};
  compute.duration_micros = 1234;
  compute.Set("is_cpu_op", false);
  compute.Set("num_ops", std::int64_t{1} << 34);
  et::Node collective{.id = 0, .name = "tp all_reduce", .type = et::NodeType::kCollective};
  collective.Set("is_cpu_op", false);
  collective.Set("comm_type", std::int64_t{0});
  collective.Set("comm_size", std::int64_t{1} << 24);
  collective.Set("pg_name", std::string("1"));
  const std::int64_t nodes = state.range(0);
  for (auto _ : state) {
    auto writer = et::TraceWriter::Create(path, {.version = "0.0.4", .attrs = {}});
    for (std::int64_t i = 0; i < nodes; i += 2) {
      compute.id = static_cast<std::uint64_t>(i);
      compute.data_deps = {static_cast<std::uint64_t>(i > 0 ? i - 1 : 0)};
      (void)writer->Add(compute);
      collective.id = static_cast<std::uint64_t>(i + 1);
      collective.ctrl_deps = {static_cast<std::uint64_t>(i)};
      (void)writer->Add(collective);
    }
    (void)writer->Close();
  }
  state.SetItemsProcessed(state.iterations() * nodes);
  state.counters["bytes_per_node"] = static_cast<double>(std::filesystem::file_size(path)) /
                                     static_cast<double>(nodes);
}
BENCHMARK(WriteNodes)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

void ReadNodes(benchmark::State& state) {
  auto dir = TempDir::Create("et-bench");
  const std::string path = (dir->path() / "w.0.et").string();
  {
    auto writer = et::TraceWriter::Create(path, {.version = "0.0.4", .attrs = {}});
    et::Node node{.id = 0, .name = "tp all_reduce", .type = et::NodeType::kCollective};
    node.Set("comm_type", std::int64_t{0});
    node.Set("comm_size", std::int64_t{1} << 24);
    for (std::int64_t i = 0; i < state.range(0); ++i) {
      node.id = static_cast<std::uint64_t>(i);
      (void)writer->Add(node);
    }
    (void)writer->Close();
  }
  for (auto _ : state) {
    auto reader = et::TraceReader::Open(path);
    et::Node node;
    while (*reader->Next(node)) benchmark::DoNotOptimize(node.id);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(ReadNodes)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
