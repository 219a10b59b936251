// The framing of messages between ranks: one byte saying how the protobuf
// bytes follow, raw (0) or zlib-compressed (1, after the raw size as 8
// little-endian bytes). A batch of results is mostly canonical configs that
// differ in a few keys, so zlib at level 1 makes it about 5 times smaller
// at ~250 MB/s; that matters when ranks share cores, since a large
// shared-memory message moves only while both ranks are scheduled.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace google::protobuf {
class MessageLite;
}

namespace astrasweep::dist {

// Messages above this many bytes are compressed.
inline constexpr std::size_t kCompressAbove = 16 << 10;

std::string EncodeMessage(const google::protobuf::MessageLite& message);
// False for a frame that is empty, of an unknown kind, damaged or not the
// message's bytes.
[[nodiscard]] bool DecodeMessage(std::string_view frame, google::protobuf::MessageLite& message);

}  // namespace astrasweep::dist
