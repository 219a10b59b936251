// A point's result as it travels to rank 0 and into the journal
// (proto::PointResult), made from an evaluation: the result fields copied
// through exec::ResultFields(), in that table's order.
#pragma once

#include <cstdint>

#include "astrasweep/base/error.h"
#include "astrasweep/exec/evaluate.h"

namespace astrasweep::proto {
class PointResult;
}
namespace astrasweep::sweep {
class Expander;
}

namespace astrasweep::dist {

// Status, mode, result fields, failure and per-NPU timings of `outcome`.
void FillPointResult(const exec::PointOutcome& outcome, proto::PointResult& out);

// Evaluates point `index` of a sweep into a result: materialises its
// config, runs its mode, and never fails (a point that cannot be built or
// run is a failed result with a stage and a message).
void EvaluateSweepPoint(const sweep::Expander& expander, std::uint64_t index,
                        proto::PointResult& out);

// Builds a journaled point's config again, from its index: its id,
// canonical text and swept values (the journal does not keep them). An
// error when a point that was built then cannot be built now.
Status RestorePointConfig(const sweep::Expander& expander, proto::PointResult& point);

// The simulator runs and cache hits a result carries (0 when it has none).
std::uint64_t SimRuns(const proto::PointResult& result);
std::uint64_t CacheHits(const proto::PointResult& result);
std::uint64_t CacheMisses(const proto::PointResult& result);

}  // namespace astrasweep::dist
