// The pipeline builder of pipeline.h.
#include "astrasweep/graph/pipeline.h"

#include <fmt/format.h>

#include <algorithm>

#include "astrasweep/model/layer_ops.h"

namespace astrasweep::graph {
namespace {

using I32 = std::int32_t;
using I64 = std::int64_t;

I32 N(I64 x) { return static_cast<I32>(x); }
double D(I64 x) { return static_cast<double>(x); }

struct Unit {
  I32 chunk;
  I32 microbatch;
  bool forward;
};

// Stage k's compute order (see pipeline.h).
void StageOrder(config::Schedule schedule, I64 pp, I64 v, I64 m, I64 k, std::vector<Unit>& out) {
  out.clear();
  const I64 total = m * v;
  out.reserve(static_cast<std::size_t>(2 * total));
  auto unit = [&](I64 u, bool forward) {
    I64 chunk = (u % (pp * v)) / pp;
    if (!forward) chunk = v - 1 - chunk;
    return Unit{N(chunk), N((u / (pp * v)) * pp + u % pp), forward};
  };
  I64 warmup = total;
  if (schedule == config::Schedule::k1F1B) warmup = std::min(pp - k - 1, total);
  if (schedule == config::Schedule::kInterleaved && m != pp)
    warmup = std::min(2 * (pp - k - 1) + (v - 1) * pp, total);
  for (I64 u = 0; u < warmup; ++u) out.push_back(unit(u, true));
  for (I64 j = 0; j < total - warmup; ++j) {
    out.push_back(unit(warmup + j, true));
    out.push_back(unit(j, false));
  }
  for (I64 j = total - warmup; j < total; ++j) out.push_back(unit(j, false));
}

// What a compute node does: kernel time, the tensor-parallel communication
// it blocks on, and FLOPs per GPU.
struct Work {
  double kernels, blocking, flops;
};

// `layers` layers of one micro-batch in one direction, plus the embedding
// and the head (logits and loss) when the node holds them. A backward
// includes its recompute.
Work LayersWork(const model::StepCosts& k, double layers, bool forward, bool embedding, bool head) {
  if (forward)
    return {layers * k.layer_forward + (embedding ? k.embedding_forward : 0) +
                (head ? k.head_forward : 0),
            layers * k.layer_forward_tp + (embedding ? k.embedding_forward_tp : 0),
            layers * k.layer_forward_flops + (head ? k.head_forward_flops : 0)};
  return {layers * (k.layer_backward + k.layer_recompute) + (embedding ? k.embedding_backward : 0) +
              (head ? k.head_backward : 0),
          layers * (k.layer_backward_tp + k.layer_recompute_tp) + (head ? k.head_backward_tp : 0),
          layers * k.layer_backward_flops + (head ? k.head_backward_flops : 0)};
}

I64 VirtualStages(const config::Config& c) {
  return c.training.schedule == config::Schedule::kInterleaved ? c.training.virtual_stages : 1;
}

}  // namespace

std::int64_t MicroBatches(const config::Config& c) {
  return c.training.global_batch / (c.training.micro_batch * c.parallelism.dp);
}

std::pair<I32, I32> VirtualStageLayers(I64 layers, I64 count, I64 vs) {
  const I64 base = layers / count, extra = layers % count;
  const I64 begin = vs * base + std::min(vs, extra);
  return {N(begin), N(begin + base + (vs < extra ? 1 : 0))};
}

Status CheckPipeline(const config::Config& c) {
  const I64 pp = c.parallelism.pp, layers = c.model.layers, m = MicroBatches(c);
  if (pp > layers)
    return InvalidInput(fmt::format("{} pipeline stages but model.layers = {}: each stage needs "
                                    "at least one layer; lower parallelism.pp",
                                    pp, layers),
                        {.key_path = "parallelism.pp"});
  if (c.training.schedule != config::Schedule::kInterleaved) return Ok();
  const I64 v = c.training.virtual_stages;
  if (pp < 2)
    return InvalidInput("the interleaved schedule needs parallelism.pp >= 2; use 1f1b",
                        {.key_path = "training.schedule"});
  if (layers % (pp * v) != 0)
    return InvalidInput(fmt::format("the interleaved schedule needs model.layers = {} to be a "
                                    "multiple of pp * virtual_stages = {}",
                                    layers, pp * v),
                        {.key_path = "training.virtual_stages"});
  if (m % pp != 0)
    return InvalidInput(
        fmt::format("the interleaved schedule needs the micro-batches per pipeline "
                    "(global_batch / (micro_batch * dp) = {}) to be a multiple of pp = {}",
                    m, pp),
        {.key_path = "training.global_batch"});
  return Ok();
}

Expected<Graph> BuildPipelineGraph(const config::Config& c, const model::StepCosts& costs) {
  Graph g;
  ASTRASWEEP_RETURN_IF_ERROR(BuildPipelineGraph(c, costs, g));
  return g;
}

Status BuildPipelineGraph(const config::Config& c, const model::StepCosts& k, Graph& g) {
  ASTRASWEEP_RETURN_IF_ERROR(CheckPipeline(c));
  g.Clear();
  const I64 pp = c.parallelism.pp, tp = c.parallelism.tp, v = VirtualStages(c);
  const I64 vstages = pp * v, m = MicroBatches(c);
  const bool data_parallel = c.parallelism.dp > 1;
  const bool split_last = data_parallel && c.training.dp_overlap;
  const bool zero3 = data_parallel && c.training.zero_stage >= 3;
  const bool gather_after_step = data_parallel && c.training.zero_stage >= 1;
  const char* grad_name = k.grad_collective == model::Collective::kAllReduce
                              ? "dp_grad_all_reduce"
                              : "dp_grad_reduce_scatter";

  const std::size_t units = static_cast<std::size_t>(2 * vstages * m);
  g.Reserve(2 * units + static_cast<std::size_t>(8 * pp), 3 * units);
  std::vector<StreamId> compute(static_cast<std::size_t>(pp)), fwd_link(compute.size()),
      bwd_link(compute.size()), dp(compute.size());
  for (I64 s = 0; s < pp; ++s) {
    const std::size_t i = static_cast<std::size_t>(s);
    compute[i] = g.AddStream({StreamKind::kCompute, N(s), -1});
    fwd_link[i] = g.AddStream({StreamKind::kPipelineLink, N(s), N((s + 1) % pp)});
    bwd_link[i] = g.AddStream({StreamKind::kPipelineLink, N(s), N((s + pp - 1) % pp)});
    dp[i] = g.AddStream({StreamKind::kDataParallel, N(s), -1});
  }

  // entry/exit node of each (direction, virtual stage, micro-batch).
  auto slot = [&](I64 vs, I64 mb) { return static_cast<std::size_t>(vs * m + mb); };
  std::vector<NodeId> entry[2], exit[2];
  for (int d = 0; d < 2; ++d) {
    entry[d].assign(static_cast<std::size_t>(vstages * m), -1);
    exit[d].assign(entry[d].size(), -1);
  }

  auto compute_node = [&](I64 stage, I64 chunk, I64 mb, bool forward, I32 begin, I32 end,
                          const Work& work) {
    Node n;
    n.kind = NodeKind::kCompute;
    n.direction = forward ? Direction::kForward : Direction::kBackward;
    n.traffic = work.blocking > 0 ? Traffic::kTensor : Traffic::kNone;
    n.stream = compute[static_cast<std::size_t>(stage)];
    n.stage = N(stage);
    n.chunk = N(chunk);
    n.microbatch = N(mb);
    n.layer_begin = begin;
    n.layer_end = end;
    n.rank = N(stage * tp);
    n.duration = work.kernels + work.blocking;
    n.blocking_comm = work.blocking;
    n.flops = work.flops;
    n.name = forward ? "forward" : "backward";
    return g.Add(n);
  };
  auto data_node = [&](I64 stage, const char* name, model::Collective coll, double duration,
                       double bytes) {
    Node n;
    n.kind = NodeKind::kCollective;
    n.traffic = Traffic::kData;
    n.collective = coll;
    n.stream = dp[static_cast<std::size_t>(stage)];
    n.stage = N(stage);
    n.rank = N(stage * tp);
    n.duration = duration;
    n.bytes = bytes;
    n.name = name;
    return g.Add(n);
  };
  const double grad_bytes = c.training.dtype == config::DType::kFp32 ? 4 : 2;
  const double weight_bytes = static_cast<double>(model::BytesPerElement(c.training.dtype));
  // Data-parallel traffic of `layers` layers plus `embeddings` embedding or
  // output layers: their gradients' reduction, their weights' all-gather.
  auto params = [&](double layers, int embeddings) {
    return layers * k.layer_parameters + embeddings * k.embedding_parameters;
  };
  auto grad_node = [&](I64 stage, double layers, int embeddings) {
    return data_node(stage, grad_name, k.grad_collective,
                     layers * k.layer_grad_sync + embeddings * k.embedding_grad_sync,
                     params(layers, embeddings) * grad_bytes);
  };
  auto gather_node = [&](I64 stage, double layers, int embeddings) {
    return data_node(stage, "dp_weight_all_gather", model::Collective::kAllGather,
                     layers * k.layer_weight_gather + embeddings * k.embedding_weight_gather,
                     params(layers, embeddings) * weight_bytes);
  };

  // Each virtual stage's layers, and the work of one micro-batch's forward
  // (work[0]) and backward (work[1]) over them: computed once, used by every
  // micro-batch.
  struct VirtualStage {
    I32 begin, end;
    Work work[2];
  };
  std::vector<VirtualStage> virtual_stages;
  virtual_stages.reserve(static_cast<std::size_t>(vstages));
  for (I64 vs = 0; vs < vstages; ++vs) {
    const auto [b, e] = VirtualStageLayers(c.model.layers, vstages, vs);
    const bool first = vs == 0, last = vs == vstages - 1;
    virtual_stages.push_back({b,
                              e,
                              {LayersWork(k, D(e - b), true, first, last),
                               LayersWork(k, D(e - b), false, first, last)}});
  }

  std::vector<std::vector<Unit>> orders(static_cast<std::size_t>(pp));
  for (I64 stage = 0; stage < pp; ++stage) {
    std::vector<Unit>& order = orders[static_cast<std::size_t>(stage)];
    StageOrder(c.training.schedule, pp, v, m, stage, order);
    NodeId last_compute = -1, last_grad = -1;
    I64 stage_layers = 0;
    for (I64 chunk = 0; chunk < v; ++chunk) {
      const VirtualStage& chunk_vs = virtual_stages[static_cast<std::size_t>(chunk * pp + stage)];
      stage_layers += chunk_vs.end - chunk_vs.begin;
    }
    const int stage_embeddings = (stage == 0 ? 1 : 0) + (stage == pp - 1 ? 1 : 0);

    for (const Unit& u : order) {
      const I64 vs = u.chunk * pp + stage;
      const VirtualStage& here = virtual_stages[static_cast<std::size_t>(vs)];
      const I32 begin = here.begin, end = here.end;
      const double n = D(end - begin);
      const bool first = vs == 0, last = vs == vstages - 1;
      NodeId gather = zero3 ? gather_node(stage, n, (first ? 1 : 0) + (last ? 1 : 0)) : -1;
      const std::size_t at = slot(vs, u.microbatch);
      const int dir = u.forward ? 0 : 1;
      if (!u.forward && split_last && u.microbatch == m - 1) {
        // Layer by layer, last layer first, each layer's gradients reduced as
        // soon as they are complete.
        for (I32 layer = end - 1; layer >= begin; --layer) {
          const bool head_piece = last && layer == end - 1;
          const bool embedding_piece = first && layer == begin;
          const NodeId id = compute_node(stage, u.chunk, u.microbatch, false, layer, layer + 1,
                                         LayersWork(k, 1, false, embedding_piece, head_piece));
          if (layer == end - 1) entry[dir][at] = id;
          if (gather >= 0) g.AddDependency(id, gather);
          gather = -1;
          last_grad = grad_node(stage, 1, (head_piece ? 1 : 0) + (embedding_piece ? 1 : 0));
          g.AddDependency(last_grad, id);
          exit[dir][at] = last_compute = id;
        }
        continue;
      }
      const NodeId id =
          compute_node(stage, u.chunk, u.microbatch, u.forward, begin, end, here.work[dir]);
      entry[dir][at] = exit[dir][at] = last_compute = id;
      if (gather >= 0) g.AddDependency(id, gather);
    }

    if (data_parallel && !split_last) {
      last_grad = grad_node(stage, D(stage_layers), stage_embeddings);
      g.AddDependency(last_grad, last_compute);
    }
    Node opt;
    opt.kind = NodeKind::kCompute;
    opt.stream = compute[static_cast<std::size_t>(stage)];
    opt.stage = N(stage);
    opt.rank = N(stage * tp);
    opt.duration = params(D(stage_layers), stage_embeddings) * k.optimizer_per_parameter +
                   c.hardware.kernel_launch;
    opt.name = "optimizer";
    const NodeId optimizer = g.Add(opt);
    if (last_grad >= 0) g.AddDependency(optimizer, last_grad);
    if (gather_after_step)
      g.AddDependency(gather_node(stage, D(stage_layers), stage_embeddings), optimizer);
  }

  // Activations forward and gradients backward between virtual stages, in
  // each sender's compute order.
  for (I64 stage = 0; stage < pp; ++stage) {
    const I64 next = (stage + 1) % pp, prev = (stage + pp - 1) % pp;
    const double fwd_time = model::StageTransferTime(c, stage, next, k.p2p_bytes);
    const double bwd_time = model::StageTransferTime(c, stage, prev, k.p2p_bytes);
    for (const Unit& u : orders[static_cast<std::size_t>(stage)]) {
      const I64 vs = u.chunk * pp + stage;
      const int dir = u.forward ? 0 : 1;
      const std::size_t from = slot(vs, u.microbatch);
      if (u.forward && vs == vstages - 1) {
        g.AddDependency(entry[1][from], exit[0][from]);  // the loss turns around
        continue;
      }
      if (!u.forward && vs == 0) continue;
      const I64 to_vs = u.forward ? vs + 1 : vs - 1;
      Node t;
      t.kind = NodeKind::kSendRecv;
      t.direction = u.forward ? Direction::kForward : Direction::kBackward;
      t.traffic = Traffic::kPipeline;
      t.stream = u.forward ? fwd_link[static_cast<std::size_t>(stage)]
                           : bwd_link[static_cast<std::size_t>(stage)];
      t.stage = N(stage);
      t.chunk = u.chunk;
      t.microbatch = u.microbatch;
      t.rank = N(stage * tp);
      t.peer = N((u.forward ? next : prev) * tp);
      t.duration = u.forward ? fwd_time : bwd_time;
      t.bytes = k.p2p_bytes;
      t.name = u.forward ? "send_activation" : "send_gradient";
      const NodeId id = g.Add(t);
      g.AddDependency(id, exit[dir][from]);
      g.AddDependency(entry[dir][slot(to_vs, u.microbatch)], id);
    }
  }
  return Ok();
}

}  // namespace astrasweep::graph
