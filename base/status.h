// Status and StatusOr<T>: errors as values.
//
// Every fallible function in rollbook returns a Status (or StatusOr<T>) instead
// of throwing; both are [[nodiscard]] so an ignored error is a compile error
// under -Werror. The message is the text a user sees: modules that produce
// kubectl-visible errors put the exact kubectl line in it, other modules add
// context with WithContext("while doing X") as the error travels up.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace rollbook {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the user's input is wrong; nothing was written
  kNotFound,            // the named object does not exist
  kAlreadyExists,       // create of an object that exists
  kConflict,            // optimistic-concurrency loss (expected_version)
  kFailedPrecondition,  // the object is in a state that forbids the request
  kUnavailable,         // broker or database cannot be reached (retryable)
  kDeadlineExceeded,    // --timeout elapsed
  kDataLoss,            // the log or the projection is inconsistent
  kInternal,            // a bug or an unexpected library failure
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with "context: ". Returns *this for chaining.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design
  StatusOr(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace rollbook

// Returns early from the enclosing function when `expr` is not OK.
#define RB_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::rollbook::Status rb_status_ = (expr);   \
    if (!rb_status_.ok()) return rb_status_;  \
  } while (0)

#define RB_CONCAT_INNER(a, b) a##b
#define RB_CONCAT(a, b) RB_CONCAT_INNER(a, b)
// Declares `lhs` from a StatusOr expression or returns its error.
#define RB_ASSIGN_OR_RETURN(lhs, expr) RB_ASSIGN_OR_RETURN_IMPL(RB_CONCAT(rb_or_, __LINE__), lhs, expr)
#define RB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
