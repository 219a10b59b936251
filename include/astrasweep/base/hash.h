// Stable 128-bit content hashing (XXH3-128). Stable across runs, machines
// and versions of this program: point ids and cache keys are built on it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace astrasweep {

struct Hash128 {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  bool operator==(const Hash128&) const = default;
  // 32 lowercase hex digits, high half first.
  std::string Hex() const;
};

Hash128 HashBytes(std::string_view bytes);

// SHA-256 as 64 lowercase hex digits: for provenance (the spec, simulator
// binaries), where a cryptographic digest is what people compare.
std::string Sha256Hex(std::string_view bytes);

// Incremental hashing of several pieces; each piece is length-prefixed so
// ("ab","c") and ("a","bc") hash differently.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  Hasher& Add(std::string_view piece);
  Hash128 Finish() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace astrasweep
