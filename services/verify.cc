#include "services/verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "events/chain.h"
#include "events/codec.h"
#include "store/fold/fold.h"
#include "store/projection/listing_checkpoint.h"
#include "store/projection/listing_row.h"
#include "store/projection/templates.h"

namespace rollbook::services {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kDetailedShifts = 5;

struct Pos {
  int32_t partition = -1;
  int64_t offset = -1;
};

bool Before(const Pos& a, const Pos& b) {
  return a.partition == b.partition ? a.offset < b.offset : a.partition < b.partition;
}

std::string At(const Pos& p) { return fmt::format("partition {} offset {}", p.partition, p.offset); }

// 64-bit prefix of a hash: enough to find a record again, small enough to keep
// one per record of a large log in memory. Chain equality uses full hashes.
uint64_t Prefix(std::string_view hash) {
  uint64_t v = 0;
  if (hash.size() >= sizeof v) std::memcpy(&v, hash.data(), sizeof v);
  return v;
}

struct Seen {
  Pos pos;
  bool applied = false;
  uint32_t object = 0;  // index into objects
};

struct Chain {
  state::v1::Aggregate agg;
  std::optional<Pos> head;                       // position of agg.last_record_hash
  std::optional<state::v1::Aggregate> snapshot;  // state at the projection's offsets
  int64_t reported = 0;  // chain findings for this object (only the first is detailed)
};

// A record that did not extend its chain; classified once the whole log is read.
struct Break {
  Pos pos;
  uint32_t object = 0;
  bool applied = false;
  std::string prev;         // the hash it chains to
  std::optional<Pos> head;  // what it should have chained to
};

// A decoded record handed to the thread that folds its Deployment.
struct FoldWork {
  Pos pos;
  int64_t time_ms = 0;
  uint32_t object = 0;
  Chain* chain = nullptr;  // chains_ is a deque: the element stays put
  v1::ChangeRecord rec;
  std::string hash;
};

// A thread that folds the records of the Deployments given to it, in the
// order it gets them (a Deployment's records all come from one partition, in
// offset order). Reading, hashing and decoding stay on the calling thread, so
// on two cores verify runs the fold beside them (the fold was three quarters
// of its CPU). The queue is bounded: the reader waits rather than buffering
// the log. The destructor finishes the queue and joins.
class FoldThread {
 public:
  using Fn = std::function<void(FoldWork&)>;
  explicit FoldThread(Fn fn) : fn_(std::move(fn)), thread_([this] { Loop(); }) {}
  ~FoldThread() { Finish(); }
  FoldThread(const FoldThread&) = delete;
  FoldThread& operator=(const FoldThread&) = delete;

  void Push(std::vector<FoldWork> batch) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [this] { return queue_.size() < kMaxQueuedBatches; });
    queue_.push_back(std::move(batch));
    work_.notify_one();
  }

  // Folds everything pushed so far and stops the thread.
  void Finish() {
    {
      std::lock_guard lock(mu_);
      if (done_) return;
      done_ = true;
    }
    work_.notify_one();
    thread_.join();
  }

 private:
  static constexpr size_t kMaxQueuedBatches = 4;

  void Loop() {
    for (;;) {
      std::vector<FoldWork> batch;
      {
        std::unique_lock lock(mu_);
        work_.wait(lock, [this] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;  // done and drained
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
      room_.notify_one();
      for (FoldWork& w : batch) fn_(w);
    }
  }

  Fn fn_;
  std::mutex mu_;
  std::condition_variable work_, room_;
  std::deque<std::vector<FoldWork>> queue_;
  bool done_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

// What one fold thread found: the records it folded (by hash prefix, the
// first one of each) and the chain breaks among them.
struct FoldFindings {
  std::unordered_map<uint64_t, Seen> seen;
  std::vector<Break> breaks;
};

class Verifier {
 public:
  explicit Verifier(const VerifyOptions& options) : options_(options) {}

  StatusOr<VerifyReport> Run() {
    RB_ASSIGN_OR_RETURN(std::unique_ptr<events::KafkaReader> reader,
                        events::KafkaReader::Create(options_.kafka));
    RB_ASSIGN_OR_RETURN(std::optional<std::vector<events::KafkaReader::Watermark>> marks,
                        reader->Watermarks());
    if (!marks) {
      return NotFound(
          fmt::format("topic {} does not exist at {}", options_.kafka.topic, options_.kafka.brokers));
    }
    marks_ = *marks;
    const int32_t partitions = static_cast<int32_t>(marks_.size());
    report_.partitions = partitions;
    if (options_.projection != nullptr) {
      RB_ASSIGN_OR_RETURN(projected_next_, options_.projection->NextOffsets(partitions));
    }
    hashes_.resize(marks_.size());
    next_.resize(marks_.size());
    std::vector<std::pair<int32_t, int64_t>> assignment;
    for (int32_t p = 0; p < partitions; ++p) {
      const auto& m = marks_[static_cast<size_t>(p)];
      next_[static_cast<size_t>(p)] = m.low;
      hashes_[static_cast<size_t>(p)].assign(static_cast<size_t>(std::max<int64_t>(0, m.high - m.low)), 0);
      if (m.low > 0) {
        Add("removed", {p, -1}, "",
            fmt::format("offsets 0..{} of partition {} are gone (deleted with the delete-records API or by "
                        "retention); the log must keep every record",
                        m.low - 1, p));
      }
      if (m.high > m.low) assignment.emplace_back(p, m.low);
    }
    {
      const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
      findings_.resize(options_.fold_threads > 0 ? options_.fold_threads : std::clamp(cores - 1, 1u, 8u));
      for (size_t i = 0; i < findings_.size(); ++i) {
        folders_.push_back(std::make_unique<FoldThread>([this, i](FoldWork& w) { Fold(w, findings_[i]); }));
      }
      const Status read = Read(*reader, assignment);
      folders_.clear();  // joins: every record is folded
      if (!read.ok()) return read;
      MergeFindings();
    }
    ClassifyBreaks();
    if (options_.projection != nullptr) RB_RETURN_IF_ERROR(CompareProjection());
    report_.aggregates = static_cast<int64_t>(objects_.size());
    if (!options_.only_object.empty()) {
      std::erase_if(report_.findings,
                    [&](const Finding& f) { return !f.object.empty() && f.object != options_.only_object; });
    }
    std::stable_sort(report_.findings.begin(), report_.findings.end(),
                     [](const Finding& a, const Finding& b) {
                       return Before({a.partition, a.offset}, {b.partition, b.offset});
                     });
    return std::move(report_);
  }

 private:
  void Add(std::string problem, Pos pos, std::string object, std::string detail) {
    report_.findings.push_back(
        {std::move(problem), pos.partition, pos.offset, std::move(object), std::move(detail)});
  }

  Status Read(events::KafkaReader& reader, const std::vector<std::pair<int32_t, int64_t>>& assignment) {
    if (assignment.empty()) return Status::Ok();
    RB_RETURN_IF_ERROR(reader.Assign(assignment));
    size_t remaining = assignment.size();
    auto deadline = Clock::now() + std::chrono::milliseconds(options_.kafka.timeout_ms);
    while (remaining > 0) {
      if (Clock::now() > deadline) {
        return DeadlineExceeded(fmt::format("reading {} at {}: no records for {}ms", options_.kafka.topic,
                                            options_.kafka.brokers, options_.kafka.timeout_ms));
      }
      RB_ASSIGN_OR_RETURN(std::vector<events::LogMessage> batch, reader.Poll(10000, 100));
      if (batch.empty()) continue;
      deadline = Clock::now() + std::chrono::milliseconds(options_.kafka.timeout_ms);
      std::vector<std::vector<FoldWork>> work(folders_.size());
      for (const auto& m : batch) {
        const auto p = static_cast<size_t>(m.position.partition);
        const int64_t high = marks_[p].high;
        if (m.position.offset >= high || m.position.offset < next_[p])
          continue;  // past the snapshot, or seen
        if (std::optional<FoldWork> w = Check(m)) work[w->object % work.size()].push_back(std::move(*w));
        next_[p] = m.position.offset + 1;
        if (next_[p] >= high) --remaining;
      }
      for (size_t i = 0; i < work.size(); ++i) {
        if (!work[i].empty()) folders_[i]->Push(std::move(work[i]));
      }
    }
    return Status::Ok();
  }

  // The fold threads' findings into seen_ and breaks_, as if one thread had
  // folded the log in order: the first record of each hash wins, breaks in
  // log order (ClassifyBreaks details the first of each chain).
  void MergeFindings() {
    std::vector<std::pair<uint64_t, Seen>> all(undecodable_.begin(), undecodable_.end());
    for (FoldFindings& f : findings_) {
      all.insert(all.end(), f.seen.begin(), f.seen.end());
      breaks_.insert(breaks_.end(), std::make_move_iterator(f.breaks.begin()),
                     std::make_move_iterator(f.breaks.end()));
      f = FoldFindings();
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return Before(a.second.pos, b.second.pos); });
    seen_.reserve(all.size());
    for (const auto& [prefix, seen] : all) seen_.emplace(prefix, seen);
    std::stable_sort(breaks_.begin(), breaks_.end(),
                     [](const Break& a, const Break& b) { return Before(a.pos, b.pos); });
  }

  uint32_t ObjectIndex(const std::string& key) {
    auto [it, inserted] = object_index_.emplace(key, static_cast<uint32_t>(objects_.size()));
    if (inserted) {
      objects_.push_back(key);
      chains_.emplace_back();
    }
    return it->second;
  }

  // The reading thread's part of a record: offsets, hash, decoding. Returns
  // the work for the fold thread of its Deployment (none when it does not
  // decode).
  std::optional<FoldWork> Check(const events::LogMessage& m) {
    ++report_.records;
    const Pos pos{m.position.partition, m.position.offset};
    const auto p = static_cast<size_t>(pos.partition);
    if (pos.offset != next_[p]) {
      Add("removed", {pos.partition, next_[p]}, "",
          fmt::format("offsets {}..{} of partition {} are missing from the log", next_[p], pos.offset - 1,
                      pos.partition));
    }
    const std::string hash = events::RecordHash(m.value);
    hashes_[p][static_cast<size_t>(pos.offset - marks_[p].low)] = Prefix(hash);
    StatusOr<v1::ChangeRecord> decoded = events::DecodeRecord(m.key, m.value);
    if (!decoded.ok()) {
      undecodable_.emplace_back(Prefix(hash), Seen{pos, false, ObjectIndex(m.key)});
      Add("injected", pos, m.key,
          fmt::format("not a rollbook change record ({}); some other producer wrote it",
                      decoded.status().message()));
      return std::nullopt;
    }
    const uint32_t obj = ObjectIndex(events::RecordKey(decoded->namespace_(), decoded->name()));
    return FoldWork{pos, m.position.timestamp_ms, obj, &chains_[obj], std::move(*decoded), hash};
  }

  // A fold thread's part: the fold and the chain check. `out` and the chain
  // belong to the calling fold thread; the rest is read only here.
  void Fold(FoldWork& w, FoldFindings& out) {
    const Pos pos = w.pos;
    const uint32_t obj = w.object;
    const v1::ChangeRecord& rec = w.rec;
    Chain& chain = *w.chain;
    const auto p = static_cast<size_t>(pos.partition);
    if (options_.projection != nullptr && !chain.snapshot && pos.offset >= projected_next_[p]) {
      chain.snapshot = chain.agg;  // the state the projection should hold
    }
    const std::string head = chain.agg.last_record_hash();
    const std::optional<Pos> head_pos = chain.head;
    const fold::FoldResult result = fold::ApplyRecord(chain.agg, rec, w.time_ms, w.hash);
    const bool applied = result.outcome.applied;
    out.seen.emplace(Prefix(w.hash), Seen{pos, applied, obj});
    if (applied) chain.head = pos;

    const std::string& prev = rec.prev_record_hash();
    bool breaks = false;
    if (applied) {
      breaks = prev != head;
    } else if (!prev.empty()) {
      // A rejected record (a concurrent loser) may chain to any earlier applied
      // link of its own aggregate, but to nothing else. Its own aggregate's
      // records are all folded by this thread, so `out.seen` is enough.
      auto it = out.seen.find(Prefix(prev));
      breaks = it == out.seen.end() || !it->second.applied || it->second.object != obj ||
               !Before(it->second.pos, pos);
    }
    if (breaks) out.breaks.push_back({pos, obj, applied, prev, head_pos});
  }

  void ClassifyBreaks() {
    for (const Break& b : breaks_) {
      Chain& chain = chains_[b.object];
      const std::string& object = objects_[b.object];
      if (chain.reported++ > 0) continue;  // the first break explains the rest
      auto it = b.prev.empty() ? seen_.end() : seen_.find(Prefix(b.prev));
      if (it != seen_.end() && Before(b.pos, it->second.pos)) {
        Add("reordered", b.pos, object,
            fmt::format("chains to the record at {}, which comes after it in the log", At(it->second.pos)));
      } else if (it != seen_.end()) {
        Add("injected", b.pos, object,
            fmt::format("does not extend the chain of {}: it chains to the record at {}{}", object,
                        At(it->second.pos),
                        b.head ? fmt::format(", but the last applied record was at {}", At(*b.head)) : ""));
      } else if (b.prev.empty()) {
        Add("injected", b.pos, object,
            fmt::format("carries no chain link although {} has history{}; it was not written by rollbook",
                        object, b.head ? fmt::format(" (last applied record at {})", At(*b.head)) : ""));
      } else if (b.applied && b.head) {
        // Versions line up, so nothing applied is missing: the predecessor's
        // bytes are not the ones this record committed to.
        Add("altered", *b.head, object,
            fmt::format("the record's bytes do not hash to {}, which its successor at {} chains to",
                        events::ShortHash(b.prev), At(b.pos)));
      } else {
        Add("removed", b.pos, object,
            fmt::format("chains to a record (hash {}) that is not in the log: it was removed or altered",
                        events::ShortHash(b.prev)));
      }
    }
    for (size_t i = 0; i < chains_.size(); ++i) {
      if (chains_[i].reported > 1) {
        Add("removed", {-1, -1}, objects_[i],
            fmt::format("{} more record(s) of {} do not extend its chain (see the first finding)",
                        chains_[i].reported - 1, objects_[i]));
      }
    }
  }

  std::optional<uint64_t> LogHash(int32_t partition, int64_t offset) const {
    if (partition < 0 || static_cast<size_t>(partition) >= marks_.size()) return std::nullopt;
    const auto p = static_cast<size_t>(partition);
    if (offset < marks_[p].low || offset >= next_[p]) return std::nullopt;
    return hashes_[p][static_cast<size_t>(offset - marks_[p].low)];
  }

  Status CompareProjection() {
    store::Db& db = options_.projection->db();
    for (size_t p = 0; p < marks_.size(); ++p) {
      if (projected_next_[p] > marks_[p].high) {
        Add("removed", {static_cast<int32_t>(p), marks_[p].high}, "",
            fmt::format("the projection applied partition {} up to offset {} but the log ends at offset {}: "
                        "the topic was recreated or truncated",
                        p, projected_next_[p] - 1, marks_[p].high - 1));
      }
    }
    // Every applied offset must be in the log with the same bytes.
    std::vector<std::vector<bool>> covered(marks_.size());
    for (size_t p = 0; p < marks_.size(); ++p) covered[p].assign(hashes_[p].size(), false);
    std::vector<int64_t> altered_in_partition(marks_.size(), 0);
    for (const char* sql : {"SELECT partition, offset, record_hash, namespace || '/' || name FROM changes",
                            "SELECT partition, offset, value_hash, CAST(key AS TEXT) FROM quarantine"}) {
      RB_ASSIGN_OR_RETURN(store::Stmt s, db.Prepare(sql));
      for (;;) {
        RB_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        ++report_.projection_rows_checked;
        const Pos pos{static_cast<int32_t>(s.Int(0)), s.Int(1)};
        const std::string projected = s.Blob(2);
        const std::optional<uint64_t> logged = LogHash(pos.partition, pos.offset);
        if (!logged) {
          Add("removed", pos, s.Text(3), "the projection applied a record here that the log no longer has");
          continue;
        }
        const auto p = static_cast<size_t>(pos.partition);
        covered[p][static_cast<size_t>(pos.offset - marks_[p].low)] = true;
        if (*logged != Prefix(projected)) {
          // A removal or insertion shifts every later offset: detail the first
          // few per partition and count the rest.
          if (++altered_in_partition[p] <= kDetailedShifts) {
            Add("altered", pos, s.Text(3),
                fmt::format("the record in the log is not the one the projection applied (applied hash {})",
                            events::ShortHash(projected)));
          }
        }
      }
    }
    for (size_t p = 0; p < marks_.size(); ++p) {
      if (altered_in_partition[p] > kDetailedShifts) {
        Add("altered", {static_cast<int32_t>(p), -1}, "",
            fmt::format(
                "{} more record(s) of partition {} differ from what the projection applied (records were "
                "removed, inserted or rewritten before them)",
                altered_in_partition[p] - kDetailedShifts, p));
      }
    }
    for (size_t p = 0; p < marks_.size(); ++p) {
      const int64_t upto = std::min(projected_next_[p], next_[p]);
      for (int64_t o = marks_[p].low; o < upto; ++o) {
        if (!covered[p][static_cast<size_t>(o - marks_[p].low)]) {
          Add("injected", {static_cast<int32_t>(p), o}, "",
              "the log has a record here that the projection never applied (it appeared after the projection "
              "passed this offset)");
        }
      }
    }
    // Every Deployment row must equal the replay at the projection's offsets.
    RB_ASSIGN_OR_RETURN(store::Stmt s,
                        db.Prepare(fmt::format("SELECT namespace, name, state, {} FROM deployments",
                                               store::kDeploymentRowColumns)));
    store::Templates templates(db);
    std::vector<bool> matched(chains_.size(), false);
    for (;;) {
      RB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ++report_.projection_rows_checked;
      const std::string key = events::RecordKey(s.Text(0), s.Text(1));
      state::v1::Aggregate projected;
      if (!projected.ParseFromString(s.Blob(2))) {
        Add("projection", {}, key, "the row's state blob is corrupt");
        continue;
      }
      auto it = object_index_.find(key);
      if (it == object_index_.end()) {
        Add("projection", {}, key, "the projection has this Deployment but the log has no record of it");
        continue;
      }
      matched[it->second] = true;
      const Chain& chain = chains_[it->second];
      const state::v1::Aggregate& replayed = chain.snapshot ? *chain.snapshot : chain.agg;
      // The row names its ReplicaSets' templates by digest (store/projection/
      // templates.h); comparing with the texts loaded checks those rows too.
      if (Status filled = templates.Fill(projected); !filled.ok()) {
        Add("projection", {}, key, filled.message());
        continue;
      }
      if (fold::CanonicalBytes(projected) != fold::CanonicalBytes(replayed)) {
        Add("projection", {}, key,
            fmt::format(
                "the row disagrees with a replay of the log (version {} in the projection, {} from the log; "
                "chain head {} vs {})",
                projected.version(), replayed.version(), events::ShortHash(projected.last_record_hash()),
                events::ShortHash(replayed.last_record_hash())));
        continue;
      }
      // `get deployments` prints these columns without reading the state.
      const std::string differing =
          store::DifferingColumns(store::ReadRowColumns(s, 3), store::RowColumnsOf(replayed));
      if (!differing.empty()) {
        Add("projection", {}, key,
            fmt::format("the row's column(s) {} disagree with its state and a replay of the log", differing));
      }
    }
    for (size_t i = 0; i < chains_.size(); ++i) {
      const state::v1::Aggregate& replayed = chains_[i].snapshot ? *chains_[i].snapshot : chains_[i].agg;
      if (!matched[i] && replayed.version() > 0) {
        Add("projection", {}, objects_[i],
            "the log has applied records of this Deployment but the projection "
            "has no row for it");
      }
    }
    RB_RETURN_IF_ERROR(CompareLabels(db));
    RB_RETURN_IF_ERROR(CompareListing(db));
    return CompareListingCheckpoints(db);
  }

  // listing_checkpoints (store/projection/listing_checkpoint.h), which `get
  // deployments --at` starts from, must each equal what the audit rows up to
  // its time give: one pass over them in effective-time order. (The audit
  // rows themselves are the records' outcomes; their hashes are checked
  // against the log above.)
  Status CompareListingCheckpoints(store::Db& db) {
    using Key = std::pair<std::string, std::string>;
    std::map<Key, store::CheckpointEntry> now, since_full;  // ordered like a checkpoint's entries
    int64_t full_ms = INT64_MIN;
    bool have_full = false;
    RB_ASSIGN_OR_RETURN(store::Stmt rows, db.Prepare(store::kRowsAfterCheckpoint));
    rows.Bind(1, INT64_MIN).Bind(2, INT64_MAX);
    RB_ASSIGN_OR_RETURN(bool more, rows.Step());
    RB_ASSIGN_OR_RETURN(
        store::Stmt checkpoints,
        db.Prepare("SELECT time_ms, base_ms, body FROM listing_checkpoints ORDER BY time_ms"));
    for (;;) {
      RB_ASSIGN_OR_RETURN(bool row, checkpoints.Step());
      if (!row) break;
      ++report_.projection_rows_checked;
      const int64_t time_ms = checkpoints.Int(0);
      while (more && rows.Int(11) <= time_ms) {
        store::CheckpointEntry e = store::CheckpointEntryFromRow(rows);
        Key key{e.ns, e.name};
        since_full[key] = e;
        now[std::move(key)] = std::move(e);
        RB_ASSIGN_OR_RETURN(more, rows.Step());
      }
      const std::string at = fmt::format("the listing checkpoint at {} ms", time_ms);
      const bool full = checkpoints.IsNull(1);
      if (!full && (!have_full || checkpoints.Int(1) != full_ms)) {
        Add("projection", {}, "",
            fmt::format("{} names the full checkpoint at {} ms as its base, but the full one before it is {}",
                        at, checkpoints.Int(1), have_full ? fmt::format("at {} ms", full_ms) : "missing"));
      }
      StatusOr<std::vector<store::CheckpointEntry>> stored = store::DecodeCheckpoint(checkpoints.BlobView(2));
      if (!stored.ok()) {
        Add("projection", {}, "", fmt::format("{}: {}", at, stored.status().message()));
      } else {
        const auto& expected = full ? now : since_full;
        auto it = expected.begin();
        size_t i = 0;
        for (; i < stored->size() && it != expected.end(); ++i, ++it) {
          if ((*stored)[i] != it->second) break;
        }
        if (i < stored->size() || it != expected.end()) {
          const std::string object = i < stored->size()
                                         ? events::RecordKey((*stored)[i].ns, (*stored)[i].name)
                                         : events::RecordKey(it->first.first, it->first.second);
          Add("projection", {}, object,
              fmt::format("{} disagrees with the audit rows up to that time ({} entries, {} expected; the "
                          "first difference is this Deployment's)",
                          at, stored->size(), expected.size()));
        }
      }
      if (full) {
        full_ms = time_ms;
        have_full = true;
        since_full.clear();
      }
    }
    return Status::Ok();
  }

  // deployment_labels, which answers the label probes of `get deployments
  // -l` when no label drives it, must hold each Deployment's labels as of its
  // last record (kept after a delete, like its row).
  Status CompareLabels(store::Db& db) {
    std::map<std::string, std::string> expected;  // object \0 key -> value; ordered: findings are stable
    for (size_t i = 0; i < chains_.size(); ++i) {
      const state::v1::Aggregate& replayed = chains_[i].snapshot ? *chains_[i].snapshot : chains_[i].agg;
      if (replayed.version() == 0) continue;
      for (const auto& [k, v] : replayed.deployment().metadata().labels())
        expected[objects_[i] + '\0' + k] = v;
    }
    RB_ASSIGN_OR_RETURN(store::Stmt s,
                        db.Prepare("SELECT namespace, name, key, value FROM deployment_labels"));
    for (;;) {
      RB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ++report_.projection_rows_checked;
      const std::string object = events::RecordKey(s.Text(0), s.Text(1));
      auto it = expected.find(object + '\0' + s.Text(2));
      if (it == expected.end()) {
        Add("projection", {}, object,
            fmt::format(
                "deployment_labels has label {}={} that a replay of the log does not give this Deployment",
                s.Text(2), s.Text(3)));
        continue;
      }
      if (it->second != s.Text(3)) {
        Add("projection", {}, object,
            fmt::format("deployment_labels has {}={} where a replay of the log gives {}={}", s.Text(2),
                        s.Text(3), s.Text(2), it->second));
      }
      expected.erase(it);
    }
    for (const auto& [composite, value] : expected) {
      const size_t cut = composite.find('\0');
      Add("projection", {}, composite.substr(0, cut),
          fmt::format("deployment_labels lacks label {}={} that a replay of the log gives it",
                      composite.substr(cut + 1), value));
    }
    return Status::Ok();
  }

  // deployment_listing (store/projection/listing_row.h), which `get
  // deployments -l` reads instead of the state rows, must hold exactly the
  // rows the replayed Deployments give: one per label of each live one.
  Status CompareListing(store::Db& db) {
    struct Expected {
      std::string listing, object;
    };
    std::map<std::string, Expected> expected;  // key \0 value \0 object; ordered: findings are stable
    for (size_t i = 0; i < chains_.size(); ++i) {
      const state::v1::Aggregate& replayed = chains_[i].snapshot ? *chains_[i].snapshot : chains_[i].agg;
      if (!replayed.exists()) continue;
      const std::string& object = objects_[i];
      const size_t slash = object.find('/');
      const std::string listing =
          store::EncodeListing(object.substr(0, slash), object.substr(slash + 1), replayed);
      for (const auto& [k, v] : replayed.deployment().metadata().labels()) {
        expected.emplace(k + '\0' + v + '\0' + object, Expected{listing, object});
      }
    }
    RB_ASSIGN_OR_RETURN(store::Stmt s,
                        db.Prepare("SELECT key, value, namespace, name, listing FROM deployment_listing"));
    for (;;) {
      RB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ++report_.projection_rows_checked;
      const std::string object = events::RecordKey(s.Text(2), s.Text(3));
      const std::string label = s.Text(0) + "=" + s.Text(1);
      auto it = expected.find(s.Text(0) + '\0' + s.Text(1) + '\0' + object);
      if (it == expected.end()) {
        Add("projection", {}, object,
            fmt::format("deployment_listing has a row for label {} that a replay of the log does not give "
                        "this Deployment",
                        label));
        continue;
      }
      if (s.Blob(4) != it->second.listing) {
        Add("projection", {}, object,
            fmt::format("the deployment_listing row for label {} disagrees with a replay of the log", label));
      }
      expected.erase(it);
    }
    for (const auto& [composite, e] : expected) {
      const size_t k_end = composite.find('\0');
      const size_t v_end = composite.find('\0', k_end + 1);
      Add("projection", {}, e.object,
          fmt::format("deployment_listing lacks the row for label {}={} that a replay of the log gives it",
                      composite.substr(0, k_end), composite.substr(k_end + 1, v_end - k_end - 1)));
    }
    return Status::Ok();
  }

  const VerifyOptions& options_;
  VerifyReport report_;
  std::vector<events::KafkaReader::Watermark> marks_;
  std::vector<int64_t> projected_next_;
  std::vector<int64_t> next_;                  // per partition: next offset expected
  std::vector<std::vector<uint64_t>> hashes_;  // per partition, per offset: hash prefix
  std::unordered_map<uint64_t, Seen> seen_;    // hash prefix -> first record with it
  std::unordered_map<std::string, uint32_t> object_index_;
  std::vector<std::string> objects_;
  std::deque<Chain> chains_;  // grows while fold threads hold pointers to its elements
  std::vector<Break> breaks_;
  std::vector<std::pair<uint64_t, Seen>> undecodable_;  // seen_ entries of the reading thread
  std::vector<FoldFindings> findings_;                  // one per fold thread
  std::vector<std::unique_ptr<FoldThread>> folders_;    // last: joined before the rest goes
};

}  // namespace

StatusOr<VerifyReport> Verify(const VerifyOptions& options) { return Verifier(options).Run(); }

}  // namespace rollbook::services
