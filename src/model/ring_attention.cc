// Ring attention's bytes and exposed time; see ring_attention.h.
#include "astrasweep/model/ring_attention.h"

#include <algorithm>

#include "astrasweep/model/collectives.h"
#include "astrasweep/model/compute.h"

namespace astrasweep::model {
namespace {

double D(std::int64_t x) { return static_cast<double>(x); }

// Every cp rank sends to the next at once; a step lasts as long as the
// slowest pair (the one crossing the outermost dimension the group spans).
double SlowestNeighbourTransfer(const config::Config& c, double bytes) {
  const std::int64_t cp = c.parallelism.cp, tp = c.parallelism.tp;
  double slowest = 0;
  for (std::int64_t i = 0; i < cp; ++i)
    slowest = std::max(slowest, SendRecvTime(bytes, i * tp, ((i + 1) % cp) * tp, c.network));
  return slowest;
}

RingPass Pass(const config::Config& c, double bytes, double attention) {
  RingPass pass;
  pass.steps = c.parallelism.cp - 1;
  pass.bytes_per_step = bytes;
  pass.transfer = SlowestNeighbourTransfer(c, bytes);
  pass.compute_per_block = attention / D(c.parallelism.cp);
  pass.exposed = RingExposedTime(pass.steps, pass.transfer, pass.compute_per_block);
  return pass;
}

}  // namespace

double RingExposedTime(std::int64_t steps, double transfer, double compute_per_block) {
  return D(steps) * std::max(0.0, transfer - compute_per_block);
}

double RingKeyValueBytes(const LayerShape& s) {
  return 2 * D(s.b) * D(s.s / s.c) * D(s.g) * D(s.d) * s.e / D(s.t);
}

RingAttention RingAttentionCosts(const config::Config& c, const LayerShape& shape) {
  if (c.parallelism.cp <= 1) return {};
  const auto& hw = c.hardware;
  const auto dtype = c.training.dtype;
  const double kv = RingKeyValueBytes(shape);
  return {.forward = Pass(c, kv, OpsTime(AttentionCoreForward(shape), hw, dtype)),
          .backward = Pass(c, 2 * kv, OpsTime(AttentionCoreBackward(shape), hw, dtype))};
}

}  // namespace astrasweep::model
