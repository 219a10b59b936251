// The coordinator's IndexSource for a sweep: its valid points (or one
// shard's), less those finished already, in index order, expanded lazily.
#pragma once

#include <vector>

#include "astrasweep/dist/coordinator.h"
#include "astrasweep/dist/shard.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep::dist {

class SweepIndexSource final : public IndexSource {
 public:
  // `done` (sorted) must outlive the source; `shard_valid` is the shard's
  // count of valid points.
  SweepIndexSource(const sweep::Expander& expander, Shard shard,
                   const std::vector<std::uint64_t>& done, std::uint64_t shard_valid)
      : expander_(expander), shard_(shard), done_(done), total_(shard_valid - done.size()) {}

  std::size_t Next(std::size_t max, std::vector<std::uint64_t>& out) override;
  std::uint64_t total() const override { return total_; }

 private:
  // Whether the valid point `index` (the `ordinal`-th valid one) is this
  // shard's and not finished yet.
  bool Wanted(std::uint64_t index, std::uint64_t ordinal);

  const sweep::Expander& expander_;
  Shard shard_;
  const std::vector<std::uint64_t>& done_;
  std::uint64_t total_;
  std::uint64_t cursor_ = 0;   // the next index to look at
  std::uint64_t ordinal_ = 0;  // of the next valid point
  std::size_t done_at_ = 0;
};

}  // namespace astrasweep::dist
