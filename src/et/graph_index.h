// What the pipeline and flattened bundles need to know of a pipeline graph,
// indexed once (not per rank): each node's dependencies, the node before it
// on its stream, the transfers into each stage, and each node's label.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astrasweep/graph/graph.h"

namespace astrasweep::et {

struct GraphIndex {
  std::vector<std::vector<graph::NodeId>> deps;  // data dependencies
  std::vector<graph::NodeId> stream_previous;    // the node before on its stream, or -1
  std::vector<std::vector<graph::NodeId>> receives_of_stage;  // transfers into each stage
  std::vector<std::string> labels;  // Graph::Label of each node, made once for every rank

  GraphIndex(const graph::Graph& g, std::int64_t pp, std::int64_t tp)
      : deps(g.size()),
        stream_previous(g.size(), -1),
        receives_of_stage(static_cast<std::size_t>(pp)) {
    labels.reserve(g.size());
    for (const auto& [node, dependency] : g.edges())
      deps[static_cast<std::size_t>(node)].push_back(dependency);
    std::vector<graph::NodeId> last(g.streams().size(), -1);
    for (graph::NodeId id = 0; id < static_cast<graph::NodeId>(g.size()); ++id) {
      const graph::Node& n = g.node(id);
      labels.push_back(g.Label(id));
      stream_previous[static_cast<std::size_t>(id)] = last[static_cast<std::size_t>(n.stream)];
      last[static_cast<std::size_t>(n.stream)] = id;
      if (n.kind == graph::NodeKind::kSendRecv)
        receives_of_stage[static_cast<std::size_t>(n.peer / tp)].push_back(id);
    }
  }
};

}  // namespace astrasweep::et
