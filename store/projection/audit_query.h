// Audit queries: the SQL behind `rollbook audit` and `rollout history --all`,
// in one place so that the CLI, the benchmarks and the query-plan test run the
// very same statements.
//
// Order: changes come in log order, which across partitions means broker time
// (LogAppendTime) first, then partition and offset — the order in which the
// broker accepted them. Time bounds are broker time: since <= t < until.
// Indexes used (schema in projection.h): changes_by_object(namespace, name,
// log_time_ms) for one Deployment or namespace, changes_by_time(log_time_ms)
// for all namespaces; replica_sets' primary key for a Deployment's history.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/projection/projection.h"
#include "store/projection/sqlite.h"

namespace rollbook::store {

struct AuditFilter {
  std::string ns;    // empty: every namespace
  std::string name;  // empty: every Deployment (of ns)
  std::optional<int64_t> since_ms, until_ms;
  std::string actor;               // empty: anyone
  std::vector<std::string> kinds;  // events::KindName spellings; empty: all
  std::string outcome;             // "", "applied" or "rejected"
};

struct SqlQuery {
  std::string sql;
  std::vector<std::string> text_params;  // bound in order: text first...
  std::vector<int64_t> int_params;       // ...then integers (see BuildChangesQuery)
  std::vector<char> order;               // 't' or 'i' per placeholder, in order
};

SqlQuery BuildChangesQuery(const AuditFilter& filter);
StatusOr<std::vector<ChangeRow>> QueryChanges(Db& db, const AuditFilter& filter);

struct QuarantineRow {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t log_time_ms = 0;
  std::string key, reason;
  int64_t size = 0;
};
// Quarantined messages (not valid change records) in log order.
StatusOr<std::vector<QuarantineRow>> QueryQuarantine(Db& db, std::optional<int64_t> since_ms,
                                                     std::optional<int64_t> until_ms);

// Every ReplicaSet a Deployment incarnation ever had, live and pruned, by revision.
inline constexpr char kHistoryAllSql[] =
    "SELECT state, pruned_ms FROM replica_sets WHERE namespace = ? AND deployment = ? AND deployment_uid = ? "
    "ORDER BY revision, creation_seq";
StatusOr<std::vector<HistoryRow>> QueryHistoryAll(Db& db, const std::string& ns, const std::string& name,
                                                  const std::string& uid);

}  // namespace rollbook::store
