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
  if (data_->context.file.empty()) data_->context.file = std::move(file);
  return std::move(*this);
}

Error&& Error::WithKeyPath(std::string key_path) && {
  if (data_->context.key_path.empty()) data_->context.key_path = std::move(key_path);
  return std::move(*this);
}

Error&& Error::WithPointIndex(std::uint64_t index) && {
  if (!data_->context.point_index) data_->context.point_index = index;
  return std::move(*this);
}

Error&& Error::WithPosition(int line, int column) && {
  if (data_->context.line == 0) {
    data_->context.line = line;
    data_->context.column = column;
  }
  return std::move(*this);
}

std::string Error::ToString() const {
  std::string out;
  if (!data_->context.file.empty()) {
    out += data_->context.file;
    if (data_->context.line > 0) {
      out += ":" + std::to_string(data_->context.line);
      if (data_->context.column > 0) out += ":" + std::to_string(data_->context.column);
    }
    out += ": ";
  }
  if (data_->context.point_index)
    out += "point " + std::to_string(*data_->context.point_index) + ": ";
  if (!data_->context.key_path.empty()) out += data_->context.key_path + ": ";
  out += data_->message;
  return out;
}

}  // namespace astrasweep
