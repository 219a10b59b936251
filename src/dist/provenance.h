// What an archive records of the run that made it (README.md, "The archive"):
// the tool's version, the spec's text and digest, the command, the ranks
// and hosts, the shard.
#pragma once

#include <string>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/dist/shard.h"
#include "astrasweep/store/archive.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep::dist {

// The current UTC time as "2026-11-21T05:21:38Z".
std::string UtcNow();

// `hosts` in rank order; each host is named once.
Expected<store::Provenance> MakeProvenance(const sweep::Expander& expander,
                                           const std::string& spec_file,
                                           const std::string& command_line, int mpi_size,
                                           const std::vector<std::string>& hosts, Shard shard,
                                           std::uint64_t points_total);

}  // namespace astrasweep::dist
