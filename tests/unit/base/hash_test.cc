// Hashes are stable: point ids and cache keys must not change across
// builds, so the expected values are written down here.
#include "astrasweep/base/hash.h"

#include <gtest/gtest.h>

namespace astrasweep {
namespace {

TEST(Hash, KnownValueIsStable) {
  // XXH3-128 of "" is part of the xxhash specification.
  EXPECT_EQ(HashBytes("").Hex(), "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(HashBytes("abc").Hex().size(), 32u);
}

TEST(Hash, HasherSeparatesPieces) {
  Hasher a, b;
  a.Add("ab").Add("c");
  b.Add("a").Add("bc");
  EXPECT_NE(a.Finish(), b.Finish());
  Hasher c;
  c.Add("ab").Add("c");
  EXPECT_EQ(a.Finish(), c.Finish());
}

TEST(Hash, Sha256KnownDigests) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace astrasweep
