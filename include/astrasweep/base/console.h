// The console: standard error as the person who started the run sees it,
// shared by log lines and the progress bar. The bar is a status line
// redrawn in place; a line printed while it is shown first clears it, and
// the bar is drawn again below, so the two never share a line. One lock
// covers both.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "astrasweep/base/unique_fd.h"

namespace astrasweep {

class Console {
 public:
  // Each call writes one whole piece of output (a line, or a line and the
  // bar redrawn), so it travels through a launcher's pipe in one write.
  using Writer = std::function<void(std::string_view)>;

  // `terminal_fd`: the terminal the output reaches (its width is asked
  // there), or -1 when it reaches no terminal.
  explicit Console(Writer write, int terminal_fd = -1);

  // Whether a person sees this output on a terminal: the bar and colours.
  bool terminal() const;
  // The terminal's width in columns (80 when it cannot be asked).
  int columns() const;
  // The output reaches the terminal at `path` through something else (a
  // launcher's /proc/PID/fd/2): it is opened to ask its width only.
  void UseTerminal(const std::string& path);

  // Draws `line` as the status line, in place of the one drawn before.
  void Status(std::string_view line);
  // Leaves the status line on screen and moves below it.
  void EndStatus();
  // Prints `lines` (a newline is added when the last one has none) above
  // the status line.
  void Print(std::string_view lines);

 private:
  mutable std::mutex mutex_;
  Writer write_;
  bool terminal_;
  int width_fd_;  // -1: the width cannot be asked
  UniqueFd owned_terminal_;
  bool status_shown_ = false;
  std::string status_;
};

// Standard error, unbuffered; a terminal when fd 2 is one.
Console& StandardError();

}  // namespace astrasweep
