// Loading sweep specs: value generators, zip groups, and the errors for a
// malformed spec, each naming file, key path and problem.
#include <gtest/gtest.h>

#include "astrasweep/sweep/spec.h"
#include "sweep_test_util.h"

namespace astrasweep::sweep {
namespace {

using testing::kPoint;
using testing::SpecFiles;

std::string Message(const Expected<Expander>& e) { return e ? "(no error)" : e.error().ToString(); }

TEST(SpecLoader, RangeAndPow2AreInclusive) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load("s.yaml", R"y(base: points/base.yaml
axes:
  training.micro_batch: {range: [1, 7, 2]}
  parallelism.pp: {pow2: [1, 16]}
)y");
  ASSERT_TRUE(e) << Message(e);
  const auto& axes = e->spec().axes;
  ASSERT_EQ(axes.size(), 2u);
  ASSERT_EQ(axes[0].size(), 4u);
  EXPECT_EQ(axes[0].values[3][0].text(), "7");
  ASSERT_EQ(axes[1].size(), 5u);
  EXPECT_EQ(axes[1].values[4][0].text(), "16");
  EXPECT_EQ(e->total(), 20u);
}

TEST(SpecLoader, ZipGroupsVaryTogether) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load("s.yaml", R"y(base: points/base.yaml
zip:
  - {model.layers: [24, 40], model.hidden: [2048, 5120], model.heads: [16, 40]}
axes:
  training.micro_batch: [1, 2]
)y");
  ASSERT_TRUE(e) << Message(e);
  EXPECT_EQ(e->total(), 4u);
  auto p = e->Materialize(2);
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->point.config.model.layers, 40);
  EXPECT_EQ(p->point.config.model.hidden, 5120);
  EXPECT_EQ(p->point.config.training.micro_batch, 1) << "zip written first: it is the outer axis";
}

TEST(SpecLoader, ZipOfUnequalLengths) {
  SpecFiles files;
  auto e = files.Load("s.yaml", R"y(zip:
  - {model.layers: [24, 40, 48], model.hidden: [2048, 5120]}
)y");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().context().key_path, "zip.0");
  EXPECT_NE(e.error().context().file.find("s.yaml"), std::string::npos);
  EXPECT_NE(e.error().message().find("equal lengths: model.layers has 3, model.hidden has 2"),
            std::string::npos)
      << Message(e);
}

TEST(SpecLoader, UnknownKeysSuggest) {
  SpecFiles files;
  auto e = files.Load("s.yaml", "axis:\n  parallelism.tp: [1, 2]\n");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().context().key_path, "axis");
  EXPECT_NE(e.error().message().find("did you mean 'axes'"), std::string::npos) << Message(e);

  e = files.Load("s.yaml", "axes:\n  parallelism.tq: [1, 2]\n");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().context().key_path, "axes.parallelism.tq");
  EXPECT_NE(e.error().message().find("did you mean 'parallelism.tp'"), std::string::npos)
      << Message(e);
}

TEST(SpecLoader, MissingBaseFile) {
  SpecFiles files;
  auto e = files.Load("s.yaml", "base: points/nope.yaml\n");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(e.error().context().key_path, "base");
  EXPECT_NE(e.error().context().file.find("s.yaml"), std::string::npos);
  EXPECT_NE(e.error().message().find("points/nope.yaml"), std::string::npos) << Message(e);
}

// A spec someone else wrote reads point configs and presets, nothing else:
// a base naming a system file, or a preset name that is a path, is refused
// before the file is read, so it never reaches a message or an archive.
TEST(SpecLoader, ASpecReadsOnlyPointConfigsAndPresetsByPlainName) {
  SpecFiles files;
  for (const char* base : {"/etc/passwd", "/etc/shadow", "/proc/self/maps"}) {
    auto e = files.Load("s.yaml", std::string("base: ") + base + "\n");
    ASSERT_FALSE(e) << base;
    EXPECT_EQ(e.error().context().key_path, "base");
    EXPECT_NE(Message(e).find("ends in .yaml or .yml"), std::string::npos) << Message(e);
    EXPECT_EQ(Message(e).find("root:"), std::string::npos) << Message(e);
  }
  // A preset named by a path, even to a file that exists and is valid.
  const std::string own = files.Write("own.yaml", "layers: 2\n");
  for (const std::string& name : std::vector<std::string>{
           "../../../../etc/passwd", own.substr(0, own.size() - 5), ".hidden"}) {
    auto e = files.Load("s.yaml", "base: {model: {preset: '" + name + "'}}\n");
    ASSERT_FALSE(e) << name;
    EXPECT_NE(Message(e).find("is not a model preset name"), std::string::npos) << Message(e);
  }
  // A file that parses but is no config is refused by its kind, not echoed.
  files.Write("text.yaml", std::string(4000, 'x') + "\n");
  auto e = files.Load("s.yaml", "base: text.yaml\n");
  ASSERT_FALSE(e);
  EXPECT_NE(Message(e).find("is not a point config"), std::string::npos) << Message(e);
  EXPECT_EQ(Message(e).find("xxxx"), std::string::npos) << Message(e);
  // An unknown key in a file of long lines is quoted short.
  files.Write("long.yaml", std::string(4000, 'k') + ": 1\n");
  e = files.Load("s.yaml", "base: long.yaml\n");
  ASSERT_FALSE(e);
  EXPECT_LT(Message(e).size(), 600u) << Message(e);
}

TEST(SpecLoader, BadAxisValues) {
  SpecFiles files;
  EXPECT_FALSE(files.Load("s.yaml", "axes:\n  parallelism.tp: []\n"));
  EXPECT_FALSE(files.Load("s.yaml", "axes:\n  parallelism.tp: 4\n"));
  EXPECT_FALSE(files.Load("s.yaml", "axes:\n  parallelism.tp: {range: [8, 1]}\n"));
  EXPECT_FALSE(files.Load("s.yaml", "axes:\n  parallelism.tp: {pow2: [0, 8]}\n"));
}

TEST(SpecLoader, OverlappingAxesAreRejected) {
  SpecFiles files;
  auto e = files.Load("s.yaml", "axes:\n  hardware.memory: [40 GiB]\n  hardware: [a100-80gb]\n");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("overwrites 'hardware.memory'"), std::string::npos)
      << Message(e);
}

}  // namespace
}  // namespace astrasweep::sweep
