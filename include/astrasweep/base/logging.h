// Logging set up once per process. Every line carries the MPI rank; a rank
// may also log to its own file (<out>.logs/rank-<r>.log). Callers format
// their message (fmt::format) and pass the text; spdlog stays private here.
#pragma once

#include <string>
#include <string_view>

namespace astrasweep::log {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };

struct Options {
  Level console_level = Level::kWarn;
  bool console = true;  // false on ranks other than 0
  int rank = 0;
  std::string file;  // empty: no log file
  Level file_level = Level::kInfo;
};

// Safe to call more than once: the last call wins.
void Setup(const Options& options);
// "debug" | "info" | "warn" | "error" | "off".
bool ParseLevel(std::string_view name, Level* level);

void Debug(std::string_view message);
void Info(std::string_view message);
void Warn(std::string_view message);
void Error(std::string_view message);
void Flush();

}  // namespace astrasweep::log
