// The memory model; see memory.h for the sources of the formulas.
#include "astrasweep/model/memory.h"

#include <algorithm>

#include "astrasweep/model/layer_ops.h"

namespace astrasweep::model {
namespace {

double D(std::int64_t x) { return static_cast<double>(x); }

// Bytes per parameter of weights, gradients and optimizer states. Mixed
// precision (Rajbhandari et al. 2020, "ZeRO", section 3.1): 16-bit weights
// and gradients, fp32 master weights, momentum and variance (12 bytes);
// Megatron accumulates the gradients in fp32 main_grad buffers (4 bytes,
// 18 in all) unless fp32_main_grads is off. fp32 training: 4-byte weights
// and gradients, 8 bytes of Adam moments.
struct PerParameter {
  double weights, gradients, optimizer;
};

PerParameter BytesPerParameter(const config::TrainingConfig& t) {
  if (t.dtype == config::DType::kFp32) return {4, 4, 8};
  // fp8 (Transformer Engine): the BF16 weights and their FP8 copy for the
  // GEMMs (the scaling factors and amax history are kilobytes a layer).
  const double weights =
      static_cast<double>(BytesPerElement(t.dtype)) + (t.dtype == config::DType::kFp8 ? 1.0 : 0.0);
  return {weights, t.fp32_main_grads ? 4.0 : 2.0, 12};
}

}  // namespace

double LayerActivationBytes(const config::Config& c) {
  const auto& m = c.model;
  const double s = D(m.seq_len), b = D(c.training.micro_batch), h = D(m.hidden);
  const double a = D(m.heads), f = D(m.ffn_hidden), t = D(c.parallelism.tp);
  const double kv = D(m.kv_heads) / a;  // K and V relative to Q
  const double e = static_cast<double>(BytesPerElement(c.training.dtype));
  const bool sp = c.training.sequence_parallel;
  const double sbh = s * b * h;
  switch (c.training.recompute) {
    case config::Recompute::kFull:  // the layer input only
      return e * sbh / (sp ? t : 1.0) / D(c.parallelism.cp);
    case config::Recompute::kNone:
    case config::Recompute::kSelective: break;
  }
  // Not split by tensor parallelism unless sequence parallel: the two
  // layer-norm inputs, the QKV and FC1 inputs, and two 1-byte dropout masks.
  const double replicated = 4 * e * sbh + 2 * sbh;
  // Split: Q, K, V; the attention context; FC1's output and the activation's.
  const double fc1_out = m.ffn == config::Ffn::kSwiglu ? 2 * f : f;
  const double split = e * sbh * (1 + 2 * kv) + e * sbh + e * s * b * (fc1_out + f);
  // The attention core's own: unfused, the softmax output (e), dropout mask
  // (1 byte) and dropout output (e) of each of the s x s scores; flash
  // stores no scores, only the softmax's log-sum-exp (one fp32 per query
  // and head; its backward recomputes the rest, its dropout mask comes
  // from the RNG state). Selective recompute recomputes the core: neither.
  const bool flash = c.training.attention == config::Attention::kFlash;
  double attention = 0;
  if (c.training.recompute != config::Recompute::kSelective)
    attention = flash ? 4 * a * s * b : (2 * e + 1) * a * s * s * b;
  // Context parallelism: s / cp tokens each, whose queries' scores and
  // statistics are 1/cp of the sequence's.
  const double per_sequence = (sp ? replicated / t : replicated) + split / t + attention / t;
  return per_sequence / D(c.parallelism.cp);
}

double MicroBatchesInFlight(const config::Config& c, std::int64_t stage) {
  const auto& p = c.parallelism;
  const double m = D(c.training.global_batch / (c.training.micro_batch * p.dp));
  switch (c.training.schedule) {
    case config::Schedule::kGpipe: return m;
    case config::Schedule::k1F1B: return std::min(m, D(p.pp - stage));
    case config::Schedule::kInterleaved: {
      // Narayanan et al. 2021, section 2.2.2: stage k warms up with
      // 2 (p - k - 1) + (v - 1) p chunks, and holds one more in the steady
      // state; a chunk is 1/v of the stage's layers.
      const double pp = D(p.pp), v = D(c.training.virtual_stages);
      const double chunks = 2 * (pp - D(stage) - 1) + (v - 1) * pp + 1;
      return std::min(m, chunks / v);
    }
  }
  return m;
}

MemoryBreakdown PeakMemory(const config::Config& c) {
  const auto& p = c.parallelism;
  const auto& m = c.model;
  const PerParameter per = BytesPerParameter(c.training);
  // ZeRO shards over the GPUs that hold the same weights: the data-parallel
  // replicas and the cp ranks (Megatron-core's distributed optimizer).
  const double t = D(p.tp), shards = D(p.WeightReplicas());
  const int zero = c.training.zero_stage;
  const std::int64_t layers_per_stage = (m.layers + p.pp - 1) / p.pp;
  const double layer_activations = LayerActivationBytes(c);
  MemoryBreakdown peak;
  for (std::int64_t stage : {std::int64_t{0}, p.pp - 1}) {
    double params = D(layers_per_stage) * LayerParameters(m) / t;
    // The first stage holds the embedding, the last the output layer (tied
    // or not, Megatron keeps a copy there).
    if (stage == 0) params += EmbeddingParameters(m) / t;
    if (stage == p.pp - 1) params += EmbeddingParameters(m) / t;
    MemoryBreakdown mb;
    mb.stage = stage;
    mb.parameters = params;
    mb.weights = params * per.weights / (zero >= 3 ? shards : 1.0);
    mb.gradients = params * per.gradients / (zero >= 2 ? shards : 1.0);
    mb.optimizer = params * per.optimizer / (zero >= 1 ? shards : 1.0);
    if (zero >= 3 && shards > 1) {
      // ZeRO 3 / FSDP gathers each unit (a layer; the embedding or output
      // layer, which both stages weighed here hold) whole before it runs
      // and prefetches the next: two units' weights, and backward two
      // units' unsharded gradients before their reduce-scatter.
      const double unit = std::max(LayerParameters(m), EmbeddingParameters(m)) / t;
      mb.weights += 2 * unit * per.weights;
      mb.gradients += 2 * unit * per.gradients;
    }
    const double flight = MicroBatchesInFlight(c, stage);
    mb.activations = D(layers_per_stage) * layer_activations * flight;
    if (stage == p.pp - 1) {
      // fp32 logits for the loss of one micro-batch, of its s / cp tokens.
      mb.activations += 4.0 * D(m.seq_len / p.cp) * D(c.training.micro_batch) * D(m.vocab) / t;
    }
    mb.total = mb.weights + mb.gradients + mb.optimizer + mb.activations;
    if (mb.total > peak.total) peak = mb;
  }
  peak.fits = peak.total <= c.hardware.memory_bytes - c.hardware.reserved_bytes;
  return peak;
}

}  // namespace astrasweep::model
