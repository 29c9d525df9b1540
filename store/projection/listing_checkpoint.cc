#include "store/projection/listing_checkpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "store/projection/varint.h"

namespace rollbook::store {

namespace {

using varint::UnZigZag;
using varint::ZigZag;

// (ns, name) order.
bool KeyLess(const CheckpointEntry& a, const CheckpointEntry& b) {
  const int c = a.ns.compare(b.ns);
  return c != 0 ? c < 0 : a.name < b.name;
}
bool KeyEqual(const CheckpointEntry& a, const CheckpointEntry& b) { return a.ns == b.ns && a.name == b.name; }

}  // namespace

std::string EncodeCheckpoint(const std::vector<CheckpointEntry>& entries) {
  std::string out;
  out.reserve(entries.size() * 32 + 8);
  varint::Put(out, entries.size());
  std::string previous, key;
  for (const CheckpointEntry& e : entries) {
    key.assign(e.ns).append(e.name);
    const size_t limit = std::min(previous.size(), key.size());
    size_t shared = 0;
    while (shared < limit && previous[shared] == key[shared]) ++shared;
    varint::Put(out, shared);
    varint::Put(out, key.size() - shared);
    out.append(key, shared, std::string::npos);
    varint::Put(out, e.ns.size());
    varint::Put(out, e.exists ? 1 : 0);
    for (int64_t v : {e.replicas, e.updated, e.ready, e.available, e.created_ms}) varint::Put(out, ZigZag(v));
    varint::Put(out, static_cast<uint64_t>(e.partition));
    varint::Put(out, static_cast<uint64_t>(e.offset));
    varint::Put(out, ZigZag(e.log_time_ms));
    std::swap(previous, key);
  }
  return out;
}

CheckpointDecoder::CheckpointDecoder(std::string_view body)
    : p_(reinterpret_cast<const uint8_t*>(body.data())), end_(p_ + body.size()) {
  uint64_t count = 0;
  if (!varint::Read(p_, end_, &count)) {
    Fail("no entry count");
    return;
  }
  // Each entry takes at least 12 bytes (12 varints): a bound on `count` before anyone reserves.
  if (count > static_cast<uint64_t>(end_ - p_) / 12) {
    Fail("more entries than bytes");
    return;
  }
  count_ = count;
}

bool CheckpointDecoder::Fail(const char* what) {
  if (status_.ok()) {
    status_ =
        DataLoss(fmt::format("listing checkpoint: entry {} is malformed ({}); `rollbook admin rebuild` "
                             "rewrites the projection",
                             read_, what));
  }
  p_ = end_;
  count_ = read_;
  return false;
}

bool CheckpointDecoder::Next() {
  if (read_ == count_) {
    if (status_.ok() && p_ != end_) return Fail("bytes after the last entry");
    return false;
  }
  // A local cursor: through the member, every varint stored and reloaded it
  // (perf put a quarter of this function's samples on that reload; the time
  // saved was within the noise of one machine, docs/benchmarks.md).
  const uint8_t* p = p_;
  uint64_t shared = 0, suffix = 0, ns_size = 0;
  if (!varint::Read(p, end_, &shared) || !varint::Read(p, end_, &suffix)) return Fail("truncated key");
  if (shared > key_size_ || suffix > static_cast<uint64_t>(end_ - p)) return Fail("key out of range");
  // key_ only grows: the prefix stays in place and the suffix is copied after
  // it. Suffixes are short (names share their prefix with the one before): a
  // fixed 16-byte copy, which compiles to two moves, where both sides have the
  // room (the bytes past the key in key_ are never read), else memcpy's call.
  if (shared + suffix + kSuffixCopy > key_.size()) key_.resize(shared + suffix + kSuffixCopy);
  if (suffix <= kSuffixCopy && end_ - p >= static_cast<ptrdiff_t>(kSuffixCopy)) {
    std::memcpy(key_.data() + shared, p, kSuffixCopy);
  } else {
    std::memcpy(key_.data() + shared, p, suffix);
  }
  key_size_ = shared + suffix;
  p += suffix;
  if (!varint::Read(p, end_, &ns_size) || ns_size > key_size_) return Fail("namespace out of range");
  ns_size_ = ns_size;
  uint64_t v[9];
  for (uint64_t& x : v) {
    if (!varint::Read(p, end_, &x)) return Fail("truncated columns");
  }
  if (v[0] > 1) return Fail("exists is neither 0 nor 1");
  if (v[6] > static_cast<uint64_t>(INT32_MAX)) return Fail("partition out of range");
  if (v[7] > static_cast<uint64_t>(INT64_MAX)) return Fail("offset out of range");
  p_ = p;
  columns_.exists = v[0] == 1;
  columns_.replicas = UnZigZag(v[1]);
  columns_.updated = UnZigZag(v[2]);
  columns_.ready = UnZigZag(v[3]);
  columns_.available = UnZigZag(v[4]);
  columns_.created_ms = UnZigZag(v[5]);
  columns_.partition = static_cast<int32_t>(v[6]);
  columns_.offset = static_cast<int64_t>(v[7]);
  columns_.log_time_ms = UnZigZag(v[8]);
  ++read_;
  return true;
}

StatusOr<std::vector<CheckpointEntry>> DecodeCheckpoint(std::string_view body) {
  CheckpointDecoder d(body);
  std::vector<CheckpointEntry> out;
  out.reserve(d.count());
  while (d.Next()) {
    out.push_back(d.columns());
    out.back().ns = d.ns();
    out.back().name = d.name();
  }
  if (!d.status().ok()) return d.status();
  for (size_t i = 1; i < out.size(); ++i) {
    if (!KeyLess(out[i - 1], out[i])) {
      return DataLoss(
          fmt::format("listing checkpoint: entry {} is out of order; `rollbook admin rebuild` "
                      "rewrites the projection",
                      i));
    }
  }
  return out;
}

CheckpointEntry CheckpointEntryFromRow(const Stmt& s) {
  CheckpointEntry e;
  e.ns = s.TextView(0);
  e.name = s.TextView(1);
  e.exists = s.Int(2) != 0;
  e.replicas = s.Int(3);
  e.updated = s.Int(4);
  e.ready = s.Int(5);
  e.available = s.Int(6);
  e.created_ms = s.Int(7);
  e.partition = static_cast<int32_t>(s.Int(8));
  e.offset = s.Int(9);
  e.log_time_ms = s.Int(10);
  return e;
}

std::vector<CheckpointEntry> LastRowPerDeployment(std::vector<CheckpointEntry> rows) {
  // Sorts positions rather than entries (cheaper to move), the position
  // breaking ties: among one Deployment's rows the last in log order ends last.
  std::vector<uint32_t> order(rows.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    const CheckpointEntry& a = rows[x];
    const CheckpointEntry& b = rows[y];
    if (int c = a.ns.compare(b.ns); c != 0) return c < 0;
    if (int c = a.name.compare(b.name); c != 0) return c < 0;
    return x < y;
  });
  std::vector<CheckpointEntry> last;
  last.reserve(rows.size());
  for (size_t i = 0; i < order.size(); ++i) {
    if (i + 1 < order.size() && KeyEqual(rows[order[i]], rows[order[i + 1]])) continue;
    last.push_back(std::move(rows[order[i]]));
  }
  return last;
}

std::vector<CheckpointEntry> MergeCheckpointRows(std::vector<CheckpointEntry> base,
                                                 std::vector<CheckpointEntry> later) {
  if (later.empty()) return base;
  std::vector<CheckpointEntry> last = LastRowPerDeployment(std::move(later));
  if (base.empty()) return last;
  std::vector<CheckpointEntry> out;
  out.reserve(base.size() + last.size());
  size_t b = 0, l = 0;
  while (b < base.size() || l < last.size()) {
    if (l == last.size() || (b < base.size() && KeyLess(base[b], last[l]))) {
      out.push_back(std::move(base[b++]));
    } else {
      if (b < base.size() && KeyEqual(base[b], last[l])) ++b;  // the later row replaces it
      out.push_back(std::move(last[l++]));
    }
  }
  return out;
}

StatusOr<OpenCheckpoint> OpenCheckpoint::LatestAtOrBefore(Db& db, int64_t time_ms) {
  OpenCheckpoint out;
  RB_ASSIGN_OR_RETURN(out.latest_, db.Prepare("SELECT time_ms, base_ms, body FROM listing_checkpoints WHERE "
                                              "time_ms <= ? ORDER BY time_ms DESC LIMIT 1"));
  out.latest_.Bind(1, time_ms);
  RB_ASSIGN_OR_RETURN(bool row, out.latest_.Step());
  if (!row) return out;
  out.time_ms_ = out.full_ms_ = out.latest_.Int(0);
  if (out.latest_.IsNull(1)) {
    out.full_body_ = out.latest_.BlobView(2);
    return out;
  }
  out.full_ms_ = out.latest_.Int(1);
  out.delta_body_ = out.latest_.BlobView(2);
  RB_ASSIGN_OR_RETURN(out.base_, db.Prepare("SELECT body FROM listing_checkpoints WHERE time_ms = ?"));
  out.base_.Bind(1, out.full_ms_);
  RB_ASSIGN_OR_RETURN(bool found, out.base_.Step());
  if (!found) {
    return DataLoss(
        fmt::format("listing checkpoint at {} ms names a base at {} ms that is missing; `rollbook "
                    "admin rebuild` rewrites the projection",
                    out.time_ms_, out.full_ms_));
  }
  out.full_body_ = out.base_.BlobView(0);
  return out;
}

StatusOr<ListingCheckpoint> LatestCheckpointAtOrBefore(Db& db, int64_t time_ms) {
  RB_ASSIGN_OR_RETURN(OpenCheckpoint open, OpenCheckpoint::LatestAtOrBefore(db, time_ms));
  ListingCheckpoint out;
  out.time_ms = open.time_ms();
  if (open.is_delta()) out.base_ms = open.full_ms();
  if (open.is_delta()) {
    StatusOr<std::vector<CheckpointEntry>> delta = DecodeCheckpoint(open.delta_body());
    if (!delta.ok()) return delta.status().WithContext(fmt::format("checkpoint at {} ms", open.time_ms()));
    out.delta = std::move(*delta);
  }
  StatusOr<std::vector<CheckpointEntry>> full = DecodeCheckpoint(open.full_body());
  if (!full.ok()) return full.status().WithContext(fmt::format("checkpoint at {} ms", open.full_ms()));
  out.full = std::move(*full);
  return out;
}

StatusOr<std::vector<CheckpointEntry>> CheckpointRowsBetween(Db& db, int64_t from_ms, int64_t to_ms) {
  RB_ASSIGN_OR_RETURN(Stmt s, db.Prepare(kRowsAfterCheckpoint));
  s.Bind(1, from_ms).Bind(2, to_ms);
  std::vector<CheckpointEntry> out;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    out.push_back(CheckpointEntryFromRow(s));
  }
  return out;
}

StatusOr<int64_t> ExtendListingCheckpoints(Db& db, int64_t every) {
  RB_ASSIGN_OR_RETURN(ListingCheckpoint from, LatestCheckpointAtOrBefore(db, INT64_MAX));
  std::vector<CheckpointEntry> full = std::move(from.full), delta = std::move(from.delta);
  // The full checkpoint the next deltas refer to, and how many it has.
  int64_t full_ms = from.base_ms ? *from.base_ms : from.time_ms;
  int deltas = 0;
  if (from.base_ms) {
    RB_ASSIGN_OR_RETURN(Stmt count, db.Prepare("SELECT count(*) FROM listing_checkpoints WHERE base_ms = ?"));
    count.Bind(1, full_ms);
    RB_ASSIGN_OR_RETURN(bool counted, count.Step());
    deltas = counted ? static_cast<int>(count.Int(0)) : 0;
  }
  RB_ASSIGN_OR_RETURN(Stmt insert, db.Prepare("INSERT OR REPLACE INTO listing_checkpoints VALUES(?,?,?,?)"));
  std::vector<CheckpointEntry> pending;
  int64_t pending_time = INT64_MIN;
  auto write = [&]() -> Status {
    delta = MergeCheckpointRows(std::move(delta), std::move(pending));
    pending.clear();
    insert.Reset().Bind(1, pending_time);
    if (full_ms == INT64_MIN || deltas == kDeltasPerFull) {
      full = MergeCheckpointRows(std::move(full), std::move(delta));
      delta.clear();
      full_ms = pending_time;
      deltas = 0;
      insert.BindNull(2).Bind(3, static_cast<int64_t>(full.size())).BindBlob(4, EncodeCheckpoint(full));
    } else {
      ++deltas;
      insert.Bind(2, full_ms)
          .Bind(3, static_cast<int64_t>(delta.size()))
          .BindBlob(4, EncodeCheckpoint(delta));
    }
    return insert.Run();
  };
  RB_ASSIGN_OR_RETURN(Stmt scan, db.Prepare(kRowsAfterCheckpoint));
  scan.Bind(1, from.time_ms).Bind(2, INT64_MAX);
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) break;
    const int64_t time = scan.Int(11);
    // A checkpoint covers every row of its time: the stretch ends between two times.
    if (static_cast<int64_t>(pending.size()) >= every && time > pending_time) RB_RETURN_IF_ERROR(write());
    pending.push_back(CheckpointEntryFromRow(scan));
    pending_time = time;
  }
  if (static_cast<int64_t>(pending.size()) >= every) RB_RETURN_IF_ERROR(write());
  return static_cast<int64_t>(pending.size());
}

}  // namespace rollbook::store
