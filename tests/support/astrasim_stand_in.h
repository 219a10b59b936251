// A stand-in for an AstraSim binary that vanishes mid-run, for the fault
// tests (one process, and ranks under mpiexec).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace astrasweep::testing {

// A script at `path` that runs `fake` (the test double) with its
// arguments, counts its runs in <path>.runs (appending: ranks run it at
// once), and removes itself in the run that brings the count to
// `vanish_at` (0: never). The removed file still runs to the end, as a
// binary removed under a running process does; the next start fails.
// `vanish_at` is kept beside the script (<path>.vanish_at), so the script
// put back is the same build, with the same sha256, that a resume expects.
inline void WriteVanishingAstraSim(const std::string& path, int vanish_at,
                                   const std::string& fake) {
  std::ofstream(path + ".vanish_at") << vanish_at << "\n";
  std::ofstream(path) << "#!/bin/sh\n"
                      << "echo run >> \"$0.runs\"\n"
                      << "v=$(cat \"$0.vanish_at\")\n"
                      << "if [ \"$v\" -gt 0 ] && [ $(wc -l < \"$0.runs\") -ge \"$v\" ]; then "
                         "rm -f \"$0\"; fi\n"
                      << "exec " << fake << " \"$@\"\n";
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

}  // namespace astrasweep::testing
