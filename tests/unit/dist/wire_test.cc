// Message frames between ranks: small messages raw, large ones compressed,
// both read back whole; empty, unknown, truncated and corrupt frames are
// refused, never misread.
#include "astrasweep/dist/wire.h"

#include <gtest/gtest.h>

#include "astrasweep.pb.h"

namespace astrasweep::dist {
namespace {

proto::ResultBatch Batch(int points) {
  proto::ResultBatch batch;
  for (int i = 0; i < points; ++i) {
    auto* p = batch.add_results();
    p->set_index(static_cast<std::uint64_t>(i));
    p->set_canonical_config(std::string(1000, 'c') + std::to_string(i));
    p->add_fields(0.5 * i);
  }
  return batch;
}

TEST(Wire, SmallMessagesTravelRawAndLargeOnesCompressed) {
  for (int points : {1, 200}) {
    const proto::ResultBatch batch = Batch(points);
    const std::string frame = EncodeMessage(batch);
    const bool large = batch.ByteSizeLong() > kCompressAbove;
    EXPECT_EQ(frame[0], large ? '\1' : '\0') << points << " points";
    if (large) {
      EXPECT_LT(frame.size(), batch.ByteSizeLong() / 4) << "configs compress well";
    }
    proto::ResultBatch back;
    ASSERT_TRUE(DecodeMessage(frame, back)) << points << " points";
    EXPECT_EQ(back.SerializeAsString(), batch.SerializeAsString());
  }
}

TEST(Wire, DamagedFramesAreRefused) {
  const std::string compressed = EncodeMessage(Batch(200));
  ASSERT_EQ(compressed[0], '\1');
  proto::ResultBatch back;
  EXPECT_FALSE(DecodeMessage("", back)) << "empty";
  EXPECT_FALSE(DecodeMessage(std::string("\2") + "abc", back)) << "unknown kind";
  EXPECT_FALSE(DecodeMessage(compressed.substr(0, 5), back)) << "no room for the size";
  EXPECT_FALSE(DecodeMessage(compressed.substr(0, compressed.size() / 2), back)) << "truncated";
  std::string corrupt = compressed;
  corrupt[corrupt.size() / 2] ^= 0x5a;
  EXPECT_FALSE(DecodeMessage(corrupt, back)) << "a flipped byte in the deflate stream";
  std::string wrong_size = compressed;
  wrong_size[1] ^= 0x01;  // the raw size no longer matches
  EXPECT_FALSE(DecodeMessage(wrong_size, back)) << "a wrong raw size";
  std::string huge = compressed;
  huge[8] = '\x7f';  // claims more than 4 GiB
  EXPECT_FALSE(DecodeMessage(huge, back)) << "an absurd raw size";
  EXPECT_FALSE(DecodeMessage(std::string("\0\xff\xff\xff", 4), back)) << "raw bytes that are not the message";
}

}  // namespace
}  // namespace astrasweep::dist
