// Memory per GPU: weights, gradients and optimizer states under mixed
// precision Adam and ZeRO, and activations kept for the backward pass under
// each pipeline schedule and recompute variant. The stage with the largest
// total sets the peak.
//
// Activations follow Korthikanti et al. 2022 ("Reducing Activation
// Recomputation in Large Transformer Models", section 4), generalised to
// grouped-query attention, SwiGLU and the element size of the dtype: a GPT
// layer keeps s b h (34 + 5 a s / h) bytes in 16-bit, of which 10 s b h is
// not split by tensor parallelism unless sequence parallelism is on.
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
// Micro-batches whose activations the first stage holds at once.
double MicroBatchesInFlight(const config::Config& c);

MemoryBreakdown PeakMemory(const config::Config& c);

}  // namespace astrasweep::model
