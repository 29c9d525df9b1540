// Listing checkpoints: what `get deployments --at` lists, saved as audit rows
// accumulate, so that the listing at a past time is a checkpoint at or
// before it plus the few audit rows after that (schema version 7) instead
// of one index probe per Deployment.
//
// Table (store/projection/projection.h):
//   listing_checkpoints(time_ms INTEGER PRIMARY KEY, base_ms INTEGER NULL,
//                       deployments INTEGER, body BLOB)
// Two kinds, one every kListingCheckpointEvery audit rows (in effective-time
// order, a stretch ending between two times):
//   * full (base_ms NULL): for every Deployment with a `changes` row of
//     effective_time_ms <= time_ms, the listing columns of its last such row
//     (the row StateAtTime's rule picks: effective times never go back
//     within a Deployment). Every kDeltasPerFull + 1'th checkpoint.
//   * delta (base_ms = the time of the full checkpoint before it): the same,
//     for the Deployments with a row in (base_ms, time_ms] only.
// So a listing reads one full checkpoint (ten thousand entries at most, as
// many as Deployments), at most one delta, and fewer than
// kListingCheckpointEvery rows: a time just before a full checkpoint costs
// about what a time just after one does.
//
// Checkpoints are derived from `changes` alone, exact by construction
// (ExtendListingCheckpoints). A row later inserted with effective_time_ms <=
// time_ms (a partition applied late) makes a checkpoint wrong, so the writer
// deletes every checkpoint at or after that row's time in the same
// transaction (projection.cc, KeepListingCheckpoints); a delta is never
// older than its base, so none is left without one. Where checkpoints sit
// depends on how the file was written (a rebuild places them at fixed
// strides; a live writer when it has applied enough rows), so the projection
// digest leaves them out and `verify` recomputes each one.
//
// Format of `body` (unsigned LEB128 varints, the signed ones zigzag-encoded
// as in protobuf's sint64: store/projection/varint.h):
//   uint entry count N
//   N x entry, sorted by (namespace, name), each:
//     uint shared, uint suffix length, suffix bytes, uint namespace length
//          -- key = namespace + name; its first `shared` bytes are the
//          -- previous entry's (prefix compression: names share prefixes)
//     uint exists (0 or 1)
//     sint64 replicas, updated, ready, available, created_ms
//     uint partition, uint offset, sint64 log_time_ms
//          -- the audit row's position and broker time (the "as of" line)
// Hand-written, like listing_row.h, because a query decodes ten thousand
// entries and a protobuf message would copy each string.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/projection/sqlite.h"

namespace rollbook::store {

// Audit rows between checkpoints: a `get --at` reads fewer rows than this
// after its checkpoint. With kDeltasPerFull, a full checkpoint every 2,048
// rows (docs/benchmarks.md, 5d, for how they were chosen).
inline constexpr int64_t kListingCheckpointEvery = 512;
inline constexpr int kDeltasPerFull = 3;

// One Deployment in a listing checkpoint: the listing columns of its last
// audit row at or before the checkpoint's time.
struct CheckpointEntry {
  std::string ns, name;
  bool exists = false;
  int64_t replicas = 0, updated = 0, ready = 0, available = 0, created_ms = 0;
  int32_t partition = 0;
  int64_t offset = 0, log_time_ms = 0;
  bool operator==(const CheckpointEntry&) const = default;
};

// `entries` must be sorted by (ns, name) with no key twice.
std::string EncodeCheckpoint(const std::vector<CheckpointEntry>& entries);
// DataLoss naming what is malformed when `body` is not a well-formed checkpoint.
StatusOr<std::vector<CheckpointEntry>> DecodeCheckpoint(std::string_view body);

// Reads a checkpoint's entries one at a time without copying them (a
// `get --at` turns only the ones it lists into strings). Unlike
// DecodeCheckpoint it does not check that the keys are in order (`verify`
// recomputes every checkpoint; bounds are always checked):
//   CheckpointDecoder d(body);
//   while (d.Next()) use(d.ns(), d.name(), d.entry());
//   if (!d.status().ok()) ...
class CheckpointDecoder {
 public:
  explicit CheckpointDecoder(std::string_view body);
  // False at the end or at the first malformed entry (then status() says so).
  bool Next();
  std::string_view ns() const { return std::string_view(key_.data(), ns_size_); }
  std::string_view name() const { return std::string_view(key_.data() + ns_size_, key_size_ - ns_size_); }
  // The current entry's columns; its ns and name are left empty.
  const CheckpointEntry& columns() const { return columns_; }
  const Status& status() const { return status_; }
  size_t count() const { return count_; }

 private:
  bool Fail(const char* what);
  static constexpr size_t kSuffixCopy = 16;

  const uint8_t* p_;
  const uint8_t* end_;
  size_t count_ = 0, read_ = 0;
  std::string key_;  // the current key in its first key_size_ bytes
  size_t key_size_ = 0, ns_size_ = 0;
  CheckpointEntry columns_;
  Status status_;
};

// Merges a full checkpoint's body, a delta's body (entries newer than the
// full one's) and `after` (LastRowPerDeployment of the rows after both),
// reading the bodies in place: for each key in any of them, in key order,
// calls fn(ns, name, columns) with the newest source's columns (`after` over
// the delta over the full checkpoint), deleted Deployments included. The
// views are valid during the call only. DataLoss naming the body when one is
// malformed; entries before that point have been handed over.
template <typename Fn>
Status MergeCheckpoint(std::string_view full_body, std::string_view delta_body,
                       const std::vector<CheckpointEntry>& after, Fn&& fn);

// Reads one row of kRowsAfterCheckpoint (below; its last column, the
// effective time, is the caller's).
CheckpointEntry CheckpointEntryFromRow(const Stmt& s);

// The last of each Deployment's rows among `rows` (audit rows in index
// order), sorted by (ns, name).
std::vector<CheckpointEntry> LastRowPerDeployment(std::vector<CheckpointEntry> rows);

// Merges `later` (audit rows in index order: effective time, partition,
// offset) into `base` (sorted by key): each Deployment keeps its last row.
// The result is sorted by key.
std::vector<CheckpointEntry> MergeCheckpointRows(std::vector<CheckpointEntry> base,
                                                 std::vector<CheckpointEntry> later);

// Appends checkpoints after the latest one: from it (or from nothing), reads
// the audit rows that follow in effective-time order and writes a checkpoint
// each time `every` more rows are covered, at the effective time of the
// last of them (ties included), a full one after kDeltasPerFull deltas.
// Leaves the rows past the last full stretch for a later call and returns
// their count. The caller holds the write transaction; the index
// changes_by_effective_time must exist.
StatusOr<int64_t> ExtendListingCheckpoints(Db& db, int64_t every = kListingCheckpointEvery);

// The latest checkpoint at or before a time, opened for reading: its body
// and, for a delta, its full checkpoint's body stay in SQLite's buffers (read
// them in place with CheckpointDecoders while this object lives; a malformed
// body shows in the decoder's status). DataLoss when a delta's base is missing.
class OpenCheckpoint {
 public:
  static StatusOr<OpenCheckpoint> LatestAtOrBefore(Db& db, int64_t time_ms);

  // INT64_MIN when there is no checkpoint at or before the time.
  int64_t time_ms() const { return time_ms_; }
  // The full checkpoint's time: time_ms() unless the latest is a delta.
  int64_t full_ms() const { return full_ms_; }
  bool is_delta() const { return full_ms_ != time_ms_; }
  // The full checkpoint's body; an empty checkpoint when there is none.
  std::string_view full_body() const { return full_body_; }
  // The delta's body; an empty checkpoint unless is_delta().
  std::string_view delta_body() const { return delta_body_; }

 private:
  int64_t time_ms_ = INT64_MIN, full_ms_ = INT64_MIN;
  Stmt latest_, base_;  // hold the rows the bodies point into
  std::string_view full_body_{"\0", 1}, delta_body_{"\0", 1};
};

// The same, decoded: what ExtendListingCheckpoints starts from.
struct ListingCheckpoint {
  int64_t time_ms = INT64_MIN;
  std::optional<int64_t> base_ms;  // set when the latest is a delta
  std::vector<CheckpointEntry> full, delta;
};
StatusOr<ListingCheckpoint> LatestCheckpointAtOrBefore(Db& db, int64_t time_ms);

// The audit rows with from_ms < effective_time_ms <= to_ms, in index order
// (effective time, partition, offset): kRowsAfterCheckpoint bound to them.
inline constexpr char kRowsAfterCheckpoint[] =
    "SELECT namespace, name, exists_after, replicas_after, updated_after, ready_after, available_after, "
    "created_ms_after, partition, offset, log_time_ms, effective_time_ms FROM changes "
    "WHERE effective_time_ms > ? AND effective_time_ms <= ? ORDER BY effective_time_ms, partition, offset";
StatusOr<std::vector<CheckpointEntry>> CheckpointRowsBetween(Db& db, int64_t from_ms, int64_t to_ms);

namespace checkpoint_internal {

// Byte order of two strings, -1, 0 or 1, as memcmp then length. Asked once
// per entry of a merge, of keys that share long prefixes (one namespace,
// names numbered alike): inline, eight bytes at a time, rather than by calls
// to memcmp.
inline int CompareText(std::string_view a, std::string_view b) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) {
      if constexpr (std::endian::native == std::endian::little) {
        x = __builtin_bswap64(x);  // the first byte most significant, as memcmp orders
        y = __builtin_bswap64(y);
      }
      return x < y ? -1 : 1;
    }
  }
  for (; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]) ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}
inline int CompareKeys(std::string_view a_ns, std::string_view a_name, std::string_view b_ns,
                       std::string_view b_name) {
  const int c = CompareText(a_ns, b_ns);
  return c != 0 ? c : CompareText(a_name, b_name);
}

}  // namespace checkpoint_internal

template <typename Fn>
Status MergeCheckpoint(std::string_view full_body, std::string_view delta_body,
                       const std::vector<CheckpointEntry>& after, Fn&& fn) {
  using checkpoint_internal::CompareKeys;
  CheckpointDecoder full(full_body), delta(delta_body);
  // The newer entries, the delta's and after's merged (after's winning on a
  // key in both), are read as one stream beside the full checkpoint's: most
  // full entries cost one comparison.
  struct Head {
    std::string_view ns, name;
    const CheckpointEntry* columns = nullptr;  // null once the source is used up
  };
  Head in_delta, in_after, later;
  size_t next_after = 0;
  bool later_in_delta = false, later_in_after = false;
  auto step_delta = [&] {
    in_delta = delta.Next() ? Head{delta.ns(), delta.name(), &delta.columns()} : Head{};
  };
  auto step_after = [&] {
    in_after = Head{};
    if (next_after == after.size()) return;
    const CheckpointEntry& e = after[next_after++];
    in_after = Head{e.ns, e.name, &e};
  };
  auto pick_later = [&] {
    const int c = !in_after.columns   ? -1
                  : !in_delta.columns ? 1
                                      : CompareKeys(in_delta.ns, in_delta.name, in_after.ns, in_after.name);
    later_in_delta = in_delta.columns && c <= 0;
    later_in_after = in_after.columns && c >= 0;
    later = later_in_after ? in_after : in_delta;
  };
  step_delta();
  step_after();
  pick_later();
  bool in_full = full.Next();
  while (in_full || later.columns) {
    const int c = !later.columns ? -1
                  : !in_full     ? 1
                                 : CompareKeys(full.ns(), full.name(), later.ns, later.name);
    if (c < 0) {
      fn(full.ns(), full.name(), full.columns());
      in_full = full.Next();
      continue;
    }
    fn(later.ns, later.name, *later.columns);
    if (c == 0) in_full = full.Next();
    if (later_in_delta) step_delta();
    if (later_in_after) step_after();
    pick_later();
  }
  if (!full.status().ok()) return full.status().WithContext("full checkpoint");
  if (!delta.status().ok()) return delta.status().WithContext("delta checkpoint");
  return Status::Ok();
}

}  // namespace rollbook::store
