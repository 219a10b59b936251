// The graph IR every mode schedules or emits: nodes are compute kernels
// (a transformer layer range of one micro-batch, the embedding, the
// optimizer) or communication (a send/recv between stages, a collective),
// edges are dependencies, and every node runs on one stream. A stream runs
// its nodes one at a time in the order they were added, like a CUDA stream;
// streams run concurrently. The pipeline schedule is therefore the order of
// the nodes on each stage's compute stream.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/model/collectives.h"

namespace astrasweep::graph {

using NodeId = std::int32_t;
using StreamId = std::int32_t;

enum class NodeKind : std::uint8_t { kCompute, kSendRecv, kCollective };
enum class Direction : std::uint8_t { kNone, kForward, kBackward };
// Which parallelism a communication node (or a compute node's blocking
// communication) belongs to.
enum class Traffic : std::uint8_t { kNone, kTensor, kPipeline, kData };
enum class StreamKind : std::uint8_t { kCompute, kPipelineLink, kDataParallel };

const char* NodeKindName(NodeKind k);
const char* DirectionName(Direction d);
const char* TrafficName(Traffic t);

struct Node {
  NodeKind kind = NodeKind::kCompute;
  Direction direction = Direction::kNone;
  Traffic traffic = Traffic::kNone;
  model::Collective collective = model::Collective::kAllReduce;  // kCollective
  StreamId stream = 0;
  std::int32_t stage = -1;
  std::int32_t chunk = -1;  // model chunk (virtual stage) on the stage
  std::int32_t microbatch = -1;
  std::int32_t layer_begin = -1;  // transformer layers [begin, end); -1: none
  std::int32_t layer_end = -1;
  std::int32_t rank = -1;    // NPU it runs on (the stage's tp 0, dp 0 GPU); sender
  std::int32_t peer = -1;    // receiver of a send/recv
  double duration = 0;       // seconds, including blocking communication
  double blocking_comm = 0;  // of which: tensor-parallel communication (compute nodes)
  // Compute nodes with ZeRO 3: the data-parallel traffic they run layer by
  // layer beside their kernels, and the part of it they wait for (in
  // duration).
  double dp_comm = 0;
  double blocking_dp = 0;
  double flops = 0;          // compute nodes, per GPU
  double bytes = 0;          // communication nodes, per GPU
  const char* name = "";     // a static string: "forward", "send_forward", "dp_reduce", ...
};

struct Stream {
  StreamKind kind = StreamKind::kCompute;
  std::int32_t stage = -1;
  std::int32_t peer_stage = -1;  // pipeline links: the receiving stage
};

class Graph {
 public:
  StreamId AddStream(Stream stream);
  NodeId Add(const Node& node);
  // `node` cannot start before `dependency` has finished.
  void AddDependency(NodeId node, NodeId dependency);
  void Reserve(std::size_t nodes, std::size_t edges);
  // Empties the graph, keeping its memory for the next one.
  void Clear();

  std::size_t size() const { return nodes_.size(); }
  const Node& node(NodeId id) const { return nodes_[static_cast<std::size_t>(id)]; }
  Node& node(NodeId id) { return nodes_[static_cast<std::size_t>(id)]; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<Stream>& streams() const { return streams_; }
  // Dependencies as (node, dependency) pairs, in the order they were added.
  const std::vector<std::pair<NodeId, NodeId>>& edges() const { return edges_; }

  // A readable name: "forward stage 3 chunk 0 mb 7 layers 24-29".
  std::string Label(NodeId id) const;

  // Edges to nodes that do not exist, nodes on streams that do not exist,
  // negative durations, and cycles (through dependencies and stream order),
  // each error naming a node.
  Status Validate() const;
  // An order in which every node follows its dependencies and its stream
  // predecessor; an error naming a node on a cycle otherwise.
  Expected<std::vector<NodeId>> TopologicalOrder() const;
  // Graphviz text: nodes labelled with name and duration, dependencies as
  // edges, stream order dotted.
  std::string ToDot() const;

 private:
  std::vector<Node> nodes_;
  std::vector<Stream> streams_;
  std::vector<std::pair<NodeId, NodeId>> edges_;
};

// Successor lists in compressed form, built once from a graph's edges and
// stream order; what topological sort and the scheduler walk.
struct Adjacency {
  std::vector<std::int32_t> offsets;   // size() + 1
  std::vector<NodeId> successors;      // dependency edges
  std::vector<NodeId> stream_next;     // next node on the same stream, or -1
  std::vector<std::int32_t> indegree;  // dependencies + stream predecessor
  std::span<const NodeId> Successors(NodeId id) const {
    const auto i = static_cast<std::size_t>(id);
    return {successors.data() + offsets[i], successors.data() + offsets[i + 1]};
  }
};
// Fails on a dangling edge or a node on an unknown stream.
Expected<Adjacency> BuildAdjacency(const Graph& graph);

// Kahn's walk, first ready first (so deterministic): calls visit(id) for
// each node once its dependencies and stream predecessor have been visited,
// and returns the nodes in that order. It consumes adjacency.indegree. A
// walk shorter than the graph means a cycle: see CycleError. What
// Graph::TopologicalOrder and the scheduler both use.
template <typename Visit>
std::vector<NodeId> WalkTopological(Adjacency& adjacency, Visit&& visit) {
  auto& indegree = adjacency.indegree;
  std::vector<NodeId> order;
  order.reserve(indegree.size());
  for (NodeId id = 0; id < static_cast<NodeId>(indegree.size()); ++id)
    if (indegree[static_cast<std::size_t>(id)] == 0) order.push_back(id);
  for (std::size_t head = 0; head < order.size(); ++head) {
    const NodeId id = order[head];
    visit(id);
    for (NodeId s : adjacency.Successors(id))
      if (--indegree[static_cast<std::size_t>(s)] == 0) order.push_back(s);
    const NodeId next = adjacency.stream_next[static_cast<std::size_t>(id)];
    if (next >= 0 && --indegree[static_cast<std::size_t>(next)] == 0) order.push_back(next);
  }
  return order;
}

// The error for a walk that stopped short: names the nodes of a cycle.
Error CycleError(const Graph& graph, const Adjacency& adjacency,
                 const std::vector<NodeId>& visited);

}  // namespace astrasweep::graph
