#include "store/projection/listing_row.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace rollbook::store {

namespace listing_internal {

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace listing_internal

namespace {

using listing_internal::PutVarint;
using listing_internal::UnZigZag;
using listing_internal::ZigZag;

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

}  // namespace

namespace listing_internal {

bool ReadLongVarint(std::string_view& in, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

}  // namespace listing_internal

std::string EncodeListing(std::string_view ns, std::string_view name, const state::v1::Aggregate& agg) {
  // Protobuf map iteration order is unspecified: sort by key.
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  for (const auto& [k, v] : agg.deployment().metadata().labels()) labels.emplace_back(k, v);
  std::sort(labels.begin(), labels.end());
  std::string out;
  out.reserve(24 + ns.size() + name.size() + labels.size() * 24);
  PutString(out, ns);
  PutString(out, name);
  PutVarint(out, ZigZag(agg.deployment().spec().replicas()));
  PutVarint(out, ZigZag(agg.status().updated_replicas()));
  PutVarint(out, ZigZag(agg.status().ready_replicas()));
  PutVarint(out, ZigZag(agg.status().available_replicas()));
  PutVarint(out, ZigZag(agg.created_unix_ms()));
  PutVarint(out, labels.size());
  for (const auto& [k, v] : labels) {
    PutString(out, k);
    PutString(out, v);
  }
  return out;
}

bool DecodeListing(std::string_view in, ListingView* out) {
  if (!listing_internal::ReadString(in, &out->ns) || !listing_internal::ReadString(in, &out->name))
    return false;
  int64_t* fields[] = {&out->replicas, &out->updated, &out->ready, &out->available, &out->created_ms};
  for (int64_t* f : fields) {
    uint64_t v = 0;
    if (!listing_internal::ReadVarint(in, &v)) return false;
    *f = UnZigZag(v);
  }
  uint64_t n = 0;
  if (!listing_internal::ReadVarint(in, &n)) return false;
  out->labels = in;
  // Validate the entries once, so that Label() and ForEachLabel() can trust
  // the lengths; the count must match what is there.
  uint64_t seen = 0;
  const bool well_formed = out->ForEachLabel([out, &seen](std::string_view k, std::string_view v) {
    if (seen < ListingView::kIndexed) out->indexed[seen] = {k, v};
    ++seen;
  });
  out->label_count = static_cast<size_t>(seen);
  return well_formed && seen == n;
}

std::optional<std::string_view> ListingView::Label(std::string_view key) const {
  if (label_count <= kIndexed) {
    for (size_t i = 0; i < label_count; ++i) {
      if (indexed[i].first == key) return indexed[i].second;
    }
    return std::nullopt;
  }
  std::string_view in = labels;
  while (!in.empty()) {
    std::string_view k, v;
    if (!listing_internal::ReadString(in, &k) || !listing_internal::ReadString(in, &v)) return std::nullopt;
    if (k == key) return v;
    if (k > key) return std::nullopt;  // sorted
  }
  return std::nullopt;
}

}  // namespace rollbook::store
