// The analytical scheduler: a deterministic discrete-event simulation of a
// graph. Streams run their nodes one at a time in order, so a node starts
// at the later of the finish of its stream predecessor and of its last
// dependency; streams overlap freely. Processing nodes in topological order
// with those two rules gives exactly the event times of such a simulation
// in O(nodes + edges).
#pragma once

#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/graph/graph.h"

namespace astrasweep::graph {

struct Schedule {
  std::vector<double> start, finish;  // seconds, per node
  // The dependency whose finish let each node start (-1: none, or its
  // stream predecessor), to attribute waiting to communication or bubble.
  std::vector<NodeId> binding;
  double makespan = 0;
};

// Fails, naming a node, when the graph has a cycle or a dangling edge.
Expected<Schedule> Simulate(const Graph& graph);

// One stage's device over the step (the makespan). Its time splits exactly
// into compute + exposed_comm + bubble:
//   compute       kernels on its compute stream;
//   exposed_comm  the blocking tensor-parallel communication inside them,
//                 the part of each idle gap before a compute node during
//                 which the communication node it waits for (a transfer or
//                 a collective) was running, and the tail after its last
//                 kernel while its own communication finishes;
//   bubble        the rest: waiting for other stages' compute, and idling
//                 until the slowest stage finishes.
// tp/pp/dp_comm are the totals of its communication, overlapped or not
// (pp: the transfers it sends).
struct StageTimeline {
  std::int32_t stage = 0;
  std::int32_t rank = 0;
  double finish = 0;
  double compute = 0;
  double tp_comm = 0;
  double pp_comm = 0;
  double dp_comm = 0;
  double exposed_comm = 0;
  double bubble = 0;
};

std::vector<StageTimeline> AnalyzeStages(const Graph& graph, const Schedule& schedule);

}  // namespace astrasweep::graph
