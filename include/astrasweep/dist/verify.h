// `astrasweep verify`: archived points evaluated again from their archived
// configs (the canonical text of /configs, built with config::BuildPoint),
// in the mode each was run in, and compared with what the archive holds:
// status, id, mode, every result field but those that say how the run got
// it (exec::ResultField::per_run), the failure, the per-NPU timings.
//
// Exact, except for points an external AstraSim simulated: those within a
// relative tolerance, with a warning when the binary given now is not the
// one the archive names (its sha256, in the `simulator` attribute). A point
// whose config could not be built (it has none in /configs) is checked by
// expanding the archived spec again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::dist {

struct VerifyOptions {
  std::string archive;
  // Points to check, spread over the archive: the point at position
  // floor(k * M / N) of the M points in index order, for k < N (every
  // point when N >= M); 0: every point.
  std::uint64_t sample = 0;
  // Relative, for points an external AstraSim simulated.
  double astrasim_tolerance = 1e-6;
};

// One difference: the column (a /points column, "rank_timings", "failure",
// "config") and both values.
struct Mismatch {
  std::uint64_t index = 0;
  std::string column;
  std::string archived;
  std::string now;
};

struct VerifyReport {
  std::uint64_t archive_points = 0;
  std::uint64_t checked = 0;
  std::uint64_t differing_points = 0;
  std::uint64_t with_tolerance = 0;  // compared within the AstraSim tolerance
  std::vector<Mismatch> mismatches;
  std::vector<std::string> notes;  // provenance, warnings
  std::string Text(const VerifyOptions& options) const;
};

// Evaluates with the process's simulation (exec::ConfigureSimulation first).
Expected<VerifyReport> VerifyArchive(const VerifyOptions& options);

}  // namespace astrasweep::dist
