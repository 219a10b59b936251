// Closing a descriptor: an error from close() is not actionable here (the
// data that mattered was synced by whoever wrote it).
#include "astrasweep/base/unique_fd.h"

#include <unistd.h>

namespace astrasweep {

void UniqueFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace astrasweep
