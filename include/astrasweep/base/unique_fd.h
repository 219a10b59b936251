// A file descriptor owned by one object and closed when it dies, so an
// early return never leaks one.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "astrasweep/base/error.h"

namespace astrasweep {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes the descriptor held, if any, and holds `fd` instead.
  void Reset(int fd = -1);
  // Gives the descriptor up without closing it (it was closed by hand).
  [[nodiscard]] int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// Writes all of `bytes` to `fd` (retrying short writes and EINTR); an
// error names `path` and the system's reason.
Status WriteAll(int fd, std::string_view bytes, const std::string& path);

}  // namespace astrasweep
