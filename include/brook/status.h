// Status and Result<T>: brook's error style for protocol, storage and client code.
//
// Contract: a fallible function in those layers returns [[nodiscard]] Status (no value) or
// Result<T> (a value or an error). Both are cheap to move; an OK Status holds no
// allocation. The message names what was wrong and where (config key, topic, partition,
// offset, address). Exceptions are used only at the API/CLI boundary, where
// Status::ThrowIfError() / Result::ValueOrThrow() convert them into brook::Error.
//
// Thread-safety: values; distinct objects may be used from distinct threads freely.
#pragma once

#include <cassert>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace brook {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input: config value, CLI flag, malformed bytes
  kNotFound,            // a topic, key or file that should exist does not
  kAlreadyExists,       // creating something that exists
  kUnavailable,         // broker or peer not reachable; may succeed if retried
  kTimedOut,            // an operation did not finish within its deadline
  kCorruption,          // persisted or received data failed validation
  kIoError,             // local file-system or disk error
  kFailedPrecondition,  // the system is not in a state that allows the call
  kInternal,            // a broken invariant or an unexpected library error
};

std::string_view StatusCodeName(StatusCode code);

class Error : public std::runtime_error {
 public:
  Error(StatusCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  [[nodiscard]] StatusCode code() const { return code_; }

 private:
  StatusCode code_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status TimedOut(std::string m) { return {StatusCode::kTimedOut, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  [[nodiscard]] bool ok() const { return code_ == StatusCode::kOk; }
  [[nodiscard]] StatusCode code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  // "<CodeName>: <message>", or "OK".
  [[nodiscard]] std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  [[nodiscard]] Status WithContext(std::string_view context) const;

  // Throws brook::Error when not OK. For the API/CLI boundary only.
  void ThrowIfError() const {
    if (!ok()) throw Error(code_, message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Result<T>: either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK Status");
  }

  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(v_); }
  // A reference into the Result (or to a shared OK), so `const Status& s = r.status();`
  // stays valid as long as r; on a temporary Result, a copy.
  [[nodiscard]] const Status& status() const& {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  [[nodiscard]] Status status() && { return ok() ? Status::Ok() : std::get<Status>(v_); }

  // Preconditions: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // For the API/CLI boundary only.
  T ValueOrThrow() && {
    if (!ok()) std::get<Status>(v_).ThrowIfError();
    return std::get<T>(std::move(v_));
  }

 private:
  std::variant<T, Status> v_;
};

}  // namespace brook

// Propagates a non-OK Status from an expression returning Status.
#define BROOK_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::brook::Status brook_status_ = (expr);        \
    if (!brook_status_.ok()) return brook_status_; \
  } while (false)

#define BROOK_CONCAT_INNER_(a, b) a##b
#define BROOK_CONCAT_(a, b) BROOK_CONCAT_INNER_(a, b)
// BROOK_ASSIGN_OR_RETURN(auto x, ExprReturningResult()) binds x or returns the error.
#define BROOK_ASSIGN_OR_RETURN(lhs, expr) \
  BROOK_ASSIGN_OR_RETURN_IMPL_(BROOK_CONCAT_(brook_result_, __LINE__), lhs, expr)
// `lhs` is a declaration and `tmp` a name: neither can be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define BROOK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
