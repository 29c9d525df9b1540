#include "store/projection/time_travel.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <tuple>

#include "events/codec.h"
#include "store/projection/listing_checkpoint.h"
#include "store/projection/templates.h"

namespace rollbook::store {

namespace {

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

constexpr int kRecordColumn = kChangeRowColumnCount;  // `record`, selected after kChangeRowColumns

// A change row with the record bytes it was folded from.
struct StoredRecord {
  ChangeRow row;
  std::string value;
};

bool Before(const StoredRecord& a, const StoredRecord& b) {
  return std::tie(a.row.partition, a.row.offset) < std::tie(b.row.partition, b.row.offset);
}

struct Snapshot {
  LogPoint at;  // log_time_ms: the Deployment's largest broker time up to here
  std::string state;
};

// Runs `body` inside one read transaction, so the snapshot and the records
// it reads belong to the same committed state even while a projector writes.
template <typename Fn>
auto InReadTransaction(Db& db, Fn&& body) -> decltype(body()) {
  RB_RETURN_IF_ERROR(db.Exec("BEGIN"));
  auto result = body();
  (void)db.Exec("COMMIT");  // read-only: nothing to lose
  return result;
}

StatusOr<std::optional<Snapshot>> ReadSnapshot(Stmt& s) {
  RB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<Snapshot>();
  Snapshot snap;
  snap.at = LogPoint{static_cast<int32_t>(s.Int(0)), s.Int(1), s.Int(2)};
  snap.state = s.Blob(3);
  return std::optional<Snapshot>(std::move(snap));
}

// The snapshot after `after` (the first one when `after` is empty).
StatusOr<std::optional<Snapshot>> NextSnapshot(Db& db, const std::string& ns, const std::string& name,
                                               const std::optional<LogPoint>& after) {
  RB_ASSIGN_OR_RETURN(Stmt s,
                      db.Prepare("SELECT partition, offset, log_time_ms, x'' FROM snapshots "
                                 "WHERE namespace = ? AND name = ? AND (partition > ? OR "
                                 "(partition = ? AND offset > ?)) ORDER BY partition, offset LIMIT 1"));
  const int64_t p = after ? after->partition : -1;
  s.Bind(1, ns).Bind(2, name).Bind(3, p).Bind(4, p).Bind(5, after ? after->offset : -1);
  return ReadSnapshot(s);
}

// Folds `records` (sorted, all after the state's last record) onto `past`,
// stopping before the first one `stop` rejects.
Status FoldRecords(Db& db, const std::string& ns, const std::string& name,
                   const std::vector<StoredRecord>& records, PastState& past,
                   const std::function<bool(const ChangeRow&)>& stop,
                   const std::function<Status(const ReplayStep&)>& visit) {
  const std::string key = events::RecordKey(ns, name);
  state::v1::Aggregate before;
  for (const StoredRecord& r : records) {
    if (stop(r.row)) break;
    StatusOr<v1::ChangeRecord> rec = events::DecodeRecord(key, r.value);
    if (!rec.ok()) {
      return DataLoss(fmt::format("record at partition {} offset {} of {}/{} no longer decodes: {}",
                                  r.row.partition, r.row.offset, ns, name, rec.status().message()));
    }
    if (visit) before = past.aggregate;
    // A snapshot's ReplicaSets carry only template digests; a rollback needs its target's text.
    if (rec->kind() == v1::CHANGE_KIND_ROLLBACK) {
      RB_RETURN_IF_ERROR(Templates(db).FillRollbackTarget(past.aggregate, rec->rollback().to_revision()));
    }
    fold::FoldResult result = fold::ApplyRecord(past.aggregate, *rec, r.row.log_time_ms, r.row.record_hash);
    if (result.outcome.applied != (r.row.outcome == "applied")) {
      return DataLoss(
          fmt::format("replaying {}/{} disagrees with the projection at partition {} offset {} (replay: {}, "
                      "recorded: {}); "
                      "run `rollbook admin rebuild` to rebuild the projection from the log",
                      ns, name, r.row.partition, r.row.offset,
                      result.outcome.applied ? "applied" : "rejected", r.row.outcome));
    }
    past.last_record = LogPoint{r.row.partition, r.row.offset, r.row.log_time_ms};
    ++past.records_folded;
    if (visit) RB_RETURN_IF_ERROR(visit(ReplayStep{r.row, *rec, result, before, past.aggregate}));
  }
  return Status::Ok();
}

// The Deployment's records with broker time in [lo, hi], sorted by position.
// Only what folding needs is read (position, time, outcome, hash, bytes): a
// lookup reads up to kSnapshotInterval of them.
StatusOr<std::vector<StoredRecord>> RecordsInTimeRange(Db& db, const std::string& ns, const std::string& name,
                                                       int64_t lo, int64_t hi) {
  RB_ASSIGN_OR_RETURN(Stmt s,
                      db.Prepare("SELECT partition, offset, log_time_ms, outcome, record_hash, record "
                                 "FROM changes WHERE namespace = ? AND name = ? AND "
                                 "log_time_ms BETWEEN ? AND ?"));
  s.Bind(1, ns).Bind(2, name).Bind(3, lo).Bind(4, hi);
  std::vector<StoredRecord> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    StoredRecord r;
    r.row.partition = static_cast<int32_t>(s.Int(0));
    r.row.offset = s.Int(1);
    r.row.log_time_ms = s.Int(2);
    r.row.outcome = s.Text(3);
    r.row.record_hash = s.Blob(4);
    r.value = s.Blob(5);
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), Before);
  return out;
}

// r is at or before p / strictly before p, in log order.
bool At(const ChangeRow& r, const LogPoint& p) {
  return std::tie(r.partition, r.offset) <= std::tie(p.partition, p.offset);
}
bool Less(const ChangeRow& r, const LogPoint& p) {
  return std::tie(r.partition, r.offset) < std::tie(p.partition, p.offset);
}

// The shared core of StateAtTime/StateAtOffset: starts from `base` (or the
// empty state) and folds the records strictly between it and `next` (the
// following snapshot) that `stop` does not cut off. Between two snapshots no
// record is late (projection.h), so those records have broker times within
// [base time, next time] and come in time order: one index range finds them.
StatusOr<PastState> FoldFromSnapshot(Db& db, const std::string& ns, const std::string& name,
                                     const std::optional<Snapshot>& base, const std::optional<Snapshot>& next,
                                     int64_t time_hi, const std::function<bool(const ChangeRow&)>& stop,
                                     bool with_templates) {
  PastState past;
  if (base) {
    if (!past.aggregate.ParseFromString(base->state)) {
      return DataLoss(fmt::format("corrupt snapshot of {}/{} at partition {} offset {}", ns, name,
                                  base->at.partition, base->at.offset));
    }
    past.snapshot = base->at;
    past.last_record = base->at;
  }
  const int64_t lo = base ? base->at.log_time_ms : std::numeric_limits<int64_t>::min();
  const int64_t hi = next ? std::min(time_hi, next->at.log_time_ms) : time_hi;
  if (lo > hi) return past;
  RB_ASSIGN_OR_RETURN(std::vector<StoredRecord> records, RecordsInTimeRange(db, ns, name, lo, hi));
  // Equal broker times at either end may bring in records at or before the
  // base snapshot's position, or at or after the next one's.
  std::erase_if(records, [&](const StoredRecord& r) {
    return (base && At(r.row, base->at)) || (next && !Less(r.row, next->at));
  });
  RB_RETURN_IF_ERROR(FoldRecords(db, ns, name, records, past, stop, nullptr));
  if (with_templates) RB_RETURN_IF_ERROR(Templates(db).Fill(past.aggregate));
  return past;
}

}  // namespace

StatusOr<PastState> StateAtTime(Db& db, const std::string& ns, const std::string& name, int64_t time_ms,
                                const TimeTravelOptions& options) {
  return InReadTransaction(db, [&]() -> StatusOr<PastState> {
    std::optional<Snapshot> base, next;
    if (options.use_snapshots) {
      RB_ASSIGN_OR_RETURN(Stmt s,
                          db.Prepare("SELECT partition, offset, log_time_ms, state FROM snapshots "
                                     "WHERE namespace = ? AND name = ? AND log_time_ms <= ? "
                                     "ORDER BY log_time_ms DESC, partition DESC, offset DESC LIMIT 1"));
      s.Bind(1, ns).Bind(2, name).Bind(3, time_ms);
      RB_ASSIGN_OR_RETURN(base, ReadSnapshot(s));
      RB_ASSIGN_OR_RETURN(
          next, NextSnapshot(db, ns, name, base ? std::optional<LogPoint>(base->at) : std::nullopt));
      return FoldFromSnapshot(
          db, ns, name, base, next, time_ms, [](const ChangeRow&) { return false; }, options.with_templates);
    }
    // Without snapshots: every record in log order, up to the first one
    // later than the point.
    PastState past;
    RB_ASSIGN_OR_RETURN(std::vector<StoredRecord> records,
                        RecordsInTimeRange(db, ns, name, std::numeric_limits<int64_t>::min(), kNoLimit));
    RB_RETURN_IF_ERROR(FoldRecords(
        db, ns, name, records, past, [time_ms](const ChangeRow& r) { return r.log_time_ms > time_ms; },
        nullptr));
    return past;
  });
}

StatusOr<PastState> StateAtOffset(Db& db, const std::string& ns, const std::string& name, int32_t partition,
                                  int64_t offset, const TimeTravelOptions& options) {
  return InReadTransaction(db, [&]() -> StatusOr<PastState> {
    RB_ASSIGN_OR_RETURN(Stmt where,
                        db.Prepare("SELECT partition FROM changes WHERE namespace = ? AND name = ? "
                                   "AND partition != ? LIMIT 1"));
    where.Bind(1, ns).Bind(2, name).Bind(3, static_cast<int64_t>(partition));
    RB_ASSIGN_OR_RETURN(bool elsewhere, where.Step());
    if (elsewhere) {
      return InvalidArgument(fmt::format(
          "the records of deployment {}/{} are in partition {}, not {}: give an offset of partition {}", ns,
          name, where.Int(0), partition, where.Int(0)));
    }
    const LogPoint point{partition, offset, 0};
    auto past_point = [point](const ChangeRow& r) { return !At(r, point); };
    std::optional<Snapshot> base, next;
    if (options.use_snapshots) {
      RB_ASSIGN_OR_RETURN(Stmt s,
                          db.Prepare("SELECT partition, offset, log_time_ms, state FROM snapshots "
                                     "WHERE namespace = ? AND name = ? AND partition = ? AND offset <= ? "
                                     "ORDER BY partition DESC, offset DESC LIMIT 1"));
      s.Bind(1, ns).Bind(2, name).Bind(3, static_cast<int64_t>(partition)).Bind(4, offset);
      RB_ASSIGN_OR_RETURN(base, ReadSnapshot(s));
      RB_ASSIGN_OR_RETURN(
          next, NextSnapshot(db, ns, name, base ? std::optional<LogPoint>(base->at) : std::nullopt));
      return FoldFromSnapshot(db, ns, name, base, next, kNoLimit, past_point, options.with_templates);
    }
    PastState past;
    RB_ASSIGN_OR_RETURN(std::vector<StoredRecord> records,
                        RecordsInTimeRange(db, ns, name, std::numeric_limits<int64_t>::min(), kNoLimit));
    RB_RETURN_IF_ERROR(FoldRecords(db, ns, name, records, past, past_point, nullptr));
    return past;
  });
}

Status ReplayForward(Db& db, const std::string& ns, const std::string& name, PastState& from,
                     const ReplayLimit& limit, const std::function<Status(const ReplayStep&)>& visit) {
  return InReadTransaction(db, [&]() -> Status {
    RB_ASSIGN_OR_RETURN(Stmt s,
                        db.Prepare(fmt::format("SELECT {}, record FROM changes WHERE namespace = ? AND "
                                               "name = ? AND (partition > ? OR (partition = ? AND "
                                               "offset > ?)) ORDER BY partition, offset",
                                               kChangeRowColumns)));
    const int64_t p = from.last_record ? from.last_record->partition : -1;
    s.Bind(1, ns).Bind(2, name).Bind(3, p).Bind(4, p);
    s.Bind(5, from.last_record ? from.last_record->offset : -1);
    std::vector<StoredRecord> records;
    for (;;) {
      RB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      if (s.Int(2) > limit.until_ms) break;  // this one and everything after it is later
      StoredRecord r{ReadChangeRow(s), s.Blob(kRecordColumn)};
      if (limit.through && !At(r.row, *limit.through)) break;
      records.push_back(std::move(r));
    }
    return FoldRecords(
        db, ns, name, records, from, [](const ChangeRow&) { return false; }, visit);
  });
}

StatusOr<std::vector<ChangeRow>> ChangesOf(Db& db, const std::string& ns, const std::string& name,
                                           bool applied_only) {
  RB_ASSIGN_OR_RETURN(
      Stmt s, db.Prepare(fmt::format("SELECT {} FROM changes WHERE namespace = ? AND name = ? {} "
                                     "ORDER BY partition, offset",
                                     kChangeRowColumns, applied_only ? "AND outcome = 'applied'" : "")));
  s.Bind(1, ns).Bind(2, name);
  std::vector<ChangeRow> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(ReadChangeRow(s));
  }
  return out;
}

StatusOr<std::vector<std::pair<std::string, std::string>>> DeploymentNames(Db& db, const std::string& ns) {
  RB_ASSIGN_OR_RETURN(
      Stmt s, db.Prepare(ns.empty() ? "SELECT namespace, name FROM deployments ORDER BY namespace, name"
                                    : "SELECT namespace, name FROM deployments WHERE namespace = ? "
                                      "ORDER BY name"));
  if (!ns.empty()) s.Bind(1, ns);
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.emplace_back(s.Text(0), s.Text(1));
  }
  return out;
}

StatusOr<size_t> ForEachDeploymentAt(Db& db, const std::string& ns, int64_t time_ms,
                                     const std::function<void(const ListedAtRow&)>& fn) {
  return InReadTransaction(db, [&]() -> StatusOr<size_t> {
    RB_ASSIGN_OR_RETURN(
        Stmt count,
        db.Prepare(ns.empty()
                       ? "SELECT count(*) FROM (SELECT 1 FROM deployments LIMIT 2)"
                       : "SELECT count(*) FROM (SELECT 1 FROM deployments WHERE namespace = ? LIMIT 2)"));
    if (!ns.empty()) count.Bind(1, ns);
    RB_ASSIGN_OR_RETURN(bool counted, count.Step());
    const size_t known = counted ? static_cast<size_t>(count.Int(0)) : 0;
    // The latest checkpoint at or before the time, then the rows after it up
    // to the time: each Deployment's last row wins (listing_checkpoint.h).
    // Both checkpoint bodies (a full one and, when the latest is a delta, the
    // delta) are read in place and merged as they are decoded with the rows
    // after them: nothing is copied but those rows.
    RB_ASSIGN_OR_RETURN(OpenCheckpoint from, OpenCheckpoint::LatestAtOrBefore(db, time_ms));
    RB_ASSIGN_OR_RETURN(std::vector<CheckpointEntry> rows,
                        CheckpointRowsBetween(db, from.time_ms(), time_ms));
    const std::vector<CheckpointEntry> after = LastRowPerDeployment(std::move(rows));
    ListedAtRow row;
    Status merged = MergeCheckpoint(from.full_body(), from.delta_body(), after,
                                    [&](std::string_view n, std::string_view name, const CheckpointEntry& c) {
                                      if (!c.exists || (!ns.empty() && n != ns)) return;
                                      SetListed(row.deployment, n, name, c);
                                      row.last_record = LogPoint{c.partition, c.offset, c.log_time_ms};
                                      fn(row);
                                    });
    if (!merged.ok()) return merged.WithContext(fmt::format("checkpoint at {} ms", from.time_ms()));
    return known;
  });
}

StatusOr<DeploymentsAt> DeploymentsAtTime(Db& db, const std::string& ns, int64_t time_ms) {
  DeploymentsAt out;
  RB_ASSIGN_OR_RETURN(out.known, ForEachDeploymentAt(db, ns, time_ms, [&](const ListedAtRow& r) {
                        out.existing.push_back(ListedAt{ToSummary(r.deployment), r.last_record});
                      }));
  return out;
}

StatusOr<std::vector<EventRow>> EventsUpTo(Db& db, const std::string& ns, const std::string& name,
                                           const std::string& uid, const LogPoint& upto) {
  RB_ASSIGN_OR_RETURN(Stmt s, db.Prepare(fmt::format("{} AND (c.partition < ?4 OR (c.partition = ?5 AND "
                                                     "c.offset <= ?6)) ORDER BY e.partition, e.offset, e.seq",
                                                     kEventsOfObjectSql)));
  s.Bind(1, ns).Bind(2, name).Bind(3, uid).Bind(4, static_cast<int64_t>(upto.partition));
  s.Bind(5, static_cast<int64_t>(upto.partition)).Bind(6, upto.offset);
  std::vector<EventRow> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(EventRow{s.Text(0), s.Text(1), s.Text(2), s.Int(3)});
  }
  return out;
}

StatusOr<std::optional<ChangeRow>> RevisionRollout(Db& db, const std::string& ns, const std::string& name,
                                                   int64_t revision) {
  RB_ASSIGN_OR_RETURN(Stmt s,
                      db.Prepare(fmt::format("SELECT {} FROM changes WHERE namespace = ? AND name = ? AND "
                                             "outcome = 'applied' AND revision_after = ? AND "
                                             "revision_before != revision_after "
                                             "ORDER BY partition DESC, offset DESC LIMIT 1",
                                             kChangeRowColumns)));
  s.Bind(1, ns).Bind(2, name).Bind(3, revision);
  RB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<ChangeRow>();
  return std::optional<ChangeRow>(ReadChangeRow(s));
}

StatusOr<std::optional<int64_t>> LogTimeAt(Db& db, int32_t partition, int64_t offset) {
  RB_ASSIGN_OR_RETURN(Stmt s,
                      db.Prepare("SELECT log_time_ms FROM changes WHERE partition = ?1 AND offset = ?2 "
                                 "UNION ALL SELECT log_time_ms FROM quarantine WHERE partition = ?1 AND "
                                 "offset = ?2"));
  s.Bind(1, static_cast<int64_t>(partition)).Bind(2, offset);
  RB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(s.Int(0));
}

StatusOr<Absence> ExplainAbsence(Db& db, const std::string& ns, const std::string& name,
                                 const std::optional<LogPoint>& last_record) {
  // A create, or an apply that created: the fold's outcome message says so.
  constexpr const char* kCreated = "outcome = 'applied' AND message = 'created'";
  const LogPoint point = last_record.value_or(LogPoint{-1, -1, 0});
  auto one = [&](const std::string& where, const char* order) -> StatusOr<std::optional<ChangeRow>> {
    RB_ASSIGN_OR_RETURN(Stmt s,
                        db.Prepare(fmt::format("SELECT {} FROM changes WHERE namespace = ? AND name = ? "
                                               "AND {} ORDER BY {} LIMIT 1",
                                               kChangeRowColumns, where, order)));
    s.Bind(1, ns).Bind(2, name);
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<ChangeRow>();
    return std::optional<ChangeRow>(ReadChangeRow(s));
  };
  const std::string at_or_before =
      fmt::format("(partition < {0} OR (partition = {0} AND offset <= {1}))", point.partition, point.offset);
  Absence a;
  RB_ASSIGN_OR_RETURN(a.first_created, one(kCreated, "partition, offset"));
  RB_ASSIGN_OR_RETURN(a.deleted,
                      one(fmt::format("outcome = 'applied' AND kind = 'delete' AND {}", at_or_before),
                          "partition DESC, offset DESC"));
  RB_ASSIGN_OR_RETURN(a.created_again,
                      one(fmt::format("{} AND NOT {}", kCreated, at_or_before), "partition, offset"));
  return a;
}

}  // namespace rollbook::store
