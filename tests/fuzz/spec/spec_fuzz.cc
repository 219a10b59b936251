// Fuzzes the sweep spec loader (sweep/spec_loader.cc) and the expander
// behind it (sweep/expander.cc, expression compiling): the input is the
// text of a spec in the project's sweeps/ folder, so a `base:` names the
// real point files and presets come from sweeps/presets. Other files are
// read only from the source tree's sweeps/ and tests/data/ (an input may
// not send the reader to /dev/zero). A small sweep is also counted and its
// first points materialised.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>

#include "astrasweep/base/strings.h"
#include "astrasweep/sweep/expander.h"
#include "fuzz_support.h"

namespace {

namespace fs = std::filesystem;
using namespace astrasweep;

constexpr std::uint64_t kMaxCounted = 4096;
constexpr std::uint64_t kMaxMaterialized = 4;

bool Under(const std::string& path, const std::string& dir) {
  return path.starts_with(dir + "/") && path.find("/../") == std::string::npos;
}

struct Setup {
  std::string spec_path = fuzz::SourceDir() + "/sweeps/fuzz.yaml";
  config::PresetLibrary presets{{fs::path(fuzz::SourceDir()) / "sweeps" / "presets"}};
  Setup() { fuzz::QuietLogging(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Setup setup;
  const std::string text(reinterpret_cast<const char*>(data), size);
  sweep::SpecSource source{
      .read = [&](const std::string& path) -> Expected<std::string> {
        if (path == setup.spec_path) return text;
        if (!Under(path, fuzz::SourceDir() + "/sweeps") &&
            !Under(path, fuzz::SourceDir() + "/tests/data"))
          return MakeError(ErrorCode::kNotFound, "outside the fuzzed tree", {.file = path});
        std::error_code ec;
        if (!fs::is_regular_file(path, ec))
          return MakeError(ErrorCode::kNotFound, "no such file", {.file = path});
        return ReadFile(path);
      },
      .presets = setup.presets};
  auto expander = sweep::OpenSweep(setup.spec_path, source);
  if (!expander) return 0;
  (void)expander->SweptKeyInfo();
  if (expander->total() > kMaxCounted) return 0;
  (void)expander->Count();
  std::uint64_t materialized = 0;
  expander->ForEachValid(0, expander->total(), [&](std::uint64_t index) {
    (void)expander->SweptText(index);
    (void)expander->Materialize(index);
    return ++materialized < kMaxMaterialized;
  });
  return 0;
}
