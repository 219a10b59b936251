// The progress line: done/total, rate, ETA, failures, cache hit rate.
#include "progress_printer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "astrasweep/base/logging.h"

namespace astrasweep::dist {

void RateMeter::Add(double elapsed_s, std::uint64_t done) {
  now_ = elapsed_s;
  if (done > 0 && (samples_.empty() || done != samples_.back().done)) {
    if (samples_.empty())
      first_t_ = elapsed_s;
    else
      ++arrivals_;
    samples_.push_back({elapsed_s, done});
  }
  // The rate is measured from the newest sample at least a window old.
  while (samples_.size() > 1 && now_ - samples_[1].t >= kWindowSeconds) samples_.pop_front();
}

std::optional<double> RateMeter::Rate() const {
  if (arrivals_ == 0 || now_ - first_t_ < kRateAfterSeconds) return std::nullopt;
  const Sample& from = samples_.front();
  return static_cast<double>(samples_.back().done - from.done) / (now_ - from.t);
}

std::optional<double> RateMeter::Eta(std::uint64_t total) const {
  const std::optional<double> rate = Rate();
  if (!rate || *rate <= 0 || now_ - first_t_ < kEtaAfterSeconds || arrivals_ < kEtaAfterArrivals)
    return std::nullopt;
  return static_cast<double>(total - std::min(total, samples_.back().done)) / *rate;
}

std::string FormatDuration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto total = static_cast<long long>(s + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

std::string FormatRate(double rate) {
  if (rate >= 10) return fmt::format("{:.0f} pt/s", rate);
  if (rate >= 1) return fmt::format("{:.1f} pt/s", rate);
  return fmt::format("{:.2f} pt/s", rate);
}

std::string FitBar(const std::string& text, double fraction, int columns) {
  constexpr int kWidth = 30, kMinWidth = 10;
  const int room = std::max(columns - 1, kMinWidth + 2);
  const int width = std::clamp(room - 3 - static_cast<int>(text.size()), kMinWidth, kWidth);
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * width);
  std::string bar = "[" + std::string(static_cast<std::size_t>(filled), '#') +
                    std::string(static_cast<std::size_t>(width - filled), '.') + "] " + text;
  if (static_cast<int>(bar.size()) > room) bar.resize(static_cast<std::size_t>(room));
  return bar;
}

ProgressPrinter::ProgressPrinter(ProgressStyle style, double interval_s, std::uint64_t already_done,
                                 std::uint64_t grand_total, Console& console)
    : console_(console),
      interval_s_(interval_s),
      already_(already_done),
      grand_total_(grand_total) {
  if (style == ProgressStyle::kAuto)
    style = console_.terminal() ? ProgressStyle::kBar : ProgressStyle::kLines;
  style_ = style;
}

ProgressPrinter::~ProgressPrinter() { console_.EndStatus(); }

std::string ProgressPrinter::Text(const Progress& p, double fraction) const {
  std::string text =
      fmt::format("{}/{} points ({:.1f}%)", already_ + p.done, grand_total_, 100 * fraction);
  if (const auto rate = rate_.Rate()) text += "  " + FormatRate(*rate);
  if (const auto eta = rate_.Eta(p.total); eta && p.done < p.total && !p.stopping)
    text += "  ETA " + FormatDuration(*eta);
  text += fmt::format("  failed {}", p.failed);
  if (p.sim_runs + p.cache_hits > 0)
    text += fmt::format("  cache hits {:.0f}%", 100.0 * static_cast<double>(p.cache_hits) /
                                                    static_cast<double>(p.sim_runs + p.cache_hits));
  if (p.stopping) text += "  (stopping)";
  return text;
}

void ProgressPrinter::Print(const std::string& text, double fraction, bool last) {
  if (style_ == ProgressStyle::kBar) {
    console_.Status(FitBar(text, fraction, console_.columns()));
    if (last) console_.EndStatus();
  } else {
    console_.Print("astrasweep: " + text);
  }
}

void ProgressPrinter::operator()(const Progress& p) {
  rate_.Add(p.elapsed_s, p.done);
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
