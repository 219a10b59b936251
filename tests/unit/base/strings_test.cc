// Key-path splitting and typo suggestions.
#include "astrasweep/base/strings.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace astrasweep {
namespace {

TEST(Strings, SplitAndJoin) {
  auto parts = Split("network.1.bandwidth", '.');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "1");
  EXPECT_EQ(Join(parts, "/"), "network/1/bandwidth");
}

// "hardware: h100" means h100-sxm, not h200 (issue 13): a name cut short
// suggests the names it begins, before any typo of the same length.
TEST(Strings, DidYouMeanCompletesANameCutShort) {
  const std::vector<std::string> names = {"a100-40gb", "a100-80gb", "h100-sxm", "h200"};
  EXPECT_EQ(DidYouMean("h100", names), " (did you mean 'h100-sxm'?)");
  EXPECT_EQ(DidYouMean("a100", names), " (did you mean 'a100-40gb' or 'a100-80gb'?)");
  EXPECT_EQ(DidYouMeanOneOf(std::vector<std::string>{"a", "b", "c"}),
            " (did you mean 'a', 'b' or 'c'?)");
  EXPECT_EQ(DidYouMeanOneOf(std::vector<std::string>{}), "");
  EXPECT_EQ(DidYouMean("h20", names), " (did you mean 'h200'?)");
}

TEST(Strings, DidYouMeanFindsCloseTypos) {
  std::vector<std::string> keys = {"layers", "hidden", "heads", "kv_heads", "vocab"};
  EXPECT_EQ(ClosestMatch("layer", keys), "layers");
  EXPECT_EQ(ClosestMatch("hiden", keys), "hidden");
  EXPECT_EQ(ClosestMatch("batch_size", keys), std::nullopt) << "nothing close: no suggestion";
  EXPECT_EQ(DidYouMean("vocb", keys), " (did you mean 'vocab'?)");
}

TEST(Strings, ParseDoubleTakesWholeFiniteNumbersOnly) {
  EXPECT_EQ(ParseDouble("64"), 64.0);
  EXPECT_EQ(ParseDouble("2.5e9"), 2.5e9);
  EXPECT_EQ(ParseDouble("64 GB"), std::nullopt);
  EXPECT_EQ(ParseDouble(""), std::nullopt);
  EXPECT_EQ(ParseDouble("inf"), std::nullopt);
  EXPECT_EQ(ParseDouble("nan"), std::nullopt);
}

TEST(Strings, ShellQuoteLeavesPlainWordsAndQuotesTheRest) {
  EXPECT_EQ(ShellQuote("sweeps/quickstart.yaml"), "sweeps/quickstart.yaml");
  EXPECT_EQ(ShellQuote("--shard=1/4"), "--shard=1/4");
  EXPECT_EQ(ShellQuote("my results.h5"), "'my results.h5'");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  for (const char* special : {"$HOME", "a;b", "a|b", "*.h5", "~/x", "a&", "`x`", "a\"b", "#x"})
    EXPECT_EQ(ShellQuote(special).front(), '\'') << special << " must be quoted";
  const std::vector<std::string> words = {"mpiexec", "-n", "3", "out dir/x.h5"};
  EXPECT_EQ(ShellCommand(words), "mpiexec -n 3 'out dir/x.h5'");
}

// What ShellQuote gives, the shell reads back as it was.
TEST(Strings, ShellQuoteRoundTripsThroughTheShell) {
  for (const std::string word : {"plain", "two words", "it's", "$HOME \"x\" `y` \\z", "*"}) {
    FILE* pipe = popen(("printf %s " + ShellQuote(word)).c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string out(256, '\0');
    out.resize(std::fread(out.data(), 1, out.size(), pipe));
    pclose(pipe);
    EXPECT_EQ(out, word);
  }
}

TEST(Strings, ExcerptIsShortPrintableAndKeepsCharactersWhole) {
  EXPECT_EQ(Excerpt("gpt-1.3b"), "gpt-1.3b");
  EXPECT_EQ(Excerpt("abcdef", 3), "abc...");
  EXPECT_EQ(Excerpt("a\tb\nc"), "a?b?c");
  EXPECT_EQ(Excerpt("a\xc3\xa9"
                    "b",
                    2),
            "a...");  // never half of an é
  EXPECT_EQ(Excerpt(std::string(10000, 'x')).size(), 48u + 3u);
}

TEST(Strings, ReadFileNamesMissingPath) {
  auto r = ReadFile("/nonexistent/astrasweep.yaml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(r.error().context().file, "/nonexistent/astrasweep.yaml");
}

}  // namespace
}  // namespace astrasweep
