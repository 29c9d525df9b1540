#include "store/projection/projection.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <limits>
#include <list>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>

#include "base/failpoint.h"
#include "events/chain.h"
#include "events/codec.h"
#include "store/fold/fold.h"
#include "store/projection/listing_checkpoint.h"
#include "store/projection/listing_row.h"
#include "store/projection/templates.h"
#include "store/projection/write_queue.h"

namespace rollbook::store {

namespace {

constexpr int64_t kApplicationId = 0x52424B31;  // "RBK1"

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS offsets(partition INTEGER PRIMARY KEY, next_offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deployments(
  namespace TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, live INTEGER NOT NULL,
  uid TEXT NOT NULL, created_ms INTEGER NOT NULL, generation INTEGER NOT NULL,
  replicas INTEGER NOT NULL, updated INTEGER NOT NULL, ready INTEGER NOT NULL, available INTEGER NOT NULL,
  revision INTEGER NOT NULL, labels_json TEXT NOT NULL, state BLOB NOT NULL, chain_head BLOB NOT NULL,
  UNIQUE(namespace, name));
CREATE TABLE IF NOT EXISTS deployment_labels(
  namespace TEXT NOT NULL, name TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(namespace, name, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deployment_listing(
  key TEXT NOT NULL, value TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, listing BLOB NOT NULL,
  PRIMARY KEY(key, value, namespace, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS replica_sets(
  namespace TEXT NOT NULL, deployment TEXT NOT NULL, creation_seq INTEGER NOT NULL,
  name TEXT NOT NULL, deployment_uid TEXT NOT NULL, revision INTEGER NOT NULL, replicas INTEGER NOT NULL,
  created_ms INTEGER NOT NULL, pruned_ms INTEGER, state BLOB NOT NULL,
  PRIMARY KEY(namespace, deployment, creation_seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes(
  partition INTEGER NOT NULL, offset INTEGER NOT NULL, log_time_ms INTEGER NOT NULL,
  record_id TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
  actor TEXT NOT NULL, host TEXT NOT NULL, client_time_ms INTEGER NOT NULL, command TEXT NOT NULL,
  change_cause TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL,
  version_before INTEGER NOT NULL, version_after INTEGER NOT NULL,
  revision_before INTEGER NOT NULL, revision_after INTEGER NOT NULL,
  replicas_before INTEGER NOT NULL, replicas_after INTEGER NOT NULL,
  images_before TEXT NOT NULL, images_after TEXT NOT NULL,
  record_hash BLOB NOT NULL, prev_hash BLOB NOT NULL, record BLOB NOT NULL,
  exists_after INTEGER NOT NULL, updated_after INTEGER NOT NULL, ready_after INTEGER NOT NULL,
  available_after INTEGER NOT NULL, created_ms_after INTEGER NOT NULL, effective_time_ms INTEGER NOT NULL,
  PRIMARY KEY(partition, offset)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS controller_events(
  partition INTEGER NOT NULL, offset INTEGER NOT NULL, seq INTEGER NOT NULL,
  namespace TEXT NOT NULL, name TEXT NOT NULL, deployment_uid TEXT NOT NULL, time_ms INTEGER NOT NULL,
  type TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY(partition, offset, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots(
  namespace TEXT NOT NULL, name TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
  log_time_ms INTEGER NOT NULL, version INTEGER NOT NULL, state BLOB NOT NULL,
  UNIQUE(namespace, name, partition, offset));
CREATE TABLE IF NOT EXISTS templates(digest BLOB NOT NULL UNIQUE, template_json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS listing_checkpoints(
  time_ms INTEGER PRIMARY KEY, base_ms INTEGER, deployments INTEGER NOT NULL, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS quarantine(
  partition INTEGER NOT NULL, offset INTEGER NOT NULL, log_time_ms INTEGER NOT NULL,
  key BLOB NOT NULL, size INTEGER NOT NULL, reason TEXT NOT NULL, value_hash BLOB NOT NULL,
  PRIMARY KEY(partition, offset)) WITHOUT ROWID;
)sql";

// The secondary indexes. A bulk load creates them at the end, from sorted
// data, instead of inserting into them at random for every record: at a
// million records those random inserts were most of the rebuild's B-tree work.
constexpr const char* kIndexes = R"sql(
CREATE INDEX IF NOT EXISTS changes_by_object ON changes(namespace, name, log_time_ms);
CREATE INDEX IF NOT EXISTS changes_by_time ON changes(log_time_ms);
CREATE INDEX IF NOT EXISTS changes_by_namespace_time ON changes(namespace, log_time_ms);
CREATE INDEX IF NOT EXISTS changes_by_actor ON changes(actor, log_time_ms);
-- the audit rows in effective-time order with the listing columns, for listing
-- checkpoints and the rows after one (listing_checkpoint.h): a `get --at` reads
-- no changes row.
CREATE INDEX IF NOT EXISTS changes_by_effective_time ON changes(effective_time_ms, partition, offset,
  namespace, name, exists_after, replicas_after, updated_after, ready_after, available_after,
  created_ms_after, log_time_ms);
CREATE INDEX IF NOT EXISTS replica_sets_by_revision ON replica_sets(namespace, deployment, deployment_uid, revision);
CREATE INDEX IF NOT EXISTS snapshots_by_time ON snapshots(namespace, name, log_time_ms);
-- read side only (store/projection/deployment_query.h)
CREATE INDEX IF NOT EXISTS deployments_listing
  ON deployments(live, namespace, name, replicas, updated, ready, available, created_ms);
)sql";

// Page size of new files. Rows of `changes` and `replica_sets` (~1 KB) are
// larger than what a 4 KiB page keeps inline in a WITHOUT ROWID table, so each
// took a whole overflow page; 16 KiB pages keep them inline and make the
// B-trees shallower. Existing files keep their page size.
//
// `deployments` and `snapshots` hold Aggregates of 3-15 KB: past ~4 KB a
// WITHOUT ROWID row spills into a 16 KiB overflow page of its own, while an
// ordinary (rowid) table keeps up to ~16 KB inline. So those two are rowid
// tables with their key as a UNIQUE constraint: a snapshot appends to the end
// of its table, and a Deployment row is rewritten in place (an upsert keeps
// its rowid). At 1M records that took `snapshots` from 949 to 320 MiB.
constexpr int kPageSize = 16384;

int64_t CurrentRevision(const state::v1::Aggregate& agg) {
  static const std::string kKey = "deployment.kubernetes.io/revision";  // longer than SSO: built once
  const auto& ann = agg.deployment().metadata().annotations();
  auto it = ann.find(kKey);
  if (it == ann.end()) return 0;
  try {
    return std::stoll(it->second);
  } catch (...) {
    return 0;
  }
}

std::string LabelsJson(const state::v1::Aggregate& agg) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : agg.deployment().metadata().labels()) j[k] = v;
  return j.dump();
}

// What a ReplicaSet row holds, remembered without keeping a copy of it: the
// length and a 64-bit hash of its deterministic bytes. A changed row whose
// bytes had the same length and hash would not be rewritten; at 2^-64 per
// comparison that is far below the rate of undetected disk errors, and
// `rollbook verify` would report the row.
struct RowFingerprint {
  size_t size = 0;
  size_t hash = 0;
  bool operator==(const RowFingerprint&) const = default;
};
RowFingerprint FingerprintOf(std::string_view bytes) {
  return {bytes.size(), std::hash<std::string_view>{}(bytes)};
}

// What a cache entry costs beyond its serialized aggregate (the parsed
// message's overhead, the key, the fingerprints), counted so that entries of
// Deployments that never existed are not free.
constexpr size_t kCacheEntryOverhead = 512;

}  // namespace

// One Deployment the writer holds in memory.
struct CachedAggregate {
  std::string key;  // events::RecordKey
  state::v1::Aggregate agg;
  // What the file holds for it: the live ReplicaSet rows (creation_seq ->
  // fingerprint), their deployment uid and the labels, so that a write-out
  // rewrites only the ReplicaSet rows that changed. A hot Deployment keeps
  // ~11 ReplicaSets and a record changes one or two; rewriting them all was
  // a quarter of the rebuild.
  std::unordered_map<uint64_t, RowFingerprint> stored_rs;
  std::string stored_uid;
  std::string stored_labels_json = "{}";
  // Its deployment_listing rows' value (listing_row.h); empty: it has none.
  std::string stored_listing;
  bool dirty = false;  // changed since its rows were last written
  size_t bytes = 0;    // serialized size when last measured: the cache's currency
  // ImagesOf() of the template with this fingerprint: the template rarely
  // changes between two records of a Deployment.
  RowFingerprint images_template;
  std::string images;
  // The revision (and, while it exists, the images) the last record applied
  // here left it with: the next record's "before" audit columns. Only Apply()
  // changes a cached aggregate, and it sets these after the fold; a freshly
  // loaded one computes them.
  bool after_known = false;
  int64_t revision_after = 0;
  std::list<CachedAggregate*>::iterator lru;
};

// Folds batches into the file. It lives as long as its Projection and keeps
// the aggregates it loaded or changed (see Projection::Options), so a record
// usually finds its Deployment in memory instead of loading and parsing its
// row; loading and writing whole aggregates was most of a rebuild.
//
// With a write thread (Options::write_thread, a serialized connection), in
// a bulk load and in batches of at least kQueuedBatchMin records, every
// statement that writes goes through Write() to the WriteQueue and runs there
// in order, while this thread folds on. Rows and templates queued but not yet
// written are kept here (pending_rows_, pending_templates_) and served from
// memory; everything older is read from the connection, which already holds
// it. Outside a bulk load, Commit() waits for the batch's writes and COMMIT,
// so a batch is still committed when ApplyBatch returns — unless commits are
// pipelined (Options::pipelined_commits): then Commit() only queues them, the
// next batch's BEGIN and a check that no other connection committed in
// between follow on the write thread, and the folding thread goes on with
// the next batch at once. A 50,000-record batch of a daemon catching up
// spent up to a third of its time waiting in Commit() (docs/benchmarks.md).
class ProjectionWriter {
 public:
  // Smaller batches (a CLI catching up with a few records) write inline: the
  // hand-over would cost more than it overlaps.
  static constexpr size_t kQueuedBatchMin = 128;

  ProjectionWriter(Db& db, bool bulk_load, size_t cache_bytes, bool write_thread, int64_t checkpoint_every,
                   size_t max_log_time_entries, bool pipelined)
      : db_(db),
        bulk_load_(bulk_load),
        cache_bytes_(cache_bytes),
        write_thread_(write_thread),
        pipelined_(pipelined && write_thread && !bulk_load),
        templates_(db),
        checkpoint_every_(checkpoint_every),
        max_log_time_entries_(max_log_time_entries) {
    if (!write_thread) return;
    templates_.Defer({.insert = [this](const std::string& digest,
                                       const std::string& text) { return QueueTemplate(digest, text); },
                      .lookup = [this](const std::string& digest) -> const std::string* {
                        auto it = pending_templates_.find(digest);
                        return it == pending_templates_.end() ? nullptr : it->second.bytes.get();
                      }});
  }

  // Starts a batch's transaction. Anything another connection committed since
  // this writer's last batch makes the cache stale, so it is dropped; after
  // a pipelined commit that is only known on the write thread, and a stale
  // batch fails there (TakeStale()) to be applied again with
  // may_pipeline = false.
  Status Begin(size_t batch_size, bool may_pipeline) {
    dirty_offsets_ = false;
    // The queue is idle here, but for a pipelined commit still in flight: a
    // bulk load always queues, and any other batch waited for its writes in
    // Commit().
    queued_ = write_thread_ && (bulk_load_ || batch_size >= kQueuedBatchMin);
    if (queued_ && !queue_) {
      queue_ =
          std::make_unique<WriteQueue>(db_, pipelined_ ? kPipelinedQueuedJobs : WriteQueue::kMaxQueuedJobs);
    }
    // A rollback's template is read on this thread while the write thread
    // holds the shared connection (measured: 5% of a WAL catch-up's folding
    // thread waiting for its mutex). Committed templates are read through a
    // connection of their own; this batch's are still pending_templates_.
    // (A bulk load's file is locked exclusively: no other connection.)
    if (queued_ && !bulk_load_ && !template_reader_) {
      StatusOr<std::unique_ptr<Db>> reader = Db::Open(db_.path(), /*create=*/false, /*read_only=*/true);
      if (reader.ok()) template_reader_ = std::move(*reader);  // else Fill() reads through db_
    }
    templates_.ReadFirstFrom(queued_ && !bulk_load_ ? template_reader_.get() : nullptr);
    templates_.PauseWhileReading(queued_ ? queue_.get() : nullptr);
    if (bulk_load_) {
      // An exclusive lock: no other writer, so next_ and the cache stay exact.
      ForgetWritten();
      return Write(RowWrite::Exec("BEGIN IMMEDIATE"));
    }
    if (queued_ && may_pipeline && commit_in_flight_) {
      // The previous batch's COMMIT is still queued; this BEGIN runs after
      // it. Until the check has run, this thread keeps next_ and the cache
      // as the previous batch left them, and reads through the connection
      // see that batch (written or committed, the connection holds it).
      stale_.store(false, std::memory_order_relaxed);
      // Leave the lock free for a moment: a CLI waiting for it polls every
      // few milliseconds (Db::SetBusyTimeout), and a COMMIT followed at once
      // by the next BEGIN would never let it in.
      RB_RETURN_IF_ERROR(Write(RowWrite::Call([this](Db&) {
        std::this_thread::sleep_until(committed_at_ + kLockGap);
        return Status::Ok();
      })));
      RB_RETURN_IF_ERROR(Write(RowWrite::Exec("BEGIN IMMEDIATE")));
      const int64_t expected = seen_data_version_;
      return Write(
          RowWrite::Call([this, expected](Db&) -> Status {
            RB_ASSIGN_OR_RETURN(int64_t version, DataVersion(queued_data_version_));
            if (version == expected) return Status::Ok();
            stale_.store(true, std::memory_order_relaxed);
            return Conflict("another connection committed to the projection during a pipelined batch");
          }),
          &check_seq_);
    }
    RB_RETURN_IF_ERROR(Settle());
    RB_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
    next_.clear();
    RB_ASSIGN_OR_RETURN(const int64_t version, DataVersion(data_version_));
    if (version != seen_data_version_) {
      DropCache();
      RB_ASSIGN_OR_RETURN(latest_checkpoint_ms_, LatestCheckpointTime());
      RB_ASSIGN_OR_RETURN(Stmt * m, Statement(max_effective_, "SELECT max(effective_time_ms) FROM changes"));
      RB_ASSIGN_OR_RETURN(bool any, m->Step());
      max_effective_time_ = any && !m->IsNull(0) ? m->Int(0) : INT64_MIN;
      m->Reset();
      if (seen_data_version_ == -1) {
        // Rows another process applied since the last checkpoint count
        // toward the next one (bounded: only whether a stretch is full matters).
        RB_ASSIGN_OR_RETURN(Stmt * c, Statement(rows_after_checkpoint_,
                                                "SELECT count(*) FROM (SELECT 1 FROM changes WHERE "
                                                "effective_time_ms > ? LIMIT ?)"));
        c->Bind(1, latest_checkpoint_ms_).Bind(2, checkpoint_every_);
        RB_ASSIGN_OR_RETURN(bool counted, c->Step());
        rows_since_checkpoint_ = counted ? c->Int(0) : 0;
        c->Reset();
      }
    }
    seen_data_version_ = version;
    return Status::Ok();
  }

  // Whether a pipelined batch's transaction found that another connection
  // had committed before it began (the batch was failed; see Begin()).
  // Only once the queue is idle (after Rollback()).
  bool TakeStale() { return stale_.exchange(false); }
  bool CommitInFlight() const { return commit_in_flight_; }

  // Waits for a pipelined batch's writes and COMMIT. On a failure that
  // batch is rolled back: it is not in the file.
  Status Settle() {
    if (!commit_in_flight_) return Status::Ok();
    Status s = queue_->Drain();
    commit_in_flight_ = false;
    if (!s.ok()) {
      Rollback();
      return s.WithContext("committing an earlier batch");
    }
    ForgetWritten();
    return TakeExtension();
  }

  // `PRAGMA data_version` through `slot` (one per thread that asks).
  StatusOr<int64_t> DataVersion(std::optional<Stmt>& slot) {
    RB_ASSIGN_OR_RETURN(Stmt * s, Statement(slot, "PRAGMA data_version"));
    RB_ASSIGN_OR_RETURN(bool row, s->Step());
    const int64_t version = row ? s->Int(0) : -1;
    s->Reset();
    return version;
  }

  // The time of the latest listing checkpoint, INT64_MIN when there is none.
  StatusOr<int64_t> LatestCheckpointTime() {
    RB_ASSIGN_OR_RETURN(Stmt * s,
                        Statement(latest_checkpoint_, "SELECT max(time_ms) FROM listing_checkpoints"));
    RB_ASSIGN_OR_RETURN(bool row, s->Step());
    const int64_t t = row && !s->IsNull(0) ? s->Int(0) : INT64_MIN;
    s->Reset();
    return t;
  }

  // A row at effective time `time_ms` belongs in every checkpoint at or after
  // that time, which were built without it (a partition applied late): they
  // go, in this transaction (listing_checkpoint.h). A bulk load builds its
  // checkpoints at the end (Projection::FinishBulkLoad).
  Status KeepListingCheckpoints(int64_t time_ms) {
    if (bulk_load_) return Status::Ok();
    // A pipelined extension still running can only have placed checkpoints
    // up to extension_bound_ms_; a later row needs no answer from it yet.
    if (extension_seq_ != 0 && (time_ms <= extension_bound_ms_ || queue_->Completed() >= extension_seq_)) {
      RB_RETURN_IF_ERROR(TakeExtension());
    }
    max_effective_time_ = std::max(max_effective_time_, time_ms);
    ++rows_since_checkpoint_;
    if (time_ms > latest_checkpoint_ms_) return Status::Ok();
    RowWrite w = Row(&drop_checkpoints_, "DELETE FROM listing_checkpoints WHERE time_ms >= ?");
    w.values.Int(time_ms);
    RB_RETURN_IF_ERROR(Write(std::move(w)));
    latest_checkpoint_ms_ = time_ms - 1;         // an upper bound of what is left
    rows_since_checkpoint_ = checkpoint_every_;  // rebuild the ones dropped at commit
    return Status::Ok();
  }

  StatusOr<int64_t> NextOffset(int32_t partition) {
    auto it = next_.find(partition);
    if (it != next_.end()) return it->second;
    RB_ASSIGN_OR_RETURN(Stmt * s,
                        Statement(next_offset_, "SELECT next_offset FROM offsets WHERE partition = ?"));
    s->Bind(1, static_cast<int64_t>(partition));
    RB_ASSIGN_OR_RETURN(bool row, s->Step());
    const int64_t next = row ? s->Int(0) : 0;
    s->Reset();
    next_[partition] = next;
    return next;
  }

  StatusOr<CachedAggregate*> Aggregate(const std::string& ns, const std::string& name) {
    std::string key = events::RecordKey(ns, name);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
      return &it->second;
    }
    RB_RETURN_IF_ERROR(EvictDownTo(cache_bytes_));
    std::optional<std::string> stored;
    if (auto p = pending_rows_.find(key); p != pending_rows_.end()) {
      stored = *p->second.bytes;  // its write-out is still queued
    } else {
      const WriteQueue::Paused paused(queued_ ? queue_.get() : nullptr);  // see write_queue.h
      RB_ASSIGN_OR_RETURN(Stmt * s,
                          Statement(load_, "SELECT state FROM deployments WHERE namespace = ? AND name = ?"));
      s->Bind(1, ns).Bind(2, name);
      RB_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) stored = s->Blob(0);
      s->Reset();  // release the read cursor before the writes of this batch
    }
    CachedAggregate c;
    c.bytes = kCacheEntryOverhead;
    if (stored) {
      const std::string& blob = *stored;
      c.bytes += blob.size();
      if (!c.agg.ParseFromString(blob)) return DataLoss(fmt::format("corrupt state of {}/{}", ns, name));
      // The rows of the live ReplicaSets equal the aggregate's copies: both
      // are written by the same write-out.
      for (const auto& rs : c.agg.replica_sets())
        c.stored_rs.emplace(rs.creation_seq(), FingerprintOf(fold::CanonicalBytes(rs)));
      c.stored_uid = c.agg.uid();
      c.stored_labels_json = LabelsJson(c.agg);
      if (c.agg.exists()) c.stored_listing = EncodeListing(ns, name, c.agg);
    }
    c.key = key;
    auto [pos, inserted] = cache_.emplace(std::move(key), std::move(c));
    CachedAggregate* cached = &pos->second;
    lru_.push_front(cached);
    cached->lru = lru_.begin();
    cached_bytes_ += cached->bytes;
    return cached;
  }

  Status Apply(const events::LogMessage& m, BatchStats& stats) {
    const int32_t p = m.position.partition;
    RB_ASSIGN_OR_RETURN(int64_t next, NextOffset(p));
    if (m.position.offset < next) {
      ++stats.skipped;
      return Status::Ok();
    }
    next_[p] = m.position.offset + 1;
    dirty_offsets_ = true;

    const std::string hash = events::RecordHash(m.value);
    // Into a record kept from one call to the next: its buffers are reused.
    if (const Status decoded = events::DecodeRecordInto(m.key, m.value, record_); !decoded.ok()) {
      ++stats.quarantined;
      RowWrite q = Row(&quarantine_, "INSERT OR REPLACE INTO quarantine VALUES(?,?,?,?,?,?,?)");
      q.values.Int(p).Int(m.position.offset).Int(m.position.timestamp_ms).Blob(m.key);
      q.values.Int(static_cast<int64_t>(m.value.size())).Text(decoded.message()).Blob(hash);
      return Write(std::move(q));
    }
    const v1::ChangeRecord& rec = record_;
    const std::string ns = rec.namespace_(), name = rec.name();
    RB_ASSIGN_OR_RETURN(CachedAggregate * cached, Aggregate(ns, name));
    state::v1::Aggregate* agg = &cached->agg;
    RB_ASSIGN_OR_RETURN(int64_t * max_log_time, MaxLogTime(cached->key, ns, name));
    const bool late = m.position.timestamp_ms < *max_log_time;
    *max_log_time = std::max(*max_log_time, m.position.timestamp_ms);
    ChangeRow row;
    row.version_before = static_cast<int64_t>(agg->version());
    row.revision_before = cached->after_known ? cached->revision_after : CurrentRevision(*agg);
    row.replicas_before = agg->exists() ? agg->deployment().spec().replicas() : 0;
    if (agg->exists()) row.images_before = cached->after_known ? cached->images : Images(*cached);
    const std::string uid_before = agg->uid();

    // Cached and stored aggregates keep their ReplicaSets' templates in the
    // templates table (templates.h); a rollback copies its target's back.
    if (rec.kind() == v1::CHANGE_KIND_ROLLBACK) {
      RB_RETURN_IF_ERROR(templates_.FillRollbackTarget(*agg, rec.rollback().to_revision()));
    }
    const int replica_sets_before = agg->replica_sets_size();
    fold::FoldResult result = fold::ApplyRecord(*agg, rec, m.position.timestamp_ms, hash);
    RB_RETURN_IF_ERROR(templates_.Strip(*agg));
    for (auto& rs : result.controller.pruned) RB_RETURN_IF_ERROR(templates_.Strip(rs));
    ++stats.applied;
    const bool applied = result.outcome.applied;
    if (applied && !cached->dirty) {
      cached->dirty = true;
      dirty_.push_back(cached);
    }

    row.partition = p;
    row.offset = m.position.offset;
    row.log_time_ms = m.position.timestamp_ms;
    row.version_after = static_cast<int64_t>(agg->version());
    row.revision_after = CurrentRevision(*agg);
    row.replicas_after = agg->exists() ? agg->deployment().spec().replicas() : 0;
    if (agg->exists()) row.images_after = Images(*cached);
    cached->revision_after = row.revision_after;
    cached->after_known = true;
    row.record_hash = hash;
    row.exists_after = agg->exists() ? 1 : 0;
    row.updated_after = agg->exists() ? agg->status().updated_replicas() : 0;
    row.ready_after = agg->exists() ? agg->status().ready_replicas() : 0;
    row.available_after = agg->exists() ? agg->status().available_replicas() : 0;
    row.created_ms_after = agg->exists() ? agg->created_unix_ms() : 0;
    row.effective_time_ms = *max_log_time;
    RB_RETURN_IF_ERROR(KeepListingCheckpoints(row.effective_time_ms));
    const bool delete_applied = applied && rec.kind() == v1::CHANGE_KIND_DELETE;
    RB_RETURN_IF_ERROR(InsertChange(rec, result.outcome, row, m.value));
    if (late || (applied && agg->version() % kSnapshotInterval == 0)) {
      RowWrite w = Row(&snapshot_, "INSERT OR REPLACE INTO snapshots VALUES(?,?,?,?,?,?,?)");
      const std::string state = agg->SerializeAsString();
      w.values.Reserve(state.size() + ns.size() + name.size() + 64);
      w.values.Text(ns).Text(name).Int(p).Int(m.position.offset).Int(*max_log_time);
      w.values.Int(static_cast<int64_t>(agg->version())).Blob(state);
      RB_RETURN_IF_ERROR(Write(std::move(w)));
    }

    int64_t seq = 0;
    for (const auto& ev : result.controller.events) {
      RowWrite w = Row(&event_, "INSERT OR REPLACE INTO controller_events VALUES(?,?,?,?,?,?,?,?,?,?)");
      w.values.Int(p).Int(m.position.offset).Int(seq++).Text(ns).Text(name).Text(agg->uid());
      w.values.Int(ev.time_unix_ms).Text(ev.type).Text(ev.reason).Text(ev.message);
      RB_RETURN_IF_ERROR(WriteInObjectOrder(std::move(w), ns, name));
    }
    const std::string& uid = delete_applied ? uid_before : agg->uid();
    for (const auto& rs : result.controller.pruned) {
      RB_RETURN_IF_ERROR(
          UpsertReplicaSet(ns, name, uid, rs, fold::CanonicalBytes(rs), m.position.timestamp_ms));
      cached->stored_rs.erase(rs.creation_seq());
    }
    const bool whole_object = rec.kind() == v1::CHANGE_KIND_CREATE || rec.kind() == v1::CHANGE_KIND_APPLY ||
                              rec.kind() == v1::CHANGE_KIND_DELETE;
    if (applied && (whole_object || agg->replica_sets_size() != replica_sets_before)) {
      // Keep the cache's account current: an aggregate grows with its
      // ReplicaSets (their templates are stripped) and with what a create or
      // apply replaces. The other records change numbers, a few short texts,
      // or swap the oldest ReplicaSet for a new one of about its size, so
      // they are not measured again (measuring was 4.7% of a 1M rebuild's
      // folding thread); WriteOut() corrects the account exactly.
      const size_t now = agg->ByteSizeLong() + kCacheEntryOverhead;
      cached_bytes_ = cached_bytes_ - cached->bytes + now;
      cached->bytes = now;
    }
    return Status::Ok();
  }

  // Commits the batch: the changed aggregates' rows (deferred in a bulk load)
  // and the offsets it advanced, in its one transaction.
  Status Commit() {
    RB_RETURN_IF_ERROR(FlushObjectOrdered());
    if (!bulk_load_) RB_RETURN_IF_ERROR(WriteOutDirty());
    const bool pipelined = pipelined_ && queued_;
    if (pipelined) {
      // Not committed on a stale cache: the check after BEGIN has passed
      // (it ran first, so this rarely waits), and so has the previous
      // batch's extension, whose result the decision below needs.
      if (check_seq_ != 0) RB_RETURN_IF_ERROR(queue_->WaitFor(check_seq_));
      check_seq_ = 0;
      RB_RETURN_IF_ERROR(TakeExtension());
    }
    if (!bulk_load_ && rows_since_checkpoint_ >= checkpoint_every_) {
      if (pipelined) {
        RB_RETURN_IF_ERROR(QueueExtension());
      } else {
        // The checkpoints are built from this batch's rows too: they must have run.
        if (queued_) RB_RETURN_IF_ERROR(queue_->Drain());
        RB_ASSIGN_OR_RETURN(rows_since_checkpoint_, ExtendListingCheckpoints(db_, checkpoint_every_));
        RB_ASSIGN_OR_RETURN(latest_checkpoint_ms_, LatestCheckpointTime());
      }
    }
    if (dirty_offsets_) {
      for (const auto& [p, next] : next_) {
        RowWrite w = Row(&offset_, "INSERT OR REPLACE INTO offsets VALUES(?,?)");
        w.values.Int(p).Int(next);
        RB_RETURN_IF_ERROR(Write(std::move(w)));
      }
    }
    RB_RETURN_IF_ERROR(Write(RowWrite::Exec("COMMIT")));
    if (pipelined) {
      RB_RETURN_IF_ERROR(Write(RowWrite::Call([this](Db&) {
        committed_at_ = std::chrono::steady_clock::now();
        return Status::Ok();
      })));
      queue_->Flush();
      commit_in_flight_ = true;
      ForgetWritten();
      return EvictDownTo(cache_bytes_);
    }
    if (queued_ && bulk_load_) queue_->Flush();
    if (queued_ && !bulk_load_) {
      RB_RETURN_IF_ERROR(queue_->Drain());
      ForgetWritten();
    }
    // Clean entries past the bound go now; dirty ones (a bulk load) when a
    // later load needs the room or at Finish().
    return bulk_load_ ? Status::Ok() : EvictDownTo(cache_bytes_);
  }

  // Bulk load: writes the rows of every aggregate still dirty, in one transaction.
  // The cache is freed while the write thread writes those rows.
  Status Finish() {
    Status s = Write(RowWrite::Exec("BEGIN IMMEDIATE"));
    if (s.ok()) s = WriteOutDirtyAndForget();
    if (s.ok()) s = Write(RowWrite::Exec("COMMIT"));
    DropCache();
    if (queue_) {
      Status drained = queue_->Drain();
      if (s.ok()) s = drained;
      ForgetWritten();
    }
    if (!s.ok()) Rollback();
    return s;
  }

  // Undoes the batch (and a pipelined one whose COMMIT failed). The cached
  // aggregates were folded past what the file now holds, so they are
  // dropped, and what this writer knew of the file is read again.
  void Rollback() {
    object_ordered_.clear();
    object_ordered_bytes_ = 0;
    if (queue_) (void)queue_->Drain();  // the thread must be idle; the load has failed anyway
    (void)db_.Exec("ROLLBACK");
    DropCache();
    if (queue_ && !bulk_load_) queue_->ClearFailure();  // a later batch starts afresh
    commit_in_flight_ = false;
    check_seq_ = 0;
    extension_seq_ = 0;
    next_.clear();
    seen_data_version_ = -1;  // the checkpoint bookkeeping is read again too
  }

 private:
  // A write of `sql` whose Values reuse a buffer of a write that ran (write_queue.h).
  RowWrite Row(std::optional<Stmt>* slot, const char* sql) {
    RowWrite w(slot, sql);
    if (queued_) w.values = queue_->RecycledValues();
    return w;
  }

  // Runs `job` now, or queues it on the write thread; `seq` is its number
  // there (0 when it ran now). With a queue, an error is the first failure of
  // any job so far.
  Status Write(RowWrite w, uint64_t* seq = nullptr) {
    if (!queued_) return w.Run(db_);
    const uint64_t n = queue_->Submit(std::move(w));
    if (seq != nullptr) *seq = n;
    return queue_->status();
  }

  // A pipelined batch extends the listing checkpoints on the write thread,
  // after its rows; this thread takes the result (TakeExtension()) when it
  // next needs it: at the next Commit(), or at a row whose time the new
  // checkpoints may have passed (KeepListingCheckpoints()).
  Status QueueExtension() {
    const int64_t every = checkpoint_every_;
    RB_RETURN_IF_ERROR(Write(RowWrite::Call([this, every](Db& db) -> Status {
                               RB_ASSIGN_OR_RETURN(int64_t rest, ExtendListingCheckpoints(db, every));
                               RB_ASSIGN_OR_RETURN(
                                   Stmt s, db.Prepare("SELECT max(time_ms) FROM listing_checkpoints"));
                               RB_ASSIGN_OR_RETURN(bool row, s.Step());
                               extension_ = {rest, row && !s.IsNull(0) ? s.Int(0) : INT64_MIN};
                               return Status::Ok();
                             }),
                             &extension_seq_));
    // Checkpoints sit at times of rows in the file: none past this.
    extension_bound_ms_ = max_effective_time_;
    rows_since_checkpoint_ = 0;  // rows after this batch; the extension adds what it left
    return Status::Ok();
  }

  Status TakeExtension() {
    if (extension_seq_ == 0) return Status::Ok();
    RB_RETURN_IF_ERROR(queue_->WaitFor(extension_seq_));
    extension_seq_ = 0;  // Completed() ordered extension_'s writes before this read
    rows_since_checkpoint_ += extension_.rows_after;
    latest_checkpoint_ms_ = extension_.latest_ms;
    return Status::Ok();
  }

  // Writes a row of a table with an index keyed by Deployment (changes,
  // controller_events) in runs sorted by Deployment. Outside a bulk load
  // those indexes exist during the batch, and in record order a batch's rows
  // land all over them: it dirtied far more of their pages than SQLite's page
  // cache holds, so pages went to the WAL, were read back and written again.
  // Sorted, an index page is visited once per run (docs/benchmarks.md,
  // twelfth session: a third less I/O). The rows wait here until a run is
  // full, Commit(), or the file must hold them (FlushObjectOrdered()); rows
  // of one Deployment keep their order.
  Status WriteInObjectOrder(RowWrite w, const std::string& ns, const std::string& name) {
    if (!queued_ || bulk_load_) return Write(std::move(w));
    object_ordered_bytes_ += w.values.Capacity() + ns.size() + name.size();
    object_ordered_.push_back({ns, name, object_ordered_.size(), std::move(w)});
    if (object_ordered_bytes_ > kMaxObjectOrderedBytes) return FlushObjectOrdered();
    return Status::Ok();
  }

  // Queues the rows WriteInObjectOrder() held back, sorted by Deployment.
  Status FlushObjectOrdered() {
    if (object_ordered_.empty()) return Status::Ok();
    std::sort(object_ordered_.begin(), object_ordered_.end(), [](const ObjectRow& a, const ObjectRow& b) {
      if (int c = a.ns.compare(b.ns); c != 0) return c < 0;
      if (int c = a.name.compare(b.name); c != 0) return c < 0;
      return a.order < b.order;
    });
    Status s = Status::Ok();
    for (ObjectRow& row : object_ordered_) {
      if (s.ok()) s = Write(std::move(row.write));
    }
    object_ordered_.clear();
    object_ordered_bytes_ = 0;
    return s;
  }

  // Forgets the queued rows and templates that the write thread has written.
  void ForgetWritten() {
    if (!queue_) return;
    const uint64_t done = queue_->Completed();
    std::erase_if(pending_rows_, [done](const auto& e) { return e.second.seq <= done; });
    std::erase_if(pending_templates_, [done](const auto& e) { return e.second.seq <= done; });
  }

  // Templates::Deferral::insert: queues the row and serves the text until it is written.
  Status QueueTemplate(const std::string& digest, const std::string& text) {
    if (pending_templates_.contains(digest)) return Status::Ok();
    auto bytes = std::make_shared<const std::string>(text);
    RowWrite w =
        Row(&template_insert_, "INSERT OR IGNORE INTO templates(digest, template_json) VALUES(?, ?)");
    w.values.Blob(digest).Text(text);
    uint64_t seq = 0;
    Status s = Write(std::move(w), &seq);
    if (queued_) pending_templates_[digest] = Pending{seq, std::move(bytes)};
    return s;
  }

  // With a queue, only while it is idle (the pending rows go too).
  void DropCache() {
    pending_rows_.clear();
    pending_templates_.clear();
    cache_.clear();
    lru_.clear();
    dirty_.clear();
    cached_bytes_ = 0;
    max_log_time_.clear();
  }

  // Evicts least recently used aggregates (writing a dirty one's rows first,
  // inside the open transaction) until the cache holds at most `bound` bytes.
  Status EvictDownTo(size_t bound) {
    while (cached_bytes_ > bound && !lru_.empty()) {
      CachedAggregate* victim = lru_.back();
      if (victim->dirty) {
        RB_RETURN_IF_ERROR(WriteOut(*victim));
        std::erase(dirty_, victim);
      }
      cached_bytes_ -= victim->bytes;
      lru_.pop_back();
      cache_.erase(victim->key);
    }
    return Status::Ok();
  }

  Status WriteOutDirty() {
    // In key order, like the rows of WriteInObjectOrder().
    std::sort(dirty_.begin(), dirty_.end(),
              [](const CachedAggregate* a, const CachedAggregate* b) { return a->key < b->key; });
    for (CachedAggregate* cached : dirty_) RB_RETURN_IF_ERROR(WriteOut(*cached));
    dirty_.clear();
    return Status::Ok();
  }

  // The same at the end of a bulk load, dropping each aggregate from the
  // cache once its rows are queued: the whole parsed cache and all its
  // queued rows at once were a 1M rebuild's peak RSS.
  Status WriteOutDirtyAndForget() {
    for (CachedAggregate* cached : dirty_) {
      RB_RETURN_IF_ERROR(WriteOut(*cached));
      cached_bytes_ -= cached->bytes;
      lru_.erase(cached->lru);
      cache_.erase(cache_.find(cached->key));  // `cached` dangles from here
    }
    dirty_.clear();
    return Status::Ok();
  }

  // Writes one aggregate's rows: deployments, its labels when they changed,
  // and the live ReplicaSet rows that differ from the file's.
  Status WriteOut(CachedAggregate& cached) {
    const state::v1::Aggregate& agg = cached.agg;
    const size_t slash = cached.key.find('/');
    const std::string ns = cached.key.substr(0, slash);
    const std::string name = cached.key.substr(slash + 1);
    // Each ReplicaSet is serialized once: for its row and inside the blob.
    std::vector<std::string>& rs_bytes = replica_set_bytes_;
    rs_bytes.clear();
    for (const auto& rs : agg.replica_sets()) rs_bytes.push_back(fold::CanonicalBytes(rs));
    const std::string blob = AggregateBlob(cached.agg, rs_bytes);
    const DeploymentRowColumns c = RowColumnsOf(agg);
    const std::string& labels_json = c.labels_json;
    RowWrite w{
        &deployment_,
        "INSERT INTO deployments VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(namespace, name) DO "
        "UPDATE SET version = excluded.version, live = excluded.live, uid = excluded.uid, "
        "created_ms = excluded.created_ms, generation = excluded.generation, "
        "replicas = excluded.replicas, updated = excluded.updated, ready = excluded.ready, "
        "available = excluded.available, revision = excluded.revision, "
        "labels_json = excluded.labels_json, state = excluded.state, "
        "chain_head = excluded.chain_head"};
    Values& v = w.values;
    v.Reserve(blob.size() + labels_json.size() + cached.key.size() + 256);
    v.Text(ns).Text(name).Int(c.version).Int(c.live).Text(c.uid).Int(c.created_ms).Int(c.generation);
    v.Int(c.replicas).Int(c.updated).Int(c.ready).Int(c.available).Int(c.revision).Text(c.labels_json);
    v.Blob(blob).Blob(c.chain_head);
    uint64_t seq = 0;
    RB_RETURN_IF_ERROR(Write(std::move(w), &seq));
    if (queued_) pending_rows_[cached.key] = Pending{seq, std::make_shared<const std::string>(blob)};
    if (labels_json != cached.stored_labels_json) RB_RETURN_IF_ERROR(WriteLabels(ns, name, agg));
    std::string listing = agg.exists() ? EncodeListing(ns, name, agg) : std::string();
    if (listing != cached.stored_listing) {
      RB_RETURN_IF_ERROR(WriteListing(ns, name, cached.stored_listing, listing));
      cached.stored_listing = std::move(listing);
    }
    const bool same_uid = cached.stored_uid == agg.uid();
    std::unordered_map<uint64_t, RowFingerprint> now;
    for (int i = 0; i < agg.replica_sets_size(); ++i) {
      const auto& rs = agg.replica_sets(i);
      const std::string& bytes = rs_bytes[static_cast<size_t>(i)];
      const RowFingerprint fp = FingerprintOf(bytes);
      now.emplace(rs.creation_seq(), fp);
      auto stored = cached.stored_rs.find(rs.creation_seq());
      if (same_uid && stored != cached.stored_rs.end() && stored->second == fp) continue;
      RB_RETURN_IF_ERROR(UpsertReplicaSet(ns, name, agg.uid(), rs, bytes, std::nullopt));
    }
    cached.stored_rs = std::move(now);
    cached.stored_uid = agg.uid();
    cached.stored_labels_json = labels_json;
    cached.dirty = false;
    cached_bytes_ = cached_bytes_ - cached.bytes + blob.size() + kCacheEntryOverhead;
    cached.bytes = blob.size() + kCacheEntryOverhead;
    return Status::Ok();
  }

  // ImagesOf() parses JSON; most changes leave the template alone.
  static const std::string& Images(CachedAggregate& c) {
    const std::string& tmpl = c.agg.deployment().spec().template_json();
    const RowFingerprint fp = FingerprintOf(tmpl);
    if (c.images_template.size == 0 || !(c.images_template == fp)) {
      c.images_template = fp;
      c.images = ImagesOf(tmpl);
    }
    return c.images;
  }

  // Prepares `sql` once for the writer's lifetime.
  StatusOr<Stmt*> Statement(std::optional<Stmt>& slot, const char* sql) {
    if (!slot) {
      RB_ASSIGN_OR_RETURN(Stmt s, db_.Prepare(sql));
      slot.emplace(std::move(s));
    }
    slot->Reset();
    return &*slot;
  }

  Status InsertChange(const v1::ChangeRecord& rec, const fold::Outcome& outcome, const ChangeRow& r,
                      std::string_view value) {
    RowWrite w = Row(&change_,
                     "INSERT OR REPLACE INTO changes "
                     "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    Values& v = w.values;
    v.Reserve(value.size() + 640);
    v.Int(r.partition).Int(r.offset).Int(r.log_time_ms).Text(rec.id());
    v.Text(rec.namespace_()).Text(rec.name()).Text(events::KindName(rec.kind()));
    v.Text(rec.actor()).Text(rec.host()).Int(rec.client_time_unix_ms()).Text(rec.command_line());
    v.Text(rec.change_cause()).Text(outcome.applied ? "applied" : "rejected").Text(outcome.reason);
    v.Text(outcome.message).Int(r.version_before).Int(r.version_after);
    v.Int(r.revision_before).Int(r.revision_after).Int(r.replicas_before).Int(r.replicas_after);
    v.Text(r.images_before).Text(r.images_after);
    v.Blob(r.record_hash).Blob(rec.prev_record_hash()).Blob(value);
    v.Int(r.exists_after).Int(r.updated_after).Int(r.ready_after).Int(r.available_after);
    v.Int(r.created_ms_after).Int(r.effective_time_ms);
    return WriteInObjectOrder(std::move(w), rec.namespace_(), rec.name());
  }

  // The largest broker time among the Deployment's records applied so far
  // (INT64_MIN before its first). A bulk load fills a new file, so the map
  // is exact there and never asks the file (whose index comes at the end);
  // otherwise it caches answers under the same staleness rule as the
  // aggregates, bounded in entries.
  StatusOr<int64_t*> MaxLogTime(const std::string& key, const std::string& ns, const std::string& name) {
    auto it = max_log_time_.find(key);
    if (it != max_log_time_.end()) return &it->second;
    int64_t max = std::numeric_limits<int64_t>::min();
    if (!bulk_load_) {
      if (max_log_time_.size() >= max_log_time_entries_) {
        // The file must hold this batch's changes rows before it is asked.
        RB_RETURN_IF_ERROR(FlushObjectOrdered());
        if (queued_) RB_RETURN_IF_ERROR(queue_->Drain());
        max_log_time_.clear();
      }
      RB_ASSIGN_OR_RETURN(Stmt * s,
                          Statement(max_time_,
                                    "SELECT log_time_ms FROM changes WHERE namespace = ? AND name = ? "
                                    "ORDER BY log_time_ms DESC LIMIT 1"));
      s->Bind(1, ns).Bind(2, name);
      RB_ASSIGN_OR_RETURN(bool row, s->Step());
      if (row) max = s->Int(0);
      s->Reset();
    }
    return &max_log_time_.emplace(key, max).first->second;
  }

  // deployment_labels rows of one Deployment: its labels now (kept after a
  // delete, like the deployments row; queries join live = 1).
  Status WriteLabels(const std::string& ns, const std::string& name, const state::v1::Aggregate& agg) {
    RowWrite del = Row(&labels_delete_, "DELETE FROM deployment_labels WHERE namespace = ? AND name = ?");
    del.values.Text(ns).Text(name);
    RB_RETURN_IF_ERROR(Write(std::move(del)));
    for (const auto& [k, v] : agg.deployment().metadata().labels()) {
      RowWrite ins = Row(&labels_insert_, "INSERT INTO deployment_labels VALUES(?,?,?,?)");
      ins.values.Text(ns).Text(name).Text(k).Text(v);
      RB_RETURN_IF_ERROR(Write(std::move(ins)));
    }
    return Status::Ok();
  }

  // deployment_listing rows of one Deployment, from what the file holds
  // (`before`) to what it should hold (`after`); either may be empty (no
  // rows: not live). Rows of labels that went away are deleted; the others
  // are upserted with the new listing.
  Status WriteListing(const std::string& ns, const std::string& name, const std::string& before,
                      const std::string& after) {
    ListingView old_view, new_view;
    if (!after.empty() && !DecodeListing(after, &new_view))
      return Internal(fmt::format("listing of {}/{} does not decode", ns, name));
    if (!before.empty()) {
      if (!DecodeListing(before, &old_view))
        return Internal(fmt::format("stored listing of {}/{} does not decode", ns, name));
      Status s = Status::Ok();
      old_view.ForEachLabel([&](std::string_view k, std::string_view v) {
        if (!s.ok() || (!after.empty() && new_view.Label(k) == v)) return;
        RowWrite del = Row(&listing_delete_,
                           "DELETE FROM deployment_listing WHERE key = ? AND value = ? AND namespace = ? AND "
                           "name = ?");
        del.values.Text(k).Text(v).Text(ns).Text(name);
        s = Write(std::move(del));
      });
      RB_RETURN_IF_ERROR(s);
    }
    if (after.empty()) return Status::Ok();
    Status s = Status::Ok();
    new_view.ForEachLabel([&](std::string_view k, std::string_view v) {
      if (!s.ok()) return;
      RowWrite ins =
          Row(&listing_upsert_,
              "INSERT INTO deployment_listing VALUES(?,?,?,?,?) ON CONFLICT DO UPDATE SET listing = "
              "excluded.listing");
      ins.values.Text(k).Text(v).Text(ns).Text(name).Blob(after);
      s = Write(std::move(ins));
    });
    return s;
  }

  Status UpsertReplicaSet(const std::string& ns, const std::string& deployment, const std::string& uid,
                          const state::v1::ReplicaSet& rs, std::string_view state_bytes,
                          std::optional<int64_t> pruned_ms) {
    RowWrite w = Row(&replica_set_, "INSERT OR REPLACE INTO replica_sets VALUES(?,?,?,?,?,?,?,?,?,?)");
    Values& v = w.values;
    v.Reserve(state_bytes.size() + ns.size() + deployment.size() + rs.name().size() + uid.size() + 96);
    v.Text(ns).Text(deployment).Int(static_cast<int64_t>(rs.creation_seq())).Text(rs.name());
    v.Text(uid).Int(rs.revision()).Int(rs.replicas()).Int(rs.created_unix_ms());
    if (pruned_ms) {
      v.Int(*pruned_ms);
    } else {
      v.Null();
    }
    v.Blob(state_bytes);
    return Write(std::move(w));
  }

  // The size of a sorted run (about 3,000 records' rows). Runs, rather than
  // one sort per batch, keep the write thread busy while the next run is
  // folded: a whole batch sorted at its commit left it idle until then and
  // was slower, for the same I/O.
  static constexpr size_t kMaxObjectOrderedBytes = 4 << 20;
  // Pipelined commits: jobs the write thread may have waiting (16 times
  // WriteQueue's default, tens of MiB of rows). The folding thread goes on
  // while the write thread runs a COMMIT and its WAL checkpoint (seconds
  // for a large batch); with the default bound it soon stopped to wait,
  // and pipelining gained nothing (docs/benchmarks.md, thirteenth session).
  static constexpr size_t kPipelinedQueuedJobs = 16 * WriteQueue::kMaxQueuedJobs;
  // How long the lock stays free between a pipelined COMMIT and the next BEGIN.
  static constexpr std::chrono::milliseconds kLockGap{20};
  struct ObjectRow {
    std::string ns, name;
    size_t order;  // submission order, for rows of one Deployment
    RowWrite write;
  };
  std::vector<ObjectRow> object_ordered_;
  size_t object_ordered_bytes_ = 0;

  Db& db_;
  const bool bulk_load_;
  const size_t cache_bytes_;
  const bool write_thread_;  // may queue: the connection is serialized
  const bool pipelined_;     // Options::pipelined_commits
  bool queued_ = false;      // this batch's writes go through queue_
  int64_t seen_data_version_ = -1;
  // Pipelined commits: the last batch's COMMIT is queued and not known to
  // have run; this batch's data_version check (job number); whether it
  // found the file changed (set on the write thread).
  bool commit_in_flight_ = false;
  uint64_t check_seq_ = 0;
  std::chrono::steady_clock::time_point committed_at_;  // the write thread's: its last pipelined COMMIT
  std::atomic<bool> stale_{false};
  // A queued extension of the listing checkpoints (job number, 0: none),
  // the latest time it can reach, and its result, written by the write thread.
  uint64_t extension_seq_ = 0;
  int64_t extension_bound_ms_ = INT64_MIN;
  struct ExtensionResult {
    int64_t rows_after = 0;
    int64_t latest_ms = INT64_MIN;
  } extension_;
  // An upper bound of the effective times in `changes` (exact unless rows
  // were rolled back).
  int64_t max_effective_time_ = INT64_MIN;
  // Listing checkpoints (outside a bulk load): the latest one's time, and the
  // audit rows written after it, which decide when to extend them.
  int64_t latest_checkpoint_ms_ = INT64_MIN;
  int64_t rows_since_checkpoint_ = 0;
  std::map<int32_t, int64_t> next_;
  bool dirty_offsets_ = false;
  std::unordered_map<std::string, CachedAggregate> cache_;  // nodes: pointers stay valid
  std::list<CachedAggregate*> lru_;                         // most recently used first
  std::vector<CachedAggregate*> dirty_;
  size_t cached_bytes_ = 0;
  std::unordered_map<std::string, int64_t> max_log_time_;
  v1::ChangeRecord record_;              // Apply()'s decoded record
  std::unique_ptr<Db> template_reader_;  // before templates_, whose statement uses it
  Templates templates_;
  const int64_t checkpoint_every_;
  // Past this many Deployments the non-bulk max-log-time cache starts afresh.
  const size_t max_log_time_entries_;
  // Statements. With a write thread, the reads on the first line are this
  // thread's (as is templates_' select); the others are the write thread's.
  std::optional<Stmt> load_, next_offset_, max_time_, data_version_, max_effective_;
  std::optional<Stmt> queued_data_version_;  // the write thread's
  std::optional<Stmt> quarantine_, event_, deployment_, change_, replica_set_, offset_, snapshot_;
  std::optional<Stmt> labels_delete_, labels_insert_, listing_delete_, listing_upsert_, template_insert_;
  std::optional<Stmt> latest_checkpoint_, rows_after_checkpoint_, drop_checkpoints_;
  // What is queued and not yet written, by deployments key and by template digest.
  struct Pending {
    uint64_t seq = 0;  // the job that writes it (WriteQueue::Completed)
    std::shared_ptr<const std::string> bytes;
  };
  std::unordered_map<std::string, Pending> pending_rows_, pending_templates_;
  std::vector<std::string> replica_set_bytes_;  // WriteOut() scratch, reused
  std::unique_ptr<WriteQueue> queue_;           // last: its thread stops before the statements go
};

// simdjson's DOM parser (validating, ~1 GB/s) instead of nlohmann's SAX
// parser: for templates that changed, the images columns' parse was 9% of a
// rebuild's folding thread. One parser per thread keeps its buffers.
std::string ImagesOf(const std::string& template_json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(template_json).get(root) != simdjson::SUCCESS) return "";
  simdjson::dom::object spec;
  if (root["spec"].get(spec) != simdjson::SUCCESS) return "";
  std::string out;
  for (const char* list : {"initContainers", "containers"}) {  // kubectl's order
    simdjson::dom::array containers;
    if (spec[list].get(containers) != simdjson::SUCCESS) continue;
    for (simdjson::dom::element c : containers) {
      if (!c.is_object()) continue;
      auto text = [&c](const char* key) {  // a missing or non-string field prints as ""
        std::string_view value;
        return c[key].get(value) == simdjson::SUCCESS ? value : std::string_view();
      };
      if (!out.empty()) out += ',';
      out.append(text("name")).append("=").append(text("image"));
    }
  }
  return out;
}

std::string AggregateBlob(state::v1::Aggregate& agg, const std::vector<std::string>& replica_sets_bytes) {
  google::protobuf::RepeatedPtrField<state::v1::ReplicaSet> replica_sets;
  agg.mutable_replica_sets()->Swap(&replica_sets);
  std::string blob = agg.SerializeAsString();
  agg.mutable_replica_sets()->Swap(&replica_sets);
  size_t size = blob.size();
  for (const std::string& bytes : replica_sets_bytes) size += bytes.size() + 1 + 5;
  blob.reserve(size);
  constexpr uint32_t kTag = (state::v1::Aggregate::kReplicaSetsFieldNumber << 3) | 2;  // length-delimited
  uint8_t head[1 + 5];
  for (const std::string& bytes : replica_sets_bytes) {
    head[0] = static_cast<uint8_t>(kTag);
    const uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
        static_cast<uint32_t>(bytes.size()), head + 1);
    blob.append(reinterpret_cast<const char*>(head), static_cast<size_t>(end - head));
    blob.append(bytes);
  }
  return blob;
}

StatusOr<std::unique_ptr<Projection>> Projection::Open(const Options& options) {
  if (options.listing_checkpoint_every < 1) {
    return InvalidArgument(
        fmt::format("listing_checkpoint_every must be at least 1, not {}", options.listing_checkpoint_every));
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(options.path, ec);
  if (!exists && !options.create) return NotFound(fmt::format("database {} does not exist", options.path));
  if (!exists) {
    const fs::path parent = fs::path(options.path).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) {
      return Unavailable(
          fmt::format("cannot create directory {} for the database: {}", parent.string(), ec.message()));
    }
  }
  const bool write_thread = options.write_thread && Db::CanSerialize();
  RB_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(options.path, options.create, /*read_only=*/false,
                                                       /*serialized=*/write_thread));
  std::unique_ptr<Projection> p(new Projection(std::move(db)));
  p->serialized_ = write_thread;
  RB_RETURN_IF_ERROR(p->Init(options, !exists));
  p->writer_ = std::make_unique<ProjectionWriter>(*p->db_, options.bulk_load, options.aggregate_cache_bytes,
                                                  write_thread, options.listing_checkpoint_every,
                                                  options.max_log_time_entries, options.pipelined_commits);
  p->listing_checkpoint_every_ = options.listing_checkpoint_every;
  return p;
}

Projection::Projection(std::unique_ptr<Db> db) : db_(std::move(db)) {}

Db& Projection::query_db() {
  if (query_db_) return *query_db_;
  if (!serialized_ || bulk_load_) return *db_;
  StatusOr<std::unique_ptr<Db>> second = Db::Open(db_->path(), /*create=*/false, /*read_only=*/true);
  if (!second.ok() || !(*second)->Exec("PRAGMA cache_size=-8192").ok()) return *db_;
  query_db_ = std::move(*second);
  return *query_db_;
}
Projection::~Projection() = default;

Status Projection::Init(const Options& options, bool fresh) {
  // A file that is not ours (or is from a newer rollbook) is never touched.
  // Each probe is scoped so that no statement holds a read transaction open
  // when the journal mode changes below.
  auto single_int = [this](const char* sql) -> StatusOr<int64_t> {
    RB_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(sql));
    StatusOr<bool> row = st.Step();
    if (!row.ok()) {
      return InvalidArgument(
          fmt::format("{} is not a rollbook database ({})", db_->path(), row.status().message()));
    }
    return *row ? st.Int(0) : int64_t{0};
  };
  RB_ASSIGN_OR_RETURN(const int64_t app_id, single_int("PRAGMA application_id"));
  RB_ASSIGN_OR_RETURN(const int64_t version, single_int("PRAGMA user_version"));
  if (app_id != kApplicationId) {
    RB_ASSIGN_OR_RETURN(const int64_t tables, single_int("SELECT count(*) FROM sqlite_master"));
    if (!fresh && tables > 0) {
      return InvalidArgument(
          fmt::format("{} is not a rollbook database (application_id {:#x}, expected {:#x})", db_->path(),
                      app_id, kApplicationId));
    }
  } else if (version < kSchemaVersion && !fresh) {
    return FailedPrecondition(
        fmt::format("{} was written by an older rollbook (schema version {}; this build knows "
                    "{}); run `rollbook admin rebuild --db {}` to rebuild it from the log",
                    db_->path(), version, kSchemaVersion, db_->path()));
  } else if (version > kSchemaVersion) {
    return InvalidArgument(
        fmt::format("{} was written by a newer rollbook (schema version {}; this build knows {}); "
                    "upgrade rollbook or rebuild into a new file",
                    db_->path(), version, kSchemaVersion));
  }
  const bool new_file = app_id != kApplicationId;
  if (options.bulk_load && !new_file) {
    return FailedPrecondition(
        fmt::format("{} already holds a projection; a bulk load needs a new file", db_->path()));
  }
  if (new_file) RB_RETURN_IF_ERROR(db_->Exec(fmt::format("PRAGMA page_size={}", kPageSize)));
  bulk_load_ = options.bulk_load;
  if (options.bulk_load) {
    RB_RETURN_IF_ERROR(db_->Exec("PRAGMA locking_mode=EXCLUSIVE"));
    RB_RETURN_IF_ERROR(db_->Exec("PRAGMA journal_mode=OFF"));
    RB_RETURN_IF_ERROR(db_->Exec("PRAGMA synchronous=OFF"));
  } else {
    RB_RETURN_IF_ERROR(db_->Exec("PRAGMA journal_mode=WAL"));
    RB_RETURN_IF_ERROR(db_->Exec("PRAGMA synchronous=NORMAL"));
  }
  // 8 MiB of page cache (SQLite's default is 2 MiB), whatever the file size:
  // with the aggregates cached by the writer, most pages a batch touches are
  // the appending ends of `changes` and `controller_events`, and a larger
  // cache measured no faster in a rebuild, only bigger.
  RB_RETURN_IF_ERROR(db_->Exec("PRAGMA cache_size=-8192"));
  if (app_id != kApplicationId || version < kSchemaVersion) {
    RB_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
    Status s = db_->Exec(kSchema);
    if (s.ok() && !options.bulk_load) s = db_->Exec(kIndexes);
    if (s.ok())
      s = db_->Exec(
          fmt::format("PRAGMA application_id={}; PRAGMA user_version={}", kApplicationId, kSchemaVersion));
    if (s.ok()) {
      RB_ASSIGN_OR_RETURN(Stmt m, db_->Prepare("INSERT OR IGNORE INTO meta VALUES('topic', ?)"));
      m.Bind(1, options.topic);
      s = m.Run();
    }
    if (!s.ok()) {
      (void)db_->Exec("ROLLBACK");
      return s;
    }
    RB_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  }
  RB_ASSIGN_OR_RETURN(Stmt t, db_->Prepare("SELECT value FROM meta WHERE key = 'topic'"));
  RB_ASSIGN_OR_RETURN(bool row, t.Step());
  const std::string topic = row ? t.Text(0) : options.topic;
  t.Reset();
  if (topic != options.topic) {
    return InvalidArgument(fmt::format("{} is the projection of topic {}, not {}; use another --db",
                                       db_->path(), topic, options.topic));
  }
  return Status::Ok();
}

StatusOr<std::vector<int64_t>> Projection::NextOffsets(int32_t partitions) {
  RB_RETURN_IF_ERROR(Sync());
  resume_needed_ = false;
  std::vector<int64_t> out(static_cast<size_t>(std::max(0, partitions)), 0);
  RB_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT partition, next_offset FROM offsets"));
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const int64_t p = s.Int(0);
    if (p >= 0 && p < partitions) out[static_cast<size_t>(p)] = s.Int(1);
  }
  return out;
}

Status Projection::FinishBulkLoad() {
  if (bulk_failed_) return FailedPrecondition("an earlier batch of this bulk load failed; start it again");
  if (Status s = writer_->Finish(); !s.ok()) {
    bulk_failed_ = true;
    return s.WithContext("writing the cached Deployments at the end of the bulk load");
  }
  // SQLite's sorter may use a helper thread for CREATE INDEX (the fold is
  // over by now, so the second core is free): 3.8 -> 3.4 s for the changes
  // indexes of a 1M-record file.
  RB_RETURN_IF_ERROR(db_->Exec("PRAGMA threads=2"));
  RB_RETURN_IF_ERROR(db_->Exec(kIndexes));
  RB_RETURN_IF_ERROR(db_->Exec("PRAGMA threads=0"));
  // From the sorted index just built: one pass over the audit rows.
  RB_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  StatusOr<int64_t> rest = ExtendListingCheckpoints(*db_, listing_checkpoint_every_);
  if (!rest.ok()) {
    (void)db_->Exec("ROLLBACK");
    bulk_failed_ = true;
    return rest.status().WithContext("writing the listing checkpoints at the end of the bulk load");
  }
  RB_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  RB_RETURN_IF_ERROR(db_->Exec("PRAGMA journal_mode=DELETE"));
  return db_->Exec("PRAGMA synchronous=FULL");
}

StatusOr<BatchStats> Projection::ApplyBatch(const std::vector<events::LogMessage>& batch) {
  if (batch.empty()) return BatchStats{};
  if (bulk_failed_) return FailedPrecondition("an earlier batch of this bulk load failed; start it again");
  if (resume_needed_) {
    return FailedPrecondition(
        "an earlier batch was not committed (its error was returned); read NextOffsets() and apply again "
        "from there");
  }
  ProjectionWriter& w = *writer_;
  const bool earlier_in_flight = w.CommitInFlight();
  for (bool may_pipeline = true;; may_pipeline = false) {
    BatchStats stats;
    Status s = ApplyOnce(batch, may_pipeline, stats);
    if (s.ok()) return stats;
    w.Rollback();
    // Another connection committed between the last batch and this one:
    // apply it again from what the file now holds.
    if (w.TakeStale() && may_pipeline) continue;
    bulk_failed_ = bulk_load_;
    resume_needed_ = earlier_in_flight;  // that batch may have failed with this one
    return s;
  }
}

Status Projection::ApplyOnce(const std::vector<events::LogMessage>& batch, bool may_pipeline,
                             BatchStats& stats) {
  ProjectionWriter& w = *writer_;
  RB_RETURN_IF_ERROR(w.Begin(batch.size(), may_pipeline));
  for (const auto& m : batch) {
    Status s = w.Apply(m, stats);
    if (!s.ok()) {
      return s.WithContext(
          fmt::format("applying partition {} offset {}", m.position.partition, m.position.offset));
    }
  }
  FailPoint("projection.before_commit");
  RB_RETURN_IF_ERROR(w.Commit());
  FailPoint(w.CommitInFlight() ? "projection.commit_queued" : "projection.after_commit");
  return Status::Ok();
}

Status Projection::Sync() {
  Status s = writer_->Settle();
  if (!s.ok()) resume_needed_ = true;
  return s;
}

StatusOr<std::optional<state::v1::Aggregate>> Projection::GetAggregate(const std::string& ns,
                                                                       const std::string& name) {
  RB_ASSIGN_OR_RETURN(Stmt s, db_->Prepare("SELECT state FROM deployments WHERE namespace = ? AND name = ?"));
  s.Bind(1, ns).Bind(2, name);
  RB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<state::v1::Aggregate>();
  state::v1::Aggregate agg;
  if (!agg.ParseFromString(s.Blob(0))) return DataLoss(fmt::format("corrupt state of {}/{}", ns, name));
  s.Reset();
  Templates templates(*db_);
  RB_RETURN_IF_ERROR(templates.Fill(agg));
  return std::optional<state::v1::Aggregate>(std::move(agg));
}

StatusOr<std::vector<state::v1::Aggregate>> Projection::ListAggregates(const std::string& ns) {
  const char* sql = ns.empty()
                        ? "SELECT state FROM deployments WHERE live = 1 ORDER BY namespace, name"
                        : "SELECT state FROM deployments WHERE live = 1 AND namespace = ? ORDER BY name";
  RB_ASSIGN_OR_RETURN(Stmt s, db_->Prepare(sql));
  if (!ns.empty()) s.Bind(1, ns);
  std::vector<state::v1::Aggregate> out;
  Templates templates(*db_);
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    state::v1::Aggregate agg;
    if (!agg.ParseFromString(s.Blob(0))) return DataLoss("corrupt deployment state");
    RB_RETURN_IF_ERROR(templates.Fill(agg));
    out.push_back(std::move(agg));
  }
  return out;
}

StatusOr<std::optional<ChangeRow>> Projection::GetChange(int32_t partition, int64_t offset) {
  RB_ASSIGN_OR_RETURN(Stmt s,
                      db_->Prepare(fmt::format("SELECT {} FROM changes WHERE partition = ? AND offset = ?",
                                               kChangeRowColumns)));
  s.Bind(1, static_cast<int64_t>(partition)).Bind(2, offset);
  RB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<ChangeRow>();
  return std::optional<ChangeRow>(ReadChangeRow(s));
}

DeploymentRowColumns RowColumnsOf(const state::v1::Aggregate& agg) {
  DeploymentRowColumns c;
  c.version = static_cast<int64_t>(agg.version());
  c.live = agg.exists() ? 1 : 0;
  c.uid = agg.uid();
  c.created_ms = agg.created_unix_ms();
  c.generation = agg.generation();
  c.replicas = agg.deployment().spec().replicas();
  c.updated = agg.status().updated_replicas();
  c.ready = agg.status().ready_replicas();
  c.available = agg.status().available_replicas();
  c.revision = CurrentRevision(agg);
  c.labels_json = LabelsJson(agg);
  c.chain_head = agg.last_record_hash();
  return c;
}

DeploymentRowColumns ReadRowColumns(const Stmt& s, int first) {
  DeploymentRowColumns c;
  c.version = s.Int(first);
  c.live = s.Int(first + 1);
  c.uid = s.Text(first + 2);
  c.created_ms = s.Int(first + 3);
  c.generation = s.Int(first + 4);
  c.replicas = s.Int(first + 5);
  c.updated = s.Int(first + 6);
  c.ready = s.Int(first + 7);
  c.available = s.Int(first + 8);
  c.revision = s.Int(first + 9);
  c.labels_json = s.Text(first + 10);
  c.chain_head = s.Blob(first + 11);
  return c;
}

std::string DifferingColumns(const DeploymentRowColumns& a, const DeploymentRowColumns& b) {
  std::string out;
  auto check = [&out](bool differ, const char* name) {
    if (differ) out += out.empty() ? name : fmt::format(", {}", name);
  };
  check(a.version != b.version, "version");
  check(a.live != b.live, "live");
  check(a.uid != b.uid, "uid");
  check(a.created_ms != b.created_ms, "created_ms");
  check(a.generation != b.generation, "generation");
  check(a.replicas != b.replicas, "replicas");
  check(a.updated != b.updated, "updated");
  check(a.ready != b.ready, "ready");
  check(a.available != b.available, "available");
  check(a.revision != b.revision, "revision");
  check(a.labels_json != b.labels_json, "labels_json");
  check(a.chain_head != b.chain_head, "chain_head");
  return out;
}

void ReadChangeRowInto(const Stmt& s, ChangeRow& r) {
  r.partition = static_cast<int32_t>(s.Int(0));
  r.offset = s.Int(1);
  r.log_time_ms = s.Int(2);
  r.record_id.assign(s.TextView(3));
  r.ns.assign(s.TextView(4));
  r.name.assign(s.TextView(5));
  r.kind.assign(s.TextView(6));
  r.actor.assign(s.TextView(7));
  r.host.assign(s.TextView(8));
  r.client_time_ms = s.Int(9);
  r.command.assign(s.TextView(10));
  r.change_cause.assign(s.TextView(11));
  r.outcome.assign(s.TextView(12));
  r.reason.assign(s.TextView(13));
  r.message.assign(s.TextView(14));
  r.version_before = s.Int(15);
  r.version_after = s.Int(16);
  r.revision_before = s.Int(17);
  r.revision_after = s.Int(18);
  r.replicas_before = s.Int(19);
  r.replicas_after = s.Int(20);
  r.images_before.assign(s.TextView(21));
  r.images_after.assign(s.TextView(22));
  r.record_hash.assign(s.BlobView(23));
  r.prev_hash.assign(s.BlobView(24));
}

ChangeRow ReadChangeRow(const Stmt& s) {
  ChangeRow r;
  ReadChangeRowInto(s, r);
  return r;
}

StatusOr<std::vector<EventRow>> Projection::Events(const std::string& ns, const std::string& name,
                                                   const std::string& uid) {
  RB_ASSIGN_OR_RETURN(
      Stmt s, db_->Prepare(fmt::format("{} ORDER BY e.partition, e.offset, e.seq", kEventsOfObjectSql)));
  s.Bind(1, ns).Bind(2, name).Bind(3, uid);
  std::vector<EventRow> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(EventRow{s.Text(0), s.Text(1), s.Text(2), s.Int(3)});
  }
  return out;
}

}  // namespace rollbook::store
