// One pass over a table in chunks of a few megabytes, whatever its width,
// so a report over an archive of millions of points holds one chunk at a
// time, never the table.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "astrasweep/store/table.h"

namespace astrasweep::store {

inline constexpr std::size_t kScanChunkBytes = std::size_t{4} << 20;

// Calls visit(rows, r) for every row of `table`, read in chunks into rows
// of `wanted`. A visit that returns bool says whether to read on: the scan
// stops after a chunk whose last visit returned false.
template <typename Visit>
Status ScanRows(const Table& table, const ColumnSet& wanted, Visit&& visit) {
  RowBuffer rows(wanted);
  const std::uint64_t chunk = std::max<std::uint64_t>(1, kScanChunkBytes / rows.row_size());
  for (std::uint64_t start = 0; start < table.rows(); start += chunk) {
    ASTRASWEEP_RETURN_IF_ERROR(
        table.Read(start, std::min<std::uint64_t>(chunk, table.rows() - start), rows));
    bool go_on = true;
    for (std::size_t r = 0; r < rows.rows(); ++r) {
      if constexpr (std::is_same_v<decltype(visit(rows, r)), bool>)
        go_on = visit(rows, r);
      else
        visit(rows, r);
    }
    if (!go_on) break;
  }
  return Ok();
}

}  // namespace astrasweep::store
