#include "store/projection/audit_query.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

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

StatusOr<std::optional<std::vector<OffsetRange>>> WindowOffsetRanges(Db& db, const AuditFilter& f) {
  SqlQuery q;
  std::vector<std::string> terms;
  AddTimeTerms(f.since_ms, f.until_ms, /*plus=*/false, terms, q);
  // changes_by_time carries (partition, offset) after log_time_ms: a covering
  // search, in log order.
  q.sql = fmt::format("SELECT partition, offset FROM changes{}{}", Where(terms), kLogOrder);
  RB_ASSIGN_OR_RETURN(Stmt s, PrepareBound(db, q));
  std::vector<OffsetRange> ranges;  // a handful of partitions: a linear search beats a map
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const auto partition = static_cast<int32_t>(s.Int(0));
    const int64_t offset = s.Int(1);
    auto it = std::find_if(ranges.begin(), ranges.end(),
                           [partition](const OffsetRange& r) { return r.partition == partition; });
    if (it == ranges.end()) {
      ranges.push_back({partition, offset, offset});
    } else if (offset < it->last) {
      return std::optional<std::vector<OffsetRange>>();  // an earlier offset later in log order
    } else {
      it->last = offset;
    }
  }
  return std::optional<std::vector<OffsetRange>>(std::move(ranges));
}

Status ForEachChangeInLogOrder(Db& db, const AuditFilter& f,
                               const std::function<Status(const ChangeRow&)>& fn) {
  const bool window_only = f.ns.empty() && f.name.empty() && f.actor.empty() && f.kinds.empty() &&
                           f.outcome.empty() && (f.since_ms || f.until_ms);
  if (!window_only) return ForEachChange(db, ChangesQuery(f), fn);
  RB_ASSIGN_OR_RETURN(auto ranges, WindowOffsetRanges(db, f));
  if (!ranges) return ForEachChange(db, ChangesQuery(f), fn);

  // One cursor per partition, in offset order, which within the window is
  // that partition's log order; merged by (log_time_ms, partition, offset).
  // Offsets only grow, so a record appended meanwhile is past `last` and
  // not read, as ChangesQuery run at the time of the ranges would not.
  struct Cursor {
    Stmt stmt;
    bool has_row = false;
  };
  std::vector<Cursor> cursors;
  cursors.reserve(ranges->size());
  for (const OffsetRange& r : *ranges) {
    RB_ASSIGN_OR_RETURN(Stmt s, PrepareBound(db, ChangesInRangeQuery(f, r.partition, r.first, r.last + 1)));
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    cursors.push_back({std::move(s), row});
  }
  auto log_position = [](const Stmt& s) { return std::tuple(s.Int(2), s.Int(0), s.Int(1)); };
  ChangeRow row;  // one row's buffers, reused for every row
  for (;;) {
    Cursor* next = nullptr;
    for (Cursor& c : cursors) {
      if (c.has_row && (next == nullptr || log_position(c.stmt) < log_position(next->stmt))) next = &c;
    }
    if (next == nullptr) return Status::Ok();
    ReadChangeRowInto(next->stmt, row);
    RB_RETURN_IF_ERROR(fn(row));
    RB_ASSIGN_OR_RETURN(next->has_row, next->stmt.Step());
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
