// Helpers for config tests: parse YAML text, build points against the
// project's presets.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "astrasweep/config/loader.h"

namespace astrasweep::config::testing {

inline const PresetLibrary& ProjectPresets() {
  static const PresetLibrary presets({std::string(ASTRASWEEP_SOURCE_DIR) + "/sweeps/presets"});
  return presets;
}

inline Expected<ResolvedPoint> BuildFromText(const std::string& yaml,
                                             const std::string& file = "point.yaml") {
  auto node = ParseYaml(yaml, file);
  if (!node) return std::unexpected(node.error());
  return BuildPoint(*node, ProjectPresets());
}

// A small valid point; tests edit it with string replacement.
inline std::string SmallPoint() {
  return R"(model:
  layers: 24
  hidden: 2048
  heads: 16
  vocab: 51200
  seq_len: 2048
training:
  global_batch: 64
  micro_batch: 2
parallelism: {tp: 2, pp: 2, dp: 2}
hardware: a100-80gb
network:
  - {topology: switch, npus: 8, bandwidth: 300 GB/s, latency: 700 ns}
)";
}

inline std::string Replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "test setup: '" << from << "' not in text";
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

}  // namespace astrasweep::config::testing
