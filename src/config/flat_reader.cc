// Flattening, schema checks, defaults and normalisation of values.
#include "flat_reader.h"

#include <algorithm>
#include <cmath>

#include "astrasweep/base/strings.h"
#include "astrasweep/base/units.h"

namespace astrasweep::config {
namespace {

std::string Parent(const std::string& path) {
  std::size_t dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string LastKey(const std::string& path) {
  std::size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// Whether the section of `pattern` (PatternOf its path) is a list.
bool IsListSection(const std::string& pattern) {
  const auto& keys = ChildKeys(pattern);
  return keys.size() == 1 && keys[0] == "*";
}

// Values already normalised, by field and text, kept across points: a
// sweep's points repeat most of their values, and normalising one (parsing
// it, printing it back) is most of the cost of reading it. Only values that
// normalise are kept: a failure's message names where the value is.
class NormalizedValues {
 public:
  const std::string* Find(const FieldSpec& field, std::string_view text) {
    const auto it = values_.find(View{&field, text});
    return it == values_.end() ? nullptr : &it->second;
  }
  void Add(const FieldSpec& field, const std::string& text, const std::string& value) {
    if (values_.size() >= kMaxValues) values_.clear();
    values_.emplace(Key{&field, text}, value);
  }

 private:
  static constexpr std::size_t kMaxValues = 1 << 14;
  struct Key {
    const FieldSpec* field;
    std::string text;
  };
  struct View {
    const FieldSpec* field;
    std::string_view text;
  };
  // Looks keys up by view, without copying the text.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(const View& k) const {
      return std::hash<std::string_view>()(k.text) ^ std::hash<const void*>()(k.field);
    }
    std::size_t operator()(const Key& k) const { return (*this)(View{k.field, k.text}); }
  };
  struct Equal {
    using is_transparent = void;
    static View Of(const Key& k) { return {k.field, k.text}; }
    static View Of(const View& v) { return v; }
    bool operator()(const auto& a, const auto& b) const {
      return Of(a).field == Of(b).field && Of(a).text == Of(b).text;
    }
  };
  std::unordered_map<Key, std::string, Hash, Equal> values_;
};

}  // namespace

Expected<FlatReader> FlatReader::Create(const Node& root) {
  FlatReader reader;
  if (!root.IsMap()) {
    return InvalidInput("a point config must be a mapping with the keys " +
                            Join(ChildKeys(""), ", ") + "; got a " + root.KindName(),
                        root.Context());
  }
  std::string path, pattern;
  ASTRASWEEP_RETURN_IF_ERROR(reader.Walk(root, path, pattern));
  return reader;
}

// `path` and `pattern` grow by a part for each child and are cut back
// after it: one buffer each for the whole walk.
Status FlatReader::Walk(const Node& node, std::string& path, std::string& pattern) {
  if (!path.empty()) {
    if (const FieldSpec* field = FindField(pattern)) {
      if (node.IsScalar()) {
        leaves_[path] = {&node, field};
        return Ok();
      }
      std::string got = node.IsNull() ? "nothing" : std::string("a ") + node.KindName();
      return InvalidInput("expected " + DescribeType(*field) + ", got " + got, node.Context(path));
    }
  }
  sections_[path] = &node;
  const std::size_t path_size = path.size(), pattern_size = pattern.size();
  const auto descend = [&](const Node& child, std::string_view key, bool index) {
    if (!path.empty()) path += '.';
    path += key;
    if (!pattern.empty()) pattern += '.';
    pattern += index ? std::string_view("*") : key;
    Status walked = Walk(child, path, pattern);
    path.resize(path_size);
    pattern.resize(pattern_size);
    return walked;
  };
  const bool list_section = !path.empty() && IsListSection(pattern);
  if (list_section) {
    if (!node.IsList() || node.items().empty()) {
      return InvalidInput(
          std::string("expected a non-empty list of ") +
              (path == "network" ? "dimensions" : "items") + ", got " +
              (node.IsScalar() ? "'" + node.text() + "'" : "a " + std::string(node.KindName())),
          node.Context(path));
    }
    for (std::size_t i = 0; i < node.items().size(); ++i)
      ASTRASWEEP_RETURN_IF_ERROR(descend(node.items()[i], std::to_string(i), true));
    return Ok();
  }
  if (!node.IsMap()) {
    std::string got =
        node.IsScalar() ? "'" + Excerpt(node.text()) + "'" : "a " + std::string(node.KindName());
    return InvalidInput(
        "expected a mapping with the keys " + Join(ChildKeys(pattern), ", ") + ", got " + got,
        node.Context(path));
  }
  const std::vector<std::string>& known = ChildKeys(pattern);
  for (const auto& [key, value] : node.entries()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return InvalidInput("unknown key '" + Excerpt(key) + "'" + DidYouMean(key, known) +
                              "; the keys here are " + Join(known, ", "),
                          value.Context(path.empty() ? key : path + "." + key));
    }
    ASTRASWEEP_RETURN_IF_ERROR(descend(value, key, IsDigits(key)));
  }
  return Ok();
}

Expected<std::string> FlatReader::Normalize(const FieldSpec& field, const std::string& text,
                                            const std::string& path) const {
  thread_local NormalizedValues known;
  if (const std::string* value = known.Find(field, text)) return *value;
  Expected<std::string> value = NormalizeAfresh(field, text, path);
  if (value) known.Add(field, text, *value);
  return value;
}

Expected<std::string> FlatReader::NormalizeAfresh(const FieldSpec& field, const std::string& text,
                                                  const std::string& path) const {
  auto fail = [&](const std::string& why) -> Expected<std::string> {
    return InvalidInput(why, ContextOf(path));
  };
  auto check_range = [&](double v) -> Expected<std::string> {
    if (v < field.min || v > field.max) {
      return fail("value " + text + " is out of range; expected " + FormatNumber(field.min) +
                  (field.max < 1e15 ? " to " + FormatNumber(field.max) : " or more"));
    }
    return FormatNumber(v);
  };
  switch (field.type) {
    case FieldType::kString: return text;
    case FieldType::kBool:
      if (text == "true" || text == "True") return std::string("true");
      if (text == "false" || text == "False") return std::string("false");
      return fail("expected true or false, got '" + text + "'");
    case FieldType::kEnum: {
      auto names = field.enum_names();
      if (std::find(names.begin(), names.end(), text) != names.end()) return text;
      return fail("'" + text + "' is not one of " + Join(names, ", ") + DidYouMean(text, names));
    }
    case FieldType::kQuantity: {
      auto value = ParseQuantity(text, field.quantity);
      if (!value) return fail(value.error().message());
      if (!std::isfinite(*value))
        return fail("'" + text + "' is too large to compute with (over 1e308 " +
                    BaseUnit(field.quantity) + ")");
      // A rate of zero (or of a few bits a century) never finishes: every
      // time it divides would be infinite.
      const bool rate =
          field.quantity == QuantityKind::kBandwidth || field.quantity == QuantityKind::kFlopRate;
      if (rate && *value < 1)
        return fail("'" + text + "' is not a rate anything finishes at; give at least 1 " +
                    BaseUnit(field.quantity) + ", e.g. '" + QuantityExample(field.quantity) + "'");
      return FormatQuantity(*value, field.quantity);
    }
    case FieldType::kNpus:
      if (text == "auto") return text;
      [[fallthrough]];
    case FieldType::kInt:
    case FieldType::kNumber: {
      auto value = ParseDouble(text);
      if (!value) return fail("expected " + DescribeType(field) + ", got '" + text + "'");
      if (field.type != FieldType::kNumber && std::floor(*value) != *value)
        return fail("expected an integer, got " + text);
      return check_range(*value);
    }
  }
  return fail("unhandled field type");
}

bool FlatReader::Absent(const std::string& path) const {
  const FieldSpec* field = FindField(path);
  return field != nullptr && field->default_kind == DefaultKind::kOptional &&
         !leaves_.contains(path);
}

Expected<std::string> FlatReader::Canonical(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string* value, Value(path));
  return *value;
}

Expected<const std::string*> FlatReader::Value(const std::string& path) {
  const auto at = canonical_.lower_bound(path);
  if (at != canonical_.end() && at->first == path) return &at->second;
  const auto leaf = leaves_.find(path);
  const FieldSpec* field = leaf != leaves_.end() ? leaf->second.field : FindField(path);
  if (field == nullptr) return MakeError(ErrorCode::kInternal, "no schema row for " + path);
  std::string value;
  if (leaf != leaves_.end()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(value, Normalize(*field, leaf->second.node->text(), path));
  } else {
    switch (field->default_kind) {
      case DefaultKind::kOptional:
        return MakeError(ErrorCode::kInternal, "optional key " + path + " read without a value");
      case DefaultKind::kRequired:
        return InvalidInput(
            "missing required key '" + LastKey(path) + "' (" + DescribeType(*field) + ")",
            {.file = ContextOf(path).file,
             .key_path = path,
             .point_index = {},
             .line = ContextOf(path).line,
             .column = ContextOf(path).column});
      case DefaultKind::kConstant: {
        ASTRASWEEP_ASSIGN_OR_RETURN(value,
                                    Normalize(*field, std::string(field->default_text), path));
        break;
      }
      case DefaultKind::kDependent: {
        ASTRASWEEP_ASSIGN_OR_RETURN(
            value, EvaluateDependentDefault(
                       *field, [this](const std::string& source) { return SourceNumber(source); }));
        break;
      }
    }
  }
  // The hint still holds: a dependent default's source, read above, sorts elsewhere.
  return &canonical_.emplace_hint(at, path, std::move(value))->second;
}

Expected<double> FlatReader::SourceNumber(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string* text, Value(path));
  if (const FieldSpec* field = FindField(path); field->type == FieldType::kQuantity)
    return ParseQuantity(*text, field->quantity).value_or(0.0);
  return ParseDouble(*text).value_or(0.0);
}

Expected<std::int64_t> FlatReader::Int(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string* text, Value(path));
  return static_cast<std::int64_t>(ParseDouble(*text).value_or(0.0));
}

Expected<std::optional<std::int64_t>> FlatReader::OptionalInt(const std::string& path) {
  if (Absent(path)) return std::optional<std::int64_t>();
  ASTRASWEEP_ASSIGN_OR_RETURN(std::int64_t value, Int(path));
  return value;
}

Expected<double> FlatReader::Number(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string* text, Value(path));
  return ParseDouble(*text).value_or(0.0);
}

Expected<double> FlatReader::Quantity(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string* text, Value(path));
  return ParseQuantity(*text, FindField(path)->quantity);
}

Expected<std::optional<double>> FlatReader::OptionalQuantity(const std::string& path) {
  if (Absent(path)) return std::optional<double>();
  ASTRASWEEP_ASSIGN_OR_RETURN(double value, Quantity(path));
  return value;
}

Expected<bool> FlatReader::Bool(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string* text, Value(path));
  return *text == "true";
}

Expected<std::string> FlatReader::String(const std::string& path) { return Canonical(path); }

Expected<std::optional<std::int64_t>> FlatReader::Npus(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string* text, Value(path));
  if (*text == "auto") return std::optional<std::int64_t>();
  return static_cast<std::int64_t>(ParseDouble(*text).value_or(0.0));
}

std::size_t FlatReader::ListSize(const std::string& path) const {
  auto it = sections_.find(path);
  return it == sections_.end() || !it->second->IsList() ? 0 : it->second->items().size();
}

ErrorContext FlatReader::ContextOf(const std::string& path) const {
  if (auto it = leaves_.find(path); it != leaves_.end()) return it->second.node->Context(path);
  if (auto it = sections_.find(path); it != sections_.end()) return it->second->Context(path);
  for (std::string p = Parent(path);; p = Parent(p)) {
    if (auto it = sections_.find(p); it != sections_.end()) {
      ErrorContext context = it->second->Context(path);
      return context;
    }
    if (p.empty()) break;
  }
  return ErrorContext{.file = {}, .key_path = path};
}

}  // namespace astrasweep::config
