#include "store/projection/audit_query.h"

#include <fmt/format.h>

#include <cstdint>

namespace rollbook::store {

namespace {

constexpr char kChangeColumns[] =
    "partition, offset, log_time_ms, record_id, namespace, name, kind, actor, host, client_time_ms, command, "
    "change_cause, outcome, reason, message, version_before, version_after, revision_before, revision_after, "
    "replicas_before, replicas_after, images_before, images_after, record_hash, prev_hash";

ChangeRow ReadChange(const Stmt& s) {
  ChangeRow r;
  r.partition = static_cast<int32_t>(s.Int(0));
  r.offset = s.Int(1);
  r.log_time_ms = s.Int(2);
  r.record_id = s.Text(3);
  r.ns = s.Text(4);
  r.name = s.Text(5);
  r.kind = s.Text(6);
  r.actor = s.Text(7);
  r.host = s.Text(8);
  r.client_time_ms = s.Int(9);
  r.command = s.Text(10);
  r.change_cause = s.Text(11);
  r.outcome = s.Text(12);
  r.reason = s.Text(13);
  r.message = s.Text(14);
  r.version_before = s.Int(15);
  r.version_after = s.Int(16);
  r.revision_before = s.Int(17);
  r.revision_after = s.Int(18);
  r.replicas_before = s.Int(19);
  r.replicas_after = s.Int(20);
  r.images_before = s.Text(21);
  r.images_after = s.Text(22);
  r.record_hash = s.Blob(23);
  r.prev_hash = s.Blob(24);
  return r;
}

void Bind(Stmt& s, const SqlQuery& q) {
  size_t t = 0, i = 0;
  for (size_t k = 0; k < q.order.size(); ++k) {
    if (q.order[k] == 't') {
      s.Bind(static_cast<int>(k + 1), q.text_params[t++]);
    } else {
      s.Bind(static_cast<int>(k + 1), q.int_params[i++]);
    }
  }
}

}  // namespace

SqlQuery BuildChangesQuery(const AuditFilter& f) {
  SqlQuery q;
  std::vector<std::string> where;
  auto text = [&q](const std::string& v) {
    q.text_params.push_back(v);
    q.order.push_back('t');
  };
  auto integer = [&q](int64_t v) {
    q.int_params.push_back(v);
    q.order.push_back('i');
  };
  if (!f.ns.empty()) {
    where.push_back("namespace = ?");
    text(f.ns);
    if (!f.name.empty()) {
      where.push_back("name = ?");
      text(f.name);
    }
  }
  if (f.since_ms) {
    where.push_back("log_time_ms >= ?");
    integer(*f.since_ms);
  }
  if (f.until_ms) {
    where.push_back("log_time_ms < ?");
    integer(*f.until_ms);
  }
  if (!f.actor.empty()) {
    where.push_back("actor = ?");
    text(f.actor);
  }
  if (!f.kinds.empty()) {
    std::string in;
    for (const auto& k : f.kinds) {
      in += in.empty() ? "?" : ", ?";
      text(k);
    }
    where.push_back("kind IN (" + in + ")");
  }
  if (!f.outcome.empty()) {
    where.push_back("outcome = ?");
    text(f.outcome);
  }
  q.sql = fmt::format("SELECT {} FROM changes", kChangeColumns);
  for (size_t k = 0; k < where.size(); ++k) q.sql += (k == 0 ? " WHERE " : " AND ") + where[k];
  q.sql += " ORDER BY log_time_ms, partition, offset";
  return q;
}

StatusOr<std::vector<ChangeRow>> QueryChanges(Db& db, const AuditFilter& filter) {
  const SqlQuery q = BuildChangesQuery(filter);
  RB_ASSIGN_OR_RETURN(Stmt s, db.Prepare(q.sql));
  Bind(s, q);
  std::vector<ChangeRow> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadChange(s));
  }
  return out;
}

StatusOr<std::vector<QuarantineRow>> QueryQuarantine(Db& db, std::optional<int64_t> since_ms,
                                                     std::optional<int64_t> until_ms) {
  RB_ASSIGN_OR_RETURN(Stmt s,
                      db.Prepare("SELECT partition, offset, log_time_ms, CAST(key AS TEXT), size, reason "
                                 "FROM quarantine WHERE log_time_ms >= ? AND log_time_ms < ? "
                                 "ORDER BY log_time_ms, partition, offset"));
  s.Bind(1, since_ms.value_or(INT64_MIN)).Bind(2, until_ms.value_or(INT64_MAX));
  std::vector<QuarantineRow> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back({static_cast<int32_t>(s.Int(0)), s.Int(1), s.Int(2), s.Text(3), s.Text(5), s.Int(4)});
  }
  return out;
}

StatusOr<std::vector<HistoryRow>> QueryHistoryAll(Db& db, const std::string& ns, const std::string& name,
                                                  const std::string& uid) {
  RB_ASSIGN_OR_RETURN(Stmt s, db.Prepare(kHistoryAllSql));
  s.Bind(1, ns).Bind(2, name).Bind(3, uid);
  std::vector<HistoryRow> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    HistoryRow h;
    if (!h.rs.ParseFromString(s.Blob(0)))
      return DataLoss(fmt::format("corrupt ReplicaSet state of {}/{}", ns, name));
    if (!s.IsNull(1)) h.pruned_ms = s.Int(1);
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace rollbook::store
