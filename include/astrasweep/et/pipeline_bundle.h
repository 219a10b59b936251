// The pipeline bundle: the pipeline graph of a point (graph::
// BuildPipelineGraph) as Chakra ET, one rank per pipeline stage and
// data-parallel replica (tensor parallelism folded into each compute
// node's duration, blocking communication included):
//   rank = dp_index * pp + stage   (the README's layout with tp folded)
// - each compute node (a layer range of a micro-batch, the optimizer) is a
//   COMP_NODE of its duration, in microseconds as Chakra holds it;
// - each transfer between stages is a COMM_SEND_NODE on the sender and a
//   COMM_RECV_NODE on the receiver (tag: the transfer's graph node id);
// - each data-parallel collective is a COMM_COLL_NODE over the stage's
//   replicas (pg_name "s+1", comm_groups.json);
// - a graph stream's order (compute, each pipeline link, data parallel) is
//   a chain of control dependencies, the graph's edges data dependencies.
// Node ids are the graph's node ids (a receive: kReceiveIdBase + the
// transfer's id), and node names its labels, so a node says what it is.
#pragma once

#include <cstdint>
#include <string>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/model/step_costs.h"

namespace astrasweep::et {

inline constexpr std::uint64_t kReceiveIdBase = std::uint64_t{1} << 40;

// Writes the bundle into `to`; fails when the point cannot run its
// pipeline (the graph builder's reasons) or has one GPU group only.
Status WritePipelineBundle(const config::Config& config, const BundleDestination& to);
// The same with the step's costs given (full_astrasim: the layers' times
// from the simulated transformer block).
Status WritePipelineBundle(const config::Config& config, const model::StepCosts& costs,
                           const BundleDestination& to);

}  // namespace astrasweep::et
