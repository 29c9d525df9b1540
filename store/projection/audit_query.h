// Audit queries over the projection: the SQL behind `rollbook audit`,
// `rollout history -o wide|--all` and the audit benchmarks, kept in one place
// so that the CLI, the benchmarks and the query-plan tests run the very same
// statements (tests/unit/audit_query_test.cc asserts that none of them scans
// the changes table).
//
// Log order. Each partition is ordered by offset, but Kafka has no order
// across partitions. The audit timeline orders records by the broker's
// LogAppendTime (changes.log_time_ms), then partition, then offset: the order
// in which the broker accepted them, to its clock's millisecond. Within a
// partition (one Deployment's records share one) that is offset order unless
// the broker's clock steps back; ties keep offset order. The ORDER BY matches
// the index keys (a WITHOUT ROWID index carries the primary key (partition,
// offset) after its own columns), so the listing queries never sort.
//
// Time bounds are half-open: since_ms <= log_time_ms < until_ms.
//
// Indexes these queries rely on (store/projection/projection.cc):
//   changes_by_time(log_time_ms)                        all namespaces, a time range
//   changes_by_namespace_time(namespace, log_time_ms)   one namespace (the default)
//   changes_by_object(namespace, name, log_time_ms)     one Deployment
//   changes_by_actor(actor, log_time_ms)                one actor
//   replica_sets_by_revision(namespace, deployment, deployment_uid, revision)
//                                                       rollout history -o wide|--all
// Without them (a file created before they existed) the answers are the same,
// only slower; `rollbook admin rebuild` recreates the file with them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/status.h"
#include "store/projection/projection.h"
#include "store/projection/sqlite.h"

namespace rollbook::store {

// A statement and the values for its `?` placeholders, in order.
struct SqlQuery {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> params;
};

// Filters of the audit timeline; an empty field does not filter.
struct AuditFilter {
  std::string ns;                   // namespace; empty = all namespaces
  std::string name;                 // Deployment name
  std::optional<int64_t> since_ms;  // inclusive, broker LogAppendTime
  std::optional<int64_t> until_ms;  // exclusive
  std::string actor;
  std::vector<std::string> kinds;  // events::KindName spellings, any of
  std::string outcome;             // "applied" | "rejected"
};

// Change records matching `f`, in log order.
SqlQuery ChangesQuery(const AuditFilter& f);
// Change records matching `f` at `partition` with from <= offset < to, in
// offset order: what `audit -w` prints after each catch-up (it merges the
// partitions into log order). The filter terms are kept out of index
// selection so that the primary key bounds the work.
SqlQuery ChangesInRangeQuery(const AuditFilter& f, int32_t partition, int64_t from, int64_t to);
// Applied change records of one Deployment since `since_ms` that gave it a new
// revision number (creation, template change, rollback, resume), in log order.
SqlQuery RevisionChangesQuery(const std::string& ns, const std::string& name, int64_t since_ms);

// Streams the rows of a Changes*Query to `fn`; stops at the first error.
Status ForEachChange(Db& db, const SqlQuery& q, const std::function<Status(const ChangeRow&)>& fn);

// Streams the change records matching `f` to `fn` in log order: the rows of
// ChangesQuery(f), in its order. A time window over all namespaces with no
// other filter (`audit -A --since T1 --until T2`) is read partition by
// partition along the primary key and merged, instead of one primary-key seek
// per row from changes_by_time (a third of that query's work); other filters,
// and a window in which a partition's broker time goes back, run ChangesQuery.
Status ForEachChangeInLogOrder(Db& db, const AuditFilter& f,
                               const std::function<Status(const ChangeRow&)>& fn);

// The offsets of each partition's first and last change record within the
// time window of `f` (the rows of ChangesQuery(f) if f has no other filter),
// from changes_by_time. nullopt when some partition's broker time goes back
// within the window: its offset order is not its log order there.
struct OffsetRange {
  int32_t partition = 0;
  int64_t first = 0, last = 0;  // inclusive
};
StatusOr<std::optional<std::vector<OffsetRange>>> WindowOffsetRanges(Db& db, const AuditFilter& f);
StatusOr<std::vector<ChangeRow>> QueryChanges(Db& db, const SqlQuery& q);

// A message that was not a valid change record (the quarantine table).
struct QuarantineRow {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t log_time_ms = 0;
  std::string key;  // raw bytes as in the log
  int64_t size = 0;
  std::string reason;
  std::string value_hash;  // SHA-256 of the value, raw
};

// Quarantined messages in log order, within the optional time bounds.
SqlQuery QuarantineQuery(std::optional<int64_t> since_ms, std::optional<int64_t> until_ms);
// Quarantined messages at `partition` with from <= offset < to, in offset
// order (follow mode).
SqlQuery QuarantineInRangeQuery(std::optional<int64_t> since_ms, std::optional<int64_t> until_ms,
                                int32_t partition, int64_t from, int64_t to);
Status ForEachQuarantine(Db& db, const SqlQuery& q, const std::function<Status(const QuarantineRow&)>& fn);
StatusOr<std::vector<QuarantineRow>> QueryQuarantine(Db& db, const SqlQuery& q);

// ReplicaSets of the Deployment incarnation `uid` in revision order (then
// creation order); pruned ones (pruned_ms set) only when `include_pruned`.
SqlQuery HistoryQuery(const std::string& ns, const std::string& deployment, const std::string& uid,
                      bool include_pruned);
StatusOr<std::vector<HistoryRow>> QueryHistory(Db& db, const SqlQuery& q);

// Stored next offset of every partition the projection has applied.
StatusOr<std::map<int32_t, int64_t>> AppliedOffsets(Db& db);

// The detail column of EXPLAIN QUERY PLAN for `q`, one entry per plan step
// (e.g. "SEARCH changes USING INDEX changes_by_time (log_time_ms>?)").
StatusOr<std::vector<std::string>> ExplainQueryPlan(Db& db, const SqlQuery& q);

}  // namespace rollbook::store
