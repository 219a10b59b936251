// The collective microbenchmark bundle.
#include "astrasweep/et/collective_bundle.h"

#include <fmt/format.h>

#include <cmath>

#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/bundle.h"

namespace astrasweep::et {
CollectiveType ChakraCollective(model::Collective collective) {
  switch (collective) {
    case model::Collective::kAllReduce: return CollectiveType::kAllReduce;
    case model::Collective::kAllGather: return CollectiveType::kAllGather;
    case model::Collective::kReduceScatter: return CollectiveType::kReduceScatter;
    case model::Collective::kAllToAll: return CollectiveType::kAllToAll;
  }
  return CollectiveType::kInvalid;
}

std::uint64_t CommSize(CollectiveType type, double bytes, std::int64_t group) {
  const double per_rank =
      type == CollectiveType::kAllGather && group > 1 ? bytes / static_cast<double>(group) : bytes;
  return static_cast<std::uint64_t>(std::llround(per_rank));
}

namespace {

Node CollectiveNode(const CollectiveBenchmark& benchmark) {
  Node node{.id = 0,
            .name = fmt::format("{} {} B over {} ranks",
                                CollectiveTypeName(ChakraCollective(benchmark.collective)),
                                benchmark.bytes, benchmark.size),
            .type = NodeType::kCollective};
  node.Set("is_cpu_op", false);
  node.Set("comm_type", std::int64_t{static_cast<int>(ChakraCollective(benchmark.collective))});
  node.Set("comm_size", static_cast<std::int64_t>(benchmark.bytes));
  return node;
}

}  // namespace

Expected<std::vector<config::NetworkDimension>> BenchmarkNetwork(
    const config::Config& config, const CollectiveBenchmark& benchmark) {
  std::vector<config::NetworkDimension> dims;
  for (const auto& share : model::GroupShares(config.network, benchmark.stride, benchmark.size)) {
    config::NetworkDimension dim = config.network[share.dimension];
    dim.npus = share.npus;
    dims.push_back(dim);
  }
  if (dims.empty())
    return InvalidInput(fmt::format("a group of {} rank(s) with stride {} spans no network "
                                    "dimension: there is no collective to simulate",
                                    benchmark.size, benchmark.stride));
  return AstraDimensions(dims);
}

Status WriteCollectiveBundle(const config::Config& config, const CollectiveBenchmark& benchmark,
                             const BundleDestination& to) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const auto dims, BenchmarkNetwork(config, benchmark));
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string system, SystemJson(config, dims));
  ASTRASWEEP_ASSIGN_OR_RETURN(BundleWriter writer,
                              BundleWriter::Create(to, static_cast<int>(benchmark.size)));
  const Node node = CollectiveNode(benchmark);
  for (int rank = 0; rank < benchmark.size; ++rank) {
    ASTRASWEEP_RETURN_IF_ERROR(writer.BeginRank(rank));
    ASTRASWEEP_RETURN_IF_ERROR(writer.Add(node));
  }
  return writer.Finish({.network_yml = NetworkYaml(dims),
                        .system_json = std::move(system),
                        .remote_memory_json = RemoteMemoryJson(),
                        .comm_groups = {}});
}

}  // namespace astrasweep::et
