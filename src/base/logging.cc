// spdlog behind a small interface; one logger named "astrasweep".
#include "astrasweep/base/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <vector>

#include "astrasweep/base/console.h"

namespace astrasweep::log {
namespace {

// Log lines to the console (StandardError), which keeps them off the
// progress bar's line; the level in colour on a terminal, as spdlog's own
// colour sink would.
class ConsoleSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string line(formatted.data(), formatted.size());
    Console& console = StandardError();
    if (console.terminal() && msg.color_range_end > msg.color_range_start) {
      line.insert(msg.color_range_end, "\033[m");
      line.insert(msg.color_range_start, Color(msg.level));
    }
    console.Print(line);
  }
  void flush_() override {}

 private:
  static const char* Color(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::debug: return "\033[36m";
      case spdlog::level::info: return "\033[32m";
      case spdlog::level::warn: return "\033[33m\033[1m";
      case spdlog::level::err: return "\033[31m\033[1m";
      case spdlog::level::critical: return "\033[1m\033[41m";
      default: return "";
    }
  }
};

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> Logger() {
  static std::shared_ptr<spdlog::logger> fallback = [] {
    auto sink = std::make_shared<ConsoleSink>();
    auto logger = std::make_shared<spdlog::logger>("astrasweep", sink);
    logger->set_pattern("[%H:%M:%S.%e] [rank 0] [%^%l%$] %v");
    logger->set_level(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    return logger;
  }();
  return spdlog::default_logger();
}

}  // namespace

void Setup(const Options& options) {
  Logger();  // install the fallback first, so it never replaces this setup later
  std::vector<spdlog::sink_ptr> sinks;
  std::string pattern =
      "[%Y-%m-%d %H:%M:%S.%e] [rank " + std::to_string(options.rank) + "] [%l] %v";
  if (options.console) {
    auto sink = std::make_shared<ConsoleSink>();
    sink->set_level(ToSpd(options.console_level));
    sink->set_pattern("[%H:%M:%S.%e] [rank " + std::to_string(options.rank) + "] [%^%l%$] %v");
    sinks.push_back(sink);
  }
  if (!options.file.empty()) {
    try {
      auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file, true);
      sink->set_level(ToSpd(options.file_level));
      sink->set_pattern(pattern);
      sinks.push_back(sink);
    } catch (const spdlog::spdlog_ex& e) {
      // Logging must never stop a run; say so on the console instead.
      std::fprintf(stderr, "astrasweep: cannot open log file %s: %s\n", options.file.c_str(),
                   e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("astrasweep", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::debug);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

bool ParseLevel(std::string_view name, Level* level) {
  static constexpr std::pair<std::string_view, Level> kNames[] = {{"debug", Level::kDebug},
                                                                  {"info", Level::kInfo},
                                                                  {"warn", Level::kWarn},
                                                                  {"error", Level::kError},
                                                                  {"off", Level::kOff}};
  for (const auto& [n, l] : kNames) {
    if (n == name) {
      *level = l;
      return true;
    }
  }
  return false;
}

void Debug(std::string_view message) { Logger()->debug("{}", message); }
void Info(std::string_view message) { Logger()->info("{}", message); }
void Warn(std::string_view message) { Logger()->warn("{}", message); }
void Error(std::string_view message) { Logger()->error("{}", message); }
void Flush() { Logger()->flush(); }

}  // namespace astrasweep::log
