// Message frames: raw or zlib-compressed protobuf bytes.
#include "astrasweep/dist/wire.h"

#include <google/protobuf/message_lite.h>

#include <cstdint>
#include <cstring>

#include "astrasweep/base/compress.h"

namespace astrasweep::dist {
namespace {

constexpr char kRaw = '\0';
constexpr char kCompressed = '\1';
constexpr std::size_t kSizeBytes = 8;
// A frame claiming more than this is damaged.
constexpr std::uint64_t kMaxRawBytes = 1ull << 32;

}  // namespace

std::string EncodeMessage(const google::protobuf::MessageLite& message) {
  const std::string raw = message.SerializeAsString();
  if (raw.size() <= kCompressAbove) return kRaw + raw;
  std::string out(1 + kSizeBytes, kCompressed);
  const std::uint64_t raw_size = raw.size();
  std::memcpy(out.data() + 1, &raw_size, kSizeBytes);
  AppendDeflated(raw, out);
  return out;
}

bool DecodeMessage(std::string_view frame, google::protobuf::MessageLite& message) {
  if (frame.empty()) return false;
  if (frame[0] == kRaw)
    return message.ParseFromArray(frame.data() + 1, static_cast<int>(frame.size() - 1));
  if (frame[0] != kCompressed || frame.size() < 1 + kSizeBytes) return false;
  std::uint64_t raw_size = 0;
  std::memcpy(&raw_size, frame.data() + 1, kSizeBytes);
  if (raw_size > kMaxRawBytes) return false;
  std::string raw;
  return Inflate(frame.substr(1 + kSizeBytes), raw_size, raw) && message.ParseFromString(raw);
}

}  // namespace astrasweep::dist
