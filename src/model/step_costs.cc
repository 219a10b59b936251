// The step's building blocks, from the per-op roofline and the collective
// formulas; see step_costs.h for what each tensor-, pipeline- and
// data-parallel term stands for.
#include "astrasweep/model/step_costs.h"

#include "astrasweep/model/compute.h"
#include "astrasweep/model/layer_ops.h"
#include "astrasweep/model/ring_attention.h"

namespace astrasweep::model {
namespace {

double D(std::int64_t x) { return static_cast<double>(x); }

struct TensorComm {
  double block = 0;   // what one attention or MLP block waits for, each direction
  double reduce = 0;  // the reduction of one activation (embedding output, head input gradient)
};

// The tensor-parallel communication of one block and of one reduction of
// an activation of `activation_bytes`, in the point's 1-D, sequence-parallel
// or 2-D form (see step_costs.h).
TensorComm TensorParallelComm(const config::Config& c, double activation_bytes,
                              const CollectiveTimer& time) {
  const auto& p = c.parallelism;
  TensorComm comm;
  if (p.tp <= 1) return comm;
  if (p.kp1 && p.kp2) {
    const std::int64_t kp1 = *p.kp1, kp2 = *p.kp2;
    comm.reduce = time(Collective::kReduceScatter, activation_bytes / D(kp1), kp1, kp2);
    comm.block = time(Collective::kAllGather, activation_bytes / D(kp2), 1, kp1) + comm.reduce;
  } else if (c.training.sequence_parallel) {
    comm.reduce = time(Collective::kReduceScatter, activation_bytes, 1, p.tp);
    comm.block = time(Collective::kAllGather, activation_bytes, 1, p.tp) + comm.reduce;
  } else {
    comm.reduce = time(Collective::kAllReduce, activation_bytes, 1, p.tp);
    comm.block = comm.reduce;
  }
  return comm;
}

// Adam under mixed precision reads the gradient, the fp32 master weight and
// both moments and writes all but the gradient plus the 16-bit weight:
// 28 bytes and about 12 FLOPs per parameter (24 bytes in fp32 training).
Op AdamStep(double parameters, config::DType dtype) {
  const double bytes = dtype == config::DType::kFp32 ? 24 : 28;
  return Op{"adam", OpKind::kMemoryBound, 12 * parameters, bytes * parameters};
}

// The kernels of a layer, the embedding and the head, with their FLOPs.
void AddComputeCosts(const config::Config& c, const LayerShape& shape, StepCosts& costs) {
  const auto& hw = c.hardware;
  const auto dtype = c.training.dtype;
  const auto forward = LayerForward(shape);
  const auto backward = LayerBackward(shape);
  const auto recompute = LayerRecompute(shape, c.training.recompute);
  costs.layer_forward = OpsTime(forward, hw, dtype);
  costs.layer_backward = OpsTime(backward, hw, dtype);
  costs.layer_recompute = OpsTime(recompute, hw, dtype);
  costs.layer_forward_flops = TotalFlops(forward);
  costs.layer_backward_flops = TotalFlops(backward) + TotalFlops(recompute);

  const auto emb_f = EmbeddingForward(shape), emb_b = EmbeddingBackward(shape);
  const auto head_f = HeadForward(shape), head_b = HeadBackward(shape);
  costs.embedding_forward = OpsTime(emb_f, hw, dtype);
  costs.embedding_backward = OpsTime(emb_b, hw, dtype);
  costs.head_forward = OpsTime(head_f, hw, dtype);
  costs.head_backward = OpsTime(head_b, hw, dtype);
  costs.head_forward_flops = TotalFlops(head_f);
  costs.head_backward_flops = TotalFlops(head_b);
}

// The tensor-parallel communication a layer, the embedding and the head
// wait for, and the pipeline transfer: both move one activation, of the
// s/c tokens this GPU holds. The layer also waits for ring attention.
void AddActivationCommCosts(const config::Config& c, const LayerShape& shape, StepCosts& costs,
                            const CollectiveTimer& time) {
  const double e = static_cast<double>(BytesPerElement(c.training.dtype));
  const double activation = D(shape.b) * D(shape.s / shape.c) * D(shape.h) * e;
  const TensorComm tp = TensorParallelComm(c, activation, time);
  const RingAttention ring = RingAttentionCosts(c, shape);
  const auto recompute = c.training.recompute;
  costs.layer_forward_cp = ring.forward.exposed;
  costs.layer_backward_cp = ring.backward.exposed;
  costs.layer_recompute_cp = recompute == config::Recompute::kNone ? 0 : ring.forward.exposed;
  costs.layer_forward_tp = 2 * tp.block + costs.layer_forward_cp;  // attention and MLP
  costs.layer_backward_tp = 2 * tp.block + costs.layer_backward_cp;
  costs.layer_recompute_tp =
      (recompute == config::Recompute::kFull ? 2 * tp.block : 0) + costs.layer_recompute_cp;
  costs.embedding_forward_tp = tp.reduce;
  costs.head_backward_tp = tp.reduce;

  costs.p2p_bytes = activation / D(c.parallelism.tp);
}

// The time of a collective over the data-parallel group. A group of one
// stride is the timer's; one of two (cp > 1 with pp > 1) is timed by the
// analytical formulas on the group's network shares: only the analytical
// mode runs context parallelism (the loader refuses it in the simulating
// modes, whose timers take one stride).
double DataParallelTime(const config::Config& c, const RankGroup& group, Collective coll,
                        double bytes, const CollectiveTimer& time) {
  if (group.size() == 1) return time(coll, bytes, group[0].stride, group[0].size);
  return CollectiveTime(coll, bytes, GroupShares(c.network, group), c.network,
                        c.execution_backend.astra.collectives);
}

// Parameters on one GPU, their data-parallel gradient and weight traffic,
// and the optimizer step.
void AddParameterCosts(const config::Config& c, StepCosts& costs, const CollectiveTimer& time) {
  const auto& hw = c.hardware;
  const auto dtype = c.training.dtype;
  const auto& p = c.parallelism;
  const double e = static_cast<double>(BytesPerElement(dtype));
  costs.layer_parameters = LayerParameters(c.model) / D(p.tp);
  costs.embedding_parameters = EmbeddingParameters(c.model) / D(p.tp);
  const double grad_bytes = dtype == config::DType::kFp32 ? 4 : 2;
  const int zero = c.training.zero_stage;
  costs.grad_collective = zero >= 1 ? Collective::kReduceScatter : Collective::kAllReduce;
  const RankGroup group = DataParallelGroup(p);
  if (!group.empty()) {
    auto sync = [&](Collective coll, double bytes) {
      return DataParallelTime(c, group, coll, bytes, time);
    };
    costs.layer_grad_sync = sync(costs.grad_collective, costs.layer_parameters * grad_bytes);
    costs.embedding_grad_sync =
        sync(costs.grad_collective, costs.embedding_parameters * grad_bytes);
    if (zero >= 1) {
      costs.layer_weight_gather = sync(Collective::kAllGather, costs.layer_parameters * e);
      costs.embedding_weight_gather = sync(Collective::kAllGather, costs.embedding_parameters * e);
    }
  }
  // Per parameter: the launch cost is paid per step, not per parameter, so
  // the builder adds it once.
  const Op adam = AdamStep(1.0, dtype);
  costs.optimizer_per_parameter =
      (OpTime(adam, hw, dtype) - hw.kernel_launch) / (zero >= 1 ? D(p.WeightReplicas()) : 1.0);
}

}  // namespace

CollectiveTimer AnalyticalCollectiveTimer(const config::Config& c) {
  return [&c](Collective coll, double bytes, std::int64_t stride, std::int64_t size) {
    return CollectiveTime(coll, bytes, GroupShares(c.network, stride, size), c.network,
                          c.execution_backend.astra.collectives);
  };
}

StepCosts ComputeStepCosts(const config::Config& c) {
  return ComputeStepCosts(c, AnalyticalCollectiveTimer(c));
}

StepCosts ComputeStepCosts(const config::Config& c, const CollectiveTimer& timer) {
  const LayerShape shape = LayerShape::From(c);
  StepCosts costs;
  AddComputeCosts(c, shape, costs);
  AddActivationCommCosts(c, shape, costs, timer);
  AddParameterCosts(c, costs, timer);
  return costs;
}

double StageTransferTime(const config::Config& c, std::int64_t from, std::int64_t to,
                         double bytes) {
  const std::int64_t stride = c.parallelism.tp * c.parallelism.cp;
  return SendRecvTime(bytes, from * stride, to * stride, c.network);
}

RankGroup DataParallelGroup(const config::ParallelismConfig& p) {
  return Simplified({{.stride = p.tp, .size = p.cp}, {.stride = p.tp * p.cp * p.pp, .size = p.dp}});
}

double ModelFlopsPerStep(const config::Config& c) {
  const auto& m = c.model;
  const double h = D(m.hidden), s = D(m.seq_len), f = D(m.ffn_hidden);
  const double kv = D(m.kv_heads) * D(m.hidden / m.heads);
  // Forward matmul FLOPs per token of one layer: QKV, output, FFN, and the
  // attention scores and context (2 s h each).
  const double ffn = (m.ffn == config::Ffn::kSwiglu ? 3 : 2) * h * f;
  const double layer = 2 * (h * (h + 2 * kv) + h * h + ffn) + 4 * s * h;
  const double logits = 2 * h * D(m.vocab);
  const double tokens = D(c.training.global_batch) * s;
  return 3 * tokens * (D(m.layers) * layer + logits);
}

}  // namespace astrasweep::model
