#include "fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "astrasweep/base/logging.h"

namespace astrasweep::fuzz {
namespace {

// Removes the scratch files at exit (libFuzzer ends with exit()).
struct ScratchFiles {
  std::map<std::string, std::string, std::less<>> paths;  // by extension
  ~ScratchFiles() {
    for (const auto& [extension, path] : paths) std::remove(path.c_str());
  }
};

ScratchFiles& Scratch() {
  static ScratchFiles files;
  return files;
}

}  // namespace

std::string SourceDir() { return ASTRASWEEP_SOURCE_DIR; }

void QuietLogging() { log::Setup({.console_level = log::Level::kOff}); }

std::string WriteScratch(const std::uint8_t* data, std::size_t size, std::string_view extension) {
  auto& paths = Scratch().paths;
  auto it = paths.find(extension);
  if (it == paths.end()) {
    const auto dir = std::filesystem::temp_directory_path();
    std::string path =
        (dir / ("astrasweep-fuzz-" + std::to_string(::getpid()))).string() + std::string(extension);
    it = paths.emplace(std::string(extension), std::move(path)).first;
  }
  std::ofstream out(it->second, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) std::abort();  // a harness that cannot write its input finds nothing
  return it->second;
}

}  // namespace astrasweep::fuzz
