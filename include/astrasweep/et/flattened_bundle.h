// The flattened bundle: every GPU of the point explicit,
//   rank = (dp_index * pp + stage) * tp + tp_rank
// (the README's layout), on the point's whole network. Each compute node of
// the pipeline graph is expanded on every tensor-parallel rank into its
// kernel chain (the embedding's, each layer's, the head's: the block
// bundle's chains, with their tensor-parallel collectives over the stage's
// tp group); the graph's transfers become a send and a receive between the
// same tensor-parallel rank of neighbouring stages; its data-parallel
// collectives run over the replicas of each (stage, tp rank), depending on
// the expanded nodes. Node ids: graph node id x 2^20 + the position in its
// expansion, the last of an expansion at 2^20 - 1 (so a dependency on a
// graph node is one on that id); a receive's is 2^40 + the transfer's.
#pragma once

#include <cstdint>
#include <string>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"

namespace astrasweep::et {

inline constexpr std::uint64_t kExpansionStride = std::uint64_t{1} << 20;

Status WriteFlattenedBundle(const config::Config& config, const std::string& dir);

}  // namespace astrasweep::et
