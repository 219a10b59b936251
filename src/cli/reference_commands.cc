// `keys` and `presets`: what a config may say, from the schema and the
// preset folders themselves, so a newcomer need not learn the keys from
// error messages.
#include <algorithm>
#include <array>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "astrasweep/base/strings.h"
#include "astrasweep/base/units.h"
#include "astrasweep/config/node.h"
#include "astrasweep/config/presets.h"
#include "astrasweep/config/schema.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

namespace fs = std::filesystem;

// The sections presets apply to, as a config names them.
constexpr std::array<const char*, 3> kPresetSections = {"hardware", "model", "network"};

std::string DefaultOf(const config::FieldSpec& field) {
  switch (field.default_kind) {
    case config::DefaultKind::kRequired: return "required";
    case config::DefaultKind::kOptional: return "none (optional)";
    case config::DefaultKind::kConstant: return std::string(field.default_text);
    case config::DefaultKind::kDependent: return "= " + std::string(field.default_text);
  }
  return {};
}

// "an integer, 1 to 3", "a bandwidth with a unit, e.g. '300 GB/s'".
std::string TypeOf(const config::FieldSpec& field) {
  std::string type = config::DescribeType(field);
  const bool numeric = field.type == config::FieldType::kInt ||
                       field.type == config::FieldType::kNumber ||
                       field.type == config::FieldType::kNpus;
  if (numeric && (field.min != 0 || field.max < 1e15))
    type += field.max < 1e15 ? ", " + FormatNumber(field.min) + " to " + FormatNumber(field.max)
                             : ", at least " + FormatNumber(field.min);
  return type;
}

Status PrintKeys(const std::string& prefix, bool json) {
  std::vector<const config::FieldSpec*> rows;
  for (const config::FieldSpec& field : config::Schema()) {
    const std::string_view path = field.path;
    if (prefix.empty() || path == prefix ||
        (path.starts_with(prefix) && path[prefix.size()] == '.'))
      rows.push_back(&field);
  }
  if (rows.empty()) {
    const std::vector<std::string> all = config::AllFieldPaths();
    std::vector<std::string> sections;
    for (const std::string& path : all) sections.push_back(path.substr(0, path.find('.')));
    sections.erase(std::unique(sections.begin(), sections.end()), sections.end());
    std::vector<std::string> candidates = all;
    candidates.insert(candidates.end(), sections.begin(), sections.end());
    return InvalidInput("no config key is or starts with '" + prefix + "'" +
                        DidYouMean(prefix, candidates) + "; the sections are " +
                        Join(sections, ", ") + " (run `astrasweep keys` for every key)");
  }
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const config::FieldSpec* f : rows)
      out.push_back({{"key", f->path},
                     {"type", TypeOf(*f)},
                     {"default", DefaultOf(*f)},
                     {"meaning", f->help}});
    std::cout << out.dump(2) << "\n";
    return Ok();
  }
  std::size_t key_width = 3, type_width = 4;
  for (const config::FieldSpec* f : rows) {
    key_width = std::max(key_width, f->path.size());
    type_width = std::max(type_width, TypeOf(*f).size());
  }
  const auto line = [&](std::string_view key, std::string_view type, std::string_view value,
                        std::string_view meaning) {
    std::cout << key << std::string(key_width + 2 - key.size(), ' ') << type
              << std::string(type_width + 2 - type.size(), ' ') << value << "\n"
              << std::string(key_width + 2, ' ') << meaning << "\n";
  };
  std::cout << "Config keys (list items as '*': network.*.npus is each dimension's).\n"
               "hardware, model and network may also name a preset (`astrasweep presets`), "
               "or start from one: {preset: NAME, <key>: <override>}.\n\n";
  line("KEY", "TYPE", "DEFAULT", "MEANING");
  std::string_view section;
  for (const config::FieldSpec* f : rows) {
    const std::string_view top = f->path.substr(0, f->path.find('.'));
    if (top != section && !section.empty()) std::cout << "\n";
    section = top;
    line(f->path, TypeOf(*f), DefaultOf(*f), f->help);
  }
  return Ok();
}

// A value of a preset as written (with its unit), or "?".
std::string Written(const config::Node& node, std::string_view path) {
  const config::Node* at = &node;
  for (const std::string& part : Split(std::string(path), '.')) {
    at = at->IsMap() ? at->Find(part) : nullptr;
    if (at == nullptr) return "?";
  }
  return at->IsScalar() ? at->text() : "?";
}

// A quantity of a preset in the units the rest of the tool prints (memory
// in GiB), or as written when it does not parse.
std::string Shown(const config::Node& node, std::string_view path, QuantityKind kind) {
  const std::string text = Written(node, path);
  const auto value = ParseQuantity(text, kind);
  return value ? HumanQuantity(*value, kind) : text;
}

// One line on what a preset is.
std::string Summary(const std::string& section, const config::Node& content) {
  if (section == "hardware")
    return Shown(content, "memory", QuantityKind::kBytes) + ", bf16 " +
           Shown(content, "peak_flops.bf16", QuantityKind::kFlopRate) + ", " +
           Shown(content, "memory_bandwidth", QuantityKind::kBandwidth);
  if (section == "model")
    return Written(content, "layers") + " layers, hidden " + Written(content, "hidden") + ", " +
           Written(content, "heads") + " heads, sequence " + Written(content, "seq_len");
  std::string dims;
  if (content.IsList()) {
    for (const config::Node& dim : content.items())
      dims += (dims.empty() ? "" : ", ") + Written(dim, "npus") + " x " +
              Shown(dim, "bandwidth", QuantityKind::kBandwidth) + " " + Written(dim, "topology");
  }
  return dims.empty() ? "?" : dims;
}

Expected<config::Node> LoadPreset(const config::PresetLibrary& presets, const std::string& section,
                                  const std::string& name) {
  config::Node root = config::Node::Map();
  root.Set(section, config::Node::Scalar(name));
  ASTRASWEEP_RETURN_IF_ERROR(presets.Expand(root));
  return *root.Find(section);
}

Status PrintPresets(const config::PresetLibrary& presets, const std::string& name) {
  if (name.empty()) {
    for (const std::string section : kPresetSections) {
      std::cout << section << " presets (" << section << ": NAME):\n";
      const std::vector<std::string> names = presets.Names(section);
      if (names.empty()) std::cout << "  (none found)\n";
      std::size_t width = 0;
      for (const std::string& n : names) width = std::max(width, n.size());
      for (const std::string& n : names) {
        auto content = LoadPreset(presets, section, n);
        std::cout << "  " << n << std::string(width + 2 - n.size(), ' ')
                  << (content ? Summary(section, *content)
                              : "cannot be read: " + content.error().message())
                  << "\n";
      }
      std::cout << "\n";
    }
    std::cout << "Searched, in order (the first folder holding a name wins; "
                 "$ASTRASWEEP_PRESETS adds folders before these):";
    for (const fs::path& dir : presets.dirs()) {
      std::error_code ec;
      if (fs::is_directory(dir, ec)) std::cout << "\n  " << dir.lexically_normal().string();
    }
    std::cout << "\n`astrasweep presets NAME` prints one with the sources of its values.\n";
    return Ok();
  }
  bool found = false;
  std::vector<std::string> all;
  for (const std::string section : kPresetSections) {
    for (const std::string& n : presets.Names(section)) all.push_back(n);
    ASTRASWEEP_ASSIGN_OR_RETURN(const std::optional<config::PresetFile> file,
                                presets.Find(section, name));
    if (!file) continue;
    found = true;
    std::cout << "# " << section << " preset '" << name << "': " << file->path << "\n"
              << file->text;
    if (!file->text.ends_with('\n')) std::cout << "\n";
  }
  if (!found) {
    std::string searched;
    for (const fs::path& dir : presets.dirs()) searched += "\n  " + dir.string();
    return MakeError(ErrorCode::kNotFound,
                     "no preset named '" + name + "'" + DidYouMean(name, all) +
                         "; known presets: " + Join(all, ", ") + ". Searched:" + searched);
  }
  return Ok();
}

}  // namespace

void AddKeysCommand(CLI::App& app, Action& action) {
  CLI::App* cmd = app.add_subcommand(
      "keys", "List the config keys: type and unit, default and meaning (from the schema)");
  auto prefix = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("prefix", *prefix, "Only the keys of a section or key path, e.g. training");
  cmd->add_flag("--json", *json, "A JSON array of {key, type, default, meaning}");
  cmd->callback(
      [&action, prefix, json] { action = [=] { return Outcome(PrintKeys(*prefix, *json)); }; });
}

void AddPresetsCommand(CLI::App& app, Action& action) {
  CLI::App* cmd = app.add_subcommand(
      "presets", "List the hardware, model and network presets, or print one with its sources");
  auto name = std::make_shared<std::string>();
  auto near = std::make_shared<std::string>();
  cmd->add_option("name", *name, "A preset to print (its file, with the comments on its values)");
  cmd->add_option("--near", *near,
                  "Look for presets as a spec or point file in this folder would (default: the "
                  "current folder); $ASTRASWEEP_PRESETS comes first either way")
      ->check(CLI::ExistingDirectory);
  cmd->callback([&action, name, near] {
    action = [=]() -> Outcome {
      const fs::path dir = near->empty() ? fs::current_path() : fs::path(*near);
      return PrintPresets(config::PresetLibrary::ForFileIn(dir), *name);
    };
  });
}

}  // namespace astrasweep::cli
