#pragma once

#include <string>
#include <utility>
#include <variant>

namespace gatehouse {

/// What went wrong, in terms the request path can map to a status code and an error type in the
/// caller's dialect. Kept small on purpose: every value must have an HTTP meaning.
enum class ErrorCode {
  kInvalidRequest,   ///< 400: malformed JSON, missing or ill-typed fields.
  kUnauthorized,     ///< 401: no key, a bad key, a revoked or expired key.
  kForbidden,        ///< 403: a valid principal whose role or scopes do not allow this.
  kNotFound,         ///< 404: unknown model or route.
  kConflict,         ///< 409: the object exists already (a duplicate name).
  kPayloadTooLarge,  ///< 413: body over the configured limit.
  kRateLimited,      ///< 429: an upstream or local limit was hit.
  kUpstreamError,    ///< 502: the upstream failed, closed, or sent something unusable.
  kUpstreamTimeout,  ///< 504: the upstream did not answer in time.
  kUnavailable,      ///< 503: shutting down or not ready.
  kInternal,         ///< 500: a bug or an environment failure (disk, database).
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  /// Safe to show to the caller: never contains a key, a secret or prompt content.
  std::string message;
};

/// Either a value or an Error; the request path returns these instead of throwing.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }
  Error&& takeError() { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  Error&& takeError() { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

/// The HTTP status an error code stands for.
constexpr int httpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kUpstreamError:
      return 502;
    case ErrorCode::kUpstreamTimeout:
      return 504;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

inline Error makeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace gatehouse
