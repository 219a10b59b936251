// The pipeline builder of pipeline.h: a PipelineBuilder plans each virtual
// stage's layers and work and each stage's schedule order, then adds the
// graph in named steps. The scheduler's results depend on the order nodes,
// edges and streams are added (a stream runs its nodes in insertion order,
// the topological walk is first-ready-first by node id) and on the order of
// floating-point operations, so the steps keep both fixed.
#include "astrasweep/graph/pipeline.h"

#include "astrasweep/model/layer_ops.h"
#include "pipeline_plan.h"

namespace astrasweep::graph {
namespace {

using I32 = std::int32_t;
using I64 = std::int64_t;

I32 ToI32(I64 value) { return static_cast<I32>(value); }
std::size_t Index(I64 value) { return static_cast<std::size_t>(value); }

using plan::DataParallelCollective;
using plan::DataParallelPlan;
using plan::GradientReduction;
using plan::LayerRange;
using plan::ModelEnds;
using plan::ParameterShare;
using plan::VirtualStagePlan;
using plan::Work;

struct StageStreams {
  StreamId compute, forward_link, backward_link, data_parallel;
};

// Where a stage's sends in one direction go, and how long each takes.
struct Link {
  StreamId stream;
  I32 peer_rank;
  double seconds;
};

// The first and last compute node of one pass of a micro-batch through a
// virtual stage: where its input arrives and where its output leaves.
struct Span {
  NodeId entry = -1, exit = -1;
};

// The last nodes a stage's units added.
struct StageTail {
  NodeId compute = -1;
  NodeId reduction = -1;  // the last per-layer reduction (kPerLayerOfLastBackward)
};

// Builds the graph of one config; Build() lists the steps.
class PipelineBuilder {
 public:
  PipelineBuilder(const config::Config& config, const model::StepCosts& costs, Graph& graph)
      : config_(config),
        costs_(costs),
        graph_(graph),
        shape_(PipelineShape::Of(config)),
        data_parallel_(plan::PlanDataParallel(config, costs)) {}

  // Stage by stage: its units, its gradient reduction, its optimizer step.
  // Then the transfers between stages.
  void Build() {
    graph_.Clear();
    const std::size_t units = Index(2 * shape_.virtual_stages() * shape_.microbatches);
    graph_.Reserve(2 * units + Index(8 * shape_.stages), 3 * units);
    AddStreams();
    plans_ = plan::PlanVirtualStages(config_, costs_, shape_);
    spans_.assign(units, Span{});
    orders_.reserve(Index(shape_.stages));
    for (I64 stage = 0; stage < shape_.stages; ++stage) {
      orders_.push_back(StageOrder(config_.training.schedule, shape_, stage));
      const StageTail tail = AddStageUnits(stage);
      const ParameterShare share = StageShare(stage);
      AddOptimizerStep(stage, share, AddStageGradientReduction(stage, share, tail));
    }
    for (I64 stage = 0; stage < shape_.stages; ++stage) AddTransfers(stage);
  }

 private:
  // Per stage: its compute stream, its links to the next and the previous
  // stage, its data-parallel stream.
  void AddStreams() {
    streams_.reserve(Index(shape_.stages));
    for (I64 stage = 0; stage < shape_.stages; ++stage) {
      const I32 at = ToI32(stage), next = ToI32(Next(stage)), previous = ToI32(Previous(stage));
      StageStreams streams;
      streams.compute = graph_.AddStream({StreamKind::kCompute, at, -1});
      streams.forward_link = graph_.AddStream({StreamKind::kPipelineLink, at, next});
      streams.backward_link = graph_.AddStream({StreamKind::kPipelineLink, at, previous});
      streams.data_parallel = graph_.AddStream({StreamKind::kDataParallel, at, -1});
      streams_.push_back(streams);
    }
  }

  // The stage's compute nodes in schedule order.
  StageTail AddStageUnits(I64 stage) {
    StageTail tail;
    for (const StageUnit& unit : orders_[Index(stage)]) {
      if (data_parallel_.PerLayer(unit, shape_.microbatches))
        AddBackwardPerLayer(stage, unit, tail);
      else
        tail.compute = AddWholeUnit(stage, unit);
    }
    return tail;
  }

  NodeId AddWholeUnit(I64 stage, const StageUnit& unit) {
    const VirtualStagePlan& plan = PlanOf(stage, unit);
    const NodeId id = AddCompute(stage, unit, plan.layers, plan.work(unit.pass));
    SpanOf(unit.pass, shape_.VirtualStage(stage, unit.chunk), unit.microbatch) = {id, id};
    return id;
  }

  // The last micro-batch's backward, layer by layer from the last, each
  // layer's gradients reduced as soon as they are complete.
  void AddBackwardPerLayer(I64 stage, const StageUnit& unit, StageTail& tail) {
    const VirtualStagePlan& plan = PlanOf(stage, unit);
    const I32 first = plan.layers.begin, last = plan.layers.end - 1;
    Span& span = SpanOf(unit.pass, shape_.VirtualStage(stage, unit.chunk), unit.microbatch);
    for (I32 layer = last; layer >= first; --layer) {
      const ModelEnds ends = plan::LayerEnds(plan, layer);
      const NodeId id =
          AddCompute(stage, unit, {layer, layer + 1}, plan::BackwardWork(costs_, 1, ends));
      if (layer == last) span.entry = id;
      tail.reduction =
          AddDataParallel(stage, data_parallel_.gradient_reduction, {.layers = 1, .ends = ends});
      graph_.AddDependency(tail.reduction, id);
      span.exit = tail.compute = id;
    }
  }

  // The reduction the optimizer waits for, if any.
  NodeId AddStageGradientReduction(I64 stage, const ParameterShare& share, StageTail tail) {
    switch (data_parallel_.reduction) {
      case GradientReduction::kNone: return -1;
      case GradientReduction::kPerLayerOfLastBackward: return tail.reduction;
      case GradientReduction::kAfterBackward: break;
    }
    const NodeId reduction = AddDataParallel(stage, data_parallel_.gradient_reduction, share);
    graph_.AddDependency(reduction, tail.compute);
    return reduction;
  }

  // The optimizer after the gradient reduction and, with ZeRO 1 and 2, the
  // all-gather of the weights it updated.
  void AddOptimizerStep(I64 stage, const ParameterShare& share, NodeId reduction) {
    const NodeId optimizer = graph_.Add({.kind = NodeKind::kCompute,
                                         .stream = streams_[Index(stage)].compute,
                                         .stage = ToI32(stage),
                                         .rank = Rank(stage),
                                         .duration = plan::OptimizerSeconds(config_, costs_, share),
                                         .name = "optimizer"});
    if (reduction >= 0) graph_.AddDependency(optimizer, reduction);
    if (data_parallel_.gather_after_step)
      graph_.AddDependency(AddDataParallel(stage, data_parallel_.weight_gather, share), optimizer);
  }

  // Activations forward and gradients backward between virtual stages, in the
  // sender's compute order; the last virtual stage's forward turns into its
  // backward (the loss), the first one's backward sends nothing.
  void AddTransfers(I64 stage) {
    const StageStreams& streams = streams_[Index(stage)];
    const Link forward = LinkTo(stage, Next(stage), streams.forward_link);
    const Link backward = LinkTo(stage, Previous(stage), streams.backward_link);
    for (const StageUnit& unit : orders_[Index(stage)]) {
      const I64 vs = shape_.VirtualStage(stage, unit.chunk);
      if (unit.pass == Pass::kForward && vs == shape_.virtual_stages() - 1)
        graph_.AddDependency(SpanOf(Pass::kBackward, vs, unit.microbatch).entry,
                             SpanOf(Pass::kForward, vs, unit.microbatch).exit);
      else if (unit.pass == Pass::kForward)
        AddTransfer(stage, unit, forward);
      else if (vs > 0)
        AddTransfer(stage, unit, backward);
    }
  }

  void AddTransfer(I64 stage, const StageUnit& unit, const Link& link) {
    const bool forward = unit.pass == Pass::kForward;
    const I64 from = shape_.VirtualStage(stage, unit.chunk), to = forward ? from + 1 : from - 1;
    const NodeId id = graph_.Add({.kind = NodeKind::kSendRecv,
                                  .direction = DirectionOf(unit.pass),
                                  .traffic = Traffic::kPipeline,
                                  .stream = link.stream,
                                  .stage = ToI32(stage),
                                  .chunk = unit.chunk,
                                  .microbatch = unit.microbatch,
                                  .rank = Rank(stage),
                                  .peer = link.peer_rank,
                                  .duration = link.seconds,
                                  .bytes = costs_.p2p_bytes,
                                  .name = forward ? "send_activation" : "send_gradient"});
    graph_.AddDependency(id, SpanOf(unit.pass, from, unit.microbatch).exit);
    graph_.AddDependency(SpanOf(unit.pass, to, unit.microbatch).entry, id);
  }

  NodeId AddCompute(I64 stage, const StageUnit& unit, LayerRange layers, const Work& work) {
    return graph_.Add({.kind = NodeKind::kCompute,
                       .direction = DirectionOf(unit.pass),
                       .traffic = work.blocking > 0 ? Traffic::kTensor : Traffic::kNone,
                       .stream = streams_[Index(stage)].compute,
                       .stage = ToI32(stage),
                       .chunk = unit.chunk,
                       .microbatch = unit.microbatch,
                       .layer_begin = layers.begin,
                       .layer_end = layers.end,
                       .rank = Rank(stage),
                       .duration = work.duration(),
                       .blocking_comm = work.blocking,
                       .dp_comm = work.data_parallel,
                       .blocking_dp = work.data_parallel_blocking,
                       .flops = work.flops,
                       .name = unit.pass == Pass::kForward ? "forward" : "backward"});
  }

  NodeId AddDataParallel(I64 stage, const DataParallelCollective& collective,
                         const ParameterShare& share) {
    return graph_.Add({.kind = NodeKind::kCollective,
                       .traffic = Traffic::kData,
                       .collective = collective.collective,
                       .stream = streams_[Index(stage)].data_parallel,
                       .stage = ToI32(stage),
                       .rank = Rank(stage),
                       .duration = collective.Seconds(share),
                       .bytes = Parameters(share) * collective.bytes_per_parameter,
                       .name = collective.name});
  }

  double Parameters(const ParameterShare& share) const { return plan::Parameters(costs_, share); }

  ParameterShare StageShare(I64 stage) const { return plan::StageShare(plans_, shape_, stage); }

  Link LinkTo(I64 stage, I64 peer_stage, StreamId stream) const {
    return {stream, Rank(peer_stage),
            model::StageTransferTime(config_, stage, peer_stage, costs_.p2p_bytes)};
  }

  const VirtualStagePlan& PlanOf(I64 stage, const StageUnit& unit) const {
    return plans_[Index(shape_.VirtualStage(stage, unit.chunk))];
  }

  Span& SpanOf(Pass pass, I64 virtual_stage, I64 microbatch) {
    const I64 by_pass = pass == Pass::kForward ? 0 : shape_.virtual_stages();
    return spans_[Index((by_pass + virtual_stage) * shape_.microbatches + microbatch)];
  }

  I64 Next(I64 stage) const { return (stage + 1) % shape_.stages; }
  I64 Previous(I64 stage) const { return (stage + shape_.stages - 1) % shape_.stages; }
  // The GPU a stage's nodes describe: its tensor-parallel rank 0.
  I32 Rank(I64 stage) const { return plan::StageRank(config_, stage); }

  const config::Config& config_;
  const model::StepCosts& costs_;
  Graph& graph_;
  const PipelineShape shape_;
  const DataParallelPlan data_parallel_;
  std::vector<StageStreams> streams_;           // by stage
  std::vector<VirtualStagePlan> plans_;         // by virtual stage
  std::vector<std::vector<StageUnit>> orders_;  // by stage
  std::vector<Span> spans_;                     // by pass, virtual stage, micro-batch
};

}  // namespace

Expected<Graph> BuildPipelineGraph(const config::Config& config, const model::StepCosts& costs) {
  Graph graph;
  ASTRASWEEP_RETURN_IF_ERROR(BuildPipelineGraph(config, costs, graph));
  return graph;
}

Status BuildPipelineGraph(const config::Config& config, const model::StepCosts& costs,
                          Graph& graph) {
  ASTRASWEEP_RETURN_IF_ERROR(CheckPipeline(config));
  PipelineBuilder(config, costs, graph).Build();
  return Ok();
}

}  // namespace astrasweep::graph
