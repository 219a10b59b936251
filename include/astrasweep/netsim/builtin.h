// The builtin network simulator: an in-process replay of an ET bundle with
// the semantics of AstraSim's analytical binaries, so every simulating
// mode works without AstraSim and answers what AstraSim answers.
//
// What it replays, as AstraSim does:
// - per rank, nodes in dependency order (data and control dependencies
//   alike), the ready node with the smallest id first; one node at a time
//   on the compute slot and one on the communication slot (collectives and
//   sends), receives need no slot;
// - a compute node is busy for duration_micros x 1000 ns (at least 1 ns);
// - a send is eager and completes when it is delivered; its receive, paired
//   by (tag, source, destination, size) in issue order, completes then or
//   when posted, whichever is later; neither pays endpoint or memory time;
// - a collective is split into preferred-dataset-splits chunks; each chunk
//   runs its phases (one per network dimension, or reduce-scatter up, one
//   all-reduce, all-gather down with localBWAware) with the dimension's
//   implementation (ring, direct, halvingDoubling, doubleBinaryTree),
//   message by message; every message crosses the endpoint (endpoint-delay,
//   10 ns inside a communicator group) and a reducing step reads and writes
//   local memory (3 x size / local-mem-bw) before it is sent; at most
//   active-chunks-per-dimension chunks run per dimension;
// - a collective with a pg_name runs on its comm group: the whole network
//   when the group holds every rank, else one ring in the listed order;
// - congestion unaware: a message takes hops x latency + size / bandwidth
//   on the first dimension in which its endpoints differ; congestion aware
//   (one dimension, as AstraSim): store and forward along the route, each
//   link serving one message at a time, first come first served.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/et/astrasim_config.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/et/node.h"
#include "astrasweep/netsim/simulator.h"

namespace astrasweep::netsim {

// The configuration of a bundle: network, system and comm groups.
struct Setup {
  std::vector<et::AstraDimension> network;
  et::AstraSystem system;
  std::map<int, std::vector<int>> comm_groups;
  int npus() const;
};

// Reads and checks the configuration files a bundle names (comm groups
// and remote memory are optional).
Expected<Setup> ReadSetup(const BundlePaths& bundle);
// The same from the files' texts (an empty comm_groups text: none).
Expected<Setup> ParseSetup(std::string_view network_yml, std::string_view system_json,
                           std::string_view comm_groups_json);
// The same from a bundle's files held in memory (et::MemoryBundle's, a
// workload's).
Expected<Setup> ParseSetup(const et::BundleConfig& files);

// Every rank's nodes, in rank order.
using Traces = std::vector<std::vector<et::Node>>;

// Simulates the traces on the setup. A trace that cannot finish (a
// dependency on a missing node, a receive no send matches, a collective
// its group does not join) is an error naming the rank and node.
Expected<SimResult> Simulate(const Setup& setup, const Traces& traces, Congestion congestion);

// The same answer from the traces of `fold`'s representatives alone (in
// the order of fold.representatives()), congestion unaware: every rank
// reported, each folded one with its representative's timing.
class FoldMap;
Expected<SimResult> SimulateFolded(const Setup& setup, const FoldMap& fold,
                                   const Traces& representatives);

class BuiltinSimulator final : public NetworkSimulator {
 public:
  std::string Identity(Congestion congestion) const override;
  Expected<SimResult> Run(const BundlePaths& bundle, Congestion congestion) override;
};

}  // namespace astrasweep::netsim
