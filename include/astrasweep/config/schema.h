// The schema of a point config: one row per leaf key, with its type, its
// default and its range. The loader reads through it (so unknown keys, types
// and defaults are decided in one place) and the sweep module asks it for
// the defaults that constraints may refer to.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/units.h"

namespace astrasweep::config {

enum class FieldType { kInt, kNumber, kBool, kString, kEnum, kQuantity, kNpus };

enum class DefaultKind {
  kRequired,   // must be given
  kOptional,   // may be absent, and then has no value
  kConstant,   // default_text is the value
  kDependent,  // default_text is an expression of another key: "4 * model.hidden"
};

struct FieldSpec {
  std::string_view path;  // list items as '*': "network.*.bandwidth"
  FieldType type;
  DefaultKind default_kind;
  std::string_view default_text;
  QuantityKind quantity = QuantityKind::kBytes;        // kQuantity only
  std::vector<std::string> (*enum_names)() = nullptr;  // kEnum only
  double min = 0;                                      // kInt/kNumber/kNpus: inclusive bounds
  double max = 1e18;
  std::string_view help;
};

std::span<const FieldSpec> Schema();

// Replaces list indices by '*': "network.1.npus" -> "network.*.npus".
std::string PatternOf(std::string_view path);
const FieldSpec* FindField(std::string_view path);
// True when some field lies below `path` (a section, or a list of sections).
bool IsSection(std::string_view path);
// The keys allowed directly below a section: for "did you mean".
const std::vector<std::string>& ChildKeys(std::string_view section_pattern);
// Every leaf pattern, for suggestions on a whole path.
std::vector<std::string> AllFieldPaths();
// "an integer", "a bandwidth with a unit, e.g. '300 GB/s'", "one of gelu, swiglu".
std::string DescribeType(const FieldSpec& field);

// A dependent default "F * key" or "key": the factor and the source key.
struct DependentDefault {
  double factor = 1;
  std::string source;
};
std::optional<DependentDefault> ParseDependentDefault(std::string_view text);

}  // namespace astrasweep::config
