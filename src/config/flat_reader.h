// A config tree flattened to its leaves ("network.1.npus" -> node), checked
// against the schema, with typed reads that apply the schema's defaults and
// record each value's canonical text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "astrasweep/base/error.h"
#include "astrasweep/config/node.h"
#include "astrasweep/config/schema.h"

namespace astrasweep::config {

class FlatReader {
 public:
  // Fails on unknown keys, wrong shapes and empty values.
  static Expected<FlatReader> Create(const Node& root);

  // True for an optional key that is not given (it has no value).
  bool Absent(const std::string& path) const;
  // The value at `path` (given or defaulted) as canonical text.
  Expected<std::string> Canonical(const std::string& path);

  Expected<std::int64_t> Int(const std::string& path);
  Expected<std::optional<std::int64_t>> OptionalInt(const std::string& path);
  Expected<double> Number(const std::string& path);
  Expected<double> Quantity(const std::string& path);
  Expected<std::optional<double>> OptionalQuantity(const std::string& path);
  Expected<bool> Bool(const std::string& path);
  Expected<std::string> String(const std::string& path);
  // Integer or "auto" (nullopt).
  Expected<std::optional<std::int64_t>> Npus(const std::string& path);

  std::size_t ListSize(const std::string& path) const;
  // Context of the value at path, or of the nearest enclosing section.
  ErrorContext ContextOf(const std::string& path) const;

  std::map<std::string, std::string>& canonical() { return canonical_; }

 private:
  // `pattern` is PatternOf(path), built along.
  Status Walk(const Node& node, std::string& path, std::string& pattern);
  // The value at `path` as a number for a dependent default (0 when it is
  // not one).
  Expected<double> SourceNumber(const std::string& path);
  Expected<std::string> Normalize(const FieldSpec& field, const std::string& text,
                                  const std::string& path) const;
  Expected<std::string> NormalizeAfresh(const FieldSpec& field, const std::string& text,
                                        const std::string& path) const;

  // The value at `path` as canonical text, kept in canonical_.
  Expected<const std::string*> Value(const std::string& path);

  struct Leaf {
    const Node* node;
    const FieldSpec* field;
  };
  std::unordered_map<std::string, Leaf> leaves_;
  std::unordered_map<std::string, const Node*> sections_;
  std::map<std::string, std::string> canonical_;
};

}  // namespace astrasweep::config
