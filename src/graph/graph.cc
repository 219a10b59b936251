// Graph bookkeeping: adjacency, validation, topological order, DOT.
#include "astrasweep/graph/graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace astrasweep::graph {
namespace {

std::size_t U(std::int32_t i) { return static_cast<std::size_t>(i); }

Error GraphError(std::string message) { return Error(ErrorCode::kInternal, std::move(message)); }

// Walks back from `start` through predecessors that were never ordered
// until a node repeats, and names the cycle.
std::string DescribeCycle(const Graph& g, const std::vector<char>& done,
                          const std::vector<NodeId>& stream_prev, NodeId start) {
  std::vector<std::vector<NodeId>> preds(g.size());
  for (const auto& [node, dep] : g.edges()) preds[U(node)].push_back(dep);
  std::vector<NodeId> path;
  std::unordered_map<NodeId, std::size_t> seen;
  NodeId at = start;
  while (!seen.contains(at)) {
    seen[at] = path.size();
    path.push_back(at);
    NodeId next = -1;
    for (NodeId p : preds[U(at)])
      if (!done[U(p)]) {
        next = p;
        break;
      }
    if (next < 0 && stream_prev[U(at)] >= 0 && !done[U(stream_prev[U(at)])])
      next = stream_prev[U(at)];
    if (next < 0) break;  // cannot happen: every unordered node waits on one
    at = next;
  }
  std::string text;
  const std::size_t from = seen.contains(at) ? seen[at] : 0;
  for (std::size_t i = path.size(); i-- > from;) {
    if (!text.empty()) text += " -> ";
    text += "'" + g.Label(path[i]) + "'";
  }
  return text;
}

}  // namespace

const char* NodeKindName(NodeKind k) {
  switch (k) {
    case NodeKind::kCompute: return "compute";
    case NodeKind::kSendRecv: return "send_recv";
    case NodeKind::kCollective: return "collective";
  }
  return "?";
}

const char* DirectionName(Direction d) {
  switch (d) {
    case Direction::kNone: return "none";
    case Direction::kForward: return "forward";
    case Direction::kBackward: return "backward";
  }
  return "?";
}

const char* TrafficName(Traffic t) {
  switch (t) {
    case Traffic::kNone: return "none";
    case Traffic::kTensor: return "tensor";
    case Traffic::kPipeline: return "pipeline";
    case Traffic::kData: return "data";
  }
  return "?";
}

StreamId Graph::AddStream(Stream stream) {
  streams_.push_back(stream);
  return static_cast<StreamId>(streams_.size() - 1);
}

NodeId Graph::Add(const Node& node) {
  nodes_.push_back(node);
  return static_cast<NodeId>(nodes_.size() - 1);
}

void Graph::AddDependency(NodeId node, NodeId dependency) { edges_.emplace_back(node, dependency); }

void Graph::Clear() {
  nodes_.clear();
  streams_.clear();
  edges_.clear();
}

void Graph::Reserve(std::size_t nodes, std::size_t edges) {
  nodes_.reserve(nodes);
  edges_.reserve(edges);
}

std::string Graph::Label(NodeId id) const {
  if (id < 0 || U(id) >= nodes_.size()) return fmt::format("#{} (no such node)", id);
  const Node& n = node(id);
  std::string label = fmt::format("{} #{}", n.name, id);
  if (n.stage >= 0) label += fmt::format(" stage {}", n.stage);
  if (n.chunk > 0) label += fmt::format(" chunk {}", n.chunk);
  if (n.microbatch >= 0) label += fmt::format(" mb {}", n.microbatch);
  if (n.layer_begin >= 0) {
    label += n.layer_end - n.layer_begin == 1
                 ? fmt::format(" layer {}", n.layer_begin)
                 : fmt::format(" layers {}-{}", n.layer_begin, n.layer_end - 1);
  }
  if (n.kind == NodeKind::kSendRecv) label += fmt::format(" npu {} -> {}", n.rank, n.peer);
  return label;
}

Expected<Adjacency> BuildAdjacency(const Graph& g) {
  const std::size_t n = g.size();
  const auto count = static_cast<NodeId>(n);
  Adjacency adj;
  adj.offsets.assign(n + 1, 0);
  adj.indegree.assign(n, 0);
  adj.stream_next.assign(n, -1);
  for (const auto& [node, dep] : g.edges()) {
    if (node < 0 || node >= count)
      return std::unexpected(GraphError(fmt::format(
          "a dependency names node #{}, which does not exist (the graph has {} nodes)", node, n)));
    if (dep < 0 || dep >= count)
      return std::unexpected(GraphError(fmt::format(
          "node '{}' depends on node #{}, which does not exist (the graph has {} nodes)",
          g.Label(node), dep, n)));
    ++adj.offsets[U(dep) + 1];
    ++adj.indegree[U(node)];
  }
  for (std::size_t i = 0; i < n; ++i) adj.offsets[i + 1] += adj.offsets[i];
  adj.successors.resize(g.edges().size());
  std::vector<std::int32_t> fill(adj.offsets.begin(), adj.offsets.end() - 1);
  for (const auto& [node, dep] : g.edges()) adj.successors[U(fill[U(dep)]++)] = node;
  std::vector<NodeId> last(g.streams().size(), -1);
  for (NodeId id = 0; id < count; ++id) {
    const StreamId s = g.node(id).stream;
    if (s < 0 || U(s) >= last.size())
      return std::unexpected(GraphError(fmt::format(
          "node '{}' runs on stream {}, which does not exist (the graph has {} streams)",
          g.Label(id), s, last.size())));
    if (last[U(s)] >= 0) {
      adj.stream_next[U(last[U(s)])] = id;
      ++adj.indegree[U(id)];
    }
    last[U(s)] = id;
  }
  return adj;
}

Error CycleError(const Graph& g, const Adjacency& adj, const std::vector<NodeId>& visited) {
  const std::size_t n = g.size();
  std::vector<char> done(n, 0);
  for (NodeId id : visited) done[U(id)] = 1;
  std::vector<NodeId> stream_prev(n, -1);
  for (NodeId id = 0; id < static_cast<NodeId>(n); ++id)
    if (adj.stream_next[U(id)] >= 0) stream_prev[U(adj.stream_next[U(id)])] = id;
  NodeId stuck = 0;
  while (stuck < static_cast<NodeId>(n) && done[U(stuck)]) ++stuck;
  return GraphError(fmt::format("the graph has a cycle ({} of {} nodes can never start): {}",
                                n - visited.size(), n, DescribeCycle(g, done, stream_prev, stuck)));
}

Expected<std::vector<NodeId>> Graph::TopologicalOrder() const {
  ASTRASWEEP_ASSIGN_OR_RETURN(Adjacency adj, BuildAdjacency(*this));
  std::vector<NodeId> order = WalkTopological(adj, [](NodeId) {});
  if (order.size() != size()) return std::unexpected(CycleError(*this, adj, order));
  return order;
}

Status Graph::Validate() const {
  for (NodeId id = 0; id < static_cast<NodeId>(size()); ++id) {
    const Node& n = node(id);
    if (!(n.duration >= 0) || !std::isfinite(n.duration))
      return std::unexpected(
          GraphError(fmt::format("node '{}' has duration {} s", Label(id), n.duration)));
  }
  ASTRASWEEP_ASSIGN_OR_RETURN(auto order, TopologicalOrder());
  (void)order;
  return Ok();
}

std::string Graph::ToDot() const {
  std::string dot = "digraph astrasweep {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n";
  for (NodeId id = 0; id < static_cast<NodeId>(size()); ++id) {
    const Node& n = node(id);
    const char* shape = n.kind == NodeKind::kCompute ? "box" : "ellipse";
    std::string detail = n.kind == NodeKind::kCompute
                             ? fmt::format("{:.4g} ms", n.duration * 1e3)
                             : fmt::format("{:.4g} MB, {:.4g} ms", n.bytes / 1e6, n.duration * 1e3);
    dot += fmt::format("  n{} [shape={}, label=\"{}\\n{}\"];\n", id, shape, Label(id), detail);
  }
  for (const auto& [node, dep] : edges_) dot += fmt::format("  n{} -> n{};\n", dep, node);
  std::vector<NodeId> last(streams_.size(), -1);
  for (NodeId id = 0; id < static_cast<NodeId>(size()); ++id) {
    const StreamId s = node(id).stream;
    if (s < 0 || U(s) >= last.size()) continue;
    if (last[U(s)] >= 0)
      dot += fmt::format("  n{} -> n{} [style=dotted, arrowhead=none];\n", last[U(s)], id);
    last[U(s)] = id;
  }
  dot += "}\n";
  return dot;
}

}  // namespace astrasweep::graph
