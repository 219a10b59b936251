// One external program run to its end as a child process: no shell (the
// arguments reach it as given), in its own folder and process group, its
// stdout and stderr written to one file (a file never fills up and blocks
// the child as a pipe can), and killed with its whole group at a deadline.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::netsim {

struct ChildRequest {
  std::vector<std::string> argv;  // argv[0]: the program's path, not looked up in PATH
  std::filesystem::path cwd;
  std::filesystem::path output;  // stdout and stderr, interleaved as written
  std::chrono::milliseconds timeout{0};
};

struct ChildOutcome {
  enum class End { kExited, kSignaled, kTimedOut };
  End end = End::kExited;
  int exit_code = 0;  // kExited
  int signal = 0;     // kSignaled
};

// An error only when the child could not be started or waited for; how
// it ended, timeout included, is the outcome.
Expected<ChildOutcome> RunChild(const ChildRequest& request);

// "SIGABRT (Aborted)".
std::string SignalName(int signal);

// The last `count` lines of `text` (at most about 4 kB of them).
std::string LastLines(std::string_view text, int count);

}  // namespace astrasweep::netsim
