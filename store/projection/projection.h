// The SQLite projection: current state, revisions, audit index and offsets.
//
// A projection is a pure function of the topic. ApplyBatch() folds a batch of
// log messages and advances the stored next offsets in ONE transaction, and a
// message takes effect only when its offset is >= the stored next offset of
// its partition — so any number of processes (daemon, CLI, rebuild) may
// advance the same file, and each record takes effect exactly once whatever
// crashes in between. Deleting the file loses nothing: replay rebuilds it.
//
// File format (schema version 7; `PRAGMA application_id` = 0x52424B31 "RBK1",
// `PRAGMA user_version` = 7; WAL journal, synchronous=NORMAL — a power cut may
// drop the last committed batches, which are re-applied from Kafka because the
// offsets roll back with them). Files of an older schema are refused with a
// pointer to `rollbook admin rebuild`. Query it with sqlite3:
//
//   meta(key TEXT PRIMARY KEY, value TEXT)            -- 'topic' the file follows
//   offsets(partition INTEGER PRIMARY KEY, next_offset INTEGER)
//   deployments(namespace, name, UNIQUE(namespace, name),  -- a rowid table (projection.cc)
//               version, live (0 after delete), uid, created_ms, generation,
//               replicas, updated, ready, available, revision,
//               labels_json, state BLOB,    -- state = rollbook.state.v1.Aggregate
//               chain_head BLOB)            -- hash of the last applied record
//               -- index deployments_listing(live, namespace, name, replicas,
//               -- updated, ready, available, created_ms): `get deployments`
//               -- without reading the state rows (created by
//               -- FinishBulkLoad() after a bulk load rather than updated in
//               -- every batch)
//   deployment_labels(namespace, name, key, PRIMARY KEY(...), value)
//               -- each Deployment's labels now (kept after a delete)
//   deployment_listing(key, value, namespace, name, PRIMARY KEY(...),
//               listing BLOB)   -- store/projection/listing_row.h: one row per
//               -- label of each live Deployment, with what `get deployments`
//               -- prints of it and all its labels; `-l` reads it by label
//   replica_sets(namespace, deployment, creation_seq, PRIMARY KEY(...),
//               name, deployment_uid, revision, replicas, created_ms,
//               pruned_ms NULL while live, state BLOB)  -- rollbook.state.v1.ReplicaSet;
//               pruned rows are the history revisionHistoryLimit removed
//   changes(partition, offset, PRIMARY KEY(partition, offset),   -- audit index
//               log_time_ms, record_id, namespace, name, kind, actor, host,
//               client_time_ms, command, change_cause, outcome ('applied' |
//               'rejected'), reason, message, version_before, version_after,
//               revision_before, revision_after, replicas_before, replicas_after,
//               images_before, images_after,
//               record_hash, prev_hash,      -- events/chain.h (SHA-256, raw)
//               record BLOB,                 -- the record's bytes as in the log
//               exists_after, updated_after, ready_after, available_after,
//               created_ms_after,            -- the listing columns after it
//               effective_time_ms)           -- the largest broker time of the
//               -- Deployment's records up to this one (as for snapshots):
//               -- `get deployments --at` reads the rows after a listing
//               -- checkpoint instead of folding (index
//               -- changes_by_effective_time(effective_time_ms, partition,
//               -- offset, then the listing columns): it never reads a row)
//               -- indexed for the audit queries: store/projection/audit_query.h
//   controller_events(partition, offset, seq, PRIMARY KEY(...), namespace, name,
//               deployment_uid, time_ms, type, reason, message)
//               -- a Deployment's events are found through its `changes` rows
//               -- (kEventsOfObjectSql), not an index of their own: one
//               -- fewer index to keep in a catch-up (schema 7 files made
//               -- before may still carry events_by_object; it does no harm)
//   snapshots(namespace, name, partition, offset, UNIQUE(...),  -- time travel; rowid table
//               log_time_ms, version, state BLOB)
//               -- the Deployment's Aggregate right after the record at
//               partition/offset, written when the record makes its version a
//               multiple of kSnapshotInterval and whenever the record's broker
//               time is earlier than an earlier record's of the same Deployment
//               (a "late" record: the leader's clock stepped back).
//               log_time_ms is the largest broker time of the Deployment's
//               records up to this one, so between two snapshots broker time
//               never goes back (store/projection/time_travel.h relies on it).
//               Index snapshots_by_time(namespace, name, log_time_ms).
//   templates(digest UNIQUE, template_json)         -- a rowid table
//               -- pod templates by SHA-256: every ReplicaSet in a state blob
//               -- above has template_json empty and template_digest naming
//               -- its row here (store/projection/templates.h)
//   quarantine(partition, offset, PRIMARY KEY(...), log_time_ms, key, size, reason,
//               value_hash)
//               -- records that are not valid change records
//   listing_checkpoints(time_ms INTEGER PRIMARY KEY, base_ms NULL or the
//               time of a full checkpoint, deployments, body BLOB)
//               -- store/projection/listing_checkpoint.h: the Deployments'
//               -- listing columns as of time_ms (all of them, or those
//               -- changed since base_ms), every 512 audit rows; derived
//               -- from `changes`, left out of the digest
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "events/kafka_log.h"
#include "rollbook/state/v1/aggregate.pb.h"
#include "store/projection/listing_checkpoint.h"
#include "store/projection/sqlite.h"

namespace rollbook::store {

inline constexpr int kSchemaVersion = 7;

// A snapshot every this many applied records of a Deployment: `--at` folds
// fewer than this many records after loading one. Measured on a Deployment
// with 10,000 revisions (tests/perf/time_travel_bench): a fold step costs
// ~40 us, a snapshot ~3.4 KB; 16 keeps a lookup near 1 ms of CPU (64 would be
// ~2.5 ms). Part of the file format: changing it changes the snapshots table,
// so it goes with a schema version bump.
inline constexpr uint64_t kSnapshotInterval = 16;

struct ChangeRow {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t log_time_ms = 0;
  std::string record_id, ns, name, kind, actor, host;
  int64_t client_time_ms = 0;
  std::string command, change_cause, outcome, reason, message;
  int64_t version_before = 0, version_after = 0;
  int64_t revision_before = 0, revision_after = 0;
  int64_t replicas_before = 0, replicas_after = 0;
  std::string images_before, images_after;
  std::string record_hash, prev_hash;  // events/chain.h
  // The Deployment as `get deployments` lists it right after this record, and
  // the record's effective time (see `changes` above). Written, not read back
  // by ReadChangeRow: DeploymentsAtTime (time_travel.h) reads them.
  int64_t exists_after = 0, updated_after = 0, ready_after = 0, available_after = 0;
  int64_t created_ms_after = 0, effective_time_ms = 0;
};

// The columns of `changes` that make a ChangeRow, in field order, for
// "SELECT {kChangeRowColumns} FROM changes ..."; ReadChangeRow reads them back
// from a row selected that way (columns 0..24).
inline constexpr char kChangeRowColumns[] =
    "partition, offset, log_time_ms, record_id, namespace, name, kind, actor, host, client_time_ms, command, "
    "change_cause, outcome, reason, message, version_before, version_after, revision_before, revision_after, "
    "replicas_before, replicas_after, images_before, images_after, record_hash, prev_hash";
inline constexpr int kChangeRowColumnCount = 25;
ChangeRow ReadChangeRow(const Stmt& s);
// The same into `r`, reusing its strings' buffers: a loop over many rows
// allocates only when a value outgrows the longest one before it.
void ReadChangeRowInto(const Stmt& s, ChangeRow& r);

// The events of a Deployment incarnation, found through its audit rows
// (index changes_by_object) and each row's events by primary key; binds
// namespace, name and deployment_uid. Callers add conditions on c and an
// ORDER BY (the rows come in the index's order, not the log's).
inline constexpr char kEventsOfObjectSql[] =
    "SELECT e.type, e.reason, e.message, e.time_ms FROM changes AS c CROSS JOIN controller_events AS e "
    "ON e.partition = c.partition AND e.offset = c.offset WHERE c.namespace = ?1 AND c.name = ?2 AND "
    "e.deployment_uid = ?3";

struct EventRow {
  std::string type, reason, message;
  int64_t time_ms = 0;
};

struct HistoryRow {  // one ReplicaSet, live or pruned
  state::v1::ReplicaSet rs;
  std::optional<int64_t> pruned_ms;
};

struct BatchStats {
  int64_t applied = 0;      // folded (applied or rejected by the fold)
  int64_t skipped = 0;      // below the stored offset: applied before
  int64_t quarantined = 0;  // not a valid change record
};

// The writer behind ApplyBatch (projection.cc): the fold, the row writes and
// the cache of aggregates it keeps across batches.
class ProjectionWriter;

// Default bound of the aggregate cache (Projection::Options), in serialized
// bytes of the cached aggregates; see projection.cc for how it was chosen.
inline constexpr size_t kDefaultAggregateCacheBytes = size_t{64} << 20;

class Projection {
 public:
  struct Options {
    std::string path;
    std::string topic = "rollbook.events";
    bool create = true;
    // For `admin rebuild` into a fresh private file: no journal, no syncs,
    // exclusive lock. A crash leaves garbage, which is why it is only used on
    // a temporary file that is fsynced and renamed into place at the end.
    // Refused on a file that already holds a projection. The secondary
    // indexes are built by FinishBulkLoad(), and a failed batch makes every
    // later call fail (the in-memory bookkeeping no longer matches the file).
    bool bulk_load = false;
    // Run the row writes of a bulk load, and of batches of 128 records or
    // more, on a thread of their own (write_queue.h) while this one folds:
    // the file is the same either way, and a batch outside a bulk load is
    // still committed when ApplyBatch returns. In a bulk load a write's
    // failure may be returned by a later ApplyBatch() or by FinishBulkLoad()
    // rather than by the batch that made it.
    bool write_thread = true;
    // Aggregates stay parsed in memory across batches, least recently used
    // evicted past this many serialized bytes. The cache is dropped whenever
    // another connection committed to the file since this one's last batch
    // (`PRAGMA data_version`), and after a failed batch, so it never serves
    // a state the file no longer holds. In a bulk load the rows of cached
    // aggregates are written when they are evicted and by FinishBulkLoad(),
    // not at every batch: until then the file's `deployments`,
    // `deployment_labels` and live `replica_sets` rows lag behind.
    size_t aggregate_cache_bytes = kDefaultAggregateCacheBytes;
    // Audit rows between two listing checkpoints (listing_checkpoint.h;
    // tests make it small so that a short log has many).
    int64_t listing_checkpoint_every = kListingCheckpointEvery;
    // Deployments whose latest broker time the writer remembers outside a bulk
    // load; past it, it starts afresh from the file (tests make it small).
    size_t max_log_time_entries = 100000;
    // With the write thread, outside a bulk load: a batch of 128 records or
    // more is folded while the previous one's writes and COMMIT still run,
    // so ApplyBatch may return before its batch is committed. It is
    // committed by the write thread shortly after, in order; Sync() waits
    // for that. For the projector daemon, which needs no batch committed on
    // return: a crash first loses only what the log still holds, and the
    // offsets stored with it say where to resume. Another connection's
    // commit between two batches is caught inside the next batch's
    // transaction (`PRAGMA data_version` after its BEGIN), which is then
    // rolled back and applied again from the file, so the cache never
    // serves a stale state. A failed write or COMMIT of a batch may be
    // returned by the next ApplyBatch() or Sync(); that batch is then not
    // in the file either, and ApplyBatch() refuses to go on until
    // NextOffsets() was called to learn where to resume.
    bool pipelined_commits = false;
  };
  static StatusOr<std::unique_ptr<Projection>> Open(const Options& options);

  // Next offset to apply for partitions [0, partitions); 0 when never applied.
  // With pipelined commits, waits for the batch in flight first: a batch
  // that failed to commit is not counted.
  StatusOr<std::vector<int64_t>> NextOffsets(int32_t partitions);

  // Waits until every batch ApplyBatch returned is committed (at once
  // without pipelined commits); the failure of one that was not.
  Status Sync();

  StatusOr<BatchStats> ApplyBatch(const std::vector<events::LogMessage>& batch);

  // Ends a bulk load: writes the rows of the aggregates still cached, builds
  // the secondary indexes and switches the file to a rollback journal (so no WAL is left beside it), ready to
  // be closed, fsynced and renamed into place.
  Status FinishBulkLoad();

  StatusOr<std::optional<state::v1::Aggregate>> GetAggregate(const std::string& ns, const std::string& name);
  // GetAggregate and ListAggregates return ReplicaSets with their templates.
  // Live Deployments, sorted by namespace then name; all namespaces when ns is empty.
  StatusOr<std::vector<state::v1::Aggregate>> ListAggregates(const std::string& ns);
  StatusOr<std::optional<ChangeRow>> GetChange(int32_t partition, int64_t offset);
  // Events of the Deployment incarnation `uid`, oldest first.
  StatusOr<std::vector<EventRow>> Events(const std::string& ns, const std::string& name,
                                         const std::string& uid);

  // The writer's connection (serialized when there is a write thread).
  Db& db() { return *db_; }
  // The connection for read-only queries (the CLI's verbs): the writer's own
  // when it is not serialized or in a bulk load; otherwise a second,
  // unserialized connection to the same file, opened on first use, which
  // sees everything ApplyBatch has committed. SQLite locking a serialized
  // connection around every call was 10-16% of a listing or audit query. If
  // the second connection cannot be opened, the writer's serves.
  // Single-threaded, like the writer's outside ApplyBatch.
  Db& query_db();

  ~Projection();
  Projection(const Projection&) = delete;
  Projection& operator=(const Projection&) = delete;

 private:
  explicit Projection(std::unique_ptr<Db> db);
  Status Init(const Options& options, bool fresh);
  // One attempt at ApplyBatch's batch; the caller rolls back on failure.
  Status ApplyOnce(const std::vector<events::LogMessage>& batch, bool may_pipeline, BatchStats& stats);
  std::unique_ptr<Db> db_;
  std::unique_ptr<Db> query_db_;  // see query_db()
  bool serialized_ = false;
  std::unique_ptr<ProjectionWriter> writer_;
  bool bulk_load_ = false;
  bool bulk_failed_ = false;
  // A pipelined batch failed after ApplyBatch returned: the caller must
  // resume from NextOffsets() (see Options::pipelined_commits).
  bool resume_needed_ = false;
  int64_t listing_checkpoint_every_ = kListingCheckpointEvery;
};

// Images of every container in a canonical template, "name=image" joined by ",".
std::string ImagesOf(const std::string& template_json);

// The deployments.state blob of `agg`: its fields other than replica_sets,
// then replica_sets_bytes[i] as entry i of replica_sets (field 8). Parses to
// `agg` (protobuf accepts fields in any order); the writer passes the bytes it
// already serialized for the replica_sets rows instead of serializing every
// ReplicaSet a second time. `agg` is left as it was.
std::string AggregateBlob(state::v1::Aggregate& agg, const std::vector<std::string>& replica_sets_bytes);

// The plain columns of a `deployments` row, which the writer derives from the
// row's state and `get deployments` reads without it; `verify` compares them
// with a replay.
struct DeploymentRowColumns {
  int64_t version = 0, live = 0, created_ms = 0, generation = 0;
  int64_t replicas = 0, updated = 0, ready = 0, available = 0, revision = 0;
  std::string uid, labels_json, chain_head;
  bool operator==(const DeploymentRowColumns&) const = default;
};
DeploymentRowColumns RowColumnsOf(const state::v1::Aggregate& agg);
// The row's columns (version, live, ... chain_head) from column `first` of a
// statement selecting them in that order.
DeploymentRowColumns ReadRowColumns(const Stmt& s, int first);
inline constexpr char kDeploymentRowColumns[] =
    "version, live, uid, created_ms, generation, replicas, updated, ready, available, revision, labels_json, "
    "chain_head";
// Names of the columns where `a` and `b` differ, joined by ", ".
std::string DifferingColumns(const DeploymentRowColumns& a, const DeploymentRowColumns& b);

}  // namespace rollbook::store
