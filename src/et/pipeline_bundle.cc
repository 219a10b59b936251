// The pipeline graph as ET: one pass over the graph to index dependencies,
// stream order and transfers, then each rank's nodes in graph order.
#include "astrasweep/et/pipeline_bundle.h"

#include <cmath>

#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/et/collective_bundle.h"
#include "astrasweep/graph/pipeline.h"
#include "astrasweep/model/step_costs.h"
#include "graph_index.h"

namespace astrasweep::et {
namespace {

using graph::NodeId;

class PipelineEmitter {
 public:
  PipelineEmitter(const config::Config& config, const graph::Graph& g)
      : graph_(g),
        pp_(config.parallelism.pp),
        tp_(config.parallelism.tp),
        dp_(config.parallelism.dp),
        replicated_(config.parallelism.dp > 1),
        index_(g, pp_, tp_) {}

  Status EmitRank(BundleWriter& writer, std::int64_t replica, std::int64_t stage) {
    for (NodeId transfer : index_.receives_of_stage[static_cast<std::size_t>(stage)])
      ASTRASWEEP_RETURN_IF_ERROR(writer.Add(Receive(replica, transfer)));
    for (NodeId id = 0; id < static_cast<NodeId>(graph_.size()); ++id)
      if (graph_.node(id).stage == stage) ASTRASWEEP_RETURN_IF_ERROR(writer.Add(Emit(replica, id)));
    return Ok();
  }

 private:
  std::int64_t Rank(std::int64_t replica, std::int64_t stage) const { return replica * pp_ + stage; }

  // A dependency on a transfer is one on its receive, on this rank.
  std::uint64_t DependencyId(NodeId dependency) const {
    const bool transfer = graph_.node(dependency).kind == graph::NodeKind::kSendRecv;
    return (transfer ? kReceiveIdBase : 0) + static_cast<std::uint64_t>(dependency);
  }

  Node Base(NodeId id, NodeType type) const {
    Node node{.id = static_cast<std::uint64_t>(id),
              .name = index_.labels[static_cast<std::size_t>(id)],
              .type = type};
    for (NodeId dependency : index_.deps[static_cast<std::size_t>(id)])
      node.data_deps.push_back(DependencyId(dependency));
    if (const NodeId previous = index_.stream_previous[static_cast<std::size_t>(id)]; previous >= 0)
      node.ctrl_deps.push_back(static_cast<std::uint64_t>(previous));
    node.Set("is_cpu_op", false);
    return node;
  }

  Node Emit(std::int64_t replica, NodeId id) const {
    const graph::Node& n = graph_.node(id);
    switch (n.kind) {
      case graph::NodeKind::kCompute: {
        Node node = Base(id, NodeType::kCompute);
        node.duration_micros = static_cast<std::uint64_t>(std::llround(n.duration * 1e6));
        return node;
      }
      case graph::NodeKind::kSendRecv: {
        Node node = Base(id, NodeType::kSend);
        SetPeers(node, Rank(replica, n.stage), Rank(replica, n.peer / tp_), id, n.bytes);
        return node;
      }
      case graph::NodeKind::kCollective: break;
    }
    Node node = Base(id, NodeType::kCollective);
    node.Set("comm_type", std::int64_t{static_cast<int>(ChakraCollective(n.collective))});
    node.Set("comm_size", static_cast<std::int64_t>(
                              CommSize(ChakraCollective(n.collective), n.bytes, dp_)));
    if (replicated_) node.Set("pg_name", std::to_string(n.stage + 1));
    return node;
  }

  Node Receive(std::int64_t replica, NodeId transfer) const {
    const graph::Node& n = graph_.node(transfer);
    Node node{.id = kReceiveIdBase + static_cast<std::uint64_t>(transfer),
              .name = "receive of " + index_.labels[static_cast<std::size_t>(transfer)],
              .type = NodeType::kRecv};
    node.Set("is_cpu_op", false);
    SetPeers(node, Rank(replica, n.stage), Rank(replica, n.peer / tp_), transfer, n.bytes);
    return node;
  }

  static void SetPeers(Node& node, std::int64_t src, std::int64_t dst, NodeId tag, double bytes) {
    node.Set("comm_src", src);
    node.Set("comm_dst", dst);
    node.Set("comm_tag", static_cast<std::int64_t>(tag));
    node.Set("comm_size", static_cast<std::int64_t>(std::llround(bytes)));
  }

  const graph::Graph& graph_;
  std::int64_t pp_, tp_, dp_;
  bool replicated_;
  GraphIndex index_;
};

}  // namespace

Status WritePipelineBundle(const config::Config& config, const BundleDestination& to) {
  return WritePipelineBundle(config, model::ComputeStepCosts(config), to);
}

Status WritePipelineBundle(const config::Config& config, const model::StepCosts& costs,
                           const BundleDestination& to) {
  const auto& p = config.parallelism;
  graph::Graph g;
  ASTRASWEEP_RETURN_IF_ERROR(graph::BuildPipelineGraph(config, costs, g));
  ASTRASWEEP_ASSIGN_OR_RETURN(const auto dims,
                              BenchmarkNetwork(config, {.stride = p.tp, .size = p.pp * p.dp}));
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string system, SystemJson(config, dims));
  ASTRASWEEP_ASSIGN_OR_RETURN(BundleWriter writer,
                              BundleWriter::Create(to, static_cast<int>(p.pp * p.dp)));
  PipelineEmitter emitter(config, g);
  for (std::int64_t replica = 0; replica < p.dp; ++replica)
    for (std::int64_t stage = 0; stage < p.pp; ++stage) {
      ASTRASWEEP_RETURN_IF_ERROR(writer.BeginRank(static_cast<int>(replica * p.pp + stage)));
      ASTRASWEEP_RETURN_IF_ERROR(emitter.EmitRank(writer, replica, stage));
    }
  std::map<int, std::vector<int>> groups;
  for (std::int64_t stage = 0; p.dp > 1 && stage < p.pp; ++stage)
    for (std::int64_t replica = 0; replica < p.dp; ++replica)
      groups[static_cast<int>(stage + 1)].push_back(static_cast<int>(replica * p.pp + stage));
  return writer.Finish({.network_yml = NetworkYaml(dims),
                        .system_json = std::move(system),
                        .remote_memory_json = RemoteMemoryJson(),
                        .comm_groups = std::move(groups)});
}

}  // namespace astrasweep::et
