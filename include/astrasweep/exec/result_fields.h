// The result fields of a point, defined once: one row per field with its
// name, unit, a label, its meaning and how to read it from an evaluation.
// Everything that shows or stores results is derived from this table: the
// protobuf copy (PointResult.fields, in table order), the /points columns
// (the same names, typed by unit), `point --json`, `point`'s text and
// `inspect`. Adding a metric is one row here (and a member of PointOutcome
// to read it from) plus its test.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "astrasweep/exec/evaluate.h"

namespace astrasweep::exec {

enum class FieldUnit {
  kSeconds,
  kTokensPerSecond,
  kTflopsPerSecond,  // 10^12 FLOP/s
  kFraction,         // 0..1, shown as a percentage
  kBytes,
  kFlag,   // true or false
  kCount,  // a non-negative integer
};

// How a field's value is stored: /points column type and JSON type.
enum class FieldType { kReal, kInteger, kFlag };
FieldType TypeOf(FieldUnit unit);
// "s", "tokens/s", "TFLOP/s", "fraction", "B", "flag", "count".
std::string_view UnitName(FieldUnit unit);

struct ResultField {
  std::string_view name;   // column and JSON key: "step_time_s"
  FieldUnit unit;
  std::string_view label;  // for people: "step time"
  std::string_view meaning;
  double (*read)(const PointOutcome& outcome);
  // Shown among inspect's best points, in table order.
  bool in_summary = false;
  // Says how this run got the result (the simulation cache's state), not
  // what the result is: `verify` and `diff` leave it out.
  bool per_run = false;
};

// Every field, in column order.
std::span<const ResultField> ResultFields();
// The field's position in ResultFields(), or nullopt.
std::optional<std::size_t> FindResultField(std::string_view name);

// A value as people read it: "14.47 s", "217417 tokens/s", "48.8%",
// "46.5 GiB", "yes", "3".
std::string FormatFieldValue(const ResultField& field, double value);

}  // namespace astrasweep::exec
