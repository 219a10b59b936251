// Lazy expansion: index <-> positions, counting with pruning equal to a
// point-by-point check, derives, defaults in constraints, and point ids that
// do not depend on how a spec reaches a config.
#include "astrasweep/sweep/expander.h"

#include <gtest/gtest.h>

#include "astrasweep/config/loader.h"
#include "sweep_test_util.h"

namespace astrasweep::sweep {
namespace {

using testing::kPoint;
using testing::SpecFiles;

std::string Message(const Expected<Expander>& e) { return e ? "(no error)" : e.error().ToString(); }

const char* kGridSpec = R"y(base: points/base.yaml
vars: {gpus: 64}
axes:
  model: [gpt-1.3b, gpt-13b]
  parallelism.tp: [1, 2, 4, 8, 16]
  parallelism.pp: {pow2: [1, 16]}
  training.micro_batch: [1, 2, 3]
derive:
  parallelism.dp: "gpus // (parallelism.tp * parallelism.pp)"
constraints:
  - "gpus % (parallelism.tp * parallelism.pp) == 0"
  - "model.heads % parallelism.tp == 0"
  - "model.layers % parallelism.pp == 0"
  - "training.global_batch % (training.micro_batch * parallelism.dp) == 0"
  - "model.kv_heads >= parallelism.tp"
)y";

TEST(Expander, DecodeAndEncodeAreInverse) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load("s.yaml", kGridSpec);
  ASSERT_TRUE(e) << Message(e);
  EXPECT_EQ(e->total(), 2u * 5 * 5 * 3);
  for (std::uint64_t i = 0; i < e->total(); ++i) EXPECT_EQ(e->Encode(e->Decode(i)), i);
  EXPECT_EQ(e->Decode(1), (std::vector<std::size_t>{0, 0, 0, 1})) << "the last axis varies fastest";
}

TEST(Expander, PrunedCountEqualsPointByPointCheck) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load("s.yaml", kGridSpec);
  ASSERT_TRUE(e) << Message(e);
  std::uint64_t valid = 0;
  std::vector<std::uint64_t> by(e->spec().constraints.size());
  for (std::uint64_t i = 0; i < e->total(); ++i) {
    auto failed = e->FailedConstraint(i);
    if (failed)
      ++by[*failed];
    else
      ++valid;
  }
  auto count = e->Count();
  EXPECT_EQ(count.valid, valid);
  EXPECT_EQ(count.skipped, e->total() - valid);
  EXPECT_EQ(count.skipped_by, by);
  // Any sub-range agrees too (shards count ranges).
  auto a = e->Count(0, 77), b = e->Count(77, e->total());
  EXPECT_EQ(a.valid + b.valid, valid);
  // Every point the scan calls valid builds into a config.
  std::uint64_t built = 0;
  std::vector<std::uint64_t> walked;
  e->ForEachValid(0, e->total(), [&](std::uint64_t i) {
    walked.push_back(i);
    auto p = e->Materialize(i);
    EXPECT_TRUE(p) << p.error().ToString();
    if (p) {
      EXPECT_EQ(p->point.config.parallelism.Gpus(), 64);
    }
    ++built;
    return true;
  });
  EXPECT_EQ(built, valid);
  // The walk visits exactly the indices NextValid finds one by one.
  std::vector<std::uint64_t> stepped;
  for (auto i = e->NextValid(0); i; i = e->NextValid(*i + 1)) stepped.push_back(*i);
  EXPECT_EQ(walked, stepped);
  // It stops when asked, and honours a sub-range.
  std::vector<std::uint64_t> first_three;
  e->ForEachValid(0, e->total(), [&](std::uint64_t i) {
    first_three.push_back(i);
    return first_three.size() < 3;
  });
  EXPECT_EQ(first_three, std::vector<std::uint64_t>(stepped.begin(), stepped.begin() + 3));
  std::uint64_t in_range = 0;
  e->ForEachValid(77, 150, [&](std::uint64_t i) {
    EXPECT_GE(i, 77u);
    EXPECT_LT(i, 150u);
    ++in_range;
    return true;
  });
  EXPECT_EQ(in_range, e->Count(77, 150).valid);
  EXPECT_GT(valid, 0u);
}

TEST(Expander, SkippedPointIsNamed) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load("s.yaml", kGridSpec);
  ASSERT_TRUE(e);
  auto p = e->Materialize(e->Encode(std::vector<std::size_t>{1, 4, 0, 0}));  // tp 16 on 40 heads
  ASSERT_FALSE(p);
  EXPECT_TRUE(p.error().context().point_index.has_value());
  EXPECT_NE(p.error().message().find("skipped by constraint"), std::string::npos);
}

TEST(Expander, ConstraintNamingAnUnknownKey) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e =
      files.Load("s.yaml", "base: points/base.yaml\nconstraints:\n  - \"model.head % 2 == 0\"\n");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().context().key_path, "constraints.0");
  EXPECT_EQ(e.error().context().line, 3);
  EXPECT_NE(e.error().message().find("unknown key or var 'model.head'"), std::string::npos)
      << Message(e);
  EXPECT_NE(e.error().message().find("did you mean 'model.heads'"), std::string::npos)
      << Message(e);
}

TEST(Expander, DeriveReferringToItself) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load(
      "s.yaml", "base: points/base.yaml\nderive:\n  parallelism.dp: \"parallelism.dp * 2\"\n");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().context().key_path, "derive.parallelism.dp");
  EXPECT_NE(e.error().message().find("refers to itself"), std::string::npos) << Message(e);

  e = files.Load("s.yaml", R"y(base: points/base.yaml
derive:
  parallelism.dp: "parallelism.pp * 8"
  parallelism.pp: "1"
)y");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("derived later"), std::string::npos) << Message(e);
}

TEST(Expander, DefaultsQuantitiesAndStringsInExpressions) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load("s.yaml", R"y(base: points/base.yaml
axes:
  hardware: [a100-40gb, a100-80gb, h100-sxm]
  execution_backend.model: [analytical, astra]
constraints:
  - "hardware.memory >= 60 * 2 ** 30"
  - "execution_backend.model == 'analytical' or hardware.name == 'h100-sxm'"
  - "model.ffn_hidden == 4 * model.hidden"
)y");
  ASSERT_TRUE(e) << Message(e);
  auto count = e->Count();
  EXPECT_EQ(count.valid, 3u) << "80gb analytical, h100 analytical, h100 astra";
  EXPECT_EQ(count.skipped_by[0], 2u);
}

TEST(Expander, DependentDefaultsFollowTheirSweptSource) {
  SpecFiles files;
  auto e = files.Load("s.yaml", R"y(base:
  model: {layers: 24, hidden: 2048, heads: 16, vocab: 51200, seq_len: 2048}
  training: {global_batch: 512}
  parallelism: {dp: 8}
  hardware: a100-80gb
  network: dgx-a100
axes:
  model.hidden: [1024, 2048, 4096]
  model.heads: [8, 16, 32]
constraints:
  - "model.ffn_hidden > 8000"
  - "model.kv_heads >= 16"
)y");
  ASSERT_TRUE(e) << Message(e);
  auto count = e->Count();
  EXPECT_EQ(count.valid, 4u) << "hidden 2048 or 4096 (ffn_hidden = 4 * hidden), heads 16 or 32";
  EXPECT_EQ(count.skipped_by[0], 3u) << "hidden 1024: ffn_hidden 4096";
  EXPECT_EQ(count.skipped_by[1], 2u) << "heads 8: kv_heads 8";
  auto p = e->Materialize(e->Encode(std::vector<std::size_t>{2, 2}));
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->point.config.model.ffn_hidden, 4 * 4096);
  EXPECT_EQ(p->point.config.model.kv_heads, 32);
}

TEST(Expander, DependentDefaultWithoutItsSourceIsNamed) {
  SpecFiles files;
  auto e = files.Load("s.yaml", R"y(base:
  model: {layers: 24, heads: 16, vocab: 51200, seq_len: 2048}
  training: {global_batch: 512}
  hardware: a100-80gb
  network: dgx-a100
constraints:
  - "model.ffn_hidden > 0"
)y");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("in '4 * model.hidden': 'model.hidden' is not set"),
            std::string::npos)
      << e.error().ToString();
}

TEST(Expander, SweptVarsAndDerivedQuantities) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load("s.yaml", R"y(base: points/base.yaml
vars: {gpus: 8, nodes_bw: 25}
axes:
  gpus: [8, 16]
derive:
  parallelism.dp: "gpus"
  network.1.bandwidth: "nodes_bw * 1e9"
)y");
  ASSERT_TRUE(e) << Message(e);
  auto p = e->Materialize(1);
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->point.config.parallelism.dp, 16);
  EXPECT_EQ(p->point.config.network[1].npus, 2);
  EXPECT_DOUBLE_EQ(p->point.config.network[1].bandwidth, 25e9);
  ASSERT_EQ(p->swept.size(), 3u);
  EXPECT_EQ(p->swept[0].key, "gpus");
  EXPECT_EQ(p->swept[0].text, "16");
}

TEST(Expander, InvalidDerivedValueFailsThePointWithItsIndex) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load("s.yaml", R"y(base: points/base.yaml
axes:
  parallelism.tp: [1, 3]
derive:
  parallelism.dp: "8 / parallelism.tp"
)y");
  ASSERT_TRUE(e) << Message(e);
  auto p = e->Materialize(1);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().context().point_index, 1u);
  EXPECT_EQ(p.error().context().key_path, "parallelism.dp");
  EXPECT_NE(p.error().message().find("integer"), std::string::npos) << p.error().ToString();
}

TEST(Expander, SameConfigSameIdAcrossSpecs) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto a = files.Load("a.yaml", R"y(base: points/base.yaml
axes:
  parallelism.tp: [1, 2, 4]
derive:
  parallelism.dp: "8 // parallelism.tp"
)y");
  auto b = files.Load("b.yaml", R"y(name: another study
base:
  model: {preset: gpt-1.3b}
  training: {global_batch: 512}
  hardware: {preset: a100-80gb, memory: 80 GiB}
  network:
    - {topology: switch, npus: 8, bandwidth: 300000 MB/s, latency: 0.7 us}
    - {topology: switch, npus: 1, bandwidth: 25 GB/s, latency: 5000 ns}
set: {parallelism.tp: 2, parallelism.dp: 4}
)y");
  ASSERT_TRUE(a) << Message(a);
  ASSERT_TRUE(b) << Message(b);
  auto pa = a->Materialize(1);
  auto pb = b->Materialize(0);
  ASSERT_TRUE(pa) << pa.error().ToString();
  ASSERT_TRUE(pb) << pb.error().ToString();
  EXPECT_EQ(pa->point.id, pb->point.id) << pa->point.canonical << "\n----\n" << pb->point.canonical;
}

TEST(Expander, HugeSpecIsLazy) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  // 10^8 points: nothing is enumerated up front.
  auto e = files.Load("s.yaml", R"y(base: points/base.yaml
axes:
  training.global_batch: {range: [1, 100]}
  model.seq_len: {range: [1, 100]}
  model.vocab: {range: [1, 100]}
  training.micro_batch: {range: [1, 100]}
constraints:
  - "training.micro_batch == 1 and model.vocab > 98"
)y");
  ASSERT_TRUE(e) << Message(e);
  EXPECT_EQ(e->total(), 100000000u);
  auto first = e->NextValid(0);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 9800u);
  EXPECT_EQ(e->Count().valid, 200u * 100) << "pruned: whole blocks skip at once";
}

// Five ranges of 10^7 values once took 42 s and 8.5 GB to build before the
// count was checked: the count is checked first.
TEST(Expander, RangesPastTheMostPointsAreRefusedBeforeTheyAreBuilt) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load("s.yaml", R"y(base: points/base.yaml
axes:
  training.global_batch: {range: [0, 999999]}
  model.seq_len: {range: [0, 999999]}
  model.vocab: {range: [0, 999999]}
  training.micro_batch: {range: [0, 999999]}
  model.layers: {range: [0, 999999]}
)y");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().ToString().find("s.yaml:6:25: axes.training.micro_batch:"), std::string::npos)
      << e.error().ToString();
  EXPECT_NE(e.error().message().find("more than 2^62 points"), std::string::npos)
      << "refused at the fourth axis, before any value was built";
  // One axis past the most values an axis may have is refused by itself.
  e = files.Load("s.yaml", "base: points/base.yaml\naxes:\n  model.vocab: {range: [0, 9999999]}\n");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().ToString().find("axes.model.vocab.range: range has more than 1000000 values"),
            std::string::npos)
      << e.error().ToString();
}

// A model given inline shows up in the archive's columns by its name, not
// as raw YAML (issue 13).
TEST(Expander, AnInlineSectionIsShownByItsName) {
  SpecFiles files;
  files.Write("points/base.yaml", kPoint);
  auto e = files.Load("s.yaml", R"y(base: points/base.yaml
axes:
  model:
    - {name: tiny-a, layers: 4, hidden: 1024, heads: 8, vocab: 32000, seq_len: 1024}
    - {layers: 8, hidden: 1024, heads: 8, vocab: 32000, seq_len: 1024}
)y");
  ASSERT_TRUE(e) << Message(e);
  auto named = e->Materialize(0);
  ASSERT_TRUE(named) << named.error().ToString();
  EXPECT_EQ(named->swept[0].text, "tiny-a");
  EXPECT_EQ(e->SweptText(0), std::vector<std::string>{"tiny-a"});
  auto unnamed = e->Materialize(1);
  ASSERT_TRUE(unnamed) << unnamed.error().ToString();
  EXPECT_EQ(unnamed->swept[0].text,
            "{layers: 8, hidden: 1024, heads: 8, vocab: 32000, seq_len: 1024}")
      << "without a name, the value itself";
}

// Every point of the project's sweeps (several models, presets, modes and
// whole-section axes; the 1T search's 8736 points) built from the sections
// kept from the points before it is the point built afresh: the same
// config, canonical text and id. Twice over, so the second pass assembles
// every point from kept sections.
TEST(Expander, PointsFromKeptSectionsAreThePointsBuiltAfresh) {
  for (const char* spec :
       {"sweeps/quickstart.yaml", "tests/data/sweeps/mixed.yaml",
        "tests/data/sweeps/gpt1t-3072-search.yaml", "tests/data/sweeps/pipeline-timing.yaml"}) {
    SCOPED_TRACE(spec);
    auto e = OpenSweep(std::string(ASTRASWEEP_SOURCE_DIR) + "/" + spec);
    ASSERT_TRUE(e) << Message(e);
    std::size_t points = 0;
    for (int pass = 0; pass < 2; ++pass) {
      e->ForEachValid(0, e->total(), [&](std::uint64_t index) {
        auto kept = e->Materialize(index);
        auto tree = e->Tree(index);
        EXPECT_TRUE(tree) << tree.error().ToString();
        if (!tree) return false;
        auto afresh = config::BuildPointAfresh(std::move(*tree), e->presets());
        EXPECT_EQ(kept.has_value(), afresh.has_value()) << "point " << index;
        if (!kept || !afresh) return !HasFailure();
        EXPECT_EQ(kept->point.canonical, afresh->canonical) << "point " << index;
        EXPECT_EQ(kept->point.id, afresh->id) << "point " << index;
        EXPECT_TRUE(kept->point.config == afresh->config) << "point " << index;
        ++points;
        return !HasFailure();
      });
    }
    EXPECT_GT(points, 0u);
  }
}

}  // namespace
}  // namespace astrasweep::sweep
