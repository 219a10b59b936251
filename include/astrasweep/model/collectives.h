// Analytical collective times over the multi-dimensional network of a
// config. Each formula is written once, in collectives.cc, per algorithm and
// collective on one dimension; a collective spanning several dimensions runs
// dimension by dimension (reduce-scatter innermost first, all-gather in
// reverse), as AstraSim's hierarchical collectives do.
//
// Terms: n NPUs take part in a dimension, S is the collective's buffer size
// in bytes per NPU before any split (the full gradient for an all-reduce,
// the gathered result for an all-gather), B the per-NPU link bandwidth in
// bytes/s, a the per-step latency in seconds.
#pragma once

#include <cstdint>
#include <vector>

#include "astrasweep/config/config.h"

namespace astrasweep::model {

enum class Collective { kAllReduce, kAllGather, kReduceScatter, kAllToAll };

const char* CollectiveName(Collective c);

// A group's share of one network dimension.
struct DimensionShare {
  std::size_t dimension = 0;
  std::int64_t npus = 1;  // group members that differ in this dimension
};

// One part of a group of ranks: `size` members `stride` apart.
struct GroupPart {
  std::int64_t stride = 1;
  std::int64_t size = 1;
};

// A group of ranks made of parts: {sum over k of stride_k * i_k, i_k < size_k}.
// Most groups are one part; Megatron's data-parallel group with context
// parallelism is two, the cp ranks (stride tp) and the replicas (stride
// tp cp pp).
using RankGroup = std::vector<GroupPart>;

// The same group with its one-member parts dropped and each part that
// continues the one before it (stride = that part's stride * size) merged
// into it: a group that is one strided run comes out as one part.
RankGroup Simplified(const RankGroup& group);

// The dimensions a group of ranks spans, innermost first, leaving out
// dimensions where it has one member, with the members it has in each.
// Ranks fill the dimensions innermost first (README.md, "A point config").
std::vector<DimensionShare> GroupShares(const std::vector<config::NetworkDimension>& network,
                                        const RankGroup& group);
// The group {stride * i, i < size}.
std::vector<DimensionShare> GroupShares(const std::vector<config::NetworkDimension>& network,
                                        std::int64_t stride, std::int64_t size);

// One dimension, one algorithm (kAuto resolved by ResolveAlgorithm).
double CollectiveTimeOnDimension(Collective c, config::CollectiveAlgorithm algorithm,
                                 std::int64_t n, double bytes, double bandwidth, double latency);

// kAuto: ring on ring and switch dimensions (bandwidth-optimal, what NCCL
// uses for large messages), direct on fully connected ones. Halving-doubling
// needs a power-of-two n and falls back to ring otherwise.
config::CollectiveAlgorithm ResolveAlgorithm(config::CollectiveAlgorithm requested,
                                             config::Topology topology, std::int64_t n);

// The whole collective over a group's dimensions.
double CollectiveTime(Collective c, double bytes, const std::vector<DimensionShare>& shares,
                      const std::vector<config::NetworkDimension>& network,
                      const config::CollectiveAlgorithms& algorithms);

// Point-to-point transfer between two ranks: the outermost dimension in
// which they differ carries it (the slowest link on the path).
double SendRecvTime(double bytes, std::int64_t rank_a, std::int64_t rank_b,
                    const std::vector<config::NetworkDimension>& network);

}  // namespace astrasweep::model
