// Helpers for tests that run other programs: a command's output and exit
// code, and the Python that reads archives as users do.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace astrasweep::testing {

// Runs `command` through the shell; returns stdout and stderr together.
inline std::string Capture(const std::string& command, int* exit_code) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf;
  while (pipe && std::fgets(buf.data(), buf.size(), pipe) != nullptr) output += buf.data();
  const int status = pipe ? pclose(pipe) : -1;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return output;
}

// What a command did: its exit code, and stdout and stderr together.
struct Ran {
  int code = -1;
  std::string output;
};
inline Ran Run(const std::string& command) {
  Ran ran;
  ran.output = Capture(command, &ran.code);
  return ran;
}

// An interpreter with h5py, pandas and tables: Debian's, which need not be
// the first python3 on PATH. Empty when there is none.
inline std::string PythonWithH5() {
  for (const char* candidate : {"/usr/bin/python3", "python3"}) {
    const std::string probe =
        std::string(candidate) + " -c 'import h5py, pandas, tables' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return candidate;
  }
  return {};
}

}  // namespace astrasweep::testing
