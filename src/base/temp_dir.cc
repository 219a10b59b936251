// mkdtemp-backed temporary directories.
#include "astrasweep/base/temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "astrasweep/base/logging.h"

namespace astrasweep {

Expected<TempDir> TempDir::Create(const std::string& prefix, std::filesystem::path parent) {
  if (parent.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    parent = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  std::string pattern = (parent / (prefix + "XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    return MakeError(ErrorCode::kIo, "cannot create a temporary directory in " + parent.string() +
                                         ": " + std::strerror(errno));
  }
  return TempDir(std::filesystem::path(buf.data()));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::Remove() noexcept {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  if (ec) log::Warn("cannot remove temporary directory " + path_.string() + ": " + ec.message());
  path_.clear();
}

}  // namespace astrasweep
