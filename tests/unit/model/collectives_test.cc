// Each collective formula against values computed by hand.
#include "astrasweep/model/collectives.h"

#include <gtest/gtest.h>

namespace astrasweep::model {
namespace {

using config::CollectiveAlgorithm;
using config::NetworkDimension;
using config::Topology;

constexpr double kS = 8e9;    // bytes
constexpr double kB = 100e9;  // bytes/s
constexpr double kA = 1e-6;   // s

TEST(Collectives, RingOnOneDimension) {
  // (n-1) steps of S/n each: 7 * (1 us + 1e9 / 100e9 s)
  EXPECT_DOUBLE_EQ(CollectiveTimeOnDimension(Collective::kReduceScatter, CollectiveAlgorithm::kRing,
                                             8, kS, kB, kA),
                   7 * (1e-6 + 0.01));
  EXPECT_DOUBLE_EQ(
      CollectiveTimeOnDimension(Collective::kAllGather, CollectiveAlgorithm::kRing, 8, kS, kB, kA),
      7 * (1e-6 + 0.01));
  EXPECT_DOUBLE_EQ(
      CollectiveTimeOnDimension(Collective::kAllReduce, CollectiveAlgorithm::kRing, 8, kS, kB, kA),
      2 * 7 * (1e-6 + 0.01));
}

TEST(Collectives, DirectHalvingDoublingAndTree) {
  EXPECT_DOUBLE_EQ(CollectiveTimeOnDimension(Collective::kReduceScatter,
                                             CollectiveAlgorithm::kDirect, 8, kS, kB, kA),
                   1e-6 + 0.07);
  EXPECT_DOUBLE_EQ(CollectiveTimeOnDimension(Collective::kReduceScatter,
                                             CollectiveAlgorithm::kHalvingDoubling, 8, kS, kB, kA),
                   3e-6 + 0.07);
  EXPECT_DOUBLE_EQ(CollectiveTimeOnDimension(Collective::kAllReduce,
                                             CollectiveAlgorithm::kDoubleBinaryTree, 8, kS, kB, kA),
                   6e-6 + 0.16);
}

TEST(Collectives, NothingToDoOnOneNpu) {
  EXPECT_EQ(
      CollectiveTimeOnDimension(Collective::kAllReduce, CollectiveAlgorithm::kRing, 1, kS, kB, kA),
      0);
}

TEST(Collectives, AutoAndFallbacks) {
  EXPECT_EQ(ResolveAlgorithm(CollectiveAlgorithm::kAuto, Topology::kSwitch, 8),
            CollectiveAlgorithm::kRing);
  EXPECT_EQ(ResolveAlgorithm(CollectiveAlgorithm::kAuto, Topology::kFullyConnected, 8),
            CollectiveAlgorithm::kDirect);
  EXPECT_EQ(ResolveAlgorithm(CollectiveAlgorithm::kHalvingDoubling, Topology::kSwitch, 6),
            CollectiveAlgorithm::kRing)
      << "halving-doubling needs a power of two";
}

std::vector<NetworkDimension> TwoLevel() {
  return {{Topology::kSwitch, 8, 300e9, 0}, {Topology::kSwitch, 4, 25e9, 0}};
}

TEST(Collectives, GroupSharesFollowTheRankLayout) {
  auto net = TwoLevel();
  auto tp = GroupShares(net, 1, 8);
  ASSERT_EQ(tp.size(), 1u);
  EXPECT_EQ(tp[0].npus, 8);
  auto tp2 = GroupShares(net, 1, 2);
  ASSERT_EQ(tp2.size(), 1u);
  EXPECT_EQ(tp2[0].npus, 2);
  auto dp = GroupShares(net, 8, 4);
  ASSERT_EQ(dp.size(), 1u);
  EXPECT_EQ(dp[0].dimension, 1u);
  EXPECT_EQ(dp[0].npus, 4);
  auto spread = GroupShares(net, 4, 8);  // members 0, 4, 8, ... 28
  ASSERT_EQ(spread.size(), 2u);
  EXPECT_EQ(spread[0].npus, 2);
  EXPECT_EQ(spread[1].npus, 4);
}

TEST(Collectives, GroupSharesOfTwoParts) {
  // tp 2, cp 2, pp 2, dp 4 on 8 x 4 NPUs: the data-parallel group with the
  // cp ranks is {2 cp_index + 8 dp_index}: 0, 2, 8, 10, ... 26.
  auto net = TwoLevel();
  const RankGroup dp_cp{{.stride = 2, .size = 2}, {.stride = 8, .size = 4}};
  auto shares = GroupShares(net, dp_cp);
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_EQ(shares[0].dimension, 0u);
  EXPECT_EQ(shares[0].npus, 2) << "ranks 0 and 2 of each node";
  EXPECT_EQ(shares[1].dimension, 1u);
  EXPECT_EQ(shares[1].npus, 4);
  // Without the stride of the second part, both parts stay in one node.
  auto inner = GroupShares(net, RankGroup{{.stride = 1, .size = 2}, {.stride = 4, .size = 2}});
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner[0].npus, 4) << "0, 1, 4, 5";
}

TEST(Collectives, SimplifiedMergesContinuingParts) {
  // pp 1: the cp ranks (stride 2, 2 of them) continue into the replicas
  // (stride 4): one strided run of 8.
  const RankGroup merged = Simplified({{.stride = 2, .size = 2}, {.stride = 4, .size = 4}});
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].stride, 2);
  EXPECT_EQ(merged[0].size, 8);
  const RankGroup apart = Simplified({{.stride = 2, .size = 2}, {.stride = 8, .size = 4}});
  EXPECT_EQ(apart.size(), 2u) << "pp 2 puts the stages between them";
  const RankGroup single = Simplified({{.stride = 2, .size = 1}, {.stride = 8, .size = 4}});
  ASSERT_EQ(single.size(), 1u) << "cp 1 drops out";
  EXPECT_EQ(single[0].stride, 8);
  EXPECT_TRUE(Simplified({{.stride = 2, .size = 1}}).empty());
}

TEST(Collectives, MultiDimensionalAllReduceIsHierarchical) {
  auto net = TwoLevel();
  const double s = 3.2e9;
  // reduce-scatter dim 0 on S, dim 1 on S/8; all-gather back: twice that.
  const double rs0 = 7.0 / 8 * s / 300e9;
  const double rs1 = 3.0 / 4 * (s / 8) / 25e9;
  auto shares = GroupShares(net, 1, 32);
  EXPECT_DOUBLE_EQ(CollectiveTime(Collective::kAllReduce, s, shares, net, {}), 2 * (rs0 + rs1));
  EXPECT_DOUBLE_EQ(CollectiveTime(Collective::kReduceScatter, s, shares, net, {}), rs0 + rs1);
  EXPECT_DOUBLE_EQ(CollectiveTime(Collective::kAllGather, s, shares, net, {}), rs0 + rs1);
}

TEST(Collectives, SendRecvUsesTheOutermostDifferingDimension) {
  auto net = TwoLevel();
  net[0].latency = 1e-6;
  net[1].latency = 5e-6;
  EXPECT_DOUBLE_EQ(SendRecvTime(3e9, 0, 1, net), 1e-6 + 0.01);
  EXPECT_DOUBLE_EQ(SendRecvTime(25e6, 0, 8, net), 5e-6 + 0.001);
  EXPECT_DOUBLE_EQ(SendRecvTime(25e6, 7, 8, net), 5e-6 + 0.001);
  EXPECT_EQ(SendRecvTime(25e6, 3, 3, net), 0);
}

}  // namespace
}  // namespace astrasweep::model
