// Writes spec files into a temporary folder and loads them.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep::sweep::testing {

class SpecFiles {
 public:
  SpecFiles() : dir_(*TempDir::Create("astrasweep-spec-test-")) {}
  std::string Write(const std::string& name, const std::string& text) {
    auto path = dir_.path() / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }
  Expected<Expander> Load(const std::string& name, const std::string& text) {
    std::string path = Write(name, text);
    auto spec = LoadSweepSpec(path);
    if (!spec) return std::unexpected(spec.error());
    return Expander::Create(
        std::move(*spec),
        config::PresetLibrary({std::string(ASTRASWEEP_SOURCE_DIR) + "/sweeps/presets"}));
  }

 private:
  TempDir dir_;
};

inline const char* kPoint = R"(model: gpt-1.3b
training: {global_batch: 512, micro_batch: 1}
parallelism: {tp: 1, pp: 1, dp: 8}
hardware: a100-80gb
network: dgx-a100
)";

}  // namespace astrasweep::sweep::testing
