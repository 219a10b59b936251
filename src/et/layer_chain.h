// The kernel chains of a transformer layer, the embedding and the head on
// one GPU, with the tensor-parallel collectives where Megatron-LM issues
// them (see block_bundle.h): built once per point, from model::LayerForward,
// LayerRecompute and LayerBackward and the compute model, and reused by
// every node the block and flattened bundles expand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/et/node.h"
#include "astrasweep/model/collectives.h"

namespace astrasweep::et {

// One link of a chain: a kernel of its time, or a blocking tensor-parallel
// collective of the activation.
struct ChainStep {
  std::string name;  // "forward qkv", "backward fc1 dW", "forward all_reduce after fc2"
  NodeType type = NodeType::kCompute;
  std::uint64_t duration_micros = 0;                      // kernels
  model::Collective collective = model::Collective::kAllReduce;  // collectives
  std::string weight;           // a weight gradient (dW) kernel: the weight's name
  std::uint64_t gradient_bytes = 0;  // and its gradient's bytes on this GPU
};

struct LayerChains {
  std::vector<ChainStep> layer_forward;
  std::vector<ChainStep> layer_backward;  // the recompute, then the backward
  std::vector<ChainStep> embedding_forward, embedding_backward;
  std::vector<ChainStep> head_forward, head_backward;
  std::uint64_t activation_bytes = 0;  // what each tensor-parallel collective moves
  std::int64_t tp = 1;                 // the tensor-parallel group's size
  // 2-D tensor parallelism (kp1 x kp2) is not expressed: an error.
  static Expected<LayerChains> For(const config::Config& config);
};

// A node of a chain step (attributes set, no id or dependencies).
Node StepNode(const ChainStep& step, const LayerChains& chains, const std::string& tp_group);

}  // namespace astrasweep::et
