// inspect's --where: an expression of the sweep's own language (the one of
// derive and constraints) over the columns of /points, true for the points
// a report keeps: `parallelism.tp == 8 and status == "ok"`,
// `tokens_per_s > 1e6`, `model != 'gpt-13b'`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "astrasweep/sweep/expression.h"
#include "point_columns.h"

namespace astrasweep::store {

class PointFilter {
 public:
  // "" keeps every point. A malformed expression is an error with its
  // column; an unknown name, one naming the near names (PointColumns::Find).
  static Expected<PointFilter> Compile(const std::string& where, PointColumns& columns);

  bool active() const { return expression_.has_value(); }
  const std::string& text() const { return expression_->text(); }
  bool Matches(const RowBuffer& rows, std::size_t r);

 private:
  struct Slot {
    StoredCol column;
    sweep::ValueType type;
  };
  double StringId(std::string_view text);

  sweep::StringTable strings_;  // the expression's strings only
  std::optional<sweep::Expression> expression_;
  std::vector<Slot> slots_;
  std::vector<double> values_;
  std::vector<std::string> row_strings_;  // this row's strings the expression does not name
};

}  // namespace astrasweep::store
