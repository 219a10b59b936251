// Shard names.
#include "astrasweep/dist/shard.h"

#include <cstdio>

namespace astrasweep::dist {

std::string Shard::Name() const {
  return whole() ? "" : std::to_string(index) + "/" + std::to_string(count);
}

Expected<Shard> ParseShard(const std::string& text) {
  unsigned long long i = 0, n = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%llu/%llu%c", &i, &n, &extra) != 2 || n == 0 || i >= n)
    return InvalidInput("--shard '" + text + "': expected i/N with 0 <= i < N, e.g. 0/4");
  return Shard{.index = i, .count = n};
}

}  // namespace astrasweep::dist
