// Finding, loading, caching and merging presets.
#include "astrasweep/config/presets.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "astrasweep/base/strings.h"

#ifndef ASTRASWEEP_PRESET_DIR
#define ASTRASWEEP_PRESET_DIR ""
#endif

namespace astrasweep::config {
namespace {

namespace fs = std::filesystem;

// Section key in a config -> folder name under a preset directory.
const char* Folder(const std::string& section) {
  if (section == "hardware") return "hardware";
  if (section == "network") return "networks";
  return "models";
}

constexpr int kMaxPresetDepth = 8;

// Overlays `over` on `base`: maps merge key by key, anything else replaces.
void Merge(Node& base, const Node& over) {
  if (!base.IsMap() || !over.IsMap()) {
    base = over;
    return;
  }
  for (const auto& [key, value] : over.entries()) {
    if (Node* existing = base.Find(key); existing != nullptr && existing->IsMap() && value.IsMap())
      Merge(*existing, value);
    else
      base.Set(key, value);
  }
}

}  // namespace

PresetLibrary::PresetLibrary(std::vector<fs::path> dirs) : dirs_(std::move(dirs)) {}

PresetLibrary PresetLibrary::ForFileIn(const fs::path& file_dir) {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("ASTRASWEEP_PRESETS"); env != nullptr && *env != '\0') {
    for (const auto& part : Split(env, ':'))
      if (!part.empty()) dirs.emplace_back(part);
  }
  dirs.push_back(file_dir / "presets");
  dirs.push_back(file_dir / ".." / "presets");
  if (std::string(ASTRASWEEP_PRESET_DIR).size() > 0) dirs.emplace_back(ASTRASWEEP_PRESET_DIR);
  return PresetLibrary(std::move(dirs));
}

std::vector<std::string> PresetLibrary::Names(const std::string& section) const {
  std::set<std::string> names;
  for (const auto& dir : dirs_) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir / Folder(section), ec)) {
      if (entry.path().extension() == ".yaml") names.insert(entry.path().stem().string());
    }
  }
  return {names.begin(), names.end()};
}

Expected<Node> PresetLibrary::Load(const std::string& section, const std::string& name,
                                   const Node& where, int depth) const {
  const std::string cache_key = section + "/" + name;
  if (auto it = cache_.find(cache_key); it != cache_.end()) return it->second;
  if (depth > kMaxPresetDepth) {
    return InvalidInput("presets refer to each other more than " + std::to_string(kMaxPresetDepth) +
                            " levels deep at '" + name + "'",
                        where.Context(section));
  }
  for (const auto& dir : dirs_) {
    fs::path path = dir / Folder(section) / (name + ".yaml");
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) continue;
    ASTRASWEEP_ASSIGN_OR_RETURN(Node content, LoadYamlFile(path.lexically_normal().string()));
    // A preset may itself start from another preset of its section.
    Node holder = Node::Map();
    holder.Set(section, std::move(content));
    ASTRASWEEP_RETURN_IF_ERROR(ExpandSection(holder, section, depth + 1));
    Node expanded = *holder.Find(section);
    cache_.emplace(cache_key, expanded);
    return expanded;
  }
  std::vector<std::string> names = Names(section);
  std::string known = names.empty() ? "none found" : Join(names, ", ");
  std::string searched;
  for (const auto& dir : dirs_) searched += "\n  " + (dir / Folder(section)).string();
  return MakeError(ErrorCode::kNotFound,
                   "unknown " + section + " preset '" + name + "'" + DidYouMean(name, names) +
                       "; known presets: " + known + ". Searched:" + searched,
                   where.Context(section));
}

Status PresetLibrary::ExpandSection(Node& root, const std::string& section, int depth) const {
  Node* node = root.Find(section);
  if (node == nullptr) return Ok();
  if (node->IsScalar()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(Node content, Load(section, node->text(), *node, depth));
    *node = std::move(content);
    return Ok();
  }
  const Node* preset = node->IsMap() ? node->Find("preset") : nullptr;
  if (preset == nullptr) return Ok();
  if (!preset->IsScalar()) {
    return InvalidInput("'preset' must be the name of a " + section + " preset",
                        preset->Context(section + ".preset"));
  }
  ASTRASWEEP_ASSIGN_OR_RETURN(Node base, Load(section, preset->text(), *preset, depth));
  Node overrides = *node;
  overrides.Erase("preset");
  if (!base.IsMap() && !overrides.entries().empty()) {
    return InvalidInput("the " + section + " preset '" + preset->text() +
                            "' is a list; override its items by key path (e.g. " + section +
                            ".1.bandwidth) instead of beside 'preset'",
                        node->Context(section));
  }
  Merge(base, overrides);
  *node = std::move(base);
  return Ok();
}

Status PresetLibrary::Expand(Node& root) const {
  if (!root.IsMap()) return Ok();
  for (const char* section : {"hardware", "model", "network"}) {
    ASTRASWEEP_RETURN_IF_ERROR(ExpandSection(root, section, 0));
  }
  return Ok();
}

}  // namespace astrasweep::config
