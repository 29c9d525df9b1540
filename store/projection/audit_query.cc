#include "store/projection/audit_query.h"

#include <fmt/format.h>

#include "store/projection/templates.h"

namespace rollbook::store {

namespace {

constexpr const char* kLogOrder = " ORDER BY log_time_ms, partition, offset";
// Range queries read one partition's offsets in key order; callers merge
// partitions into log order (a round of `audit -w` is small).
constexpr const char* kOffsetOrder = " ORDER BY partition, offset";

// Appends the WHERE terms of `f`. With `keep_out_of_indexes` each column is
// written as `+column`, which SQLite never uses for index selection.
void AddFilterTerms(const AuditFilter& f, bool keep_out_of_indexes, std::vector<std::string>& terms,
                    SqlQuery& q) {
  const char* plus = keep_out_of_indexes ? "+" : "";
  if (!f.ns.empty()) {
    terms.push_back(fmt::format("{}namespace = ?", plus));
    q.params.emplace_back(f.ns);
  }
  if (!f.name.empty()) {
    terms.push_back(fmt::format("{}name = ?", plus));
    q.params.emplace_back(f.name);
  }
  if (f.since_ms) {
    terms.push_back(fmt::format("{}log_time_ms >= ?", plus));
    q.params.emplace_back(*f.since_ms);
  }
  if (f.until_ms) {
    terms.push_back(fmt::format("{}log_time_ms < ?", plus));
    q.params.emplace_back(*f.until_ms);
  }
  if (!f.actor.empty()) {
    terms.push_back(fmt::format("{}actor = ?", plus));
    q.params.emplace_back(f.actor);
  }
  if (!f.kinds.empty()) {
    std::string list;
    for (const auto& k : f.kinds) {
      list += list.empty() ? "?" : ", ?";
      q.params.emplace_back(k);
    }
    terms.push_back(fmt::format("{}kind IN ({})", plus, list));
  }
  if (!f.outcome.empty()) {
    terms.push_back(fmt::format("{}outcome = ?", plus));
    q.params.emplace_back(f.outcome);
  }
}

std::string Where(const std::vector<std::string>& terms) {
  std::string out;
  for (const auto& t : terms) out += (out.empty() ? " WHERE " : " AND ") + t;
  return out;
}

StatusOr<Stmt> PrepareBound(Db& db, const SqlQuery& q) {
  RB_ASSIGN_OR_RETURN(Stmt s, db.Prepare(q.sql));
  int i = 1;
  for (const auto& p : q.params) {
    if (const int64_t* n = std::get_if<int64_t>(&p)) {
      s.Bind(i++, *n);
    } else {
      s.Bind(i++, std::get<std::string>(p));
    }
  }
  return s;
}

void AddTimeTerms(std::optional<int64_t> since_ms, std::optional<int64_t> until_ms, bool plus,
                  std::vector<std::string>& terms, SqlQuery& q) {
  if (since_ms) {
    terms.push_back(plus ? "+log_time_ms >= ?" : "log_time_ms >= ?");
    q.params.emplace_back(*since_ms);
  }
  if (until_ms) {
    terms.push_back(plus ? "+log_time_ms < ?" : "log_time_ms < ?");
    q.params.emplace_back(*until_ms);
  }
}

void AddPartitionRange(int32_t partition, int64_t from, int64_t to, std::vector<std::string>& terms,
                       SqlQuery& q) {
  terms.insert(terms.begin(), {"partition = ?", "offset >= ?", "offset < ?"});
  q.params.insert(q.params.begin(), {int64_t{partition}, from, to});
}

}  // namespace

SqlQuery ChangesQuery(const AuditFilter& f) {
  SqlQuery q;
  std::vector<std::string> terms;
  AddFilterTerms(f, false, terms, q);
  q.sql = fmt::format("SELECT {} FROM changes{}{}", kChangeRowColumns, Where(terms), kLogOrder);
  return q;
}

SqlQuery ChangesInRangeQuery(const AuditFilter& f, int32_t partition, int64_t from, int64_t to) {
  SqlQuery q;
  std::vector<std::string> terms;
  AddFilterTerms(f, true, terms, q);
  AddPartitionRange(partition, from, to, terms, q);
  q.sql = fmt::format("SELECT {} FROM changes{}{}", kChangeRowColumns, Where(terms), kOffsetOrder);
  return q;
}

SqlQuery RevisionChangesQuery(const std::string& ns, const std::string& name, int64_t since_ms) {
  SqlQuery q;
  q.sql = fmt::format(
      "SELECT {} FROM changes WHERE namespace = ? AND name = ? AND log_time_ms >= ? AND outcome = 'applied' "
      "AND revision_after > 0 AND revision_after <> revision_before{}",
      kChangeRowColumns, kLogOrder);
  q.params = {ns, name, since_ms};
  return q;
}

Status ForEachChange(Db& db, const SqlQuery& q, const std::function<Status(const ChangeRow&)>& fn) {
  RB_ASSIGN_OR_RETURN(Stmt s, PrepareBound(db, q));
  ChangeRow r;  // one row's buffers, reused for every row
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    ReadChangeRowInto(s, r);
    RB_RETURN_IF_ERROR(fn(r));
  }
}

StatusOr<std::vector<ChangeRow>> QueryChanges(Db& db, const SqlQuery& q) {
  std::vector<ChangeRow> out;
  RB_RETURN_IF_ERROR(ForEachChange(db, q, [&out](const ChangeRow& r) {
    out.push_back(r);
    return Status::Ok();
  }));
  return out;
}

SqlQuery QuarantineQuery(std::optional<int64_t> since_ms, std::optional<int64_t> until_ms) {
  SqlQuery q;
  std::vector<std::string> terms;
  AddTimeTerms(since_ms, until_ms, false, terms, q);
  q.sql =
      fmt::format("SELECT partition, offset, log_time_ms, key, size, reason, value_hash FROM quarantine{}{}",
                  Where(terms), kLogOrder);
  return q;
}

SqlQuery QuarantineInRangeQuery(std::optional<int64_t> since_ms, std::optional<int64_t> until_ms,
                                int32_t partition, int64_t from, int64_t to) {
  SqlQuery q;
  std::vector<std::string> terms;
  AddTimeTerms(since_ms, until_ms, true, terms, q);
  AddPartitionRange(partition, from, to, terms, q);
  q.sql =
      fmt::format("SELECT partition, offset, log_time_ms, key, size, reason, value_hash FROM quarantine{}{}",
                  Where(terms), kOffsetOrder);
  return q;
}

Status ForEachQuarantine(Db& db, const SqlQuery& q, const std::function<Status(const QuarantineRow&)>& fn) {
  RB_ASSIGN_OR_RETURN(Stmt s, PrepareBound(db, q));
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Ok();
    QuarantineRow r;
    r.partition = static_cast<int32_t>(s.Int(0));
    r.offset = s.Int(1);
    r.log_time_ms = s.Int(2);
    r.key = s.Blob(3);
    r.size = s.Int(4);
    r.reason = s.Text(5);
    r.value_hash = s.Blob(6);
    RB_RETURN_IF_ERROR(fn(r));
  }
}

StatusOr<std::vector<QuarantineRow>> QueryQuarantine(Db& db, const SqlQuery& q) {
  std::vector<QuarantineRow> out;
  RB_RETURN_IF_ERROR(ForEachQuarantine(db, q, [&out](const QuarantineRow& r) {
    out.push_back(r);
    return Status::Ok();
  }));
  return out;
}

SqlQuery HistoryQuery(const std::string& ns, const std::string& deployment, const std::string& uid,
                      bool include_pruned) {
  SqlQuery q;
  q.sql = fmt::format(
      "SELECT state, pruned_ms FROM replica_sets WHERE namespace = ? AND deployment = ? AND deployment_uid = "
      "?{} "
      "ORDER BY revision, creation_seq",
      include_pruned ? "" : " AND pruned_ms IS NULL");
  q.params = {ns, deployment, uid};
  return q;
}

StatusOr<std::vector<HistoryRow>> QueryHistory(Db& db, const SqlQuery& q) {
  RB_ASSIGN_OR_RETURN(Stmt s, PrepareBound(db, q));
  std::vector<HistoryRow> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    HistoryRow h;
    if (!h.rs.ParseFromString(s.Blob(0))) return DataLoss("corrupt ReplicaSet state in replica_sets");
    if (!s.IsNull(1)) h.pruned_ms = s.Int(1);
    out.push_back(std::move(h));
  }
  Templates templates(db);
  for (auto& h : out) RB_RETURN_IF_ERROR(templates.Fill(h.rs));
  return out;
}

StatusOr<std::map<int32_t, int64_t>> AppliedOffsets(Db& db) {
  RB_ASSIGN_OR_RETURN(Stmt s, db.Prepare("SELECT partition, next_offset FROM offsets"));
  std::map<int32_t, int64_t> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out[static_cast<int32_t>(s.Int(0))] = s.Int(1);
  }
}

StatusOr<std::vector<std::string>> ExplainQueryPlan(Db& db, const SqlQuery& q) {
  SqlQuery explain = q;
  explain.sql = "EXPLAIN QUERY PLAN " + q.sql;
  RB_ASSIGN_OR_RETURN(Stmt s, PrepareBound(db, explain));
  std::vector<std::string> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(s.Text(3));  // id, parent, notused, detail
  }
}

}  // namespace rollbook::store
