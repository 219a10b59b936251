// Errors as values: every fallible function returns Expected<T>, and only
// main() turns an Error into an exit code. An Error carries a code from a
// small fixed set, a message, and where it happened (file, key path, point).
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace astrasweep {

enum class ErrorCode {
  kInvalidInput,  // the user's spec, config or flags are wrong (exit 2)
  kNotFound,      // a named file, preset or key does not exist (exit 2)
  kIo,            // reading or writing a file failed
  kInternal,      // a bug or an unexpected library failure
  kUnavailable,   // an external tool or resource cannot be used
  kCancelled,     // interrupted by a signal
};

const char* ErrorCodeName(ErrorCode code);

struct ErrorContext {
  std::string file;
  std::string key_path;
  std::optional<std::uint64_t> point_index;
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
};

// One pointer wide, so a Status that holds no error (what almost every call
// returns, in loops that run millions of times) costs a flag, not the
// zeroing of two strings and a context.
class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message, ErrorContext context = {})
      : data_(std::make_unique<Data>(Data{code, std::move(message), std::move(context)})) {}
  Error(const Error& other) : data_(std::make_unique<Data>(*other.data_)) {}
  Error& operator=(const Error& other) {
    data_ = std::make_unique<Data>(*other.data_);
    return *this;
  }
  Error(Error&&) noexcept = default;
  Error& operator=(Error&&) noexcept = default;

  ErrorCode code() const { return data_->code; }
  const std::string& message() const { return data_->message; }
  const ErrorContext& context() const { return data_->context; }

  // Fill in context that an outer layer knows and an inner one did not.
  Error&& WithFile(std::string file) &&;
  Error&& WithKeyPath(std::string key_path) &&;
  Error&& WithPointIndex(std::uint64_t index) &&;
  Error&& WithPosition(int line, int column) &&;

  // "file:line:col: key path: message", leaving out parts that are unknown.
  std::string ToString() const;

 private:
  struct Data {
    ErrorCode code;
    std::string message;
    ErrorContext context;
  };
  std::unique_ptr<Data> data_;  // never null but after a move
};

// std::expected that must not be ignored: a call whose error is dropped
// does not compile (warnings are errors in CI); `(void)` says it is meant.
template <typename T>
class [[nodiscard]] Expected : public std::expected<T, Error> {
 public:
  using std::expected<T, Error>::expected;
  Expected(std::expected<T, Error> other) : std::expected<T, Error>(std::move(other)) {}
};
using Status = Expected<void>;

inline std::unexpected<Error> MakeError(ErrorCode code, std::string message,
                                        ErrorContext context = {}) {
  return std::unexpected<Error>(Error(code, std::move(message), std::move(context)));
}
inline std::unexpected<Error> InvalidInput(std::string message, ErrorContext context = {}) {
  return MakeError(ErrorCode::kInvalidInput, std::move(message), std::move(context));
}
inline Status Ok() { return {}; }

}  // namespace astrasweep

// Return early with the error of an Expected/Status expression.
#define ASTRASWEEP_RETURN_IF_ERROR(expr)                             \
  do {                                                               \
    if (auto astrasweep_status_ = (expr); !astrasweep_status_)       \
      return std::unexpected(std::move(astrasweep_status_).error()); \
  } while (false)

#define ASTRASWEEP_CONCAT_INNER(a, b) a##b
#define ASTRASWEEP_CONCAT(a, b) ASTRASWEEP_CONCAT_INNER(a, b)

// ASTRASWEEP_ASSIGN_OR_RETURN(auto x, Compute()); binds the value or returns
// the error.
#define ASTRASWEEP_ASSIGN_OR_RETURN(lhs, expr) \
  ASTRASWEEP_ASSIGN_OR_RETURN_IMPL(ASTRASWEEP_CONCAT(astrasweep_expected_, __LINE__), lhs, expr)
#define ASTRASWEEP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)    \
  auto tmp = (expr);                                        \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)
