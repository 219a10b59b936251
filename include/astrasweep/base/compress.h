// zlib's format at level 1, for bytes this program writes and reads back
// itself (messages between ranks, the journal): records of a sweep are
// mostly configs and numbers that differ a little from one point to the
// next, so even level 1 makes them several times smaller, at ~100-250 MB/s.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace astrasweep {

// `raw` compressed, appended to `out`.
void AppendDeflated(std::string_view raw, std::string& out);

// `compressed` inflated into `out` (replaced); false unless it inflates to
// exactly `raw_bytes` bytes.
[[nodiscard]] bool Inflate(std::string_view compressed, std::size_t raw_bytes, std::string& out);

}  // namespace astrasweep
