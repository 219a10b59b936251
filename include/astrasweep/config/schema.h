// The schema of a point config: one row per leaf key, with its type, its
// default and its range. The loader reads through it (so unknown keys, types
// and defaults are decided in one place) and the sweep module asks it for
// the defaults that constraints may refer to.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/base/units.h"

namespace astrasweep::config {

enum class FieldType { kInt, kNumber, kBool, kString, kEnum, kQuantity, kNpus };

enum class DefaultKind {
  kRequired,   // must be given
  kOptional,   // may be absent, and then has no value
  kConstant,   // default_text is the value
  kDependent,  // default_text is another key times a factor: "4 * model.hidden"
};

// One leaf key. Rows are written with designated initializers and leave out
// what does not apply to their type.
struct FieldSpec {
  std::string_view path;  // list items as '*': "network.*.bandwidth"
  FieldType type;
  QuantityKind quantity = QuantityKind::kBytes;        // kQuantity only
  std::vector<std::string> (*enum_names)() = nullptr;  // kEnum only
  DefaultKind default_kind;
  std::string_view default_text;  // kConstant and kDependent only
  double min = 0;                 // kInt/kNumber/kNpus: inclusive bounds
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

// A kDependent default: the value of another key times a factor, written
// "4 * model.hidden" or "model.heads" in the schema. Parsed once, when the
// schema is indexed; the loader and the sweep module both evaluate it
// through Apply, so its meaning lives here alone.
struct DependentDefault {
  double factor = 1;
  std::string source;  // a numeric key: kInt, kNumber, kQuantity or kNpus

  // The default given the source's value (a quantity in base units).
  double Apply(double source_value) const { return factor * source_value; }
};

// The dependent default of a kDependent field; null for any other field.
const DependentDefault* FindDependentDefault(const FieldSpec& field);

// Looks up the value of a dependent default's source key as a number
// (a quantity in base units).
using SourceValue = std::function<Expected<double>(const std::string& source)>;

// The value of a kDependent field as canonical text, from its source's
// value. Errors of the lookup are passed on.
Expected<std::string> EvaluateDependentDefault(const FieldSpec& field,
                                               const SourceValue& source_value);

}  // namespace astrasweep::config
