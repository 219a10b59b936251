// The console: the status line (the bar) redrawn in place, and lines
// printed above it, never on its line; log lines go the same way.
#include "astrasweep/base/console.h"

#include <gtest/gtest.h>

#include "astrasweep/base/logging.h"

namespace astrasweep {
namespace {

class RecordingConsole : public ::testing::Test {
 protected:
  std::vector<std::string> writes_;
  Console console_{[this](std::string_view text) { writes_.emplace_back(text); }};
};

TEST_F(RecordingConsole, AStatusLineIsRedrawnInPlace) {
  console_.Status("[#...] 1/4");
  console_.Status("[##..] 2/4");
  console_.EndStatus();
  console_.EndStatus();
  EXPECT_EQ(writes_, (std::vector<std::string>{"\r[#...] 1/4\033[K", "\r[##..] 2/4\033[K", "\n"}))
      << "each draw returns to the line's start and clears what the last one left; ending it "
         "once moves below it";
}

TEST_F(RecordingConsole, ALinePrintedUnderTheBarClearsItAndTheBarIsDrawnAgainBelow) {
  console_.Status("[##..] 2/4");
  console_.Print("a warning");
  console_.Print("two\nlines\n");
  ASSERT_EQ(writes_.size(), 3u);
  EXPECT_EQ(writes_[1], "\r\033[Ka warning\n[##..] 2/4") << "one write: clear, line, bar";
  EXPECT_EQ(writes_[2], "\r\033[Ktwo\nlines\n[##..] 2/4");
}

TEST_F(RecordingConsole, WithoutABarLinesArePrintedAsTheyAre) {
  console_.Print("a line");
  console_.Status("[#] 1/1");
  console_.EndStatus();
  console_.Print("after the bar");
  EXPECT_EQ(writes_,
            (std::vector<std::string>{"a line\n", "\r[#] 1/1\033[K", "\n", "after the bar\n"}));
}

TEST_F(RecordingConsole, NotATerminalUnlessToldOfOne) {
  EXPECT_FALSE(console_.terminal());
  EXPECT_EQ(console_.columns(), 80);
  console_.UseTerminal("/nonexistent/tty");
  EXPECT_TRUE(console_.terminal()) << "a launcher's terminal, even one that cannot be opened";
  EXPECT_EQ(console_.columns(), 80) << "of unknown width";
}

// The case: a warning logged while the bar is on screen.
TEST(Console, ALogLineWhileTheBarIsDrawnGoesAboveIt) {
  log::Setup({.console_level = log::Level::kWarn});
  ::testing::internal::CaptureStderr();
  StandardError().Status("[##..] 2/4");
  log::Warn("resuming");
  StandardError().EndStatus();
  const std::string out = ::testing::internal::GetCapturedStderr();
  const std::string bar = "\r[##..] 2/4\033[K";
  ASSERT_TRUE(out.starts_with(bar + "\r\033[K[")) << out;
  EXPECT_TRUE(out.ends_with("[rank 0] [warning] resuming\n[##..] 2/4\n")) << out;
}

}  // namespace
}  // namespace astrasweep
