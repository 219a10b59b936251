// The collective formulas. Per dimension with n NPUs, buffer S, link
// bandwidth B and step latency a:
//
//   ring           reduce-scatter, all-gather: (n-1) steps of S/n
//                      T = (n-1) * (a + S / (n B))
//                  all-reduce = reduce-scatter + all-gather
//                  all-to-all: (n-1) steps of S/n, as reduce-scatter
//   direct         every NPU sends its n-1 chunks of S/n at once
//                      T = a + (n-1) S / (n B);  all-reduce twice that
//   halving-doubling  log2(n) steps whose sizes halve
//                      T = log2(n) a + (n-1) S / (n B);  all-reduce twice
//   double binary tree (all-reduce only; others use ring)
//                  reduce up and broadcast down two trees, each with half
//                  the data, pipelined:  T = 2 log2(n) a + 2 S / B
//
// Across dimensions, a reduce-scatter or all-reduce first reduce-scatters
// innermost dimension first, each on the previous result (S / n0, then
// S / (n0 n1), ...); all-gather goes in reverse; an all-reduce does both.
// An all-to-all runs per dimension on the full buffer.
#include "astrasweep/model/collectives.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace astrasweep::model {
namespace {

using config::CollectiveAlgorithm;

double Ring(std::int64_t n, double bytes, double bw, double a) {
  const double nn = static_cast<double>(n);
  return (nn - 1) * (a + bytes / (nn * bw));
}

double Direct(std::int64_t n, double bytes, double bw, double a) {
  const double nn = static_cast<double>(n);
  return a + (nn - 1) * bytes / (nn * bw);
}

double HalvingDoubling(std::int64_t n, double bytes, double bw, double a) {
  const double nn = static_cast<double>(n);
  return std::log2(nn) * a + (nn - 1) * bytes / (nn * bw);
}

double DoubleBinaryTree(std::int64_t n, double bytes, double bw, double a) {
  return 2 * std::log2(static_cast<double>(n)) * a + 2 * bytes / bw;
}

bool IsPowerOfTwo(std::int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

config::CollectiveAlgorithm AlgorithmFor(Collective c, const config::CollectiveAlgorithms& a) {
  switch (c) {
    case Collective::kAllReduce: return a.all_reduce;
    case Collective::kAllGather: return a.all_gather;
    case Collective::kReduceScatter: return a.reduce_scatter;
    case Collective::kAllToAll: return a.all_to_all;
  }
  return CollectiveAlgorithm::kAuto;
}

}  // namespace

const char* CollectiveName(Collective c) {
  switch (c) {
    case Collective::kAllReduce: return "all_reduce";
    case Collective::kAllGather: return "all_gather";
    case Collective::kReduceScatter: return "reduce_scatter";
    case Collective::kAllToAll: return "all_to_all";
  }
  return "?";
}

RankGroup Simplified(const RankGroup& group) {
  RankGroup out;
  for (const GroupPart& part : group) {
    if (part.size <= 1) continue;
    if (!out.empty() && part.stride == out.back().stride * out.back().size)
      out.back().size *= part.size;
    else
      out.push_back(part);
  }
  return out;
}

namespace {

// GroupShares worked out: every member's digit in every dimension.
std::vector<DimensionShare> CountShares(const std::vector<config::NetworkDimension>& network,
                                        const RankGroup& group) {
  std::vector<std::int64_t> members{0};
  for (const GroupPart& part : group) {
    std::vector<std::int64_t> grown;
    grown.reserve(members.size() * static_cast<std::size_t>(std::max<std::int64_t>(part.size, 1)));
    for (std::int64_t i = 0; i < part.size; ++i)
      for (std::int64_t member : members) grown.push_back(member + part.stride * i);
    members = std::move(grown);
  }
  std::vector<DimensionShare> shares;
  std::int64_t below = 1;  // NPUs in the dimensions inside this one
  for (std::size_t d = 0; d < network.size(); ++d) {
    const std::int64_t n = network[d].npus;
    std::vector<bool> seen(static_cast<std::size_t>(n));
    std::int64_t digits = 0;
    for (std::size_t i = 0; i < members.size() && digits < n; ++i) {
      const auto digit = static_cast<std::size_t>((members[i] / below) % n);
      if (!seen[digit]) ++digits;
      seen[digit] = true;
    }
    if (digits > 1) shares.push_back({d, digits});
    below *= n;
  }
  return shares;
}

// The shares of the groups met lately, per thread: a point asks for the
// same few groups again and again, and a sweep's points for the same
// groups on the same network, while counting them visits every member of
// groups of thousands.
class KnownShares {
 public:
  const std::vector<DimensionShare>& Of(const std::vector<config::NetworkDimension>& network,
                                        const RankGroup& group) {
    for (const Entry& e : entries_)
      if (Same(e, network, group)) return e.shares;
    if (entries_.size() == kKept) entries_.pop_back();
    Entry e;
    for (const auto& dim : network) e.npus.push_back(dim.npus);
    e.group = group;
    e.shares = CountShares(network, group);
    entries_.insert(entries_.begin(), std::move(e));
    return entries_.front().shares;
  }

 private:
  static constexpr std::size_t kKept = 32;
  struct Entry {
    std::vector<std::int64_t> npus;
    RankGroup group;
    std::vector<DimensionShare> shares;
  };
  static bool Same(const Entry& e, const std::vector<config::NetworkDimension>& network,
                   const RankGroup& group) {
    if (e.npus.size() != network.size() || e.group.size() != group.size()) return false;
    for (std::size_t d = 0; d < network.size(); ++d)
      if (e.npus[d] != network[d].npus) return false;
    for (std::size_t i = 0; i < group.size(); ++i)
      if (e.group[i].stride != group[i].stride || e.group[i].size != group[i].size) return false;
    return true;
  }
  std::vector<Entry> entries_;  // most recent first
};

}  // namespace

std::vector<DimensionShare> GroupShares(const std::vector<config::NetworkDimension>& network,
                                        const RankGroup& group) {
  thread_local KnownShares known;
  return known.Of(network, group);
}

std::vector<DimensionShare> GroupShares(const std::vector<config::NetworkDimension>& network,
                                        std::int64_t stride, std::int64_t size) {
  return GroupShares(network, RankGroup{{.stride = stride, .size = size}});
}

config::CollectiveAlgorithm ResolveAlgorithm(CollectiveAlgorithm requested,
                                             config::Topology topology, std::int64_t n) {
  if (requested == CollectiveAlgorithm::kHalvingDoubling && !IsPowerOfTwo(n))
    return CollectiveAlgorithm::kRing;
  if (requested != CollectiveAlgorithm::kAuto) return requested;
  return topology == config::Topology::kFullyConnected ? CollectiveAlgorithm::kDirect
                                                       : CollectiveAlgorithm::kRing;
}

double CollectiveTimeOnDimension(Collective c, CollectiveAlgorithm algorithm, std::int64_t n,
                                 double bytes, double bandwidth, double latency) {
  if (n <= 1 || bytes <= 0) return 0;
  // All-reduce is a reduce-scatter then an all-gather, except for the tree.
  const double factor = c == Collective::kAllReduce ? 2.0 : 1.0;
  switch (algorithm) {
    case CollectiveAlgorithm::kDirect: return factor * Direct(n, bytes, bandwidth, latency);
    case CollectiveAlgorithm::kHalvingDoubling:
      return factor * HalvingDoubling(n, bytes, bandwidth, latency);
    case CollectiveAlgorithm::kDoubleBinaryTree:
      if (c == Collective::kAllReduce) return DoubleBinaryTree(n, bytes, bandwidth, latency);
      return Ring(n, bytes, bandwidth, latency);
    case CollectiveAlgorithm::kRing:
    case CollectiveAlgorithm::kAuto: return factor * Ring(n, bytes, bandwidth, latency);
  }
  return 0;
}

double CollectiveTime(Collective c, double bytes, const std::vector<DimensionShare>& shares,
                      const std::vector<config::NetworkDimension>& network,
                      const config::CollectiveAlgorithms& algorithms) {
  const CollectiveAlgorithm requested = AlgorithmFor(c, algorithms);
  auto on = [&](Collective part, const DimensionShare& s, double size) {
    const auto& dim = network[s.dimension];
    return CollectiveTimeOnDimension(part, ResolveAlgorithm(requested, dim.topology, s.npus),
                                     s.npus, size, dim.bandwidth, dim.latency);
  };
  if (c == Collective::kAllToAll) {
    double total = 0;
    for (const auto& s : shares) total += on(c, s, bytes);
    return total;
  }
  // A single dimension keeps its own all-reduce formula (the tree's).
  if (shares.size() == 1) return on(c, shares[0], bytes);
  double total = 0;
  double size = bytes;
  std::vector<double> sizes;  // the buffer each dimension works on
  for (const auto& s : shares) {
    sizes.push_back(size);
    size /= static_cast<double>(s.npus);
  }
  if (c != Collective::kAllGather)
    for (std::size_t i = 0; i < shares.size(); ++i)
      total += on(Collective::kReduceScatter, shares[i], sizes[i]);
  if (c != Collective::kReduceScatter)
    for (std::size_t i = shares.size(); i-- > 0;)
      total += on(Collective::kAllGather, shares[i], sizes[i]);
  return total;
}

double SendRecvTime(double bytes, std::int64_t rank_a, std::int64_t rank_b,
                    const std::vector<config::NetworkDimension>& network) {
  std::int64_t below = 1;
  std::optional<std::size_t> carrier;
  for (std::size_t d = 0; d < network.size(); ++d) {
    const std::int64_t n = network[d].npus;
    if ((rank_a / below) % n != (rank_b / below) % n) carrier = d;  // outermost difference
    below *= n;
  }
  if (!carrier || bytes <= 0) return 0;
  const auto& dim = network[*carrier];
  return dim.latency + bytes / dim.bandwidth;
}

}  // namespace astrasweep::model
