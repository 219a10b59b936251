// `astrasweep inspect`: a readable summary of an archive: its provenance,
// the points by status, the best points by tokens/s and the failures.
#pragma once

#include <cstddef>
#include <string>

#include "astrasweep/base/error.h"

namespace astrasweep::store {

// Reads the archive in chunks (memory does not grow with its size).
Expected<std::string> InspectArchive(const std::string& path, std::size_t top);

}  // namespace astrasweep::store
