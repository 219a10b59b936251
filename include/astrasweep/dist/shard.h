// One Nth of a sweep (`--shard i/N`): every Nth valid point in index order,
// from the i-th, into its own archive. Taking every Nth valid point (not
// a range of indices) balances shards whatever the constraints remove.
#pragma once

#include <cstdint>
#include <string>

#include "astrasweep/base/error.h"

namespace astrasweep::dist {

struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
  bool whole() const { return count == 1; }
  // How many of `valid` points are this shard's.
  std::uint64_t PointsOf(std::uint64_t valid) const {
    return valid > index ? (valid - index + count - 1) / count : 0;
  }
  // "i/N", or "" for the whole sweep: what the journal and archive record.
  std::string Name() const;
};

// "i/N" with 0 <= i < N.
Expected<Shard> ParseShard(const std::string& text);

}  // namespace astrasweep::dist
