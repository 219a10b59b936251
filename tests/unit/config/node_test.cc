// The config tree: YAML parsing with positions, and editing by key path.
#include "astrasweep/config/node.h"

#include <gtest/gtest.h>

namespace astrasweep::config {
namespace {

TEST(Node, ParsesWithPositions) {
  auto n = ParseYaml("a:\n  b: [1, {c: x}]\n", "f.yaml");
  ASSERT_TRUE(n);
  std::vector<std::string> path = {"a", "b", "1", "c"};
  const Node* c = FindPath(*n, path);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->text(), "x");
  EXPECT_EQ(c->file(), "f.yaml");
  EXPECT_EQ(c->line(), 2);
}

TEST(Node, SetPathCreatesMapsAndIndexesLists) {
  auto n = ParseYaml("network: [{npus: 8}, {npus: 2}]\n", "f.yaml");
  ASSERT_TRUE(n);
  ASSERT_TRUE(SetPath(*n, SplitKeyPath("network.1.npus"), Node::Scalar("4")));
  ASSERT_TRUE(SetPath(*n, SplitKeyPath("training.dtype"), Node::Scalar("fp16")));
  EXPECT_EQ(FindPath(*n, SplitKeyPath("network.1.npus"))->text(), "4");
  EXPECT_EQ(FindPath(*n, SplitKeyPath("training.dtype"))->text(), "fp16");
  auto bad = SetPath(*n, SplitKeyPath("network.5.npus"), Node::Scalar("1"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().context().key_path, "network.5");
  EXPECT_NE(bad.error().message().find("has 2 items"), std::string::npos);
}

TEST(Node, EmitRoundTrips) {
  auto n = ParseYaml("a: {b: 1, c: [x, y]}\nd: \"q: r\"\n", "f.yaml");
  ASSERT_TRUE(n);
  auto again = ParseYaml(EmitYaml(*n), "g.yaml");
  ASSERT_TRUE(again) << EmitYaml(*n);
  EXPECT_EQ(EmitYaml(*again), EmitYaml(*n));
  EXPECT_EQ(FindPath(*again, SplitKeyPath("d"))->text(), "q: r");
}

TEST(Node, EmitSortedPathsPrintsWhatEmitYamlPrintsForTheirTree) {
  const std::map<std::string, std::string> leaves = {
      {"a.b", "1"},        {"a.b_c", "x: y"}, {"a.b-c", "#"},    {"d.0.e", "2"},
      {"d.0.f.g", "3"},    {"d.1.e", "4"},    {"d.1.f.g", ""},   {"h", "- i"},
      {"j.k.0.l", "a\"b"}, {"j.k.1.l", "c"},  {"m", "3e+11 B/s"}};
  const std::optional<std::string> text = EmitSortedPaths(leaves);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, EmitYaml(TreeOfPaths(leaves)));
}

TEST(Node, EmitSortedPathsLeavesUnusualTreesToTheTree) {
  std::map<std::string, std::string> ten;  // "d.10" sorts before "d.2"
  for (int i = 0; i < 11; ++i) ten["d." + std::to_string(i) + ".e"] = "1";
  EXPECT_FALSE(EmitSortedPaths(ten));
  EXPECT_FALSE(EmitSortedPaths({{"d.0", "1"}}));                    // a list of scalars
  EXPECT_FALSE(EmitSortedPaths({{"d.0.e", "1"}, {"d.2.e", "1"}}));  // a missing item
  EXPECT_FALSE(EmitSortedPaths({{"a", "1"}, {"a.b", "2"}}));        // a leaf and a section
  EXPECT_EQ(EmitSortedPaths({}), std::optional<std::string>(""));
}

}  // namespace
}  // namespace astrasweep::config

namespace astrasweep::config {
namespace {

// An alias inside its own anchor is a cycle; tenfold aliases per line grow
// to 10^9 values in nine lines. Each is refused at the line that goes over,
// rather than overflowing the stack or filling memory.
TEST(Node, ASelfReferencingAliasIsRefusedNotACrash) {
  auto parsed = ParseYaml("a: &a [*a]\n", "r.yaml");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().ToString().find("r.yaml:1:"), std::string::npos)
      << parsed.error().ToString();
  EXPECT_NE(parsed.error().message().find("nested more than 64 levels"), std::string::npos);
}

TEST(Node, AnAliasBombIsRefusedBeforeItFillsMemory) {
  std::string text = "l0: &l0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
  for (int i = 1; i < 9; ++i) {
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", *l" : "*l") + std::to_string(i - 1);
    text += "]\n";
  }
  auto parsed = ParseYaml(text, "bomb.yaml");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message().find("once its aliases are expanded"), std::string::npos)
      << parsed.error().ToString();
}

// A key given twice is refused: which copy a reader kept once depended on
// what the thread had read before (a fuzzer found BuildPoint and
// BuildPointAfresh disagreeing).
TEST(Node, AKeyGivenTwiceInOneMappingIsRefused) {
  auto parsed = ParseYaml("parallelism: {tp: 2}\nmodel: x\nparallelism: {tpx: 2}\n", "d.yaml");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().ToString().find("d.yaml:3:1:"), std::string::npos)
      << parsed.error().ToString();
  EXPECT_NE(parsed.error().message().find("the key 'parallelism' twice in one mapping (first at "
                                          "line 1)"),
            std::string::npos)
      << parsed.error().ToString();
}

}  // namespace
}  // namespace astrasweep::config
