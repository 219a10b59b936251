// Physical quantities with units, as the config writes them: "300 GB/s",
// "25 GiB/s", "5 us", "80 GiB", "312 TFLOP/s". Values are held in SI base
// units (bytes, seconds, bytes/s, FLOP/s) as doubles; GB = 1e9 bytes and
// GiB = 2^30 bytes. A bare number is an error: the caller names the key.
#pragma once

#include <string>
#include <string_view>

#include "astrasweep/base/error.h"

namespace astrasweep {

enum class QuantityKind { kBytes, kTime, kBandwidth, kFlopRate };

// "bytes", "time", ...: for messages.
const char* QuantityKindName(QuantityKind kind);
// The unit the canonical form writes: "B", "s", "B/s", "FLOP/s".
const char* BaseUnit(QuantityKind kind);
// An example for error messages: "300 GB/s".
const char* QuantityExample(QuantityKind kind);

// Parses "<number> <unit>" (space optional) into base units. The error
// message says what was expected; the caller adds the key path.
Expected<double> ParseQuantity(std::string_view text, QuantityKind kind);

// The canonical text of a quantity: the value in base units rounded to 12
// significant digits, then the base unit: "3e+11 B/s".
std::string FormatQuantity(double value, QuantityKind kind);

// A human-friendly rendering for reports: "300 GB/s", "80 GiB", "5 us".
std::string HumanQuantity(double value, QuantityKind kind);

// Shortest round-trip text of a value rounded to 12 significant digits; the
// rounding makes "700 ns" and "0.7 us" the same canonical number.
std::string FormatNumber(double value);

}  // namespace astrasweep
