// Progress on rank 0's stderr: a bar redrawn in place on a terminal,
// periodic lines otherwise; and a line in rank 0's log every interval
// whatever the console shows, so a run started with --progress none can
// still be followed.
#pragma once

#include <cstdint>

#include "astrasweep/dist/coordinator.h"
#include "astrasweep/dist/run.h"

namespace astrasweep::dist {

class ProgressPrinter {
 public:
  // `already_done` points were finished by earlier runs of `grand_total`.
  ProgressPrinter(ProgressStyle style, double interval_s, std::uint64_t already_done,
                  std::uint64_t grand_total);
  void operator()(const Progress& progress);

 private:
  std::string Text(const Progress& progress, double fraction) const;
  void Print(const std::string& text, double fraction, bool last);

  ProgressStyle style_ = ProgressStyle::kLines;
  double interval_s_;
  std::uint64_t already_, grand_total_;
  double last_line_s_ = -1e9;
  double last_logged_s_ = -1e9;
  bool logged_last_ = false;
  bool printed_last_ = false;
};

// "42s", "3m07s", "2h05m"; "?" for an unknown duration.
std::string FormatDuration(double seconds);

}  // namespace astrasweep::dist
