// Unit tables and the one parser for quantities.
#include "astrasweep/base/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

namespace astrasweep {
namespace {

struct UnitEntry {
  std::string_view name;
  double factor;  // to base units
};

constexpr std::array kByteUnits = {
    UnitEntry{"B", 1.0},
    UnitEntry{"KB", 1e3},
    UnitEntry{"MB", 1e6},
    UnitEntry{"GB", 1e9},
    UnitEntry{"TB", 1e12},
    UnitEntry{"PB", 1e15},
    UnitEntry{"KiB", 1024.0},
    UnitEntry{"MiB", 1048576.0},
    UnitEntry{"GiB", 1073741824.0},
    UnitEntry{"TiB", 1099511627776.0},
    UnitEntry{"PiB", 1125899906842624.0},
};

constexpr std::array kTimeUnits = {
    UnitEntry{"s", 1.0},          UnitEntry{"ms", 1e-3},  UnitEntry{"us", 1e-6},
    UnitEntry{"\xC2\xB5s", 1e-6}, UnitEntry{"ns", 1e-9},  UnitEntry{"ps", 1e-12},
    UnitEntry{"min", 60.0},       UnitEntry{"h", 3600.0},
};

constexpr std::array kBandwidthUnits = {
    UnitEntry{"B/s", 1.0},
    UnitEntry{"KB/s", 1e3},
    UnitEntry{"MB/s", 1e6},
    UnitEntry{"GB/s", 1e9},
    UnitEntry{"TB/s", 1e12},
    UnitEntry{"KiB/s", 1024.0},
    UnitEntry{"MiB/s", 1048576.0},
    UnitEntry{"GiB/s", 1073741824.0},
    UnitEntry{"TiB/s", 1099511627776.0},
    // Link rates are often quoted in bits per second.
    UnitEntry{"Mb/s", 1e6 / 8},
    UnitEntry{"Gb/s", 1e9 / 8},
    UnitEntry{"Tb/s", 1e12 / 8},
    UnitEntry{"Mbit/s", 1e6 / 8},
    UnitEntry{"Gbit/s", 1e9 / 8},
    UnitEntry{"Tbit/s", 1e12 / 8},
    UnitEntry{"Gbps", 1e9 / 8},
    UnitEntry{"Tbps", 1e12 / 8},
};

constexpr std::array kFlopRateUnits = {
    UnitEntry{"FLOP/s", 1.0},   UnitEntry{"GFLOP/s", 1e9},  UnitEntry{"TFLOP/s", 1e12},
    UnitEntry{"PFLOP/s", 1e15}, UnitEntry{"EFLOP/s", 1e18}, UnitEntry{"GFLOPS", 1e9},
    UnitEntry{"TFLOPS", 1e12},  UnitEntry{"PFLOPS", 1e15},
};

std::pair<const UnitEntry*, std::size_t> UnitsOf(QuantityKind kind) {
  switch (kind) {
    case QuantityKind::kBytes: return {kByteUnits.data(), kByteUnits.size()};
    case QuantityKind::kTime: return {kTimeUnits.data(), kTimeUnits.size()};
    case QuantityKind::kBandwidth: return {kBandwidthUnits.data(), kBandwidthUnits.size()};
    case QuantityKind::kFlopRate: return {kFlopRateUnits.data(), kFlopRateUnits.size()};
  }
  return {nullptr, 0};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string UnitList(QuantityKind kind) {
  auto [units, count] = UnitsOf(kind);
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += units[i].name;
  }
  return out;
}

}  // namespace

const char* QuantityKindName(QuantityKind kind) {
  switch (kind) {
    case QuantityKind::kBytes: return "a size";
    case QuantityKind::kTime: return "a time";
    case QuantityKind::kBandwidth: return "a bandwidth";
    case QuantityKind::kFlopRate: return "a compute rate";
  }
  return "a quantity";
}

const char* BaseUnit(QuantityKind kind) {
  switch (kind) {
    case QuantityKind::kBytes: return "B";
    case QuantityKind::kTime: return "s";
    case QuantityKind::kBandwidth: return "B/s";
    case QuantityKind::kFlopRate: return "FLOP/s";
  }
  return "";
}

const char* QuantityExample(QuantityKind kind) {
  switch (kind) {
    case QuantityKind::kBytes: return "80 GiB";
    case QuantityKind::kTime: return "5 us";
    case QuantityKind::kBandwidth: return "300 GB/s";
    case QuantityKind::kFlopRate: return "312 TFLOP/s";
  }
  return "";
}

Expected<double> ParseQuantity(std::string_view text, QuantityKind kind) {
  std::string_view s = Trim(text);
  double number = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (ec != std::errc() || end == s.data()) {
    return InvalidInput("expected " + std::string(QuantityKindName(kind)) + " with a unit, e.g. '" +
                        QuantityExample(kind) + "'; got '" + std::string(text) + "'");
  }
  std::string_view unit = Trim(s.substr(static_cast<std::size_t>(end - s.data())));
  if (unit.empty()) {
    return InvalidInput("'" + std::string(text) + "' has no unit; write " + QuantityKindName(kind) +
                        " with a unit, e.g. '" + QuantityExample(kind) + "'");
  }
  if (!std::isfinite(number) || number < 0) {
    return InvalidInput("'" + std::string(text) + "' must be a finite, non-negative quantity");
  }
  auto [units, count] = UnitsOf(kind);
  for (std::size_t i = 0; i < count; ++i) {
    if (units[i].name == unit) return number * units[i].factor;
  }
  return InvalidInput("unknown unit '" + std::string(unit) + "' for " + QuantityKindName(kind) +
                      " (known: " + UnitList(kind) + ")");
}

std::string FormatNumber(double value) {
  if (value == 0) return "0";
  // Round to 12 significant digits, then print the shortest text that reads
  // back to that rounded value. An integer of at most 12 digits is its own
  // rounding (what sweeps mostly hold: the rounding through text is most
  // of the cost).
  char buf[64];
  double rounded = value;
  if (!(std::abs(value) < 1e12 && std::trunc(value) == value)) {
    std::snprintf(buf, sizeof buf, "%.12g", value);
    rounded = std::strtod(buf, nullptr);
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, rounded);
  if (ec != std::errc()) return std::to_string(value);
  return std::string(buf, end);
}

std::string FormatQuantity(double value, QuantityKind kind) {
  return FormatNumber(value) + " " + BaseUnit(kind);
}

std::string HumanQuantity(double value, QuantityKind kind) {
  struct Step {
    double factor;
    const char* unit;
  };
  static constexpr Step kBytes[] = {{1099511627776.0, "TiB"},
                                    {1073741824.0, "GiB"},
                                    {1048576.0, "MiB"},
                                    {1024.0, "KiB"},
                                    {1, "B"}};
  static constexpr Step kTime[] = {{1, "s"}, {1e-3, "ms"}, {1e-6, "us"}, {1e-9, "ns"}};
  static constexpr Step kBw[] = {{1e12, "TB/s"}, {1e9, "GB/s"}, {1e6, "MB/s"}, {1, "B/s"}};
  static constexpr Step kFlop[] = {
      {1e15, "PFLOP/s"}, {1e12, "TFLOP/s"}, {1e9, "GFLOP/s"}, {1, "FLOP/s"}};
  const Step* steps = kBytes;
  std::size_t n = std::size(kBytes);
  switch (kind) {
    case QuantityKind::kBytes: break;
    case QuantityKind::kTime:
      steps = kTime;
      n = std::size(kTime);
      break;
    case QuantityKind::kBandwidth:
      steps = kBw;
      n = std::size(kBw);
      break;
    case QuantityKind::kFlopRate:
      steps = kFlop;
      n = std::size(kFlop);
      break;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (value >= steps[i].factor || i + 1 == n) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.4g %s", value / steps[i].factor, steps[i].unit);
      return buf;
    }
  }
  return FormatQuantity(value, kind);
}

}  // namespace astrasweep
