// `astrasweep merge`: the shards of one sweep (`run --shard i/N`) joined
// into a new archive, as if the sweep had run whole. The inputs must be
// complete shards of one spec (the same spec_sha256, presets and /points
// columns), one for each i of the same N; each refusal names the file and
// what to run. The output holds every input's rows (its /workers runs
// numbered after the previous input's) and, in /inputs, each input's
// provenance.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::store {

struct MergeOptions {
  std::vector<std::string> inputs;
  std::string out;  // must not exist
  std::string command_line;
};

struct MergeResult {
  std::uint64_t shards = 0;
  std::uint64_t points = 0, ok = 0, failed = 0, infeasible = 0;
};

Expected<MergeResult> MergeArchives(const MergeOptions& options);

}  // namespace astrasweep::store
