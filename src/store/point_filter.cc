// The --where filter: each name of the expression is a /points column,
// loaded into its slot row by row. Strings compare by id; a row's string
// that the expression does not name gets an id of its own for that row
// alone, so millions of distinct values (point ids) never grow the table.
#include "point_filter.h"

#include <algorithm>

namespace astrasweep::store {

Expected<PointFilter> PointFilter::Compile(const std::string& where, PointColumns& columns) {
  PointFilter filter;
  if (where.find_first_not_of(" \t") == std::string::npos) return filter;
  sweep::Resolver resolver = [&](const std::string& name) -> Expected<sweep::Symbol> {
    ASTRASWEEP_ASSIGN_OR_RETURN(StoredCol column, columns.Find(name));
    const auto type = std::holds_alternative<Col<std::string_view>>(column)
                          ? sweep::ValueType::kString
                          : sweep::ValueType::kNumber;
    filter.slots_.push_back({column, type});
    return sweep::Symbol{static_cast<int>(filter.slots_.size() - 1), type};
  };
  auto expression = sweep::Expression::Compile(where, resolver, filter.strings_);
  if (!expression) return std::unexpected(std::move(expression).error());
  if (expression->type() == sweep::ValueType::kString)
    return InvalidInput("in '" + where +
                        "': a condition is true or false, not a string (compare it: "
                        "model == 'gpt-13b')");
  filter.expression_ = std::move(*expression);
  filter.values_.assign(filter.slots_.size(), 0.0);
  return filter;
}

double PointFilter::StringId(std::string_view text) {
  std::string value(text);
  if (auto id = strings_.Find(value)) return *id;
  auto it = std::find(row_strings_.begin(), row_strings_.end(), value);
  if (it == row_strings_.end()) it = row_strings_.insert(row_strings_.end(), std::move(value));
  return static_cast<double>(strings_.size()) + static_cast<double>(it - row_strings_.begin());
}

bool PointFilter::Matches(const RowBuffer& rows, std::size_t r) {
  if (!expression_) return true;
  row_strings_.clear();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Slot& slot = slots_[i];
    values_[i] = slot.type == sweep::ValueType::kString
                     ? StringId(rows.Get(r, std::get<Col<std::string_view>>(slot.column)))
                     : PointColumns::Number(rows, r, slot.column);
  }
  return sweep::Truthy(expression_->Evaluate(values_.data()));
}

}  // namespace astrasweep::store
