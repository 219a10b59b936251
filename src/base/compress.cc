// zlib's compress2 and uncompress, sized by the caller.
#include "astrasweep/base/compress.h"

#include <zlib.h>

namespace astrasweep {

void AppendDeflated(std::string_view raw, std::string& out) {
  const std::size_t at = out.size();
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  out.resize(at + size);
  // compress2 fails only without memory or with a bound too small, and the
  // bound is zlib's own.
  compress2(reinterpret_cast<Bytef*>(out.data() + at), &size,
            reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()), 1);
  out.resize(at + size);
}

bool Inflate(std::string_view compressed, std::size_t raw_bytes, std::string& out) {
  out.resize(raw_bytes);
  uLongf size = static_cast<uLongf>(raw_bytes);
  return uncompress(reinterpret_cast<Bytef*>(out.data()), &size,
                    reinterpret_cast<const Bytef*>(compressed.data()),
                    static_cast<uLong>(compressed.size())) == Z_OK &&
         size == raw_bytes;
}

}  // namespace astrasweep
