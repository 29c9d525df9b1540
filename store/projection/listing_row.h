// The packed listing row: what `get deployments -l SELECTOR` needs of one
// live Deployment, in one column, so that a listing reads one short value per
// Deployment instead of joining three B-trees (schema version 6).
//
// Table (store/projection/projection.h):
//   deployment_listing(key, value, namespace, name, listing BLOB,
//                      PRIMARY KEY(key, value, namespace, name)) WITHOUT ROWID
// One row per label of each live Deployment; a Deployment without labels, or
// deleted, has none. The rows are derived from `deployments` and rewritten
// with it whenever the listing changes (store/projection/projection.cc), so a
// listing driven by a label (`tier in (web,api)`) reads consecutive rows of
// this table and checks the other requirements on the packed labels.
//
// Format of `listing` (all integers unsigned LEB128 varints; the signed ones
// zigzag-encoded as in protobuf's sint64: store/projection/varint.h):
//   uint namespace length, namespace bytes, uint name length, name bytes
//          -- the same as the row's key columns, so that a reader needs one
//          -- column per row
//   sint64 replicas, updated, ready, available, created_ms
//   uint   label count N
//   N x { uint key length, key bytes, uint value length, value bytes }
//          -- sorted by key, keys unique
// Hand-written (~60 lines) rather than a protobuf message: protobuf's parser
// copies every string, and this reader runs for thousands of rows per query
// without allocating.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "rollbook/state/v1/aggregate.pb.h"
#include "store/projection/varint.h"

namespace rollbook::store {

// The listing of Deployment `ns`/`name` in state `agg` (whatever exists()
// says; callers skip deleted ones).
std::string EncodeListing(std::string_view ns, std::string_view name, const state::v1::Aggregate& agg);

// A decoded listing; `labels` points into the encoded bytes.
struct ListingView {
  std::string_view ns, name;
  int64_t replicas = 0, updated = 0, ready = 0, available = 0, created_ms = 0;
  std::string_view labels;  // the N entries, still packed
  // The first kIndexed labels, captured while DecodeListing validates them,
  // so that Label() need not walk the bytes again (Deployments rarely carry
  // more; the rest are found by walking).
  static constexpr size_t kIndexed = 8;
  std::pair<std::string_view, std::string_view> indexed[kIndexed];
  size_t label_count = 0;

  // The value of label `key`, or nullopt when the Deployment lacks it.
  std::optional<std::string_view> Label(std::string_view key) const;
  // Calls fn(key, value) for each label in key order; false if the packed
  // entries are malformed.
  template <typename Fn>
  bool ForEachLabel(Fn&& fn) const;
};

// False when `bytes` is not a well-formed listing.
bool DecodeListing(std::string_view bytes, ListingView* out);

namespace listing_internal {
// Reads a listing's fields in order; each call false when the bytes end first
// or the field is malformed.
struct Cursor {
  explicit Cursor(std::string_view in) : p(reinterpret_cast<const uint8_t*>(in.data())), end(p + in.size()) {}
  bool Varint(uint64_t* out) { return varint::Read(p, end, out); }
  bool String(std::string_view* out) {
    uint64_t n = 0;
    if (!varint::Read(p, end, &n) || n > static_cast<uint64_t>(end - p)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p), n);
    p += n;
    return true;
  }
  bool done() const { return p == end; }
  std::string_view rest() const { return {reinterpret_cast<const char*>(p), static_cast<size_t>(end - p)}; }

  const uint8_t* p;
  const uint8_t* end;
};
}  // namespace listing_internal

template <typename Fn>
bool ListingView::ForEachLabel(Fn&& fn) const {
  listing_internal::Cursor in(labels);
  while (!in.done()) {
    std::string_view k, v;
    if (!in.String(&k) || !in.String(&v)) return false;
    fn(k, v);
  }
  return true;
}

}  // namespace rollbook::store
