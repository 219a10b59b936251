// `astrasweep diff A.h5 B.h5`: which points of two archives differ and by
// how much. Points are matched by index when both archives come from the
// same spec (spec_sha256), by point id otherwise (the same config in any
// spec); then each pair's status, mode and result fields are compared (the
// swept columns too, matched by index), leaving out what differs by nature
// between runs: eval_s, worker_rank and the per-run result fields (the
// simulation cache's counters).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::store {

struct DiffOptions {
  std::string a, b;
  // Numbers within this relative difference are equal (0: exactly).
  double tolerance = 0;
  // Points listed per kind of difference; the counts cover all of them.
  std::size_t limit = 20;
};

struct DiffReport {
  std::string text;  // the report, for people
  bool equal = true;
};

// Holds both /points tables in memory (their row size per point).
Expected<DiffReport> DiffArchives(const DiffOptions& options);

}  // namespace astrasweep::store
