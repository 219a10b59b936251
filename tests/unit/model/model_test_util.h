// The GPT-style 6.7B-like model the model tests compute by hand:
// 32 layers, h 4096, 32 heads, f 4h, V 51200, s 2048.
#pragma once

#include "astrasweep/config/config.h"

namespace astrasweep::model::testing {

inline config::ModelConfig Gpt4096() {
  return {.name = "gpt",
          .layers = 32,
          .hidden = 4096,
          .heads = 32,
          .kv_heads = 32,
          .ffn_hidden = 16384,
          .ffn = config::Ffn::kGelu,
          .vocab = 51200,
          .seq_len = 2048};
}

}  // namespace astrasweep::model::testing
