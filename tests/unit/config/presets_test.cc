// Presets: the search path (in order, with the installed location beside the
// executable), and one library expanding presets from several threads at once.
#include "astrasweep/config/presets.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "scoped_env.h"

namespace astrasweep::config {
namespace {

using astrasweep::testing::ScopedEnv;

namespace fs = std::filesystem;

const fs::path kProjectPresets = fs::path(ASTRASWEEP_SOURCE_DIR) / "sweeps" / "presets";

TEST(PresetLibrary, ForFileInSearchesInDocumentedOrder) {
  ScopedEnv env("ASTRASWEEP_PRESETS", "/env/one:/env/two");
  const fs::path file_dir = "/specs/here";
  const fs::path exe_dir = fs::read_symlink("/proc/self/exe").parent_path();
  const std::vector<fs::path> expected = {
      "/env/one",
      "/env/two",
      file_dir / "presets",
      file_dir / ".." / "presets",
      exe_dir.parent_path() / "share" / "astrasweep" / "presets",
      kProjectPresets,
  };
  EXPECT_EQ(PresetLibrary::ForFileIn(file_dir).dirs(), expected)
      << "expected $ASTRASWEEP_PRESETS, beside the file, beside the executable, then the "
         "source tree";
}

TEST(PresetLibrary, ForFileInSkipsAnEmptyEnvironmentVariable) {
  ScopedEnv env("ASTRASWEEP_PRESETS", "");
  const auto dirs = PresetLibrary::ForFileIn("/specs/here").dirs();
  ASSERT_FALSE(dirs.empty());
  EXPECT_EQ(dirs.front(), fs::path("/specs/here") / "presets");
  EXPECT_EQ(dirs.back(), kProjectPresets) << "the compiled-in source path is the last fallback";
}

TEST(PresetLibrary, InPresetSection) {
  EXPECT_TRUE(PresetLibrary::InPresetSection("hardware"));
  EXPECT_TRUE(PresetLibrary::InPresetSection("model.heads"));
  EXPECT_TRUE(PresetLibrary::InPresetSection("network.1.bandwidth"));
  EXPECT_FALSE(PresetLibrary::InPresetSection("training.micro_batch"));
  EXPECT_FALSE(PresetLibrary::InPresetSection("models"));
}

// A point naming presets of every section; a100-40gb starts from a100-80gb,
// so its load nests another.
Node PointWithPresets(const std::string& hardware, const std::string& model) {
  Node root = Node::Map();
  root.Set("hardware", Node::Scalar(hardware));
  root.Set("model", Node::Scalar(model));
  root.Set("network", Node::Scalar("dgx-a100"));
  return root;
}

const std::vector<std::pair<std::string, std::string>> kPoints = {
    {"a100-40gb", "gpt-1.3b"},  {"a100-80gb", "gpt-13b"}, {"h100-sxm", "llama2-7b"},
    {"a100-40gb", "gpt3-175b"}, {"mi300x", "llama3-8b"},  {"h200", "gpt-6.7b"},
};

std::vector<std::string> ExpandAll(const PresetLibrary& library) {
  std::vector<std::string> out;
  for (const auto& [hardware, model] : kPoints) {
    Node root = PointWithPresets(hardware, model);
    auto status = library.Expand(root);
    out.push_back(status ? EmitYaml(root) : "error: " + status.error().ToString());
  }
  return out;
}

TEST(PresetLibrary, ExpandsFromSeveralThreadsAtOnce) {
  const std::vector<std::string> expected = ExpandAll(PresetLibrary({kProjectPresets}));
  for (const auto& text : expected) ASSERT_FALSE(text.starts_with("error: ")) << text;

  constexpr int kThreads = 8;
  constexpr int kRounds = 20;
  // A fresh library, so the threads race to fill its cache; half of them
  // use copies, which share it (an Expander holds a copy).
  const PresetLibrary shared({kProjectPresets});
  std::vector<std::vector<std::string>> results(kThreads * kRounds);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const PresetLibrary copy = shared;
      const PresetLibrary& library = t % 2 == 0 ? shared : copy;
      start.arrive_and_wait();
      for (int round = 0; round < kRounds; ++round)
        results[t * kRounds + round] = ExpandAll(library);
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < results.size(); ++i)
    EXPECT_EQ(results[i], expected) << "thread " << i / kRounds << ", round " << i % kRounds
                                    << " expanded presets differently from a single thread";
}

}  // namespace
}  // namespace astrasweep::config
