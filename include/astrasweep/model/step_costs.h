// The costs of the pieces one training step is built from, on one GPU of a
// point: per transformer layer and micro-batch the compute of the forward,
// backward and recompute and the tensor-parallel communication each blocks
// on; the embedding and the output head; the pipeline transfer; the
// data-parallel gradient and parameter traffic; the optimizer step. The graph
// builders turn them into nodes.
//
// Tensor parallelism (t GPUs, activation A = b s h e bytes):
//   1-D, no sequence parallelism: per layer two all-reduces of A forward
//     (after the row-parallel output projection and FC2) and two backward
//     (the column-parallel inputs' gradients).
//   1-D, sequence parallel: each all-reduce becomes a reduce-scatter and an
//     all-gather of A (Korthikanti et al. 2022, section 4.2.2), the same
//     volume.
//   2-D (kp1 x kp2, kp1 innermost): per attention and MLP block an
//     all-gather of the block input over the kp1 group (A / kp2 gathered)
//     and a reduce-scatter of its output over the kp2 group (A / kp1),
//     mirrored backward.
//   Full recompute repeats the forward's communication; selective does not.
//   The embedding's output is all-reduced (reduce-scattered with sequence
//   parallelism) over t forward, and so is the head's input gradient
//   backward.
// Context parallelism (c GPUs, stride t): each GPU holds s/c tokens, so A
//   above is b (s/c) h e; ring attention's exposed time (ring_attention.h)
//   is added to what each layer's forward, backward and recompute (of the
//   attention core: selective or full) wait for.
// Pipeline: each GPU sends its 1/t share of the activation (Megatron's
//   scatter/gather optimisation; with sequence parallelism it is what it
//   holds) to its peer in the next stage (stride t c), forward, and the
//   gradient back.
// Data parallelism (d replicas, gradients in 16 bits, 32 with fp32): the
//   gradients are reduced over the d c GPUs holding the same weights
//   (Megatron-core's data-parallel group with the cp ranks: strides t and
//   t c p); ZeRO 0 all-reduces each layer's gradients; ZeRO >= 1
//   reduce-scatters them and, after the optimizer, all-gathers the updated
//   weights, sharding the optimizer over d c; ZeRO 3 instead all-gathers
//   each layer's weights before its forward and its backward and
//   reduce-scatters its gradients after each backward (the graph's plan
//   times them per layer, graph/pipeline_plan.h).
#pragma once

#include <functional>

#include <cstdint>
#include <vector>

#include "astrasweep/config/config.h"
#include "astrasweep/model/collectives.h"

namespace astrasweep::model {

struct StepCosts {
  // Seconds per transformer layer and micro-batch on one GPU.
  double layer_forward = 0;     // kernels
  double layer_backward = 0;    // kernels, without recompute
  double layer_recompute = 0;   // kernels the backward recomputes first
  // Communication it waits for: tensor-parallel collectives and the exposed
  // part of ring attention.
  double layer_forward_tp = 0;
  double layer_backward_tp = 0;
  double layer_recompute_tp = 0;
  // Of which ring attention (context parallelism), for reports; already in
  // the three above.
  double layer_forward_cp = 0, layer_backward_cp = 0, layer_recompute_cp = 0;
  // Per micro-batch: embedding on the first stage, head and loss on the last.
  double embedding_forward = 0, embedding_backward = 0;
  double head_forward = 0, head_backward = 0;
  double embedding_forward_tp = 0, head_backward_tp = 0;
  // FLOPs each GPU executes per layer and micro-batch, the backward's
  // including its recompute; and for the head (logits and loss).
  double layer_forward_flops = 0, layer_backward_flops = 0;
  double head_forward_flops = 0, head_backward_flops = 0;

  // Pipeline: bytes each GPU sends to the next stage per micro-batch.
  double p2p_bytes = 0;

  // Data parallelism, per layer (and for the embedding or output layer's
  // extra parameters on the first and last stage).
  double layer_parameters = 0;      // on one GPU (after tensor parallelism)
  double embedding_parameters = 0;  // on one GPU of the first or last stage
  Collective grad_collective = Collective::kAllReduce;
  double layer_grad_sync = 0;  // seconds, gradients of one layer
  double embedding_grad_sync = 0;
  double layer_weight_gather = 0;  // ZeRO 1, 2 after the step; ZeRO 3 per use
  double embedding_weight_gather = 0;
  // Optimizer step per parameter held on one GPU (1/(d c) of them with ZeRO >= 1).
  double optimizer_per_parameter = 0;
};

// Times one collective of `bytes` (the analytical convention of
// collectives.h: the gathered result for an all-gather) over the group of
// ranks {stride * i, i < size}. The default is the analytical
// CollectiveTime; the hybrid mode passes the network simulator's.
using CollectiveTimer =
    std::function<double(Collective c, double bytes, std::int64_t stride, std::int64_t size)>;
CollectiveTimer AnalyticalCollectiveTimer(const config::Config& c);

StepCosts ComputeStepCosts(const config::Config& c);
StepCosts ComputeStepCosts(const config::Config& c, const CollectiveTimer& timer);

// Seconds to send `bytes` from the GPU of stage `from` to that of stage `to`
// (tensor- and context-parallel rank 0, data-parallel replica 0).
double StageTransferTime(const config::Config& c, std::int64_t from, std::int64_t to, double bytes);

// The GPUs holding the same weights, whose gradients are reduced together:
// the data-parallel replicas and the cp ranks ({t c p i + t j, i < d, j < c}),
// simplified (one part when cp or pp is 1).
RankGroup DataParallelGroup(const config::ParallelismConfig& p);

// Model FLOPs of one training step (forward and backward, no recompute) over
// the whole batch (whatever the parallelism): 3 x the forward matmul FLOPs of every layer and the
// logits. For a GPT with f = 4h and no GQA it equals Narayanan et al. 2021's
// 72 B s l h^2 (1 + s / (6 h) + V / (12 l h)).
double ModelFlopsPerStep(const config::Config& c);

}  // namespace astrasweep::model
