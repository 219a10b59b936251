// The version strings; ASTRASWEEP_VERSION comes from CMake, the git sha
// from the header tools/cmake/WriteGitSha.cmake writes at every build.
#include "astrasweep/base/version.h"

#include "astrasweep_git_sha.h"

namespace astrasweep {

std::string_view Version() { return ASTRASWEEP_VERSION; }
std::string_view GitSha() { return ASTRASWEEP_GIT_SHA; }

std::string VersionLine() {
  return "astrasweep " + std::string(Version()) + " (git " + std::string(GitSha()) + ")";
}

}  // namespace astrasweep
