// Ring attention, the communication of context parallelism (Megatron-core's
// load-balanced causal ring over the cp group, the ranks {tp * i, i < cp}):
// each GPU holds s/c tokens of every sequence, and its queries need the
// keys and values of all c blocks. In c - 1 steps each GPU passes the K and
// V block it holds to the next cp rank and receives the previous one's,
// while it computes the attention of its queries against the block it has.
// The load-balanced split (2c chunks, rank i holding chunks i and
// 2c - 1 - i) gives every step the same causal work: 1/c of the GPU's
// attention core. A step's transfer overlaps the compute of one block, so
//
//   bytes per step     K and V of s/c tokens, the GPU's heads:
//                        2 b (s/c) g d e / t
//   exposed            (c - 1) max(0, transfer - attention / c)
//
// where transfer is the slowest neighbour pair's point-to-point time
// (SendRecvTime) and attention the attention core's kernels on one GPU.
// The backward passes K and V together with the gradients dK and dV
// (twice the bytes) while the attention backward computes; recompute of
// the attention core (selective or full) repeats the forward ring.
#pragma once

#include <cstdint>

#include "astrasweep/config/config.h"
#include "astrasweep/model/layer_ops.h"

namespace astrasweep::model {

// One pass round the ring.
struct RingPass {
  std::int64_t steps = 0;        // c - 1
  double bytes_per_step = 0;     // sent to the next cp rank
  double transfer = 0;           // seconds per step
  double compute_per_block = 0;  // seconds of attention per step
  double exposed = 0;            // seconds the layer waits, all steps
};

struct RingAttention {
  RingPass forward, backward;
};

// (steps) max(0, transfer - compute_per_block).
double RingExposedTime(std::int64_t steps, double transfer, double compute_per_block);

// Bytes of the K and V block one GPU holds: 2 b (s/c) g d e / t.
double RingKeyValueBytes(const LayerShape& s);

// The ring of the point's cp group on its network, per layer and
// micro-batch; nothing when cp = 1.
RingAttention RingAttentionCosts(const config::Config& c, const LayerShape& shape);

}  // namespace astrasweep::model
