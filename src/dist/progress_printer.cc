// The progress line: done/total, rate, ETA, failures, cache hit rate.
#include "progress_printer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "astrasweep/base/logging.h"

namespace astrasweep::dist {

std::string FormatDuration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto total = static_cast<long long>(s + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

ProgressPrinter::ProgressPrinter(ProgressStyle style, double interval_s,
                                 std::uint64_t already_done, std::uint64_t grand_total)
    : interval_s_(interval_s), already_(already_done), grand_total_(grand_total) {
  if (style == ProgressStyle::kAuto)
    style = ::isatty(STDERR_FILENO) ? ProgressStyle::kBar : ProgressStyle::kLines;
  style_ = style;
}

std::string ProgressPrinter::Text(const Progress& p, double fraction) const {
  const double rate = p.elapsed_s > 0 ? static_cast<double>(p.done) / p.elapsed_s : 0;
  const double eta =
      rate > 0 ? static_cast<double>(p.total - std::min(p.total, p.done)) / rate : -1;
  std::string text =
      fmt::format("{}/{} points ({:.1f}%)  {:.0f} pt/s  ETA {}  failed {}", already_ + p.done,
                  grand_total_, 100 * fraction, rate, FormatDuration(eta), p.failed);
  if (p.sim_runs + p.cache_hits > 0)
    text += fmt::format("  cache hits {:.0f}%", 100.0 * static_cast<double>(p.cache_hits) /
                                                    static_cast<double>(p.sim_runs + p.cache_hits));
  if (p.stopping) text += "  (stopping)";
  return text;
}

void ProgressPrinter::Print(const std::string& text, double fraction, bool last) {
  if (style_ == ProgressStyle::kBar) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::fprintf(stderr, "\r[%s%s] %s\033[K",
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(),
                 text.c_str());
    if (last) std::fputc('\n', stderr);
  } else {
    std::fprintf(stderr, "astrasweep: %s\n", text.c_str());
  }
  std::fflush(stderr);
}

void ProgressPrinter::operator()(const Progress& p) {
  const bool last = p.done >= p.total || p.stopping;
  const bool log_due = (last && !logged_last_) || p.elapsed_s - last_logged_s_ >= interval_s_;
  const bool line_due = style_ == ProgressStyle::kBar ||
                        (style_ == ProgressStyle::kLines &&
                         ((last && !printed_last_) || p.elapsed_s - last_line_s_ >= interval_s_));
  if (!log_due && !line_due) return;
  const double fraction = grand_total_ ? static_cast<double>(already_ + p.done) /
                                             static_cast<double>(grand_total_)
                                       : 1.0;
  const std::string text = Text(p, fraction);
  if (log_due) {
    log::Info(text);
    last_logged_s_ = p.elapsed_s;
    logged_last_ = last;
  }
  if (!line_due || (last && printed_last_)) return;
  Print(text, fraction, last);
  last_line_s_ = p.elapsed_s;
  printed_last_ = last;
}

}  // namespace astrasweep::dist
