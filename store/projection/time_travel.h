// Time travel: a Deployment's state as it was at a past point of the log.
//
// The state "as of" a point is the fold (store/fold/fold.h) of the
// Deployment's records up to that point, in log order — recomputed from the
// record bytes the projection keeps in `changes.record`, never guessed from the
// audit columns. A point is either
//   * a broker time T (Kafka LogAppendTime, the only clock the fold sees): every
//     record whose broker time, or an earlier record's, is later than T is left
//     out — so if a leader's clock stepped back, a "late" record counts at the
//     time of the latest record before it (like Kafka's own time index); or
//   * a log position PARTITION:OFFSET: every record of the Deployment at or
//     before that offset (a Deployment's records are all in one partition).
//
// Cost: the projection keeps a snapshot of each Deployment every
// kSnapshotInterval applied records (projection.h), so a lookup loads the
// nearest snapshot at or before the point and folds at most that many records:
// independent of the length of the history. Replays check that each record's
// outcome equals the one the projection recorded (DataLoss otherwise: the
// file is inconsistent with itself and `rollbook admin rebuild` repairs it).
//
// Everything here only reads the database; all functions are safe while a
// projector writes (each runs in one read transaction).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "rollbook/state/v1/aggregate.pb.h"
#include "rollbook/v1/change_record.pb.h"
#include "store/fold/fold.h"
#include "store/projection/deployment_query.h"
#include "store/projection/projection.h"
#include "store/projection/sqlite.h"

namespace rollbook::store {

// A record's place in the log.
struct LogPoint {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t log_time_ms = 0;  // broker time of that record
  bool operator==(const LogPoint&) const = default;
};

struct PastState {
  // The state then. exists() is false before the Deployment was created and
  // after it was deleted; version() counts the records applied until then.
  state::v1::Aggregate aggregate;
  // The last record of the Deployment at or before the point (applied or
  // rejected); empty when the Deployment had no record yet.
  std::optional<LogPoint> last_record;
  // How it was computed (tests, benchmarks): the snapshot the replay started
  // from, if any, and the number of records folded after it.
  std::optional<LogPoint> snapshot;
  int64_t records_folded = 0;
};

struct TimeTravelOptions {
  bool use_snapshots = true;  // false: fold from the first record (tests)
  // false: ReplicaSets may come with only their template digests
  // (templates.h), for a caller that shows no template (`get deployments
  // --at` over every Deployment skips ~11 lookups per Deployment).
  bool with_templates = true;
};

// State of ns/name as of broker time `time_ms` (Unix ms, inclusive).
StatusOr<PastState> StateAtTime(Db& db, const std::string& ns, const std::string& name, int64_t time_ms,
                                const TimeTravelOptions& options = {});

// State of ns/name after the record at `partition`/`offset` (inclusive; the
// position need not be a record of this Deployment). InvalidArgument when
// the Deployment's records are in another partition.
StatusOr<PastState> StateAtOffset(Db& db, const std::string& ns, const std::string& name, int32_t partition,
                                  int64_t offset, const TimeTravelOptions& options = {});

// One Deployment as `get deployments --at` lists it, and where it was read.
struct ListedAt {
  DeploymentSummary summary;  // no state
  LogPoint last_record;       // the Deployment's last record at or before the time
};
struct DeploymentsAt {
  std::vector<ListedAt> existing;  // the ones that existed then
  size_t known = 0;                // Deployments the projection has (now), counted up to 2
};

// What StateAtTime would give for each Deployment of `ns` (all namespaces when
// empty) that existed at `time_ms`, reduced to the listing columns: the latest
// listing checkpoint at or before that time and the audit rows after it
// (store/projection/listing_checkpoint.h) instead of folding from a
// snapshot. Sorted by namespace, then name.
StatusOr<DeploymentsAt> DeploymentsAtTime(Db& db, const std::string& ns, int64_t time_ms);

// One row of ForEachDeploymentAt; ns and name are valid during the call only.
struct ListedAtRow {
  ListedDeployment deployment;  // its state is left empty
  LogPoint last_record;
};
// The same rows, in the same order, handed to `fn` one at a time as they are
// decoded: nothing is copied for a row the caller does not keep (a listing
// of ten thousand Deployments builds ten thousand rows of strings otherwise).
// Returns DeploymentsAt::known. A failure can come after some rows.
StatusOr<size_t> ForEachDeploymentAt(Db& db, const std::string& ns, int64_t time_ms,
                                     const std::function<void(const ListedAtRow&)>& fn);

// One record of a replay, with the state right after it.
struct ReplayStep {
  const ChangeRow& change;  // the audit row of the record
  const v1::ChangeRecord& record;
  const fold::FoldResult& result;
  const state::v1::Aggregate& before;
  const state::v1::Aggregate& after;
};

// Where ReplayForward stops: after the last record at broker time <= until_ms
// (same rule as StateAtTime) and at or before `through`, when given.
struct ReplayLimit {
  int64_t until_ms = std::numeric_limits<int64_t>::max();
  std::optional<LogPoint> through = std::nullopt;
};

// Folds the Deployment's records that come after `from` (its last_record; all
// of them when it has none) in log order, up to `limit`, calling `visit` after
// each one. `from` advances as it goes. A visit error stops the replay and is
// returned. For blame, diff and report, which need every step.
Status ReplayForward(Db& db, const std::string& ns, const std::string& name, PastState& from,
                     const ReplayLimit& limit, const std::function<Status(const ReplayStep&)>& visit);

// The Deployment's records as audit rows, oldest first (log order).
// `applied_only` keeps the records the fold applied.
StatusOr<std::vector<ChangeRow>> ChangesOf(Db& db, const std::string& ns, const std::string& name,
                                           bool applied_only = false);

// Names of every Deployment of namespace `ns` that ever had a record (all
// namespaces when empty), as (namespace, name), sorted.
StatusOr<std::vector<std::pair<std::string, std::string>>> DeploymentNames(Db& db, const std::string& ns);

// Controller events of the incarnation `uid` emitted at or before `upto`,
// oldest first.
StatusOr<std::vector<EventRow>> EventsUpTo(Db& db, const std::string& ns, const std::string& name,
                                           const std::string& uid, const LogPoint& upto);

// The applied record after which the Deployment's current revision became
// `revision` (deployment.kubernetes.io/revision), the latest one when a
// delete and re-create numbered from 1 again; nullopt when it never did.
// Works for revisions that revisionHistoryLimit pruned or a rollback renumbered.
StatusOr<std::optional<ChangeRow>> RevisionRollout(Db& db, const std::string& ns, const std::string& name,
                                                   int64_t revision);

// Broker time of the record at partition/offset (any Deployment, or a
// quarantined record); nullopt when the projection has no such record.
StatusOr<std::optional<int64_t>> LogTimeAt(Db& db, int32_t partition, int64_t offset);

// Why ns/name does not exist at a point, for error messages: the record that
// created it first (if any), the applied delete at or before the point and the
// next (re-)creation after it.
struct Absence {
  std::optional<ChangeRow> first_created;  // first applied create of all time
  std::optional<ChangeRow> deleted;        // last applied delete at or before the point
  std::optional<ChangeRow> created_again;  // first applied create after the point
};
StatusOr<Absence> ExplainAbsence(Db& db, const std::string& ns, const std::string& name,
                                 const std::optional<LogPoint>& last_record);

}  // namespace rollbook::store
