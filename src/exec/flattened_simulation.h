// full_astrasim_flattened's simulation. With the builtin simulator and
// congestion-unaware links, the flattened workload's symmetry (tensor-
// parallel ranks and data-parallel replicas interchangeable) usually holds,
// and then only one rank per pipeline stage is built, in memory, and
// simulated (netsim/fold.h): the answer is the whole bundle's, exactly.
// Where the fold does not hold (the log says why, at debug level), or the
// bundle is to be kept or run by AstraSim, the whole bundle is written and
// simulated.
#pragma once

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/exec/simulation.h"
#include "astrasweep/netsim/simulator.h"

namespace astrasweep::exec {

Expected<netsim::SimResult> SimulateFlattened(const config::Config& config,
                                              SimulationCounts& counts);

}  // namespace astrasweep::exec
