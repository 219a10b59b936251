// The operation lists of a layer. Each op's FLOPs and bytes come from its
// shape through Gemm() or Elementwise(), so the formulas live in two places.
#include "astrasweep/model/layer_ops.h"

namespace astrasweep::model {
namespace {

double D(std::int64_t x) { return static_cast<double>(x); }

Op Gemm(std::string_view name, std::int64_t m, std::int64_t n, std::int64_t k, double e,
        std::int64_t batch = 1) {
  const double bt = D(batch);
  return Op{name,
            OpKind::kGemm,
            2 * bt * D(m) * D(n) * D(k),
            e * bt * (D(m) * D(k) + D(k) * D(n) + D(m) * D(n)),
            m,
            n,
            k,
            batch};
}

// An op that reads `reads` and writes `writes` tensors of `elements`
// elements, with `flops_per_element` arithmetic.
Op Elementwise(std::string_view name, double elements, double reads, double writes,
               double flops_per_element, double e) {
  return Op{name, OpKind::kMemoryBound, elements * flops_per_element,
            e * elements * (reads + writes)};
}

// The tokens of each sequence this GPU holds.
std::int64_t LocalSequence(const LayerShape& s) { return s.s / s.c; }
std::int64_t LocalTokens(const LayerShape& s) { return s.b * LocalSequence(s); }

// Tokens the norm/dropout/residual ops see: s/t each with sequence parallel.
double TokenElements(const LayerShape& s) {
  return D(LocalTokens(s)) * D(s.h) / (s.sequence_parallel ? D(s.t) : 1.0);
}

std::int64_t QkvWidth(const LayerShape& s) { return (s.h + 2 * s.g * s.d) / s.t; }
std::int64_t Fc1Width(const LayerShape& s) { return (s.swiglu ? 2 : 1) * s.f / s.t; }

// FlashAttention's causal kernel skips the key blocks above the diagonal: of
// n x n blocks of 128 tokens it computes n (n + 1) / 2. With context
// parallelism the load-balanced chunks give every rank the same share.
constexpr std::int64_t kFlashBlock = 128;
double CausalFraction(std::int64_t sequence) {
  const double blocks = static_cast<double>((sequence + kFlashBlock - 1) / kFlashBlock);
  return (blocks + 1) / (2 * blocks);
}

// The local queries (s/c) against every key of the sequence (s).
void AttentionCore(const LayerShape& s, std::vector<Op>& ops) {
  const std::int64_t heads = s.a / s.t, queries = LocalSequence(s);
  const double scores = D(s.b) * D(heads) * D(queries) * D(s.s);
  if (s.flash_attention) {
    // Fused: QK^T and PV in one kernel, causal blocks only; reads the
    // local q and every k and v, writes the local context.
    Op flash{"flash_attention",
             OpKind::kGemm,
             4 * D(s.b) * D(queries) * D(s.s) * D(s.h) / D(s.t) * CausalFraction(s.s),
             s.e * D(s.b) * (D(queries) * D(2 * s.h / s.t) + D(s.s) * D(2 * s.g * s.d / s.t)),
             queries,
             s.s,
             s.d,
             s.b * heads};
    ops.push_back(flash);
    return;
  }
  ops.push_back(Gemm("attention_scores", queries, s.s, s.d, s.e, s.b * heads));
  ops.push_back(Elementwise("softmax", scores, 1, 1, 5, s.e));
  ops.push_back(Elementwise("attention_dropout", scores, 1, 2, 2, s.e));  // writes a mask
  ops.push_back(Gemm("attention_context", queries, s.d, s.s, s.e, s.b * heads));
}

// The backward of forward ops, in reverse order.
std::vector<Op> BackwardOf(const std::vector<Op>& forward, double e) {
  std::vector<Op> ops;
  for (auto it = forward.rbegin(); it != forward.rend(); ++it) {
    const Op& f = *it;
    if (f.kind == OpKind::kGemm && f.name == "flash_attention") {
      // Flash backward recomputes the scores: 2.5x the forward FLOPs.
      Op back = f;
      back.flops *= 2.5;
      back.bytes *= 2;
      ops.push_back(back);
    } else if (f.kind == OpKind::kGemm) {
      // dX = dY W^T (m x k from m x n, n x k), dW = X^T dY (k x n).
      ops.push_back(Gemm(f.name, f.m, f.k, f.n, e, f.batch));
      ops.push_back(Gemm(f.name, f.k, f.n, f.m, e, f.batch));
    } else {
      // Reads the output gradient and the saved input, writes the input gradient.
      Op back = f;
      back.flops *= 2;
      back.bytes *= 1.5;
      ops.push_back(back);
    }
  }
  return ops;
}

}  // namespace

LayerShape LayerShape::From(const config::Config& c) {
  const auto& m = c.model;
  return LayerShape{.b = c.training.micro_batch,
                    .s = m.seq_len,
                    .h = m.hidden,
                    .a = m.heads,
                    .g = m.kv_heads,
                    .d = m.hidden / m.heads,
                    .f = m.ffn_hidden,
                    .v = m.vocab,
                    .t = c.parallelism.tp,
                    .c = c.parallelism.cp,
                    .swiglu = m.ffn == config::Ffn::kSwiglu,
                    .sequence_parallel = c.training.sequence_parallel,
                    .flash_attention = c.training.attention == config::Attention::kFlash,
                    .e = static_cast<double>(BytesPerElement(c.training.dtype))};
}

std::size_t BytesPerElement(config::DType dtype) {
  switch (dtype) {
    case config::DType::kFp32: return 4;
    // fp8: Transformer Engine casts a GEMM's inputs to FP8 on the way in;
    // the activations, weights and communication stay BF16.
    case config::DType::kFp8:
    case config::DType::kBf16:
    case config::DType::kFp16: return 2;
  }
  return 2;
}

std::vector<Op> LayerForward(const LayerShape& s) {
  const std::int64_t tokens = LocalTokens(s);
  const double act = TokenElements(s);
  std::vector<Op> ops;
  ops.push_back(Elementwise("layernorm_1", act, 1, 1, 5, s.e));
  ops.push_back(Gemm("qkv", tokens, QkvWidth(s), s.h, s.e));
  AttentionCore(s, ops);
  ops.push_back(Gemm("attention_output", tokens, s.h, s.h / s.t, s.e));
  ops.push_back(Elementwise("dropout_residual_1", act, 2, 2, 3, s.e));
  ops.push_back(Elementwise("layernorm_2", act, 1, 1, 5, s.e));
  ops.push_back(Gemm("fc1", tokens, Fc1Width(s), s.h, s.e));
  const double inner = D(tokens) * D(s.f) / D(s.t);
  ops.push_back(s.swiglu ? Elementwise("swiglu", inner, 2, 1, 6, s.e)
                         : Elementwise("gelu", inner, 1, 1, 8, s.e));
  ops.push_back(Gemm("fc2", tokens, s.h, s.f / s.t, s.e));
  ops.push_back(Elementwise("dropout_residual_2", act, 2, 2, 3, s.e));
  return ops;
}

std::vector<Op> LayerBackward(const LayerShape& s) { return BackwardOf(LayerForward(s), s.e); }

std::vector<Op> LayerRecompute(const LayerShape& s, config::Recompute recompute) {
  switch (recompute) {
    case config::Recompute::kNone: return {};
    case config::Recompute::kFull: return LayerForward(s);
    case config::Recompute::kSelective: return AttentionCoreForward(s);
  }
  return {};
}

std::vector<Op> AttentionCoreForward(const LayerShape& s) {
  std::vector<Op> ops;
  AttentionCore(s, ops);
  return ops;
}

std::vector<Op> AttentionCoreBackward(const LayerShape& s) {
  return BackwardOf(AttentionCoreForward(s), s.e);
}

std::vector<Op> EmbeddingForward(const LayerShape& s) {
  const double act = D(LocalTokens(s)) * D(s.h);
  return {Elementwise("embedding", act, 1, 1, 1, s.e)};
}

std::vector<Op> EmbeddingBackward(const LayerShape& s) {
  const double act = D(LocalTokens(s)) * D(s.h);
  return {Elementwise("embedding_grad", act, 2, 1, 1, s.e)};
}

std::vector<Op> HeadForward(const LayerShape& s) {
  const std::int64_t tokens = LocalTokens(s);
  const double logits = D(tokens) * D(s.v) / D(s.t);
  return {Elementwise("final_layernorm", TokenElements(s), 1, 1, 5, s.e),
          Gemm("logits", tokens, s.v / s.t, s.h, s.e),
          Elementwise("cross_entropy", logits, 1, 1, 5, 4)};
}

std::vector<Op> HeadBackward(const LayerShape& s) {
  const std::int64_t tokens = LocalTokens(s);
  const double logits = D(tokens) * D(s.v) / D(s.t);
  return {Elementwise("cross_entropy_grad", logits, 1, 1, 3, 4),
          Gemm("logits", tokens, s.h, s.v / s.t, s.e), Gemm("logits", s.h, s.v / s.t, tokens, s.e),
          Elementwise("final_layernorm", TokenElements(s), 2, 1, 10, s.e)};
}

double TotalFlops(const std::vector<Op>& ops) {
  double total = 0;
  for (const auto& op : ops) total += op.flops;
  return total;
}

double TotalBytes(const std::vector<Op>& ops) {
  double total = 0;
  for (const auto& op : ops) total += op.bytes;
  return total;
}

double LayerParameters(const config::ModelConfig& m) {
  const double h = D(m.hidden), d = D(m.hidden / m.heads);
  const double qkv = h * (h + 2 * D(m.kv_heads) * d) + (h + 2 * D(m.kv_heads) * d);
  const double out = h * h + h;
  const double ffn = m.ffn == config::Ffn::kSwiglu ? 3 * h * D(m.ffn_hidden)
                                                   : 2 * h * D(m.ffn_hidden) + D(m.ffn_hidden) + h;
  const double norms = 4 * h;
  return qkv + out + ffn + norms;
}

double EmbeddingParameters(const config::ModelConfig& m) { return D(m.vocab) * D(m.hidden); }

}  // namespace astrasweep::model
