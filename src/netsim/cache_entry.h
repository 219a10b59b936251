// The bytes of one entry of the simulation cache, written and read in one
// place. A text format, so a person can look at an entry:
//
//   astrasweep-simcache 1
//   key <the entry's key>
//   ranks <n>
//   <finish_ns> <compute_ns> <comm_ns> <exposed_ns>     (n lines, rank order)
//   checksum <32 hex: XXH3-128 of every byte above this line>
//
// The key is inside so that an entry copied or renamed under another key is
// caught; the checksum catches truncation and damage anywhere.
#pragma once

#include <string>
#include <string_view>

#include "astrasweep/base/error.h"
#include "astrasweep/netsim/simulator.h"

namespace astrasweep::netsim {

// The format's version: an entry of another version is damaged (a new
// format also gets a new folder, v2, so versions never meet in one).
inline constexpr int kCacheFormatVersion = 1;

std::string EncodeCacheEntry(const std::string& key, const SimResult& result);

// The result in `text`; an error saying what is wrong when `text` is not a
// whole, undamaged entry of `key`.
Expected<SimResult> DecodeCacheEntry(std::string_view text, const std::string& key);

}  // namespace astrasweep::netsim
