// Presets: named hardware, network and model definitions kept as YAML files
// under <dir>/{hardware,networks,models}/<name>.yaml. A config names one
// (`hardware: a100-80gb`) or starts from one and overrides keys
// (`hardware: {preset: a100-80gb, memory: 40 GiB}`); Expand replaces such
// references by the preset's content, so the rest of the code sees plain
// values.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/node.h"

namespace astrasweep::config {

class PresetLibrary {
 public:
  // Directories searched in order; the first holding a preset wins.
  explicit PresetLibrary(std::vector<std::filesystem::path> dirs);

  // The usual search path for a spec or point file in `file_dir`:
  // $ASTRASWEEP_PRESETS (colon-separated), <file_dir>/presets,
  // <file_dir>/../presets, and the project's sweeps/presets.
  static PresetLibrary ForFileIn(const std::filesystem::path& file_dir);

  // Expands every preset reference in the top-level sections hardware,
  // model and network. Idempotent: expanded sections are left alone.
  Status Expand(Node& root) const;

  // The names available for a section ("hardware", "model", "network").
  std::vector<std::string> Names(const std::string& section) const;

  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }

 private:
  Expected<Node> Load(const std::string& section, const std::string& name, const Node& where,
                      int depth) const;
  Status ExpandSection(Node& root, const std::string& section, int depth) const;

  std::vector<std::filesystem::path> dirs_;
  mutable std::map<std::string, Node> cache_;  // "section/name" -> content
};

}  // namespace astrasweep::config
