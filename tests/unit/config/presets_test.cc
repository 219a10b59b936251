// Presets: the search path (in order, with the installed location beside the
// executable), one library expanding presets from several threads at once,
// the files a library can read (what an archive stores) and a library of
// such files alone.
#include "astrasweep/config/presets.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "astrasweep/base/temp_dir.h"
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

TEST(PresetLibrary, FilesAreTheFirstOfEachNameAlongThePath) {
  const auto temp = TempDir::Create("astrasweep-presets-test-");
  ASSERT_TRUE(temp);
  const fs::path mine = temp->path() / "hardware";
  fs::create_directories(mine);
  std::ofstream(mine / "a100-80gb.yaml") << "preset: h100-sxm\nmemory: 40 GiB\n";
  std::ofstream(mine / "notes.txt") << "not a preset";
  const PresetLibrary library({temp->path(), kProjectPresets});
  const auto files = library.Files();
  ASSERT_TRUE(files) << files.error().ToString();
  std::size_t project = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kProjectPresets))
    project += entry.path().extension() == ".yaml";
  EXPECT_EQ(files->size(), project) << "one file per name; notes.txt is no preset";
  const auto a100 = std::find_if(files->begin(), files->end(), [](const PresetFile& f) {
    return f.name == "hardware/a100-80gb.yaml";
  });
  ASSERT_NE(a100, files->end());
  EXPECT_EQ(a100->path, (mine / "a100-80gb.yaml").string()) << "the first directory wins";
  EXPECT_EQ(a100->text, "preset: h100-sxm\nmemory: 40 GiB\n");
  EXPECT_TRUE(
      std::is_sorted(files->begin(), files->end(),
                     [](const PresetFile& a, const PresetFile& b) { return a.name < b.name; }));
}

TEST(PresetLibrary, FromFilesReadsThoseFilesAlone) {
  const auto files = PresetLibrary({kProjectPresets}).Files();
  ASSERT_TRUE(files);
  std::vector<PresetFile> kept = *files;
  for (auto& file : kept)
    if (file.name == "hardware/a100-80gb.yaml")
      file.text.replace(file.text.find("memory: 80 GiB"), 14, "memory: 40 GiB");
  std::erase_if(kept, [](const PresetFile& f) { return f.name == "hardware/h100-sxm.yaml"; });
  const PresetLibrary library = PresetLibrary::FromFiles(kept);
  Node root = Node::Map();
  root.Set("hardware", Node::Scalar("a100-80gb"));
  ASSERT_TRUE(library.Expand(root));
  EXPECT_EQ(root.Find("hardware")->Find("memory")->text(), "40 GiB") << "the file as given";
  Node missing = Node::Map();
  missing.Set("hardware", Node::Scalar("h100-sxm"));
  const Status expanded = library.Expand(missing);
  ASSERT_FALSE(expanded) << "no directory is searched";
  EXPECT_NE(expanded.error().message().find("presets stored with the sweep"), std::string::npos)
      << expanded.error().message();
  EXPECT_EQ(library.Files()->size(), kept.size());
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
