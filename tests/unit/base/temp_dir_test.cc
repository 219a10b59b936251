// Temporary directories disappear with their contents.
#include "astrasweep/base/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>

namespace astrasweep {
namespace {

TEST(TempDir, RemovedWithContents) {
  std::filesystem::path path;
  {
    auto dir = TempDir::Create("astrasweep-test-");
    ASSERT_TRUE(dir) << dir.error().ToString();
    path = dir->path();
    std::ofstream(path / "file.txt") << "x";
    ASSERT_TRUE(std::filesystem::exists(path / "file.txt"));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace astrasweep
