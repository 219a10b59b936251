// The operations of a decoder transformer layer, and of the embedding,
// logits, loss and optimizer, with their FLOPs and bytes moved per GPU for
// one micro-batch under Megatron-style tensor parallelism (column-parallel
// QKV and FC1, row-parallel output projection and FC2; with sequence
// parallelism the norms, dropouts and residuals work on s/tp tokens) and
// context parallelism (each GPU holds s/c tokens of every sequence: every
// per-token op works on them, and their s/c queries attend to the whole
// sequence, whose keys and values ring attention brings in, so the
// attention core is 1/c of the sequence's).
//
// Notation: b micro-batch, s sequence, h hidden, a heads, g kv heads,
// d = h/a head size, f FFN hidden, V vocabulary, t tensor parallel, c
// context parallel, e bytes per element. A GEMM (m x k)(k x n) costs 2mkn
// FLOPs and moves e(mk + kn + mn) bytes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "astrasweep/config/config.h"

namespace astrasweep::model {

enum class OpKind { kGemm, kMemoryBound };

struct Op {
  std::string_view name;
  OpKind kind = OpKind::kMemoryBound;
  double flops = 0;
  double bytes = 0;
  // GEMM shape (per GPU), for wave quantization; batch for batched GEMMs.
  std::int64_t m = 0, n = 0, k = 0, batch = 1;
};

struct LayerShape {
  std::int64_t b, s, h, a, g, d, f, v, t;
  std::int64_t c = 1;  // context parallel: s / c tokens on each GPU
  bool swiglu = false;
  bool sequence_parallel = false;
  bool flash_attention = false;
  double e = 2;  // bytes per element
  static LayerShape From(const config::Config& config);
};

// One transformer layer's forward pass.
std::vector<Op> LayerForward(const LayerShape& s);
// Its backward pass: input-gradient and weight-gradient GEMMs, and the
// backward of every memory-bound op.
std::vector<Op> LayerBackward(const LayerShape& s);
// What the backward pass recomputes first: nothing, the attention core
// (selective, Korthikanti et al. 2022), or the whole forward (full).
std::vector<Op> LayerRecompute(const LayerShape& s, config::Recompute recompute);
// The attention core alone (flash: one fused kernel; unfused: QK^T,
// softmax, dropout, PV), forward and backward: the compute ring attention
// overlaps its transfers with.
std::vector<Op> AttentionCoreForward(const LayerShape& s);
std::vector<Op> AttentionCoreBackward(const LayerShape& s);

std::vector<Op> EmbeddingForward(const LayerShape& s);
std::vector<Op> EmbeddingBackward(const LayerShape& s);
// Logits GEMM (vocabulary-parallel) and the cross-entropy loss.
std::vector<Op> HeadForward(const LayerShape& s);
std::vector<Op> HeadBackward(const LayerShape& s);

double TotalFlops(const std::vector<Op>& ops);
double TotalBytes(const std::vector<Op>& ops);

// Parameters of one layer (whole, before tensor parallelism).
double LayerParameters(const config::ModelConfig& m);
// Embedding (and, untied, output) parameters: V * h each.
double EmbeddingParameters(const config::ModelConfig& m);

// Bytes of an activation, weight or communicated element: 2 in fp8
// training too (Transformer Engine runs only the GEMMs in FP8).
std::size_t BytesPerElement(config::DType dtype);

}  // namespace astrasweep::model
