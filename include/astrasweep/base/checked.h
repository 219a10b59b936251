// Integer arithmetic that says when it overflows, for counts taken from
// user input (GPUs, micro-batches, points): a product past int64 is an
// error to report, never a wrapped value to divide by.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>

namespace astrasweep {

// The product, or nullopt when it does not fit in int64.
inline std::optional<std::int64_t> CheckedProduct(std::initializer_list<std::int64_t> factors) {
  std::int64_t product = 1;
  for (std::int64_t f : factors)
    if (__builtin_mul_overflow(product, f, &product)) return std::nullopt;
  return product;
}

}  // namespace astrasweep
