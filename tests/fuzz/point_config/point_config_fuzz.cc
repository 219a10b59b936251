// Fuzzes the point config loader (config/loader.cc, node.cc, presets.cc,
// schema.cc): YAML text parsed, presets expanded from the project's
// sweeps/presets, every key checked and the point built, its canonical
// form and id computed.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "astrasweep/config/loader.h"
#include "fuzz_support.h"

namespace {

using namespace astrasweep;

struct Setup {
  config::PresetLibrary presets{{std::filesystem::path(fuzz::SourceDir()) / "sweeps" / "presets"}};
  Setup() { fuzz::QuietLogging(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Setup setup;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto root = config::ParseYaml(text, "fuzz.yaml");
  if (!root) return 0;
  auto copy = *root;
  auto point = config::BuildPoint(*root, setup.presets);
  // The reuse of sections read before must not change the answer.
  auto afresh = config::BuildPointAfresh(std::move(copy), setup.presets);
  const auto outcome = [](const Expected<config::ResolvedPoint>& built) {
    return built ? "canonical:\n" + built->canonical : "error: " + built.error().message();
  };
  if (point.has_value() != afresh.has_value() || (point && point->canonical != afresh->canonical)) {
    std::fprintf(stderr, "BuildPoint and BuildPointAfresh disagree\nBuildPoint %s\nAfresh %s\n",
                 outcome(point).c_str(), outcome(afresh).c_str());
    __builtin_trap();
  }
  return 0;
}
