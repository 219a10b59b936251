// The lock a run holds while it writes an archive: an flock on
// <archive>.lock, released when the holder exits, however it exits. The
// file names the holder's pid, so a refusal can say who holds it.
#pragma once

#include <optional>
#include <string>

#include "astrasweep/base/error.h"
#include "astrasweep/base/unique_fd.h"

namespace astrasweep::store {

class ArchiveLock {
 public:
  static Expected<ArchiveLock> Acquire(const std::string& archive_path);
  // Who holds the lock ("pid 123"), or nullopt when no run holds it.
  static std::optional<std::string> Holder(const std::string& archive_path);

 private:
  // The file stays when the lock is released: removing it would let a run
  // that opened it just before lock an orphan while a third run locks a
  // new file.
  explicit ArchiveLock(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace astrasweep::store
