// Finding, loading, caching and merging presets.
#include "astrasweep/config/presets.h"

#include <algorithm>
#include <array>
#include <cctype>
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

// The top-level sections presets apply to, in the order Expand visits them.
constexpr std::array<std::string_view, 3> kPresetSections = {"hardware", "model", "network"};

// The directory of the running executable, or empty where /proc/self/exe
// cannot be read (not Linux).
fs::path ExecutableDir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

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
  if (const fs::path exe_dir = ExecutableDir(); !exe_dir.empty())
    dirs.push_back((exe_dir / ".." / "share" / "astrasweep" / "presets").lexically_normal());
  if (std::string(ASTRASWEEP_PRESET_DIR).size() > 0) dirs.emplace_back(ASTRASWEEP_PRESET_DIR);
  return PresetLibrary(std::move(dirs));
}

bool PresetLibrary::InPresetSection(std::string_view key_path) {
  const std::string_view root = key_path.substr(0, key_path.find('.'));
  return std::find(kPresetSections.begin(), kPresetSections.end(), root) != kPresetSections.end();
}

std::vector<std::string> PresetLibrary::Names(const std::string& section) const {
  std::set<std::string> names;
  const std::string folder = std::string(Folder(section)) + "/";
  if (files_) {
    for (const PresetFile& file : *files_)
      if (file.name.starts_with(folder) && file.name.ends_with(".yaml"))
        names.insert(file.name.substr(folder.size(), file.name.size() - folder.size() - 5));
    return {names.begin(), names.end()};
  }
  for (const auto& dir : dirs_) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir / Folder(section), ec)) {
      if (entry.path().extension() == ".yaml") names.insert(entry.path().stem().string());
    }
  }
  return {names.begin(), names.end()};
}

PresetLibrary PresetLibrary::FromFiles(std::vector<PresetFile> files) {
  PresetLibrary library(std::vector<fs::path>{});
  library.files_ = std::make_shared<const std::vector<PresetFile>>(std::move(files));
  return library;
}

Expected<std::vector<PresetFile>> PresetLibrary::Files() const {
  if (files_) return *files_;
  std::vector<PresetFile> files;
  for (std::string_view section : kPresetSections) {
    for (const std::string& name : Names(std::string(section))) {
      ASTRASWEEP_ASSIGN_OR_RETURN(std::optional<PresetFile> file, Find(std::string(section), name));
      if (file) files.push_back(std::move(*file));
    }
  }
  std::sort(files.begin(), files.end(),
            [](const PresetFile& a, const PresetFile& b) { return a.name < b.name; });
  return files;
}

Expected<std::optional<PresetFile>> PresetLibrary::Find(const std::string& section,
                                                        const std::string& name) const {
  const std::string relative = std::string(Folder(section)) + "/" + name + ".yaml";
  if (files_) {
    for (const PresetFile& file : *files_)
      if (file.name == relative) return std::optional<PresetFile>(file);
    return std::optional<PresetFile>();
  }
  for (const auto& dir : dirs_) {
    const fs::path path = (dir / relative).lexically_normal();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) continue;
    ASTRASWEEP_ASSIGN_OR_RETURN(std::string text, ReadFile(path.string()));
    return std::optional<PresetFile>(PresetFile{relative, path.string(), std::move(text)});
  }
  return std::optional<PresetFile>();
}

std::string PresetLibrary::Searched(const std::string& section) const {
  if (files_) return "\n  the " + std::to_string(files_->size()) + " presets stored with the sweep";
  std::string searched;
  for (const auto& dir : dirs_) searched += "\n  " + (dir / Folder(section)).string();
  return searched;
}

// A preset is named, never given as a path: a name with a '/' or a leading
// '.' could read any file on the machine (`../../etc/passwd`, `/abs/x`).
bool IsPlainPresetName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_' ||
           c == '+';
  });
}

Expected<Node> PresetLibrary::Load(const std::string& section, const std::string& name,
                                   const Node& where, int depth) const {
  if (!IsPlainPresetName(name)) {
    return InvalidInput("'" + Excerpt(name) + "' is not a " + section +
                            " preset name: a preset is named by its file's name without "
                            "'.yaml' (letters, digits, '.', '-', '_', '+'; no '/', not starting "
                            "with '.'); put a file of your own in a folder of $ASTRASWEEP_PRESETS "
                            "or in presets/" +
                            Folder(section) + "/ beside the spec",
                        where.Context(section));
  }
  const std::string cache_key = section + "/" + name;
  if (auto cached = Cached(cache_key)) return std::move(*cached);
  if (depth > kMaxPresetDepth) {
    return InvalidInput("presets refer to each other more than " + std::to_string(kMaxPresetDepth) +
                            " levels deep at '" + name + "'",
                        where.Context(section));
  }
  ASTRASWEEP_ASSIGN_OR_RETURN(std::optional<PresetFile> file, Find(section, name));
  if (file) {
    ASTRASWEEP_ASSIGN_OR_RETURN(Node content, ParseYaml(file->text, file->path));
    // A preset may itself start from another preset of its section.
    Node holder = Node::Map();
    holder.Set(section, std::move(content));
    ASTRASWEEP_RETURN_IF_ERROR(ExpandSection(holder, section, depth + 1));
    Node expanded = *holder.Find(section);
    Remember(cache_key, expanded);
    return expanded;
  }
  std::vector<std::string> names = Names(section);
  std::string known = names.empty() ? "none found" : Join(names, ", ");
  return MakeError(ErrorCode::kNotFound,
                   "unknown " + section + " preset '" + name + "'" + DidYouMean(name, names) +
                       "; known presets: " + known + ". Searched:" + Searched(section),
                   where.Context(section));
}

// The lock is held only to look up or insert, never while a preset loads:
// a preset that starts from another loads that one first. Two threads may
// load the same preset at once; they read the same files, and the first to
// finish is kept.
std::optional<Node> PresetLibrary::Cached(const std::string& key) const {
  std::lock_guard lock(cache_->mutex);
  auto it = cache_->presets.find(key);
  if (it == cache_->presets.end()) return std::nullopt;
  return it->second;
}

void PresetLibrary::Remember(const std::string& key, const Node& content) const {
  std::lock_guard lock(cache_->mutex);
  cache_->presets.emplace(key, content);
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
  for (std::string_view section : kPresetSections) {
    ASTRASWEEP_RETURN_IF_ERROR(ExpandSection(root, std::string(section), 0));
  }
  return Ok();
}

}  // namespace astrasweep::config
