// The block bundle: the layer's kernels as a chain, with the tensor- and
// data-parallel collectives inserted where they are issued.
#include "astrasweep/et/block_bundle.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>

#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/et/collective_bundle.h"
#include "layer_chain.h"

namespace astrasweep::et {
namespace {

// Whether a collective of rank 0's trace is a tensor-parallel one (its
// group "1"; its gradient group is dp + 1).
bool TensorParallel(const Node& collective) {
  const Attribute* group = collective.Find("pg_name");
  return group != nullptr && group->value == AttributeValue(std::string("1"));
}

// One rank's nodes: the layer's chains in order, each weight's gradient
// collective hanging off its gradient kernel, the gradient collectives
// chained among themselves. Given a timer, it also times what it emits as
// if nothing contended: kernels one after another, each collective taking
// the timer's time for it alone from when its dependencies are met.
class BlockEmitter {
 public:
  BlockEmitter(const config::Config& config, const LayerChains& chains, std::int64_t replica,
               std::int64_t tp_rank, const BlockCollectiveTimer* timer = nullptr)
      : config_(config), chains_(chains), replica_(replica), tp_rank_(tp_rank), timer_(timer) {}

  std::vector<Node> Build() {
    for (const auto* chain : {&chains_.layer_forward, &chains_.layer_backward})
      for (const ChainStep& step : *chain) Step(step);
    return std::move(nodes_);
  }

  // When the last node finished, in nanoseconds (with a timer), or the
  // timer's first error.
  Expected<std::uint64_t> Uncontended() const {
    if (error_) return std::unexpected(*error_);
    return std::max(chain_done_, gradients_done_);
  }

 private:
  void Step(const ChainStep& step) {
    Node node = StepNode(step, chains_, std::to_string(replica_ + 1));
    node.id = next_id_++;
    if (chain_end_) node.data_deps.push_back(*chain_end_);
    chain_end_ = node.id;
    chain_done_ += step.type == NodeType::kCompute ? step.duration_micros * 1000 : Alone(node);
    nodes_.push_back(std::move(node));
    if (step.gradient_bytes > 0) GradientCollective(step);
  }

  // After its gradient, in the fixed order of the gradient collectives,
  // not blocking the kernels.
  void GradientCollective(const ChainStep& gradient) {
    if (config_.parallelism.dp <= 1) return;
    const model::Collective collective = config_.training.zero_stage >= 1
                                             ? model::Collective::kReduceScatter
                                             : model::Collective::kAllReduce;
    Node node{.id = next_id_++,
              .name = fmt::format("dp {} of {} gradients", model::CollectiveName(collective),
                                  gradient.weight),
              .type = NodeType::kCollective};
    node.Set("is_cpu_op", false);
    node.Set("comm_type", std::int64_t{static_cast<int>(ChakraCollective(collective))});
    node.Set("comm_size", static_cast<std::int64_t>(gradient.gradient_bytes));
    node.Set("pg_name", std::to_string(config_.parallelism.dp + tp_rank_ + 1));
    node.data_deps.push_back(*chain_end_);  // the weight gradient just computed
    if (last_gradient_) node.ctrl_deps.push_back(*last_gradient_);
    last_gradient_ = node.id;
    gradients_done_ = std::max(chain_done_, gradients_done_) + Alone(node);
    nodes_.push_back(std::move(node));
  }

  std::uint64_t Alone(const Node& collective) {
    if (!timer_ || error_) return 0;
    const std::string name = fmt::format(
        "block-{}-{}B-{}",
        CollectiveTypeName(
            static_cast<CollectiveType>(collective.Integer("comm_type").value_or(-1))),
        collective.Integer("comm_size").value_or(0), TensorParallel(collective) ? "tp" : "dp");
    auto ns = (*timer_)(collective, name);
    if (ns) return *ns;
    error_ = ns.error();
    return 0;
  }

  const config::Config& config_;
  const LayerChains& chains_;
  std::int64_t replica_, tp_rank_;
  const BlockCollectiveTimer* timer_;
  std::uint64_t chain_done_ = 0, gradients_done_ = 0;
  std::optional<Error> error_;
  std::vector<Node> nodes_;
  std::uint64_t next_id_ = 0;
  std::optional<std::uint64_t> chain_end_;
  std::optional<std::uint64_t> last_gradient_;
};

std::map<int, std::vector<int>> Groups(std::int64_t tp, std::int64_t dp) {
  std::map<int, std::vector<int>> groups;
  for (std::int64_t replica = 0; tp > 1 && replica < dp; ++replica)
    for (std::int64_t r = 0; r < tp; ++r)
      groups[static_cast<int>(replica + 1)].push_back(static_cast<int>(replica * tp + r));
  for (std::int64_t r = 0; dp > 1 && r < tp; ++r)
    for (std::int64_t replica = 0; replica < dp; ++replica)
      groups[static_cast<int>(dp + r + 1)].push_back(static_cast<int>(replica * tp + r));
  return groups;
}

// The network of one stage's GPUs (tensor-parallel ranks fastest, then the
// replicas): per dimension the GPUs of both groups it holds, in the order
// of the point's dimensions; dimensions with one GPU left out.
std::vector<config::NetworkDimension> StageNetwork(const config::Config& config) {
  const auto& p = config.parallelism;
  std::vector<std::int64_t> npus(config.network.size(), 1);
  for (const auto& share : model::GroupShares(config.network, 1, p.tp))
    npus[share.dimension] *= share.npus;
  for (const auto& share : model::GroupShares(config.network, p.tp * p.pp, p.dp))
    npus[share.dimension] *= share.npus;
  std::vector<config::NetworkDimension> dims = config.network;
  for (std::size_t i = 0; i < dims.size(); ++i) dims[i].npus = npus[i];
  return AstraDimensions(dims);
}

// A bundle on one stage's GPUs (rank = replica * tp + tp_rank), with the
// block's network, system and comm groups: each rank's nodes from `add`.
Status WriteStageBundle(
    const config::Config& config, const BundleDestination& to,
    const std::function<Status(BundleWriter&, std::int64_t replica, std::int64_t tp_rank)>& add) {
  const auto& p = config.parallelism;
  const auto dims = StageNetwork(config);
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string system, SystemJson(config, dims));
  ASTRASWEEP_ASSIGN_OR_RETURN(BundleWriter writer,
                              BundleWriter::Create(to, static_cast<int>(p.tp * p.dp)));
  for (std::int64_t replica = 0; replica < p.dp; ++replica)
    for (std::int64_t tp_rank = 0; tp_rank < p.tp; ++tp_rank) {
      ASTRASWEEP_RETURN_IF_ERROR(writer.BeginRank(static_cast<int>(replica * p.tp + tp_rank)));
      ASTRASWEEP_RETURN_IF_ERROR(add(writer, replica, tp_rank));
    }
  return writer.Finish({.network_yml = NetworkYaml(dims),
                        .system_json = std::move(system),
                        .remote_memory_json = RemoteMemoryJson(),
                        .comm_groups = Groups(p.tp, p.dp)});
}

}  // namespace

Status WriteBlockBundle(const config::Config& config, const BundleDestination& to) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const LayerChains chains, LayerChains::For(config));
  if (config.parallelism.tp * config.parallelism.dp == 1)
    return InvalidInput("one GPU per stage: a block has no collective to simulate",
                        {.key_path = "parallelism"});
  return WriteStageBundle(
      config, to, [&](BundleWriter& writer, std::int64_t replica, std::int64_t tp_rank) -> Status {
        for (const Node& node : BlockEmitter(config, chains, replica, tp_rank).Build())
          ASTRASWEEP_RETURN_IF_ERROR(writer.Add(node));
        return Ok();
      });
}

Status WriteBlockCollectiveBundle(const config::Config& config, const Node& collective,
                                  const BundleDestination& to) {
  if (collective.type != NodeType::kCollective || collective.Find("pg_name") == nullptr)
    return MakeError(ErrorCode::kInternal,
                     "a block collective alone: " + collective.name + " is no group's collective");
  const bool tensor_parallel = TensorParallel(collective);
  Node node = collective;
  node.id = 0;
  node.data_deps.clear();
  node.ctrl_deps.clear();
  return WriteStageBundle(
      config, to, [&](BundleWriter& writer, std::int64_t replica, std::int64_t tp_rank) {
        node.Set("pg_name", std::to_string(tensor_parallel ? replica + 1
                                                           : config.parallelism.dp + tp_rank + 1));
        return writer.Add(node);
      });
}

Expected<std::uint64_t> UncontendedBlockNanoseconds(const config::Config& config,
                                                    const BlockCollectiveTimer& alone) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const LayerChains chains, LayerChains::For(config));
  BlockEmitter emitter(config, chains, 0, 0, &alone);
  emitter.Build();
  return emitter.Uncontended();
}

}  // namespace astrasweep::et
