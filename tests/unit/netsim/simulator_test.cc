#include "astrasweep/netsim/simulator.h"

#include <gtest/gtest.h>

namespace astrasweep::netsim {
namespace {

TEST(Congestion, NamesRoundTripAndUnknownIsAnError) {
  for (Congestion c : {Congestion::kUnaware, Congestion::kAware}) {
    auto parsed = ParseCongestion(CongestionName(c));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(*parsed, c);
  }
  auto bad = ParseCongestion("sometimes");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("sometimes"), std::string::npos);
}

TEST(BundlePaths, NamesTheFilesOfABundleFolder) {
  const auto paths = BundlePaths::InFolder("/b", "w");
  EXPECT_EQ(paths.workload, "/b/w");
  EXPECT_EQ(paths.network, "/b/network.yml");
  EXPECT_EQ(paths.system, "/b/system.json");
}

}  // namespace
}  // namespace astrasweep::netsim
