// Lazy expansion of a sweep spec: point index <-> axis positions, constraint
// checks and counting without building configs, and materialisation of one
// index into a resolved config point.
//
// The index is the position in the full cartesian product (constraints
// aside), so it is stable for a given spec. Counting walks the product like
// an odometer: each derive and constraint is re-evaluated only when an axis
// it depends on changes, and a constraint that fails on outer axes skips
// the whole block of inner points at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/config/presets.h"
#include "astrasweep/config/schema.h"
#include "astrasweep/sweep/expression.h"
#include "astrasweep/sweep/spec.h"

namespace astrasweep::sweep {

struct CountResult {
  std::uint64_t total = 0;                // points in the range
  std::uint64_t valid = 0;                // passing every constraint
  std::uint64_t skipped = 0;              // failing one
  std::vector<std::uint64_t> skipped_by;  // per constraint: points it was first to reject
};

// A swept key and its value at one point: axis values and derived values.
struct SweptValue {
  std::string key;
  std::string text;  // the YAML scalar, or flow text for a structure
  bool is_number = false;
};

// A swept key and the kind of value it takes over the whole sweep: what a
// results table needs to give it a column.
struct SweptKey {
  enum class Kind { kInteger, kNumber, kText };
  std::string key;
  Kind kind = Kind::kText;
  std::size_t max_length = 0;  // of the text of any of its values (axes); 64 for derives
};

struct ExpandedPoint {
  std::uint64_t index = 0;
  std::vector<SweptValue> swept;
  config::ResolvedPoint point;
};

class Expander {
 public:
  static Expected<Expander> Create(SweepSpec spec, config::PresetLibrary presets);

  const SweepSpec& spec() const { return spec_; }
  const config::PresetLibrary& presets() const { return presets_; }
  std::uint64_t total() const { return total_; }
  // The swept keys in column order: axis keys, then derived keys.
  std::vector<std::string> SweptKeys() const;
  std::vector<SweptKey> SweptKeyInfo() const;
  // The swept values of a point as text, without building its config: for
  // points whose config cannot be built. A derive that cannot be evaluated
  // is "".
  std::vector<std::string> SweptText(std::uint64_t index) const;

  std::vector<std::size_t> Decode(std::uint64_t index) const;
  std::uint64_t Encode(std::span<const std::size_t> positions) const;

  // The first constraint the point fails, or nullopt when it passes.
  std::optional<std::size_t> FailedConstraint(std::uint64_t index) const;
  // Calls visit(index) for each index in [begin, end) that passes every
  // constraint, in order, until visit returns false. One odometer walk:
  // cheaper than calling NextValid for each point.
  void ForEachValid(std::uint64_t begin, std::uint64_t end,
                    const std::function<bool(std::uint64_t)>& visit) const;
  // The first index >= from that passes every constraint.
  std::optional<std::uint64_t> NextValid(std::uint64_t from) const;
  CountResult Count() const { return Count(0, total_); }
  CountResult Count(std::uint64_t begin, std::uint64_t end) const;

  // Builds the config of one point. A point skipped by a constraint, or
  // whose config is invalid, is an error naming the point index.
  Expected<ExpandedPoint> Materialize(std::uint64_t index) const;
  // The config tree of one point as Materialize reads it: the base with the
  // point's swept and derived values set.
  Expected<config::Node> Tree(std::uint64_t index) const;

  // The expression of constraint i, for reports.
  const std::string& ConstraintText(std::size_t i) const { return spec_.constraints[i].expression; }

 private:
  // One compiled derive, implicit default or constraint.
  struct Step {
    Expression expression;                                // derives and constraints
    const config::DependentDefault* dependent = nullptr;  // defaults: applied to source_slot
    int source_slot = -1;
    int level = -1;       // innermost axis it depends on; -1: none
    int out_slot = -1;    // derives and defaults write here
    int constraint = -1;  // constraints: their index
    int derive = -1;      // derives: their index in spec_.derives

    double Evaluate(const double* slots) const;
  };
  // An axis writes these slots, one value per position.
  struct AxisBinding {
    int slot;
    std::vector<double> values;
  };
  class Binder;

  Expander(SweepSpec spec, config::PresetLibrary presets)
      : spec_(std::move(spec)), presets_(std::move(presets)) {}
  Status Compile();
  Status ComputeStrides();
  Status CompileDerives(Binder& binder);
  Status CompileConstraints(Binder& binder);
  void OrderSteps();
  void SetAxis(std::vector<double>& slots, std::size_t axis, std::size_t position) const;
  // Runs steps from `first`; returns the index of the first failing constraint step.
  std::optional<std::size_t> RunSteps(std::vector<double>& slots, std::size_t first) const;
  template <typename Visit>
  CountResult Scan(std::uint64_t begin, std::uint64_t end, Visit&& visit) const;
  Expected<std::string> DeriveText(std::size_t derive, const std::vector<double>& slots) const;
  Expected<config::Node> BuildTree(std::span<const std::size_t> positions,
                                   const std::vector<double>& slots) const;
  // The tree of point `index`, whose axis positions it sets.
  Expected<config::Node> TreeAt(std::uint64_t index, std::vector<std::size_t>& positions) const;
  // What the point at `positions`, whose tree is `tree`, sweeps.
  std::vector<SweptValue> SweptValues(std::span<const std::size_t> positions,
                                      const config::Node& tree) const;

  SweepSpec spec_;
  config::PresetLibrary presets_;
  std::uint64_t total_ = 1;
  std::vector<std::uint64_t> strides_;  // index = sum(position[a] * strides_[a])
  std::vector<double> initial_slots_;
  std::vector<std::vector<AxisBinding>> axis_bindings_;
  std::vector<Step> steps_;              // sorted by level
  std::vector<std::size_t> first_step_;  // first step at level >= a, for each axis a
  std::vector<int> derive_slots_;
  std::vector<ValueType> derive_types_;
  StringTable strings_;
};

// Loads a spec file and compiles it, with presets searched beside it.
Expected<Expander> OpenSweep(const std::string& path);
// The same, its files and presets from `source`.
Expected<Expander> OpenSweep(const std::string& path, const SpecSource& source);

}  // namespace astrasweep::sweep
