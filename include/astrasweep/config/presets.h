// Presets: named hardware, network and model definitions kept as YAML files
// under <dir>/{hardware,networks,models}/<name>.yaml. A config names one
// (`hardware: a100-80gb`) or starts from one and overrides keys
// (`hardware: {preset: a100-80gb, memory: 40 GiB}`); Expand replaces such
// references by the preset's content, so the rest of the code sees plain
// values.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/node.h"

namespace astrasweep::config {

// A preset file: its name under a preset directory
// ("hardware/a100-80gb.yaml"), the path it was read from, and its text.
struct PresetFile {
  std::string name;
  std::string path;
  std::string text;
};

// Safe to share between threads: loaded presets are cached behind a mutex,
// and copies of a library share its cache (they search the same
// directories, so they would load the same content).
class PresetLibrary {
 public:
  // Directories searched in order; the first holding a preset wins.
  explicit PresetLibrary(std::vector<std::filesystem::path> dirs);
  // Copies share the cache. Declaring them leaves no move, which would
  // leave a library without a cache.
  PresetLibrary(const PresetLibrary&) = default;
  PresetLibrary& operator=(const PresetLibrary&) = default;

  // The usual search path for a spec or point file in `file_dir`, in order:
  //   1. $ASTRASWEEP_PRESETS, colon-separated;
  //   2. <file_dir>/presets and <file_dir>/../presets, beside the file;
  //   3. <dir of the running executable>/../share/astrasweep/presets, where
  //      an installed binary (bin/astrasweep) finds the project's presets;
  //   4. the source tree's sweeps/presets, compiled in: a fallback for
  //      running from a build tree.
  static PresetLibrary ForFileIn(const std::filesystem::path& file_dir);

  // A library of these files alone, no directory searched: the presets an
  // archive stored, to run its sweep again when the files are gone.
  static PresetLibrary FromFiles(std::vector<PresetFile> files);

  // Every preset this library can load, the first of each name along the
  // search path, in name order, with its text: what a run stores in its
  // archive (a point may name any of them, through an axis or a var).
  Expected<std::vector<PresetFile>> Files() const;
  // The file `section`/`name` names: its path and text, or nullopt.
  Expected<std::optional<PresetFile>> Find(const std::string& section,
                                           const std::string& name) const;

  // True when `key_path` lies in a section presets apply to (hardware,
  // model or network): a value set there may need Expand.
  static bool InPresetSection(std::string_view key_path);

  // Expands every preset reference in the top-level sections hardware,
  // model and network. Idempotent: expanded sections are left alone.
  Status Expand(Node& root) const;

  // The names available for a section ("hardware", "model", "network").
  std::vector<std::string> Names(const std::string& section) const;

  const std::vector<std::filesystem::path>& dirs() const { return dirs_; }

 private:
  struct Cache {
    std::mutex mutex;
    std::map<std::string, Node> presets;  // "section/name" -> expanded content
  };

  Expected<Node> Load(const std::string& section, const std::string& name, const Node& where,
                      int depth) const;
  Status ExpandSection(Node& root, const std::string& section, int depth) const;
  std::optional<Node> Cached(const std::string& key) const;
  void Remember(const std::string& key, const Node& content) const;

  std::string Searched(const std::string& section) const;

  std::vector<std::filesystem::path> dirs_;
  // Set by FromFiles: the only presets there are.
  std::shared_ptr<const std::vector<PresetFile>> files_;
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

}  // namespace astrasweep::config
