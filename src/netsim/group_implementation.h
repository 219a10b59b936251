// The builtin simulator's rule for a collective on a comm group short of
// every rank, shared by the engine (builtin.cc) and the fold's check
// (fold.cc) so the two cannot disagree.
#pragma once

#include <vector>

#include "astrasweep/et/astrasim_config.h"

namespace astrasweep::netsim {

// One ring in the group's listed order, with the network's one dimension's
// implementation, or a plain ring when the network has several (as
// AstraSim does).
et::AstraImplementation GroupImplementation(
    const std::vector<et::AstraImplementation>& per_dimension);

}  // namespace astrasweep::netsim
