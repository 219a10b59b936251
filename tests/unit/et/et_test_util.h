// What the et tests share: the reference bundles' folder and reading a
// file whole.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace astrasweep::et::testing {

inline const std::filesystem::path kReferenceCases =
    std::filesystem::path(ASTRASWEEP_SOURCE_DIR) / "tests/data/astrasim-reference/cases";
inline constexpr double kGiB = 1073741824.0;

inline std::string FileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace astrasweep::et::testing
