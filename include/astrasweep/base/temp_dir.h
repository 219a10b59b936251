// A temporary directory removed, with its contents, when the object dies.
#pragma once

#include <filesystem>
#include <string>

#include "astrasweep/base/error.h"

namespace astrasweep {

class TempDir {
 public:
  // Creates <parent>/<prefix>XXXXXX; parent defaults to $TMPDIR or /tmp.
  static Expected<TempDir> Create(const std::string& prefix = "astrasweep-",
                                  std::filesystem::path parent = {});
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();  // never throws; a failed removal is logged

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  void Remove() noexcept;
  std::filesystem::path path_;
};

}  // namespace astrasweep
