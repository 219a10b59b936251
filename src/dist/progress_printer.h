// Progress on rank 0's console: a bar redrawn in place when the person who
// started the run sees a terminal (also through mpiexec: the console says),
// periodic lines otherwise; and a line in rank 0's log every interval
// whatever the console shows, so a run started with --progress none can
// still be followed.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

#include "astrasweep/base/console.h"
#include "astrasweep/dist/coordinator.h"
#include "astrasweep/dist/run.h"

namespace astrasweep::dist {

// The rate of recent results, and an ETA once it means something. Results
// come in batches, the first ones small (to measure the cost) and after
// the start-up, so neither counts from the start: the rate is measured
// from the first results, over the last kWindowSeconds, and shown once
// more results came, kRateAfterSeconds after the first; the ETA after
// kEtaAfterSeconds and kEtaAfterArrivals arrivals of results after the
// first.
class RateMeter {
 public:
  static constexpr double kWindowSeconds = 30;
  static constexpr double kRateAfterSeconds = 1;
  static constexpr double kEtaAfterSeconds = 3;
  static constexpr int kEtaAfterArrivals = 4;

  // `done` points finished by `elapsed_s`, as often as progress is told.
  void Add(double elapsed_s, std::uint64_t done);
  // Points per second.
  std::optional<double> Rate() const;
  // Seconds until `total` are done.
  std::optional<double> Eta(std::uint64_t total) const;

 private:
  struct Sample {
    double t;
    std::uint64_t done;
  };
  std::deque<Sample> samples_;  // the first results, then each arrival in the window
  double first_t_ = 0;
  double now_ = 0;
  int arrivals_ = 0;
};

class ProgressPrinter {
 public:
  // `already_done` points were finished by earlier runs of `grand_total`.
  ProgressPrinter(ProgressStyle style, double interval_s, std::uint64_t already_done,
                  std::uint64_t grand_total, Console& console = StandardError());
  // Leaves the bar on screen, with what follows on the next line.
  ~ProgressPrinter();
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  void operator()(const Progress& progress);

 private:
  std::string Text(const Progress& progress, double fraction) const;
  void Print(const std::string& text, double fraction, bool last);

  Console& console_;
  ProgressStyle style_ = ProgressStyle::kLines;
  double interval_s_;
  std::uint64_t already_, grand_total_;
  RateMeter rate_;
  double last_line_s_ = -1e9;
  double last_logged_s_ = -1e9;
  bool logged_last_ = false;
  bool printed_last_ = false;
};

// "[####......] text" in at most `columns` - 1 columns (so the cursor
// never wraps, which would leave the old bar behind): the bar shrinks
// first, then the text is cut.
std::string FitBar(const std::string& text, double fraction, int columns);

// "42s", "3m07s", "2h05m"; "?" for an unknown duration.
std::string FormatDuration(double seconds);
// "1234 pt/s", "5.2 pt/s", "0.31 pt/s".
std::string FormatRate(double points_per_second);

}  // namespace astrasweep::dist
