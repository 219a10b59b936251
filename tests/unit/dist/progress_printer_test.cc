// The progress line: no ETA until it means something, a rate that does
// not count the start-up, a bar that fits the terminal, and the style a
// console that is (or is not) a terminal gets.
#include "progress_printer.h"

#include <gtest/gtest.h>

namespace astrasweep::dist {
namespace {

// The issue's case: a 9-second sweep of 57,000 points whose first ETA read
// 3h10m. The first results come 0.4 s in, one point per worker (to measure
// the cost), then batches at a steady 6,300 points a second.
TEST(RateMeter, NoEtaUntilResultsHaveComeForAWhileAndThenTheSteadyRate) {
  RateMeter meter;
  const std::uint64_t total = 57000;
  meter.Add(0.2, 0);
  meter.Add(0.4, 2);
  EXPECT_FALSE(meter.Rate()) << "one arrival is no rate";
  EXPECT_FALSE(meter.Eta(total));
  std::uint64_t done = 2;
  double t = 0.4;
  while (t < 3.35) {
    t += 0.2;
    done += 1260;  // 6,300 points a second
    meter.Add(t, done);
    if (t < 0.4 + RateMeter::kEtaAfterSeconds) {
      EXPECT_FALSE(meter.Eta(total)) << "at " << t << " s";
    }
  }
  meter.Add(t += 0.2, done += 1260);
  ASSERT_TRUE(meter.Rate());
  EXPECT_NEAR(*meter.Rate(), 6300, 1) << "measured from the first results, not from the start";
  ASSERT_TRUE(meter.Eta(total));
  EXPECT_NEAR(*meter.Eta(total), static_cast<double>(total - done) / 6300, 0.01);
}

TEST(RateMeter, SlowPointsNeedSeveralArrivalsBeforeAnEta) {
  RateMeter meter;
  meter.Add(12, 3);  // three workers' first AstraSim points
  meter.Add(24, 6);
  meter.Add(36, 9);
  EXPECT_NEAR(*meter.Rate(), 0.25, 1e-9);
  EXPECT_FALSE(meter.Eta(100)) << "two arrivals after the first";
  meter.Add(48, 12);
  meter.Add(60, 15);
  ASSERT_TRUE(meter.Eta(100));
  EXPECT_NEAR(*meter.Eta(100), 85 / 0.25, 1e-6);
}

TEST(RateMeter, TheRateIsOfTheLastWindowAndFallsWhenResultsStop) {
  RateMeter meter;
  meter.Add(1, 1);
  for (int t = 2; t <= 40; ++t) meter.Add(t, t <= 20 ? 1 + 100 * (t - 1) : 1901 + 10 * (t - 20));
  EXPECT_NEAR(*meter.Rate(), (2101.0 - 1 - 100 * 9) / 30, 1e-9)
      << "from the sample a window old: the fast start no longer counts";
  meter.Add(70, 2101);
  EXPECT_NEAR(*meter.Rate(), 0, 1e-9) << "nothing for 30 s";
  EXPECT_FALSE(meter.Eta(5000)) << "no ETA while nothing comes";
}

TEST(ProgressFormat, DurationsAndRates) {
  EXPECT_EQ(FormatDuration(42), "42s");
  EXPECT_EQ(FormatDuration(187), "3m07s");
  EXPECT_EQ(FormatDuration(7500), "2h05m");
  EXPECT_EQ(FormatDuration(-1), "?");
  EXPECT_EQ(FormatRate(6321.4), "6321 pt/s");
  EXPECT_EQ(FormatRate(5.24), "5.2 pt/s");
  EXPECT_EQ(FormatRate(0.314), "0.31 pt/s");
}

TEST(FitBar, TheBarShrinksThenTheTextIsCutSoTheLineNeverWraps) {
  const std::string text = "5000/10000 points (50.0%)  812 pt/s  ETA 6s  failed 0";
  const std::string wide = FitBar(text, 0.5, 200);
  EXPECT_EQ(wide, "[###############...............] " + text);
  const std::string narrow = FitBar(text, 0.5, 80);
  EXPECT_LE(narrow.size(), 79u);
  EXPECT_TRUE(narrow.ends_with(text)) << narrow;
  EXPECT_TRUE(narrow.starts_with("[###########")) << narrow;
  const std::string tiny = FitBar(text, 0.5, 40);
  EXPECT_EQ(tiny.size(), 39u);
  EXPECT_TRUE(tiny.starts_with("[#####.....] 5000/10000")) << tiny;
}

class PrinterOn : public ::testing::Test {
 protected:
  std::vector<std::string> writes_;
  Console::Writer writer_ = [this](std::string_view text) { writes_.emplace_back(text); };
};

TEST_F(PrinterOn, ATerminalGetsABarAndItsLastLineEnds) {
  Console console(writer_, /*terminal_fd=*/1000);  // no such descriptor: 80 columns
  {
    ProgressPrinter printer(ProgressStyle::kAuto, 10, 0, 4, console);
    printer({.done = 0, .total = 4, .elapsed_s = 0.2});
    printer({.done = 4, .total = 4, .elapsed_s = 0.4});
  }
  ASSERT_EQ(writes_.size(), 3u);
  EXPECT_EQ(writes_[0], "\r[..............................] 0/4 points (0.0%)  failed 0\033[K");
  EXPECT_TRUE(writes_[1].starts_with("\r[##############################] 4/4 points (100.0%)"));
  EXPECT_EQ(writes_[2], "\n");
}

TEST_F(PrinterOn, AnythingElseGetsLinesEveryInterval) {
  Console console(writer_);
  ProgressPrinter printer(ProgressStyle::kAuto, 10, 0, 100, console);
  for (std::uint64_t i = 1; i < 75; ++i)
    printer({.done = i, .total = 100, .elapsed_s = 0.2 * static_cast<double>(i)});
  printer({.done = 100, .total = 100, .elapsed_s = 20});
  ASSERT_EQ(writes_.size(), 3u) << "at the start, 10 s later and at the end";
  EXPECT_EQ(writes_[0], "astrasweep: 1/100 points (1.0%)  failed 0\n");
  EXPECT_TRUE(writes_[1].find("ETA") != std::string::npos) << writes_[1];
  EXPECT_EQ(writes_[2].find("ETA"), std::string::npos) << "nothing left: " << writes_[2];
}

}  // namespace
}  // namespace astrasweep::dist
