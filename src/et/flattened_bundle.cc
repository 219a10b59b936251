// Expanding the pipeline graph on every rank.
#include "astrasweep/et/flattened_bundle.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <map>

#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/collective_bundle.h"
#include "astrasweep/et/pipeline_bundle.h"
#include "astrasweep/graph/pipeline.h"
#include "astrasweep/model/step_costs.h"
#include "graph_index.h"
#include "layer_chain.h"

namespace astrasweep::et {
namespace {

using graph::NodeId;

// Where a GPU sits: its replica, stage and tensor-parallel rank.
struct Place {
  std::int64_t replica, stage, tp_rank;
};

class FlattenedEmitter {
 public:
  FlattenedEmitter(const config::Config& config, const graph::Graph& g, const LayerChains& chains)
      : config_(config),
        graph_(g),
        chains_(chains),
        pp_(config.parallelism.pp),
        tp_(config.parallelism.tp),
        index_(g, pp_, tp_) {}

  std::int64_t Rank(const Place& at) const { return (at.replica * pp_ + at.stage) * tp_ + at.tp_rank; }

  Place PlaceOf(std::int64_t rank) const {
    return {rank / (tp_ * pp_), rank / tp_ % pp_, rank % tp_};
  }

  // Hands the rank's nodes to `add` one by one.
  Status EmitRank(const Place& at, const std::function<Status(const Node&)>& add) const {
    for (NodeId transfer : index_.receives_of_stage[static_cast<std::size_t>(at.stage)])
      ASTRASWEEP_RETURN_IF_ERROR(add(Receive(at, transfer)));
    std::vector<Node> expansion;
    for (NodeId id = 0; id < static_cast<NodeId>(graph_.size()); ++id) {
      if (graph_.node(id).stage != at.stage) continue;
      Expand(at, id, expansion);
      for (const Node& node : expansion) ASTRASWEEP_RETURN_IF_ERROR(add(node));
    }
    return Ok();
  }

  // comm_groups.json: each (stage, tp rank)'s replicas, then each (replica,
  // stage)'s tensor-parallel ranks.
  std::map<int, std::vector<int>> Groups() const {
    std::map<int, std::vector<int>> groups;
    const std::int64_t dp = config_.parallelism.dp;
    for (std::int64_t s = 0; dp > 1 && s < pp_; ++s)
      for (std::int64_t t = 0; t < tp_; ++t)
        for (std::int64_t d = 0; d < dp; ++d)
          groups[DataGroup({0, s, t})].push_back(static_cast<int>(Rank({d, s, t})));
    for (std::int64_t d = 0; tp_ > 1 && d < dp; ++d)
      for (std::int64_t s = 0; s < pp_; ++s)
        for (std::int64_t t = 0; t < tp_; ++t)
          groups[TensorGroup({d, s, 0})].push_back(static_cast<int>(Rank({d, s, t})));
    return groups;
  }

 private:
  int DataGroup(const Place& at) const { return static_cast<int>(1 + at.stage * tp_ + at.tp_rank); }
  int TensorGroup(const Place& at) const {
    return static_cast<int>(1 + pp_ * tp_ + at.replica * pp_ + at.stage);
  }

  static std::uint64_t LastId(NodeId id) {
    return static_cast<std::uint64_t>(id) * kExpansionStride + kExpansionStride - 1;
  }

  // A dependency on a graph node is one on the last node of its expansion,
  // or on this rank's receive of a transfer.
  std::uint64_t DependencyId(NodeId dependency) const {
    if (graph_.node(dependency).kind == graph::NodeKind::kSendRecv)
      return kReceiveIdBase + static_cast<std::uint64_t>(dependency);
    return LastId(dependency);
  }

  // The chains a compute node runs: embedding, layers, head, by direction.
  std::vector<const std::vector<ChainStep>*> ChainsOf(const graph::Node& n) const {
    std::vector<const std::vector<ChainStep>*> chains;
    const bool embedding = n.layer_begin == 0;
    const bool head = n.layer_end == config_.model.layers;
    const bool forward = n.direction == graph::Direction::kForward;
    if (forward && embedding) chains.push_back(&chains_.embedding_forward);
    if (!forward && head) chains.push_back(&chains_.head_backward);
    for (std::int32_t layer = n.layer_begin; layer < n.layer_end; ++layer)
      chains.push_back(forward ? &chains_.layer_forward : &chains_.layer_backward);
    if (forward && head) chains.push_back(&chains_.head_forward);
    if (!forward && embedding) chains.push_back(&chains_.embedding_backward);
    return chains;
  }

  void Expand(const Place& at, NodeId id, std::vector<Node>& out) const {
    out.clear();
    const graph::Node& n = graph_.node(id);
    if (n.kind == graph::NodeKind::kCompute && n.layer_begin >= 0) {
      const std::string tp_group = std::to_string(TensorGroup(at));
      for (const auto* chain : ChainsOf(n))
        for (const ChainStep& step : *chain) out.push_back(StepNode(step, chains_, tp_group));
    } else {
      out.push_back(Single(at, id));
    }
    const std::string& label = index_.labels[static_cast<std::size_t>(id)];
    for (std::size_t i = 0; i < out.size(); ++i) {
      Node& node = out[i];
      const bool last = i + 1 == out.size();
      node.id = last ? LastId(id) : static_cast<std::uint64_t>(id) * kExpansionStride + i;
      if (out.size() > 1) node.name = label + ": " + node.name;
      if (i > 0) node.data_deps.push_back(out[i - 1].id);
    }
    Node& first = out.front();
    for (NodeId dependency : index_.deps[static_cast<std::size_t>(id)])
      first.data_deps.push_back(DependencyId(dependency));
    if (const NodeId previous = index_.stream_previous[static_cast<std::size_t>(id)]; previous >= 0)
      first.ctrl_deps.push_back(LastId(previous));
  }

  // A graph node that stays one node: the optimizer, a send, a
  // data-parallel collective.
  Node Single(const Place& at, NodeId id) const {
    const graph::Node& n = graph_.node(id);
    Node node{.name = index_.labels[static_cast<std::size_t>(id)], .type = NodeType::kCompute};
    node.Set("is_cpu_op", false);
    switch (n.kind) {
      case graph::NodeKind::kCompute:
        node.duration_micros = static_cast<std::uint64_t>(std::llround(n.duration * 1e6));
        break;
      case graph::NodeKind::kSendRecv:
        node.type = NodeType::kSend;
        SetPeers(node, at, id);
        break;
      case graph::NodeKind::kCollective:
        node.type = NodeType::kCollective;
        node.Set("comm_type", std::int64_t{static_cast<int>(ChakraCollective(n.collective))});
        node.Set("comm_size", static_cast<std::int64_t>(CommSize(ChakraCollective(n.collective), n.bytes,
                                                                 config_.parallelism.dp)));
        node.Set("pg_name", std::to_string(DataGroup(at)));
        break;
    }
    return node;
  }

  Node Receive(const Place& at, NodeId transfer) const {
    Node node{.id = kReceiveIdBase + static_cast<std::uint64_t>(transfer),
              .name = "receive of " + index_.labels[static_cast<std::size_t>(transfer)],
              .type = NodeType::kRecv};
    node.Set("is_cpu_op", false);
    const graph::Node& n = graph_.node(transfer);
    SetPeers(node, {at.replica, n.stage, at.tp_rank}, transfer);
    return node;
  }

  // The peers of a transfer sent from `from` (its sender's place).
  void SetPeers(Node& node, const Place& from, NodeId transfer) const {
    const graph::Node& n = graph_.node(transfer);
    node.Set("comm_src", Rank({from.replica, n.stage, from.tp_rank}));
    node.Set("comm_dst", Rank({from.replica, n.peer / tp_, from.tp_rank}));
    node.Set("comm_tag", static_cast<std::int64_t>(transfer));
    node.Set("comm_size", static_cast<std::int64_t>(std::llround(n.bytes)));
  }

  const config::Config& config_;
  const graph::Graph& graph_;
  const LayerChains& chains_;
  std::int64_t pp_, tp_;
  GraphIndex index_;
};

}  // namespace

struct FlattenedWorkload::Impl {
  config::Config config;
  LayerChains chains;
  graph::Graph graph;
  BundleConfig files;
  std::unique_ptr<FlattenedEmitter> emitter;  // refers to the members above
};

FlattenedWorkload::FlattenedWorkload(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FlattenedWorkload::FlattenedWorkload(FlattenedWorkload&&) noexcept = default;
FlattenedWorkload& FlattenedWorkload::operator=(FlattenedWorkload&&) noexcept = default;
FlattenedWorkload::~FlattenedWorkload() = default;

Expected<FlattenedWorkload> FlattenedWorkload::Build(const config::Config& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  ASTRASWEEP_ASSIGN_OR_RETURN(impl->chains, LayerChains::For(config));
  graph::Graph& g = impl->graph;
  ASTRASWEEP_RETURN_IF_ERROR(graph::BuildPipelineGraph(config, model::ComputeStepCosts(config), g));
  if (g.size() >= kExpansionStride)
    return InvalidInput(fmt::format("the pipeline graph has {} nodes: more than the flattened "
                                    "bundle's ids hold ({}); use fewer micro-batches",
                                    g.size(), kExpansionStride),
                        {.key_path = "training.global_batch"});
  const auto dims = AstraDimensions(config.network);
  if (dims.empty())
    return InvalidInput("one GPU: the flattened bundle has no communication to simulate",
                        {.key_path = "parallelism"});
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string system, SystemJson(config, dims));
  impl->emitter = std::make_unique<FlattenedEmitter>(impl->config, g, impl->chains);
  impl->files = {.network_yml = NetworkYaml(dims),
                 .system_json = std::move(system),
                 .remote_memory_json = RemoteMemoryJson(),
                 .comm_groups = impl->emitter->Groups()};
  return FlattenedWorkload(std::move(impl));
}

int FlattenedWorkload::ranks() const { return static_cast<int>(impl_->config.parallelism.Gpus()); }

const BundleConfig& FlattenedWorkload::files() const { return impl_->files; }

RankSymmetry FlattenedWorkload::symmetry() const {
  const auto& p = impl_->config.parallelism;
  return RankSymmetry({{.name = "tp", .size = static_cast<int>(p.tp), .cyclic = true},
                       {.name = "pp", .size = static_cast<int>(p.pp), .cyclic = false},
                       {.name = "dp", .size = static_cast<int>(p.dp), .cyclic = true}});
}

std::vector<Node> FlattenedWorkload::Trace(int rank) const {
  std::vector<Node> nodes;
  // Adding to a vector cannot fail.
  (void)impl_->emitter->EmitRank(impl_->emitter->PlaceOf(rank), [&](const Node& node) {
    nodes.push_back(node);
    return Ok();
  });
  return nodes;
}

Status FlattenedWorkload::Write(const BundleDestination& to) const {
  ASTRASWEEP_ASSIGN_OR_RETURN(BundleWriter writer, BundleWriter::Create(to, ranks()));
  const auto add = [&](const Node& node) { return writer.Add(node); };
  for (int rank = 0; rank < ranks(); ++rank) {
    ASTRASWEEP_RETURN_IF_ERROR(writer.BeginRank(rank));
    ASTRASWEEP_RETURN_IF_ERROR(impl_->emitter->EmitRank(impl_->emitter->PlaceOf(rank), add));
  }
  return writer.Finish(impl_->files);
}

Status WriteFlattenedBundle(const config::Config& config, const BundleDestination& to) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const FlattenedWorkload workload, FlattenedWorkload::Build(config));
  return workload.Write(to);
}

}  // namespace astrasweep::et
