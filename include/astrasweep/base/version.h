// The tool's version, from CMake's project(VERSION), and the git commit it
// was built from (read at every build, "unknown" outside a git checkout).
// The archive's provenance, the journal and `--version` all use these.
#pragma once

#include <string>
#include <string_view>

namespace astrasweep {

std::string_view Version();  // "0.1.0"
std::string_view GitSha();   // 12 hex digits, or "unknown"
// "astrasweep 0.1.0 (git 0123456789ab)".
std::string VersionLine();

}  // namespace astrasweep
