// The fold: (aggregate state, change record) -> (new state, outcome, events).
//
// This is the single definition of what a change record does. It is pure and
// deterministic — no clock, no randomness, no I/O; the only time it knows is
// `log_time_unix_ms`, the broker timestamp of the record — so the daemon, the
// CLI, `admin rebuild` and the tests all reach the same state from the same log.
//
// Contract:
//   * A record whose expected_version differs from the aggregate's version is
//     rejected as a conflict and changes nothing.
//   * A rejected record (conflict, not found, invalid, precondition) leaves the
//     state untouched; it still gets an outcome, which the audit index keeps.
//   * An applied record increments the aggregate version by exactly one and
//     then lets the simulated controller reconcile (rollout.h).
//   * ReplicaSets may come without their template text (template_json empty,
//     template_digest set: how the projection stores them); only a rollback
//     needs the text, of its target, and the caller loads it first
//     (store/projection/templates.h). New ReplicaSets come with both.
//   * The record must have passed codec validation (events/codec.h): known
//     schema version and kind, payload matching the kind, namespace and name set.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "rollbook/state/v1/aggregate.pb.h"
#include "rollbook/v1/change_record.pb.h"
#include "store/fold/rollout.h"

namespace rollbook::fold {

struct Outcome {
  bool applied = false;
  // Empty when applied; otherwise how kubectl would classify the failure:
  // "Conflict", "NotFound", "AlreadyExists" (printed "Error from server
  // (Reason): message"), "Invalid" (printed as is) or "Rejected" (a client-side
  // kubectl check, printed "error: message").
  std::string reason;
  // Applied: the kubectl operation word(s) ("created", "scaled", "rolled back",
  // "skipped rollback (current template already matches revision 2)", ...).
  // Rejected: the error text without prefix.
  std::string message;
};

struct FoldResult {
  Outcome outcome;
  ReconcileOutput controller;  // events emitted and ReplicaSets pruned
};

// Applies `record` to `agg` in place (untouched when rejected). `record_hash`
// is events::RecordHash of the record's bytes in the log; an applied record
// becomes the aggregate's chain head (last_record_hash).
FoldResult ApplyRecord(state::v1::Aggregate& agg, const v1::ChangeRecord& record, int64_t log_time_unix_ms,
                       std::string_view record_hash);
// Same, for records that were produced by events::EncodeRecord (tests,
// generators): hashes the record's deterministic encoding.
FoldResult ApplyRecord(state::v1::Aggregate& agg, const v1::ChangeRecord& record, int64_t log_time_unix_ms);

// Finds the ReplicaSet `kubectl rollout undo --to-revision=N` targets (§4.1);
// N == 0 means the previous revision. Returns nullptr and sets `error`.
const state::v1::ReplicaSet* FindRollbackTarget(const state::v1::Aggregate& agg, int64_t to_revision,
                                                std::string* error);

// Deterministic bytes of a state or record message (map entries sorted):
// equal exactly when the messages are equal, since these messages have no
// floats and no unknown fields.
std::string CanonicalBytes(const google::protobuf::Message& m);

inline constexpr char kChangeCauseAnnotation[] = "kubernetes.io/change-cause";
inline constexpr char kLastAppliedAnnotation[] = "kubectl.kubernetes.io/last-applied-configuration";
inline constexpr char kRestartedAtAnnotation[] = "kubectl.kubernetes.io/restartedAt";

}  // namespace rollbook::fold
