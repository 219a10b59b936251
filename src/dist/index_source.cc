// One odometer walk over the sweep per batch, from where the last one
// stopped.
#include "index_source.h"

namespace astrasweep::dist {

bool SweepIndexSource::Wanted(std::uint64_t index, std::uint64_t ordinal) {
  if (ordinal % shard_.count != shard_.index) return false;
  while (done_at_ < done_.size() && done_[done_at_] < index) ++done_at_;
  return !(done_at_ < done_.size() && done_[done_at_] == index);
}

std::size_t SweepIndexSource::Next(std::size_t max, std::vector<std::uint64_t>& out) {
  const std::size_t before = out.size();
  if (cursor_ >= expander_.total()) return 0;
  std::uint64_t last = expander_.total() - 1;
  bool stopped_early = false;
  expander_.ForEachValid(cursor_, expander_.total(), [&](std::uint64_t index) {
    last = index;
    if (!Wanted(index, ordinal_++)) return true;
    out.push_back(index);
    stopped_early = out.size() - before >= max;
    return !stopped_early;
  });
  cursor_ = stopped_early ? last + 1 : expander_.total();
  return out.size() - before;
}

}  // namespace astrasweep::dist
