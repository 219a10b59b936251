// Name resolution for compiled expressions: see binder.h.
#include "binder.h"

#include <algorithm>

#include "astrasweep/base/strings.h"
#include "astrasweep/base/units.h"
#include "astrasweep/config/presets.h"

namespace astrasweep::sweep {

using config::Node;

int Expander::Binder::NewSlot(double initial, int level) {
  ex_.initial_slots_.push_back(initial);
  slot_level_.push_back(level);
  return static_cast<int>(slot_level_.size() - 1);
}

int Expander::Binder::LevelOf(const Expression& expression) const {
  int level = -1;
  for (int s : expression.slots())
    level = std::max(level, slot_level_[static_cast<std::size_t>(s)]);
  return level;
}

Resolver Expander::Binder::AsResolver() {
  return [this](const std::string& name) { return Resolve(name); };
}

Expected<Symbol> Expander::Binder::Resolve(const std::string& name) {
  const auto& derives = ex_.spec_.derives;
  for (std::size_t i = 0; i < derives.size(); ++i) {
    if (derives[i].key != name) continue;
    if (i == current_derive_) return InvalidInput("derive '" + name + "' refers to itself");
    if (i > current_derive_)
      return InvalidInput("refers to '" + name +
                          "', which is derived later (derives run in order)");
    return Symbol{ex_.derive_slots_[i], ex_.derive_types_[i]};
  }
  if (auto it = symbols_.find(name); it != symbols_.end()) return it->second;
  ASTRASWEEP_ASSIGN_OR_RETURN(auto from_axis, FromAxis(name));
  if (from_axis) return *from_axis;
  for (const auto& [var, value] : ex_.spec_.vars)
    if (var == name) return Constant(name, value);
  if (const Node* node = config::FindPath(ex_.spec_.base, config::SplitKeyPath(name)))
    return Constant(name, *node);
  if (const config::FieldSpec* field = config::FindField(name)) return FromDefault(name, *field);
  std::vector<std::string> candidates = config::AllFieldPaths();
  for (const auto& [var, value] : ex_.spec_.vars) candidates.push_back(var);
  return InvalidInput("unknown key or var '" + name + "'" +
                      DidYouMean(config::PatternOf(name), candidates));
}

// A YAML scalar as a slot value: quantities in base units, booleans 0/1,
// names as interned strings.
Expected<std::pair<ValueType, double>> Expander::Binder::Value(const std::string& name,
                                                               const Node& node) {
  if (!node.IsScalar())
    return InvalidInput("'" + name + "' is a " + node.KindName() + ", not a single value");
  const std::string& text = node.text();
  const config::FieldSpec* field = config::FindField(name);
  using FT = config::FieldType;
  if (field != nullptr && field->type == FT::kQuantity) {
    auto v = ParseQuantity(text, field->quantity);
    if (!v) return InvalidInput("'" + name + "': " + v.error().message());
    return std::pair{ValueType::kNumber, *v};
  }
  if (text == "true" || text == "false")
    return std::pair{ValueType::kNumber, text == "true" ? 1.0 : 0.0};
  if (field != nullptr && (field->type == FT::kEnum || field->type == FT::kString))
    return std::pair{ValueType::kString, ex_.strings_.Intern(text)};
  if (auto v = ParseDouble(text)) return std::pair{ValueType::kNumber, *v};
  if (field != nullptr && field->type == FT::kNpus && text == "auto")
    return InvalidInput("'" + name +
                        "' is 'auto', resolved only when the point is built; "
                        "derive it in the spec to use it in an expression");
  if (field != nullptr) return InvalidInput("'" + name + "' is '" + text + "', not a number");
  return std::pair{ValueType::kString, ex_.strings_.Intern(text)};
}

// The value of `name` in a tree, with the schema's default when absent, as
// the loader would fill it in.
Expected<Node> Expander::Binder::LookupWithDefaults(const Node& tree, const std::string& name) {
  if (const Node* node = config::FindPath(tree, config::SplitKeyPath(name))) return *node;
  const config::FieldSpec* field = config::FindField(name);
  if (field == nullptr || field->default_kind == config::DefaultKind::kRequired ||
      field->default_kind == config::DefaultKind::kOptional)
    return InvalidInput("it has no value there");
  if (field->default_kind == config::DefaultKind::kConstant)
    return Node::Scalar(std::string(field->default_text));
  auto source_value = [&](const std::string& source) -> Expected<double> {
    ASTRASWEEP_ASSIGN_OR_RETURN(Node node, LookupWithDefaults(tree, source));
    ASTRASWEEP_ASSIGN_OR_RETURN(auto value, Value(source, node));
    return value.second;
  };
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string text,
                              config::EvaluateDependentDefault(*field, source_value));
  return Node::Scalar(std::move(text));
}

Expected<Symbol> Expander::Binder::Constant(const std::string& name, const Node& node) {
  ASTRASWEEP_ASSIGN_OR_RETURN(auto value, Value(name, node));
  Symbol symbol{NewSlot(value.second, -1), value.first};
  symbols_[name] = symbol;
  return symbol;
}

// A key set by an axis (exactly, or inside a section the axis sets).
Expected<std::optional<Symbol>> Expander::Binder::FromAxis(const std::string& name) {
  for (std::size_t a = 0; a < ex_.spec_.axes.size(); ++a) {
    const Axis& axis = ex_.spec_.axes[a];
    for (std::size_t k = 0; k < axis.keys.size(); ++k) {
      const std::string& key = axis.keys[k];
      if (key != name && !name.starts_with(key + ".")) continue;
      // A key no config has (a typo inside a swept section) is named as
      // such, not as a value the axis lacks.
      if (key != name && !config::FindField(name) && !config::IsSection(name)) {
        return InvalidInput("unknown key '" + name + "'" +
                            DidYouMean(config::PatternOf(name), config::AllFieldPaths()) +
                            " (run `astrasweep keys` for every key)");
      }
      AxisBinding binding{.slot = 0, .values = {}};
      std::optional<ValueType> type;
      for (std::size_t p = 0; p < axis.size(); ++p) {
        Node tree = Node::Map();
        ASTRASWEEP_RETURN_IF_ERROR(
            config::SetPath(tree, config::SplitKeyPath(key), axis.values[p][k]));
        if (config::PresetLibrary::InPresetSection(key))
          ASTRASWEEP_RETURN_IF_ERROR(ex_.presets_.Expand(tree));
        auto node = LookupWithDefaults(tree, name);
        if (!node)
          return InvalidInput("'" + name + "' is not given by value " + std::to_string(p) + " of " +
                              axis.where + " (" + node.error().message() + ")");
        ASTRASWEEP_ASSIGN_OR_RETURN(auto value, Value(name, *node));
        if (type && *type != value.first)
          return InvalidInput("'" + name + "' mixes numbers and strings across " + axis.where);
        type = value.first;
        binding.values.push_back(value.second);
      }
      binding.slot = NewSlot(binding.values[0], static_cast<int>(a));
      ex_.axis_bindings_[a].push_back(binding);
      Symbol symbol{binding.slot, *type};
      symbols_[name] = symbol;
      return std::optional<Symbol>(symbol);
    }
  }
  return std::optional<Symbol>();
}

Expected<Symbol> Expander::Binder::FromDefault(const std::string& name,
                                               const config::FieldSpec& field) {
  if (field.default_kind == config::DefaultKind::kConstant)
    return Constant(name, Node::Scalar(std::string(field.default_text)));
  if (field.default_kind != config::DefaultKind::kDependent)
    return InvalidInput("'" + name + "' is not set by the base point, and not swept or derived");
  ASTRASWEEP_ASSIGN_OR_RETURN(Symbol symbol, FromDependentDefault(field));
  symbols_[name] = symbol;
  return symbol;
}

// A default that depends on another key becomes a step of its own, at the
// level of its source.
Expected<Symbol> Expander::Binder::FromDependentDefault(const config::FieldSpec& field) {
  const config::DependentDefault* dependent = config::FindDependentDefault(field);
  if (dependent == nullptr)
    return MakeError(ErrorCode::kInternal, "bad default for " + std::string(field.path));
  auto source = Resolve(dependent->source);
  if (!source)
    return InvalidInput("in '" + std::string(field.default_text) +
                        "': " + source.error().message());
  if (source->type != ValueType::kNumber)
    return InvalidInput("in '" + std::string(field.default_text) + "': '" + dependent->source +
                        "' is a string, not a number");
  const int level = slot_level_[static_cast<std::size_t>(source->slot)];
  const int slot = NewSlot(0, level);
  ex_.steps_.push_back(Step{.expression = {},
                            .dependent = dependent,
                            .source_slot = source->slot,
                            .level = level,
                            .out_slot = slot});
  return Symbol{slot, ValueType::kNumber};
}

}  // namespace astrasweep::sweep
