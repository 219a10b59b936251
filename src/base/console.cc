// The status line and the lines printed above it.
#include "astrasweep/base/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <utility>

namespace astrasweep {
namespace {

// Clears the line the cursor is on and returns to its start.
constexpr std::string_view kClearLine = "\r\033[K";

}  // namespace

Console::Console(Writer write, int terminal_fd)
    : write_(std::move(write)), terminal_(terminal_fd >= 0), width_fd_(terminal_fd) {}

bool Console::terminal() const {
  std::lock_guard lock(mutex_);
  return terminal_;
}

int Console::columns() const {
  std::lock_guard lock(mutex_);
  winsize size{};
  if (width_fd_ >= 0 && ::ioctl(width_fd_, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  return 80;
}

void Console::UseTerminal(const std::string& path) {
  std::lock_guard lock(mutex_);
  terminal_ = true;
  // Write-only and never our controlling terminal: it is only asked for
  // its width (a terminal of unknown width when it cannot be opened).
  owned_terminal_.Reset(::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
  width_fd_ = owned_terminal_.get();
}

void Console::Status(std::string_view line) {
  std::lock_guard lock(mutex_);
  status_.assign(line);
  status_shown_ = true;
  write_(std::string("\r").append(status_).append("\033[K"));
}

void Console::EndStatus() {
  std::lock_guard lock(mutex_);
  if (!status_shown_) return;
  status_shown_ = false;
  write_("\n");
}

void Console::Print(std::string_view lines) {
  std::string out;
  std::lock_guard lock(mutex_);
  if (status_shown_) out += kClearLine;
  out += lines;
  if (lines.empty() || lines.back() != '\n') out += '\n';
  if (status_shown_) out += status_;
  write_(out);
}

Console& StandardError() {
  static Console console(
      [](std::string_view text) {
        std::fflush(stderr);  // what stdio holds goes first
        (void)WriteAll(STDERR_FILENO, text, "stderr");
      },
      ::isatty(STDERR_FILENO) ? STDERR_FILENO : -1);
  return console;
}

}  // namespace astrasweep
