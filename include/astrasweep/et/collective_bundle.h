// The single-collective microbenchmark bundle: one collective of a given
// type and size issued by every member of a group of a point's GPUs, on
// the part of the point's network the group spans. What the hybrid mode
// times each distinct collective of a point with.
#pragma once

#include <cstdint>
#include <string>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/et/node.h"
#include "astrasweep/model/collectives.h"

namespace astrasweep::et {

// The Chakra comm_type of a collective.
CollectiveType ChakraCollective(model::Collective collective);

// The comm_size of a collective that moves `bytes` over `group` ranks, as
// AstraSim reads it: what each rank contributes to an all-gather (its
// result is `group` times comm_size), the whole input of the others.
std::uint64_t CommSize(CollectiveType type, double bytes, std::int64_t group);

struct CollectiveBenchmark {
  model::Collective collective = model::Collective::kAllReduce;
  std::uint64_t bytes = 0;  // per rank, as the collective's comm_size
  // The group: ranks {stride * i, i < size} of the point (rank layout of
  // the README: tensor-parallel fastest).
  std::int64_t stride = 1;
  std::int64_t size = 1;
};

// The bundle's network: for each dimension the group spans, that
// dimension's topology, bandwidth and latency with the group's share of
// its NPUs. A group that spans no dimension (one member) is an error.
Expected<std::vector<config::NetworkDimension>> BenchmarkNetwork(
    const config::Config& config, const CollectiveBenchmark& benchmark);

// Writes the bundle into `to`: ranks 0..size-1, each with one
// COMM_COLL_NODE (id 0, named for what it is), and AstraSim's files.
Status WriteCollectiveBundle(const config::Config& config, const CollectiveBenchmark& benchmark,
                             const BundleDestination& to);

}  // namespace astrasweep::et
