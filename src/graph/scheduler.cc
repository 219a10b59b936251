// The scheduler and the per-stage breakdown of scheduler.h.
#include "astrasweep/graph/scheduler.h"

#include <fmt/format.h>

#include <algorithm>

namespace astrasweep::graph {
namespace {

std::size_t U(std::int32_t i) { return static_cast<std::size_t>(i); }

}  // namespace

Expected<Schedule> Simulate(const Graph& g) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Adjacency adj, BuildAdjacency(g));
  const std::size_t n = g.size();
  Schedule s;
  s.start.assign(n, 0);
  s.finish.assign(n, 0);
  s.binding.assign(n, -1);
  std::vector<double> ready(n, 0);
  const std::vector<NodeId> order = WalkTopological(adj, [&](NodeId id) {
    const double start = ready[U(id)];
    const double finish = start + g.node(id).duration;
    s.start[U(id)] = start;
    s.finish[U(id)] = finish;
    s.makespan = std::max(s.makespan, finish);
    for (NodeId next : adj.Successors(id)) {
      if (finish >= ready[U(next)]) {
        ready[U(next)] = finish;
        s.binding[U(next)] = id;
      }
    }
    const NodeId next = adj.stream_next[U(id)];
    if (next >= 0) ready[U(next)] = std::max(ready[U(next)], finish);
  });
  if (order.size() != n) return std::unexpected(CycleError(g, adj, order));
  return s;
}

std::vector<StageTimeline> AnalyzeStages(const Graph& g, const Schedule& s) {
  std::int32_t stages = 0;
  for (const Node& node : g.nodes()) stages = std::max(stages, node.stage + 1);
  std::vector<StageTimeline> out(U(stages));
  std::vector<double> stream_free(g.streams().size(), 0);
  std::vector<double> last_kernel(U(stages), 0);
  for (std::int32_t i = 0; i < stages; ++i) out[U(i)].stage = i;
  for (NodeId id = 0; id < static_cast<NodeId>(g.size()); ++id) {
    const Node& node = g.node(id);
    if (node.stage < 0) continue;
    StageTimeline& t = out[U(node.stage)];
    if (node.kind == NodeKind::kCompute) t.rank = node.rank;
    t.finish = std::max(t.finish, s.finish[U(id)]);
    switch (node.kind) {
      case NodeKind::kSendRecv: t.pp_comm += node.duration; break;
      case NodeKind::kCollective:
        if (node.traffic == Traffic::kData) t.dp_comm += node.duration;
        if (node.traffic == Traffic::kTensor) t.tp_comm += node.duration;
        break;
      case NodeKind::kCompute: {
        t.compute += node.duration - node.blocking_comm - node.blocking_dp;
        t.tp_comm += node.blocking_comm;
        t.dp_comm += node.dp_comm;
        t.exposed_comm += node.blocking_comm + node.blocking_dp;
        const double gap_begin = stream_free[U(node.stream)];
        const double gap_end = s.start[U(id)];
        const NodeId b = s.binding[U(id)];
        if (gap_end > gap_begin && b >= 0 && g.node(b).kind != NodeKind::kCompute) {
          const double from = std::max(gap_begin, s.start[U(b)]);
          const double to = std::min(gap_end, s.finish[U(b)]);
          if (to > from) t.exposed_comm += to - from;
        }
        stream_free[U(node.stream)] = s.finish[U(id)];
        last_kernel[U(node.stage)] = s.finish[U(id)];
        break;
      }
    }
  }
  for (StageTimeline& t : out) {
    t.exposed_comm += std::max(0.0, t.finish - last_kernel[U(t.stage)]);
    t.bubble = s.makespan - t.compute - t.exposed_comm;
    if (t.bubble < 1e-9 * s.makespan) t.bubble = 0;  // rounding, not idling
  }
  return out;
}

}  // namespace astrasweep::graph
