// `astrasweep inspect`: a readable summary of an archive: its provenance,
// the points by status, the best points by tokens/s, the best point per
// group (--group-by), the infeasible points against their GPU's memory and
// the failures grouped by reason; all of them over the points a --where
// expression keeps.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::store {

struct InspectOptions {
  // How many points (and failure reasons) each list shows.
  std::size_t top = 10;
  // An expression of the sweep's language over /points columns (the swept
  // keys as the spec writes them, status, tokens_per_s, ...); "" keeps
  // every point.
  std::string where;
  // Columns whose values make the groups of the best-per-group list; none:
  // no such list.
  std::vector<std::string> group_by;
};

// Reads the archive in chunks (memory does not grow with its size). A bad
// --where or --group-by is an invalid-input error that says what is wrong.
Expected<std::string> InspectArchive(const std::string& path, const InspectOptions& options);

}  // namespace astrasweep::store
