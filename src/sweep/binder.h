// Binding the names in derives and constraints to slots while a spec
// compiles. A name is, first match wins: a derive, a key an axis sets
// (exactly, or inside a section it sets), a var, a key of the base point, or
// a key the schema gives a default. Each gets one slot and the level of the
// innermost axis it depends on, so the scan re-evaluates it only when that
// axis moves; a dependent default ("4 * model.hidden") becomes a step.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/node.h"
#include "astrasweep/config/schema.h"
#include "astrasweep/sweep/expander.h"
#include "astrasweep/sweep/expression.h"

namespace astrasweep::sweep {

class Expander::Binder {
 public:
  // Adds slots, axis bindings and default steps to `expander` as names resolve.
  explicit Binder(Expander& expander) : ex_(expander) {}

  // Derives before `derive` are usable; it and later ones are not.
  void set_current_derive(std::size_t derive) { current_derive_ = derive; }
  int NewSlot(double initial, int level);
  // The innermost axis the expression depends on; -1: none.
  int LevelOf(const Expression& expression) const;
  Resolver AsResolver();

 private:
  Expected<Symbol> Resolve(const std::string& name);
  Expected<std::pair<ValueType, double>> Value(const std::string& name, const config::Node& node);
  Expected<config::Node> LookupWithDefaults(const config::Node& tree, const std::string& name);
  Expected<Symbol> Constant(const std::string& name, const config::Node& node);
  Expected<std::optional<Symbol>> FromAxis(const std::string& name);
  Expected<Symbol> FromDefault(const std::string& name, const config::FieldSpec& field);
  Expected<Symbol> FromDependentDefault(const config::FieldSpec& field);

  Expander& ex_;
  std::unordered_map<std::string, Symbol> symbols_;
  std::vector<int> slot_level_;
  std::size_t current_derive_ = 0;
};

}  // namespace astrasweep::sweep
