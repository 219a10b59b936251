// inspect's failures, grouped by reason: the stage and the message with
// its numbers left out ("... = 6) to be a multiple of pp = 4" and "... =
// 3) to be a multiple of pp = 2" are one reason), most common first, each
// with its count and one point as an example.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/store/table.h"

namespace astrasweep::store {

// The message with every number that stands alone ("= 6", "46.5 GiB",
// "rank 12") replaced by '#'; numbers inside names ("network.1.npus",
// "gpt-1.3b", "fp8") are kept.
std::string FailureReason(std::string_view message);

// The failures of /failures, of the points in `kept` only (sorted point
// indices) when given; the `top` most common reasons are listed.
Expected<std::string> FailuresText(const Table& failures,
                                   const std::optional<std::vector<std::uint64_t>>& kept,
                                   std::size_t top);

}  // namespace astrasweep::store
