// The archive lock: flock on <archive>.lock, the holder's pid inside.
#include "astrasweep/store/archive_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace astrasweep::store {
namespace {

std::string LockPath(const std::string& archive_path) { return archive_path + ".lock"; }

std::string ReadHolder(int fd) {
  std::string holder(256, '\0');
  const ssize_t n = ::pread(fd, holder.data(), holder.size() - 1, 0);
  holder.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return holder;
}

}  // namespace

Expected<ArchiveLock> ArchiveLock::Acquire(const std::string& archive_path) {
  const std::string path = LockPath(archive_path);
  // A run removes the file as it releases the lock: one that opened the
  // file just before may then lock it removed, which locks nothing, so the
  // file locked must still be the one at the path; if not, open it again.
  for (int attempt = 0; attempt < 16; ++attempt) {
    // Never through a symbolic link: one planted at the path would have the
    // run truncate whatever it points to.
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd.valid() && errno == ELOOP)
      return MakeError(ErrorCode::kInvalidInput,
                       "the lock file is a symbolic link, which a run never follows; remove it",
                       {.file = path});
    if (!fd.valid())
      return MakeError(ErrorCode::kIo,
                       std::string("cannot create the lock file: ") + std::strerror(errno),
                       {.file = path});
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      const std::string holder = ReadHolder(fd.get());
      return MakeError(ErrorCode::kInvalidInput,
                       "another run is writing this archive" +
                           (holder.empty() ? std::string() : " (" + holder + ")") +
                           "; wait for it to finish, or write to another output",
                       {.file = archive_path});
    }
    struct stat locked {
    }, named{};
    if (::fstat(fd.get(), &locked) != 0 || ::stat(path.c_str(), &named) != 0 ||
        locked.st_ino != named.st_ino || locked.st_dev != named.st_dev)
      continue;
    const std::string holder = "pid " + std::to_string(::getpid());
    if (::ftruncate(fd.get(), 0) == 0) {
      [[maybe_unused]] const ssize_t n = ::pwrite(fd.get(), holder.data(), holder.size(), 0);
    }
    return ArchiveLock(std::move(fd), path);
  }
  return MakeError(ErrorCode::kUnavailable,
                   "the lock file keeps being removed and created by other runs; try again",
                   {.file = path});
}

ArchiveLock::~ArchiveLock() {
  // Removed while still locked: a run waiting on it finds it gone and
  // makes a new one (Acquire).
  if (fd_.valid()) ::unlink(path_.c_str());
}

std::optional<std::string> ArchiveLock::Holder(const std::string& archive_path) {
  UniqueFd fd(::open(LockPath(archive_path).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || ::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return std::nullopt;
  const std::string holder = ReadHolder(fd.get());
  return holder.empty() ? "another process" : holder;
}

}  // namespace astrasweep::store
