// The result message survives the wire: what a worker sends, rank 0 reads.
#include <gtest/gtest.h>

#include "astrasweep.pb.h"

namespace astrasweep {
namespace {

TEST(Proto, PointResultRoundTrips) {
  proto::PointResult result;
  result.set_index(42);
  result.set_id("0123456789abcdef0123456789abcdef");
  result.set_status(proto::POINT_STATUS_INFEASIBLE);
  result.add_fields(1.25);
  auto* timing = result.add_rank_timings();
  timing->set_npu(3);
  timing->set_finish_s(1.2);
  std::string wire;
  ASSERT_TRUE(result.SerializeToString(&wire));
  proto::PointResult back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.index(), 42u);
  EXPECT_EQ(back.status(), proto::POINT_STATUS_INFEASIBLE);
  ASSERT_EQ(back.fields_size(), 1);
  EXPECT_DOUBLE_EQ(back.fields(0), 1.25);
  ASSERT_EQ(back.rank_timings_size(), 1);
  EXPECT_EQ(back.rank_timings(0).npu(), 3u);
}

}  // namespace
}  // namespace astrasweep
