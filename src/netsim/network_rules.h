// The builtin simulator's rules that the fold's check (fold.cc) relies on,
// shared with the engine (builtin.cc) so the two cannot disagree: where a
// rank sits on the network, what a message between two ranks crosses, and
// what a comm group's collective runs with.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <vector>

#include "astrasweep/et/astrasim_config.h"
#include "astrasweep/et/node.h"

namespace astrasweep::netsim {

// Each dimension's stride among the ranks (the first dimension fastest).
std::vector<int> Strides(const std::vector<et::AstraDimension>& network);

// The ranks of the line through `rank` along a dimension of `npus` ranks
// at `stride`, in coordinate order.
std::vector<int> DimensionLine(int rank, int npus, int stride);

// What a congestion-unaware message is costed on: the first dimension in
// which its endpoints' coordinates differ (network.size() for a rank and
// itself) and its hops there (a Ring the shorter way, a Switch 2,
// FullyConnected 1).
struct Crossing {
  std::size_t dimension = 0;
  int hops = 0;
  bool operator==(const Crossing&) const = default;
};
Crossing CrossingOf(const std::vector<et::AstraDimension>& network, const std::vector<int>& strides,
                    int src, int dst);

// The comm group a collective node runs on: its pg_name as a group id, 0
// without one; or what is wrong with it.
std::expected<int, std::string> CommGroupOf(const et::Node& node);

// One ring in the group's listed order, with the network's one dimension's
// implementation, or a plain ring when the network has several (as
// AstraSim does).
et::AstraImplementation GroupImplementation(
    const std::vector<et::AstraImplementation>& per_dimension);

}  // namespace astrasweep::netsim
