#include "store/projection/listing_row.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace rollbook::store {

namespace {

using varint::UnZigZag;
using varint::ZigZag;

void PutString(std::string& out, std::string_view s) {
  varint::Put(out, s.size());
  out.append(s);
}

}  // namespace

std::string EncodeListing(std::string_view ns, std::string_view name, const state::v1::Aggregate& agg) {
  // Protobuf map iteration order is unspecified: sort by key.
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  for (const auto& [k, v] : agg.deployment().metadata().labels()) labels.emplace_back(k, v);
  std::sort(labels.begin(), labels.end());
  std::string out;
  out.reserve(24 + ns.size() + name.size() + labels.size() * 24);
  PutString(out, ns);
  PutString(out, name);
  varint::Put(out, ZigZag(agg.deployment().spec().replicas()));
  varint::Put(out, ZigZag(agg.status().updated_replicas()));
  varint::Put(out, ZigZag(agg.status().ready_replicas()));
  varint::Put(out, ZigZag(agg.status().available_replicas()));
  varint::Put(out, ZigZag(agg.created_unix_ms()));
  varint::Put(out, labels.size());
  for (const auto& [k, v] : labels) {
    PutString(out, k);
    PutString(out, v);
  }
  return out;
}

bool DecodeListing(std::string_view bytes, ListingView* out) {
  listing_internal::Cursor in(bytes);
  if (!in.String(&out->ns) || !in.String(&out->name)) return false;
  int64_t* fields[] = {&out->replicas, &out->updated, &out->ready, &out->available, &out->created_ms};
  for (int64_t* f : fields) {
    uint64_t v = 0;
    if (!in.Varint(&v)) return false;
    *f = UnZigZag(v);
  }
  uint64_t n = 0;
  if (!in.Varint(&n)) return false;
  out->labels = in.rest();
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
  listing_internal::Cursor in(labels);
  while (!in.done()) {
    std::string_view k, v;
    if (!in.String(&k) || !in.String(&v)) return std::nullopt;
    if (k == key) return v;
    if (k > key) return std::nullopt;  // sorted
  }
  return std::nullopt;
}

}  // namespace rollbook::store
