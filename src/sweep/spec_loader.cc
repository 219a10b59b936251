// Loading a sweep spec: shape checks, axis value generators (lists, range,
// pow2), zip groups, the base point and its overrides.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "astrasweep/base/strings.h"
#include "astrasweep/base/units.h"
#include "astrasweep/config/schema.h"
#include "astrasweep/sweep/spec.h"

namespace astrasweep::sweep {
namespace {

using config::Node;
namespace fs = std::filesystem;

const std::vector<std::string>& SpecKeys() {
  static const std::vector<std::string> keys = {
      "name", "description", "base", "set", "vars", "axes", "zip", "derive", "constraints"};
  return keys;
}

constexpr std::size_t kMaxAxisValues = 1'000'000;  // ~200 MB of values

std::unexpected<Error> Fail(const Node& where, const std::string& key_path,
                            const std::string& why) {
  return InvalidInput(why, where.Context(key_path));
}

// Every key path a spec may set: each schema field and each section.
std::vector<std::string> KnownConfigPaths() {
  std::vector<std::string> paths;
  for (const auto& field : config::Schema()) {
    std::string path(field.path);
    paths.push_back(path);
    for (std::size_t dot = path.find('.'); dot != std::string::npos;
         dot = path.find('.', dot + 1)) {
      std::string prefix = path.substr(0, dot);
      if (std::find(paths.begin(), paths.end(), prefix) == paths.end()) paths.push_back(prefix);
    }
  }
  return paths;
}

Status CheckConfigKey(const std::string& key, const Node& where, const std::string& key_path) {
  if (config::FindField(key) != nullptr || config::IsSection(key)) return Ok();
  static const std::vector<std::string> known = KnownConfigPaths();
  return Fail(where, key_path,
              "unknown config key '" + key + "'" + DidYouMean(config::PatternOf(key), known));
}

Expected<double> Number(const Node& node, const std::string& key_path) {
  std::optional<double> value = node.IsScalar() ? ParseDouble(node.text()) : std::nullopt;
  if (!value) return Fail(node, key_path, "expected a number, got " + node.ToFlowText());
  return *value;
}

Expected<std::vector<double>> Numbers(const Node& node, const std::string& key_path,
                                      std::size_t min_count, std::size_t max_count) {
  if (!node.IsList() || node.items().size() < min_count || node.items().size() > max_count) {
    return Fail(node, key_path,
                "expected a list of " + std::to_string(min_count) +
                    (min_count == max_count ? "" : " or " + std::to_string(max_count)) +
                    " numbers, got " + node.ToFlowText());
  }
  std::vector<double> out;
  for (const auto& item : node.items()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(double v, Number(item, key_path));
    out.push_back(v);
  }
  return out;
}

Node NumberNode(double v, const Node& where) {
  Node n = Node::Scalar(FormatNumber(v));
  n.SetMark(nullptr, where.line(), where.column());
  return n;
}

// An axis as the spec writes it, checked, with how many values it makes,
// before any is built: a list of values, {range: [a, b, step]} (inclusive
// of b, like pow2) or {pow2: [a, b]}, each possibly under {values: ...}.
struct AxisForm {
  const Node* list = nullptr;   // a list of values; else a generator:
  const Node* where = nullptr;  // its node, which marks its values
  double first = 0;
  double step = 1;    // a range's: added per value
  bool pow2 = false;  // each value twice the last
  std::size_t count = 0;
};

Expected<AxisForm> ReadAxisForm(const Node& node, const std::string& key_path) {
  AxisForm form;
  if (node.IsList()) {
    if (node.items().empty()) return Fail(node, key_path, "the axis has no values");
    form.list = &node;
    form.count = node.items().size();
  } else if (node.IsMap() && node.entries().size() == 1 && node.entries()[0].first == "values") {
    return ReadAxisForm(node.entries()[0].second, key_path + ".values");
  } else if (node.IsMap() && node.entries().size() == 1 &&
             (node.entries()[0].first == "range" || node.entries()[0].first == "pow2")) {
    const auto& [kind, arg] = node.entries()[0];
    const std::string at = key_path + "." + kind;
    form.where = &arg;
    form.pow2 = kind == "pow2";
    ASTRASWEEP_ASSIGN_OR_RETURN(auto r, Numbers(arg, at, 2, form.pow2 ? 2 : 3));
    form.first = r[0];
    double count = 0;
    if (form.pow2) {
      if (r[0] <= 0 || r[1] < r[0]) return Fail(arg, at, "pow2 [a, b] needs 0 < a <= b");
      for (double v = r[0]; v <= r[1] * (1 + 1e-12); v *= 2) ++count;
    } else {
      form.step = r.size() == 3 ? r[2] : 1.0;
      if (form.step <= 0 || r[1] < r[0])
        return Fail(arg, at, "range [a, b, step] needs a <= b and step > 0 (b is included)");
      count = std::floor((r[1] - r[0]) / form.step + 1e-9) + 1;
    }
    if (count > static_cast<double>(kMaxAxisValues))
      return Fail(arg, at, kind + " has more than " + std::to_string(kMaxAxisValues) + " values");
    form.count = static_cast<std::size_t>(count);
  } else {
    return Fail(node, key_path,
                "an axis is a list of values, {range: [a, b, step]} or {pow2: [a, b]}; got " +
                    node.ToFlowText());
  }
  return form;
}

Expected<std::vector<Node>> AxisValues(const Node& node, const std::string& key_path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const AxisForm form, ReadAxisForm(node, key_path));
  if (form.list != nullptr) return form.list->items();
  std::vector<Node> values;
  values.reserve(form.count);
  for (std::size_t i = 0; i < form.count; ++i) {
    const double v = form.pow2 ? std::ldexp(form.first, static_cast<int>(i))
                               : form.first + static_cast<double>(i) * form.step;
    values.push_back(NumberNode(v, *form.where));
  }
  return values;
}

// How many values an axis will have, without building them; 1 for what
// AxisValues will refuse (it says why, in its turn).
double ValueCount(const Node& node) {
  auto form = ReadAxisForm(node, "");
  return form ? static_cast<double>(form->count) : 1;
}

// The spec's axes and zip groups may not make more than kMaxSweepPoints
// points: checked on their counts before any value is built (five ranges
// of 10^7 once took 8.5 GB to reach this error).
Status CheckPointCount(const Node& root) {
  double points = 1;
  auto multiply = [&](double values, const Node& where, const std::string& key_path) -> Status {
    points *= values;
    if (points > static_cast<double>(kMaxSweepPoints))
      return Fail(where, key_path, "with this axis the sweep has more than 2^62 points");
    return Ok();
  };
  if (const Node* axes = root.Find("axes"); axes && axes->IsMap())
    for (const auto& [key, value] : axes->entries())
      ASTRASWEEP_RETURN_IF_ERROR(multiply(ValueCount(value), value, "axes." + key));
  if (const Node* zip = root.Find("zip"); zip && zip->IsList())
    for (std::size_t g = 0; g < zip->items().size(); ++g) {
      const Node& group = zip->items()[g];
      if (group.IsMap() && !group.entries().empty())
        ASTRASWEEP_RETURN_IF_ERROR(
            multiply(ValueCount(group.entries()[0].second), group, "zip." + std::to_string(g)));
    }
  return Ok();
}

Status ReadAxes(const Node& node, SweepSpec& spec) {
  if (!node.IsMap()) return Fail(node, "axes", "expected a mapping of key path -> values");
  for (const auto& [key, value] : node.entries()) {
    const std::string where = "axes." + key;
    ASTRASWEEP_ASSIGN_OR_RETURN(auto values, AxisValues(value, where));
    Axis axis{.keys = {key}, .values = {}, .where = where};
    for (auto& v : values) axis.values.push_back({std::move(v)});
    spec.axes.push_back(std::move(axis));
  }
  return Ok();
}

Status ReadZip(const Node& node, SweepSpec& spec) {
  if (!node.IsList())
    return Fail(node, "zip", "expected a list of groups, each a mapping of key path -> values");
  for (std::size_t g = 0; g < node.items().size(); ++g) {
    const Node& group = node.items()[g];
    const std::string where = "zip." + std::to_string(g);
    if (!group.IsMap() || group.entries().empty())
      return Fail(group, where, "a zip group is a mapping of key path -> values");
    Axis axis{.keys = {}, .values = {}, .where = where};
    std::string lengths;
    std::optional<std::size_t> size;
    bool equal = true;
    std::vector<std::vector<Node>> columns;
    for (const auto& [key, value] : group.entries()) {
      ASTRASWEEP_ASSIGN_OR_RETURN(auto values, AxisValues(value, where + "." + key));
      lengths += (lengths.empty() ? "" : ", ") + key + " has " + std::to_string(values.size());
      if (size && *size != values.size()) equal = false;
      size = values.size();
      axis.keys.push_back(key);
      columns.push_back(std::move(values));
    }
    if (!equal) return Fail(group, where, "zipped lists must have equal lengths: " + lengths);
    for (std::size_t i = 0; i < *size; ++i) {
      std::vector<Node> row;
      for (auto& column : columns) row.push_back(column[i]);
      axis.values.push_back(std::move(row));
    }
    spec.axes.push_back(std::move(axis));
  }
  return Ok();
}

Status ReadDerive(const Node& node, SweepSpec& spec) {
  if (!node.IsMap()) return Fail(node, "derive", "expected a mapping of key path -> expression");
  for (const auto& [key, value] : node.entries()) {
    const std::string where = "derive." + key;
    if (config::FindField(key) == nullptr) {
      ASTRASWEEP_RETURN_IF_ERROR(CheckConfigKey(key, value, where));
      return Fail(value, where, "a derive sets one value; '" + key + "' is a section");
    }
    if (!value.IsScalar())
      return Fail(value, where, "expected an expression, got " + value.ToFlowText());
    spec.derives.push_back({key, value.text(), value});
  }
  return Ok();
}

Status ReadConstraints(const Node& node, SweepSpec& spec) {
  if (!node.IsList()) return Fail(node, "constraints", "expected a list of expressions");
  for (std::size_t i = 0; i < node.items().size(); ++i) {
    const Node& item = node.items()[i];
    if (!item.IsScalar())
      return Fail(item, "constraints." + std::to_string(i),
                  "expected an expression, got " + item.ToFlowText());
    spec.constraints.push_back({item.text(), item});
  }
  return Ok();
}

Status ReadVars(const Node& node, SweepSpec& spec) {
  if (!node.IsMap()) return Fail(node, "vars", "expected a mapping of name -> value");
  for (const auto& [name, value] : node.entries()) {
    const bool identifier =
        !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
        std::all_of(name.begin(), name.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!identifier)
      return Fail(value, "vars." + name, "a var name is letters, digits and _ (no dots)");
    if (!value.IsScalar()) return Fail(value, "vars." + name, "a var is a number or a string");
    spec.vars.emplace_back(name, value);
  }
  return Ok();
}

// A file of the disk; anything but a regular file is not found.
Expected<std::string> ReadRegularFile(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return MakeError(ErrorCode::kNotFound, "no such file", {.file = path});
  return ReadFile(path);
}

Status ReadBase(const Node* node, const std::string& file, const config::PresetLibrary& presets,
                const std::function<Expected<std::string>(const std::string&)>& read,
                SweepSpec& spec) {
  spec.base = Node::Map();
  if (node != nullptr && node->IsScalar()) {
    const std::string path = (fs::path(file).parent_path() / node->text()).lexically_normal();
    if (std::error_code ec; fs::is_directory(path, ec))
      return InvalidInput(
          "base '" + node->text() + "' is a folder (" + path + "); name a point config file in it",
          node->Context("base"));
    // A spec reads only point configs: a shared spec naming /etc/shadow or
    // /proc/self/maps must not copy it into an archive or a message.
    if (const std::string ext = fs::path(path).extension().string();
        ext != ".yaml" && ext != ".yml")
      return InvalidInput("base '" + Excerpt(node->text()) +
                              "' is not a point config file: a base ends in .yaml or .yml",
                          node->Context("base"));
    auto text = read ? read(path) : ReadRegularFile(path);
    if (!text && text.error().code() == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound,
                       "base file '" + node->text() + "' does not exist (looked for " + path +
                           "; a base path is relative to the spec)",
                       node->Context("base"));
    }
    if (!text) return std::unexpected(std::move(text).error());
    ASTRASWEEP_ASSIGN_OR_RETURN(spec.base, config::ParseYaml(*text, path));
    if (!spec.base.IsMap() && !spec.base.IsNull())
      return InvalidInput("base file '" + node->text() + "' (" + path +
                              ") is not a point config: it holds a " + spec.base.KindName() +
                              ", not a mapping of model, training, parallelism, ...",
                          node->Context("base"));
    spec.files.push_back({path, std::move(*text)});
  } else if (node != nullptr && node->IsMap()) {
    spec.base = *node;
  } else if (node != nullptr && !node->IsNull()) {
    return Fail(*node, "base", "expected a path to a point config or an inline mapping");
  }
  return presets.Expand(spec.base);
}

Status ApplySet(const Node& node, const config::PresetLibrary& presets, SweepSpec& spec) {
  if (!node.IsMap()) return Fail(node, "set", "expected a mapping of key path -> value");
  for (const auto& [key, value] : node.entries()) {
    ASTRASWEEP_RETURN_IF_ERROR(CheckConfigKey(key, value, "set." + key));
    auto status = config::SetPath(spec.base, config::SplitKeyPath(key), value);
    if (!status) return std::unexpected(std::move(status).error().WithFile(value.file()));
    ASTRASWEEP_RETURN_IF_ERROR(presets.Expand(spec.base));
  }
  return Ok();
}

// An axis sets a config key, or sweeps a var declared in `vars`.
Status CheckAxisKeys(const SweepSpec& spec) {
  for (const auto& axis : spec.axes) {
    for (std::size_t k = 0; k < axis.keys.size(); ++k) {
      const std::string& key = axis.keys[k];
      if (spec.IsVar(key)) continue;
      const std::string where = axis.keys.size() == 1 ? axis.where : axis.where + "." + key;
      ASTRASWEEP_RETURN_IF_ERROR(CheckConfigKey(key, axis.values[0][k], where));
    }
  }
  return Ok();
}

// A key set by two axes, or set inside a section that a later axis
// replaces, would silently lose one of the values.
Status CheckAxesDoNotOverlap(const SweepSpec& spec) {
  std::vector<std::pair<std::string, std::string>> seen;  // key, where
  for (const auto& axis : spec.axes) {
    for (const auto& key : axis.keys) {
      for (const auto& [other, where] : seen) {
        if (other == key || other.starts_with(key + ".")) {
          return Fail(axis.values[0][0], axis.where,
                      "'" + key + "' overwrites '" + other + "' set by " + where +
                          "; sweep a key once, and a section before the keys inside it");
        }
      }
      seen.emplace_back(key, axis.where);
    }
  }
  for (const auto& derive : spec.derives) {
    for (const auto& [other, where] : seen) {
      if (other == derive.key)
        return Fail(derive.node, "derive." + derive.key,
                    "'" + derive.key + "' is also swept by " + where);
    }
  }
  return Ok();
}

}  // namespace

bool SweepSpec::IsVar(const std::string& key) const {
  return std::any_of(vars.begin(), vars.end(), [&](const auto& var) { return var.first == key; });
}

bool LooksLikeSweepSpec(const Node& root) {
  if (!root.IsMap()) return false;
  for (const auto& [key, value] : root.entries()) {
    if (key == "base" || key == "axes" || key == "zip" || key == "derive" || key == "constraints" ||
        key == "vars" || key == "set")
      return true;
  }
  return false;
}

Expected<SweepSpec> ParseSweepSpec(
    const Node& root, const std::string& file, const config::PresetLibrary& presets,
    const std::function<Expected<std::string>(const std::string&)>& read) {
  if (!root.IsMap())
    return Fail(root, "", "a sweep spec is a mapping with the keys " + Join(SpecKeys(), ", "));
  SweepSpec spec;
  spec.file = file;
  if (!file.empty()) spec.files.push_back({file, {}});
  for (const auto& [key, value] : root.entries()) {
    if (std::find(SpecKeys().begin(), SpecKeys().end(), key) == SpecKeys().end()) {
      if (!LooksLikeSweepSpec(root) && !config::ChildKeys("").empty() &&
          std::ranges::find(config::ChildKeys(""), key) != config::ChildKeys("").end())
        return Fail(value, key,
                    "this is a point config (it has '" + key +
                        "'), not a sweep spec: evaluate it with `astrasweep point " +
                        (file.empty() ? std::string("FILE") : file) +
                        "`, or sweep around it with a spec whose `base:` is this file");
      return Fail(value, key,
                  "unknown key '" + Excerpt(key) + "'" + DidYouMean(key, SpecKeys()) +
                      "; a spec has " + Join(SpecKeys(), ", "));
    }
  }
  ASTRASWEEP_RETURN_IF_ERROR(ReadBase(root.Find("base"), file, presets, read, spec));
  ASTRASWEEP_RETURN_IF_ERROR(CheckPointCount(root));
  for (const auto& [key, value] : root.entries()) {
    if (key == "name") spec.name = value.text();
    if (key == "description") spec.description = value.text();
    if (key == "set") ASTRASWEEP_RETURN_IF_ERROR(ApplySet(value, presets, spec));
    if (key == "vars") ASTRASWEEP_RETURN_IF_ERROR(ReadVars(value, spec));
    if (key == "axes") ASTRASWEEP_RETURN_IF_ERROR(ReadAxes(value, spec));
    if (key == "zip") ASTRASWEEP_RETURN_IF_ERROR(ReadZip(value, spec));
    if (key == "derive") ASTRASWEEP_RETURN_IF_ERROR(ReadDerive(value, spec));
    if (key == "constraints") ASTRASWEEP_RETURN_IF_ERROR(ReadConstraints(value, spec));
  }
  if (spec.name.empty() && !file.empty()) spec.name = fs::path(file).stem().string();
  ASTRASWEEP_RETURN_IF_ERROR(CheckAxisKeys(spec));
  ASTRASWEEP_RETURN_IF_ERROR(CheckAxesDoNotOverlap(spec));
  return spec;
}

SpecSource DiskSource(const std::string& spec_path) {
  return {.read = {},
          .presets = config::PresetLibrary::ForFileIn(fs::path(spec_path).parent_path())};
}

Expected<SweepSpec> LoadSweepSpec(const std::string& path) {
  return LoadSweepSpec(path, DiskSource(path));
}

Expected<SweepSpec> LoadSweepSpec(const std::string& path, const SpecSource& source) {
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string text, source.read ? source.read(path) : ReadFile(path));
  ASTRASWEEP_ASSIGN_OR_RETURN(Node root, config::ParseYaml(text, path));
  auto spec = ParseSweepSpec(root, path, source.presets, source.read);
  if (!spec) return std::unexpected(std::move(spec).error().WithFile(path));
  spec->files.front().text = text;
  spec->text = std::move(text);
  return spec;
}

}  // namespace astrasweep::sweep
