// The transformer-block bundle: one layer's forward, recompute and
// backward on every GPU of one pipeline stage, tp x dp ranks
// (rank = replica * tp + tp_rank, tensor-parallel fastest), so the
// simulator sees the tensor-parallel collectives and the data-parallel
// gradient traffic contend:
// - each kernel of the layer (model::LayerForward, LayerRecompute,
//   LayerBackward) is a COMP_NODE of its analytical time, in order;
// - the tensor-parallel collectives sit where Megatron-LM issues them,
//   blocking the next kernel: an all-reduce of the activation after the
//   row-parallel attention output and FC2 forward and after the
//   column-parallel QKV and FC1 input gradients backward; with sequence
//   parallelism an all-gather before each column-parallel GEMM and a
//   reduce-scatter after each row-parallel one, mirrored backward (group
//   "replica + 1" in comm_groups.json);
// - each weight's data-parallel gradient collective (all-reduce, or
//   reduce-scatter with ZeRO >= 1) is issued as soon as its weight gradient
//   is computed and runs while the backward goes on (group "dp + tp_rank +
//   1"), the gradient collectives chained in their fixed order.
// 2-D tensor parallelism is not expressed yet (an error says so).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/et/node.h"

namespace astrasweep::et {

Status WriteBlockBundle(const config::Config& config, const BundleDestination& to);

// One collective of rank 0's block trace (a tensor-parallel or gradient
// one) issued alone by every rank of the block, each in its own group of
// that kind, over the block's network: what it takes when nothing else
// runs.
Status WriteBlockCollectiveBundle(const config::Config& config, const Node& collective,
                                  const BundleDestination& to);

// The nanoseconds a collective of rank 0's block trace takes alone (a
// simulation of its WriteBlockCollectiveBundle); `name` names it by kind,
// size and group ("block-ALL_REDUCE-4194304B-tp"), the same for the same.
using BlockCollectiveTimer =
    std::function<Expected<std::uint64_t>(const Node& collective, const std::string& name)>;

// What the block takes on rank 0 when nothing contends: its kernels one
// after another, each collective taking `alone`'s answer for it (the
// tensor-parallel ones blocking the next kernel, the gradient ones one
// after another from their gradients on), until the last of them ends.
// What the simulated block takes over this is what contention costs it.
Expected<std::uint64_t> UncontendedBlockNanoseconds(const config::Config& config,
                                                    const BlockCollectiveTimer& alone);

}  // namespace astrasweep::et
