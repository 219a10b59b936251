// Memory per GPU: weights, gradients and optimizer states under mixed
// precision Adam and ZeRO, and activations kept for the backward pass under
// each pipeline schedule and recompute variant. The stage with the largest
// total sets the peak.
//
// Activations follow Korthikanti et al. 2022 ("Reducing Activation
// Recomputation in Large Transformer Models", section 4), generalised to
// grouped-query attention, SwiGLU and the element size of the dtype: a GPT
// layer keeps s b h (34 + 5 a s / h) bytes in 16-bit, of which 10 s b h is
// not split by tensor parallelism unless sequence parallelism is on. The
// 5 a s / h term is unfused attention's s x s scores; flash attention
// (Dao et al. 2022) keeps 4 a s b bytes of softmax statistics instead.
//
// Context parallelism (cp): each GPU keeps the activations of s / cp tokens
// (1/cp of the above; ring attention's K/V blocks in flight are transient
// and not counted), the whole stage's weights, and with ZeRO its 1/(dp cp)
// shard: the cp ranks reduce gradients with the data-parallel replicas.
#pragma once

#include <cstdint>

#include "astrasweep/config/config.h"

namespace astrasweep::model {

struct MemoryBreakdown {
  std::int64_t stage = 0;  // the pipeline stage with the peak
  double parameters = 0;   // on that GPU
  double weights = 0;      // bytes
  double gradients = 0;
  double optimizer = 0;
  double activations = 0;
  double total = 0;
  bool fits = false;  // total <= the hardware's memory
};

// Bytes of activations one layer keeps for one micro-batch.
double LayerActivationBytes(const config::Config& c);
// Micro-batches whose activations pipeline stage `stage` holds at once, in
// whole-stage units: GPipe all m on every stage; 1F1B min(m, p - k) on
// stage k; interleaved p (1 + (p - 1) / (p v)) on the first stage and
// ((v - 1) p + 1) / v chunks' worth on the last.
double MicroBatchesInFlight(const config::Config& c, std::int64_t stage = 0);

MemoryBreakdown PeakMemory(const config::Config& c);

}  // namespace astrasweep::model
