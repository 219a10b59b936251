// Closing a descriptor (an error from close() is not actionable here: the
// data that mattered was synced by whoever wrote it), and writing fully.
#include "astrasweep/base/unique_fd.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace astrasweep {

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kIo, std::string("cannot write: ") + std::strerror(errno),
                       {.file = path});
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Ok();
}

}  // namespace astrasweep
