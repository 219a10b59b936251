// Quantities: parsing with units, the canonical text, and the errors.
#include "astrasweep/base/units.h"

#include <gtest/gtest.h>

namespace astrasweep {
namespace {

TEST(Units, ParsesDecimalAndBinaryPrefixes) {
  EXPECT_DOUBLE_EQ(*ParseQuantity("300 GB/s", QuantityKind::kBandwidth), 300e9);
  EXPECT_DOUBLE_EQ(*ParseQuantity("25 GiB/s", QuantityKind::kBandwidth), 25.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(*ParseQuantity("80 GiB", QuantityKind::kBytes), 80.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(*ParseQuantity("5 us", QuantityKind::kTime), 5e-6);
  EXPECT_DOUBLE_EQ(*ParseQuantity("312 TFLOP/s", QuantityKind::kFlopRate), 312e12);
  EXPECT_DOUBLE_EQ(*ParseQuantity("400Gb/s", QuantityKind::kBandwidth), 50e9) << "bits per second";
  EXPECT_DOUBLE_EQ(*ParseQuantity("1.5e3 MB/s", QuantityKind::kBandwidth), 1.5e9);
}

TEST(Units, BareNumberNeedsAUnit) {
  auto r = ParseQuantity("300", QuantityKind::kBandwidth);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("no unit"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("300 GB/s"), std::string::npos) << "should show an example";
}

TEST(Units, WrongUnitKindIsRejected) {
  auto r = ParseQuantity("5 GB", QuantityKind::kTime);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("unknown unit 'GB'"), std::string::npos)
      << r.error().message();
  EXPECT_FALSE(ParseQuantity("-3 GB", QuantityKind::kBytes));
  EXPECT_FALSE(ParseQuantity("GB", QuantityKind::kBytes));
}

TEST(Units, CanonicalTextIsEqualForEqualQuantities) {
  EXPECT_EQ(FormatQuantity(*ParseQuantity("700 ns", QuantityKind::kTime), QuantityKind::kTime),
            FormatQuantity(*ParseQuantity("0.7 us", QuantityKind::kTime), QuantityKind::kTime));
  EXPECT_EQ(FormatQuantity(*ParseQuantity("300 GB/s", QuantityKind::kBandwidth),
                           QuantityKind::kBandwidth),
            FormatQuantity(*ParseQuantity("300000 MB/s", QuantityKind::kBandwidth),
                           QuantityKind::kBandwidth));
  EXPECT_EQ(FormatQuantity(1024, QuantityKind::kBytes), "1024 B");
  EXPECT_EQ(FormatNumber(0.1 + 0.2), "0.3");
}

TEST(Units, HumanText) {
  EXPECT_EQ(HumanQuantity(80.0 * 1073741824.0, QuantityKind::kBytes), "80 GiB");
  EXPECT_EQ(HumanQuantity(300e9, QuantityKind::kBandwidth), "300 GB/s");
}

}  // namespace
}  // namespace astrasweep
