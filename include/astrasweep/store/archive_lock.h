// The lock a run holds while it writes an archive: an flock on
// <archive>.lock, released when the holder exits, however it exits. The
// file names the holder's pid, so a refusal can say who holds it, and is
// removed when the lock is released (a run killed leaves it; the next run
// takes it over).
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

  ArchiveLock(ArchiveLock&&) noexcept = default;
  ArchiveLock& operator=(ArchiveLock&&) noexcept = default;
  // Removes the file, then releases the lock.
  ~ArchiveLock();

 private:
  ArchiveLock(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

}  // namespace astrasweep::store
