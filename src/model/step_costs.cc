// The step's building blocks, from the per-op roofline and the collective
// formulas; see step_costs.h for what each tensor-, pipeline- and
// data-parallel term stands for.
#include "astrasweep/model/step_costs.h"

#include <algorithm>

#include "astrasweep/model/compute.h"
#include "astrasweep/model/layer_ops.h"
#include "astrasweep/model/ring_attention.h"

namespace astrasweep::model {
namespace {

double D(std::int64_t x) { return static_cast<double>(x); }

struct TensorComm {
  double gather = 0;  // one block's all-gather (sequence parallel, 2-D), each direction
  double reduce = 0;  // one block's reduction: all-reduce, or reduce-scatter (sequence parallel,
                      // 2-D); also the embedding output's and the head input gradient's
  double Block() const { return gather + reduce; }
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
    comm.gather = time(Collective::kAllGather, activation_bytes / D(kp2), 1, kp1);
  } else if (c.training.sequence_parallel) {
    comm.reduce = time(Collective::kReduceScatter, activation_bytes, 1, p.tp);
    comm.gather = time(Collective::kAllGather, activation_bytes, 1, p.tp);
  } else {
    comm.reduce = time(Collective::kAllReduce, activation_bytes, 1, p.tp);
  }
  return comm;
}

// The GEMMs of one block (attention: QKV and the output projection; MLP:
// FC1 and FC2) that its tensor-parallel collectives can hide under: the
// column-parallel GEMM's forward and weight gradient, the row-parallel
// GEMM's forward and input gradient.
struct BlockGemms {
  double column_forward = 0, column_weight_grad = 0;
  double row_forward = 0, row_input_grad = 0;
};

// Seconds of the forward GEMM named `name`, or of its backward's input-
// (first) or weight-gradient (second) GEMM.
double GemmTime(const std::vector<Op>& ops, std::string_view name, int occurrence,
                const config::HardwareConfig& hw, config::DType dtype) {
  for (const Op& op : ops)
    if (op.kind == OpKind::kGemm && op.name == name && occurrence-- == 0)
      return OpTime(op, hw, dtype);
  return 0;
}

BlockGemms Gemms(const std::vector<Op>& forward, const std::vector<Op>& backward,
                 std::string_view column, std::string_view row, const config::Config& c) {
  const auto& hw = c.hardware;
  const auto dtype = c.training.dtype;
  return {.column_forward = GemmTime(forward, column, 0, hw, dtype),
          .column_weight_grad = GemmTime(backward, column, 1, hw, dtype),
          .row_forward = GemmTime(forward, row, 0, hw, dtype),
          .row_input_grad = GemmTime(backward, row, 0, hw, dtype)};
}

// What one block waits for, forward and backward, under training.tp_overlap
// (config.h): with `backward`, the column-parallel input gradient's
// reduction runs under its weight-gradient GEMM; with `full` (sequence
// parallel), each all-gather also runs under the GEMM it feeds and each
// reduce-scatter under the GEMM it follows (Transformer Engine splits both
// into chunks, so only what the GEMM cannot cover is exposed).
struct BlockWait {
  double forward = 0, backward = 0;
};

BlockWait Exposed(const TensorComm& comm, const BlockGemms& g, config::TpOverlap overlap) {
  auto beyond = [](double comm_s, double gemm_s) { return std::max(0.0, comm_s - gemm_s); };
  switch (overlap) {
    case config::TpOverlap::kNone: break;
    case config::TpOverlap::kBackward:
      return {.forward = comm.Block(),
              .backward = comm.gather + beyond(comm.reduce, g.column_weight_grad)};
    case config::TpOverlap::kFull:
      return {.forward = beyond(comm.gather, g.column_forward) + beyond(comm.reduce, g.row_forward),
              .backward = beyond(comm.gather, g.row_input_grad) +
                          beyond(comm.reduce, g.column_weight_grad)};
  }
  return {.forward = comm.Block(), .backward = comm.Block()};
}

// Adam under mixed precision reads the gradient, the fp32 master weight and
// both moments and writes all but the gradient plus the 16-bit weight:
// 28 bytes and about 12 FLOPs per parameter (24 bytes in fp32 training).
Op AdamStep(double parameters, config::DType dtype) {
  const double bytes = dtype == config::DType::kFp32 ? 24 : 28;
  return Op{"adam", OpKind::kMemoryBound, 12 * parameters, bytes * parameters};
}

// The kernels of a layer, the embedding and the head, with their FLOPs.
void AddComputeCosts(const config::Config& c, const LayerShape& shape,
                     const std::vector<Op>& forward, const std::vector<Op>& backward,
                     StepCosts& costs) {
  const auto& hw = c.hardware;
  const auto dtype = c.training.dtype;
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
void AddActivationCommCosts(const config::Config& c, const LayerShape& shape,
                            const std::vector<Op>& forward, const std::vector<Op>& backward,
                            StepCosts& costs, const CollectiveTimer& time) {
  const double e = static_cast<double>(BytesPerElement(c.training.dtype));
  const double activation = D(shape.b) * D(shape.s / shape.c) * D(shape.h) * e;
  const TensorComm tp = TensorParallelComm(c, activation, time);
  const auto overlap = c.training.tp_overlap;
  const BlockWait attention =
      Exposed(tp, Gemms(forward, backward, "qkv", "attention_output", c), overlap);
  const BlockWait mlp = Exposed(tp, Gemms(forward, backward, "fc1", "fc2", c), overlap);
  const RingAttention ring = RingAttentionCosts(c, shape);
  const auto recompute = c.training.recompute;
  costs.layer_forward_cp = ring.forward.exposed;
  costs.layer_backward_cp = ring.backward.exposed;
  costs.layer_recompute_cp = recompute == config::Recompute::kNone ? 0 : ring.forward.exposed;
  costs.layer_forward_tp = attention.forward + mlp.forward + costs.layer_forward_cp;
  costs.layer_backward_tp = attention.backward + mlp.backward + costs.layer_backward_cp;
  costs.layer_recompute_tp =
      (recompute == config::Recompute::kFull ? attention.forward + mlp.forward : 0) +
      costs.layer_recompute_cp;
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
  const auto forward = LayerForward(shape), backward = LayerBackward(shape);
  AddComputeCosts(c, shape, forward, backward, costs);
  AddActivationCommCosts(c, shape, forward, backward, costs, timer);
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
