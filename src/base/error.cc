// Error formatting: one line a user can act on.
#include "astrasweep/base/error.h"

namespace astrasweep {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput: return "invalid input";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kInternal: return "internal error";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kCancelled: return "cancelled";
  }
  return "unknown error";
}

Error&& Error::WithFile(std::string file) && {
  if (context_.file.empty()) context_.file = std::move(file);
  return std::move(*this);
}

Error&& Error::WithKeyPath(std::string key_path) && {
  if (context_.key_path.empty()) context_.key_path = std::move(key_path);
  return std::move(*this);
}

Error&& Error::WithPointIndex(std::uint64_t index) && {
  if (!context_.point_index) context_.point_index = index;
  return std::move(*this);
}

Error&& Error::WithPosition(int line, int column) && {
  if (context_.line == 0) {
    context_.line = line;
    context_.column = column;
  }
  return std::move(*this);
}

std::string Error::ToString() const {
  std::string out;
  if (!context_.file.empty()) {
    out += context_.file;
    if (context_.line > 0) {
      out += ":" + std::to_string(context_.line);
      if (context_.column > 0) out += ":" + std::to_string(context_.column);
    }
    out += ": ";
  }
  if (context_.point_index) out += "point " + std::to_string(*context_.point_index) + ": ";
  if (!context_.key_path.empty()) out += context_.key_path + ": ";
  out += message_;
  return out;
}

}  // namespace astrasweep
