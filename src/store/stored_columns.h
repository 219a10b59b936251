// Columns read as a file stores them, whatever their type, through typed
// handles: what readers of another version's tables (verify, diff, merge)
// need to get numbers and text out of any column.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "astrasweep/store/table.h"

namespace astrasweep::store {

using StoredCol = std::variant<Col<std::int64_t>, Col<std::uint64_t>, Col<double>, Col<bool>,
                               Col<std::string_view>>;

// Adds `column` to `set` with its stored type and length.
inline StoredCol AddStored(ColumnSet& set, const Column& column) {
  switch (column.type) {
    case ColumnType::kInt64: return set.Add<std::int64_t>(column.name);
    case ColumnType::kUInt64: return set.Add<std::uint64_t>(column.name);
    case ColumnType::kFloat64: return set.Add<double>(column.name);
    case ColumnType::kBool: return set.Add<bool>(column.name);
    case ColumnType::kString: return set.Add<std::string_view>(column.name, column.length);
  }
  return set.Add<double>(column.name);
}

// A cell as a number; nullopt for text.
inline std::optional<double> StoredNumber(const RowBuffer& rows, std::size_t row,
                                          const StoredCol& column) {
  return std::visit(
      [&]<typename T>(Col<T> col) -> std::optional<double> {
        if constexpr (std::same_as<T, std::string_view>)
          return std::nullopt;
        else if constexpr (std::same_as<T, bool>)
          return static_cast<double>(rows.Byte(row, col));  // a u1 column's value kept
        else
          return static_cast<double>(rows.Get(row, col));
      },
      column);
}

inline std::size_t StoredIndex(const StoredCol& column) {
  return std::visit([](auto col) { return col.index(); }, column);
}

}  // namespace astrasweep::store
