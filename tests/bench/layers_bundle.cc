// Writes the synthetic bundle of tests/bench/run_netsim_bench: every GPU of
// a point's network runs LAYERS layers of compute followed by an
// all-reduce over all GPUs. The computes are chained by data dependencies
// and each all-reduce depends on its layer's compute only: no control chain
// orders the collectives, so AstraSim holds many ready collectives at once
// and rescans them (the case that makes it slow).
//   layers_bundle CONFIG.yaml OUT_DIR LAYERS COMPUTE_MICROS ALL_REDUCE_BYTES
#include <cstdio>
#include <cstdlib>
#include <string>

#include "astrasweep/config/loader.h"
#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/bundle.h"

namespace {

using namespace astrasweep;

struct Layers {
  std::uint64_t count = 0, compute_micros = 0, all_reduce_bytes = 0;
};

// Node ids: layer i's compute is 2i, its all-reduce 2i + 1.
Status WriteRank(et::BundleWriter& writer, int rank, const Layers& layers) {
  ASTRASWEEP_RETURN_IF_ERROR(writer.BeginRank(rank));
  et::Node compute{.id = 0, .name = "compute", .type = et::NodeType::kCompute};
  compute.duration_micros = layers.compute_micros;
  compute.Set("is_cpu_op", false);
  et::Node all_reduce{.id = 0, .name = "all_reduce", .type = et::NodeType::kCollective};
  all_reduce.Set("is_cpu_op", false);
  all_reduce.Set("comm_type", std::int64_t{static_cast<int>(et::CollectiveType::kAllReduce)});
  all_reduce.Set("comm_size", static_cast<std::int64_t>(layers.all_reduce_bytes));
  for (std::uint64_t i = 0; i < layers.count; ++i) {
    compute.id = 2 * i;
    compute.data_deps.assign(i == 0 ? 0 : 1, 2 * i - 2);
    ASTRASWEEP_RETURN_IF_ERROR(writer.Add(compute));
    all_reduce.id = 2 * i + 1;
    all_reduce.data_deps = {2 * i};
    ASTRASWEEP_RETURN_IF_ERROR(writer.Add(all_reduce));
  }
  return Ok();
}

Status WriteLayersBundle(const std::string& config_path, const std::string& dir,
                         const Layers& layers) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const auto point, config::LoadPointFile(config_path));
  const auto dims = et::AstraDimensions(point.config.network);
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string system, et::SystemJson(point.config, dims));
  int ranks = 1;
  for (const auto& dim : dims) ranks *= static_cast<int>(dim.npus);
  ASTRASWEEP_ASSIGN_OR_RETURN(et::BundleWriter writer, et::BundleWriter::Create(dir, ranks));
  for (int rank = 0; rank < ranks; ++rank)
    ASTRASWEEP_RETURN_IF_ERROR(WriteRank(writer, rank, layers));
  return writer.Finish({.network_yml = et::NetworkYaml(dims),
                        .system_json = std::move(system),
                        .remote_memory_json = et::RemoteMemoryJson(),
                        .comm_groups = {}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s CONFIG.yaml OUT_DIR LAYERS COMPUTE_MICROS ALL_REDUCE_BYTES\n",
                 argv[0]);
    return 2;
  }
  const Layers layers{.count = std::strtoull(argv[3], nullptr, 10),
                      .compute_micros = std::strtoull(argv[4], nullptr, 10),
                      .all_reduce_bytes = std::strtoull(argv[5], nullptr, 10)};
  if (const Status written = WriteLayersBundle(argv[1], argv[2], layers); !written) {
    std::fprintf(stderr, "%s\n", written.error().ToString().c_str());
    return 1;
  }
  return 0;
}
