// What the fuzz targets share: the source tree's presets and a scratch file
// per process for the readers that take a path (ET traces, journals,
// archives).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace astrasweep::fuzz {

// The source tree this binary was built from (its sweeps/ and presets).
std::string SourceDir();

// Logging off: a fuzzer runs millions of inputs, and warnings about them
// would bury its own report. Call once per process.
void QuietLogging();

// Writes `data` to this process's scratch file (suffix `extension`) and
// returns its path; the file is replaced on each call and removed at exit.
std::string WriteScratch(const std::uint8_t* data, std::size_t size, std::string_view extension);

}  // namespace astrasweep::fuzz
