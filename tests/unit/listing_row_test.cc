// Tests for the packed listing row (store/projection/listing_row.h): it
// round-trips every field and label, finds labels by key in sorted order, and
// refuses every truncation and a wrong label count instead of reading past
// the bytes.
#include "store/projection/listing_row.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace rollbook::store {
namespace {

state::v1::Aggregate Sample() {
  state::v1::Aggregate agg;
  agg.mutable_deployment()->mutable_spec()->set_replicas(7);
  agg.mutable_status()->set_updated_replicas(5);
  agg.mutable_status()->set_ready_replicas(4);
  agg.mutable_status()->set_available_replicas(3);
  agg.set_created_unix_ms(1'763'600'000'123);
  auto& labels = *agg.mutable_deployment()->mutable_metadata()->mutable_labels();
  labels["tier"] = "web";
  labels["app.kubernetes.io/name"] = "shop";
  labels["env"] = "";
  labels["z"] = std::string(200, 'v');  // a length past one varint byte
  return agg;
}

TEST(ListingRow, round_trips_the_printed_columns_and_every_label_in_key_order) {
  const std::string bytes = EncodeListing("team-a", "shop", Sample());
  ListingView v;
  ASSERT_TRUE(DecodeListing(bytes, &v));
  EXPECT_EQ(v.ns, "team-a");
  EXPECT_EQ(v.name, "shop");
  EXPECT_EQ(v.replicas, 7);
  EXPECT_EQ(v.updated, 5);
  EXPECT_EQ(v.ready, 4);
  EXPECT_EQ(v.available, 3);
  EXPECT_EQ(v.created_ms, 1'763'600'000'123);
  std::vector<std::pair<std::string, std::string>> seen;
  ASSERT_TRUE(v.ForEachLabel([&](std::string_view k, std::string_view val) { seen.emplace_back(k, val); }));
  EXPECT_EQ(
      seen,
      (std::vector<std::pair<std::string, std::string>>{
          {"app.kubernetes.io/name", "shop"}, {"env", ""}, {"tier", "web"}, {"z", std::string(200, 'v')}}));
  EXPECT_EQ(v.Label("tier"), "web");
  EXPECT_EQ(v.Label("env"), "");  // present and empty is not absent
  EXPECT_EQ(v.Label("nokey"), std::nullopt);
  EXPECT_EQ(v.Label("a"), std::nullopt);
  EXPECT_EQ(v.Label("zz"), std::nullopt);
}

TEST(ListingRow, encodes_the_same_bytes_whatever_the_map_insertion_order) {
  state::v1::Aggregate a = Sample(), b;
  b.CopyFrom(a);
  auto& labels = *b.mutable_deployment()->mutable_metadata()->mutable_labels();
  labels.clear();
  for (const char* k : {"z", "tier", "env", "app.kubernetes.io/name"})
    labels[k] = a.deployment().metadata().labels().at(k);
  EXPECT_EQ(EncodeListing("ns", "n", a), EncodeListing("ns", "n", b));
}

TEST(ListingRow, negative_numbers_round_trip) {
  state::v1::Aggregate agg;
  agg.mutable_deployment()->mutable_spec()->set_replicas(-1);
  agg.set_created_unix_ms(-5);
  ListingView v;
  ASSERT_TRUE(DecodeListing(EncodeListing("ns", "n", agg), &v));
  EXPECT_EQ(v.replicas, -1);
  EXPECT_EQ(v.created_ms, -5);
}

// The widest varints (ten bytes: INT64_MIN and INT64_MAX zigzagged) and more
// labels than DecodeListing indexes (the rest are found by walking).
TEST(ListingRow, extreme_numbers_and_more_labels_than_are_indexed_round_trip) {
  state::v1::Aggregate agg;
  agg.mutable_deployment()->mutable_spec()->set_replicas(std::numeric_limits<int32_t>::max());
  agg.mutable_status()->set_updated_replicas(std::numeric_limits<int32_t>::min());
  agg.set_created_unix_ms(std::numeric_limits<int64_t>::min());
  auto& labels = *agg.mutable_deployment()->mutable_metadata()->mutable_labels();
  for (size_t i = 0; i < ListingView::kIndexed + 3; ++i)
    labels["k" + std::to_string(10 + i)] = "v" + std::to_string(i);
  const std::string bytes = EncodeListing("ns", "n", agg);  // the view points into it
  ListingView v;
  ASSERT_TRUE(DecodeListing(bytes, &v));
  EXPECT_EQ(v.replicas, std::numeric_limits<int32_t>::max());
  EXPECT_EQ(v.updated, std::numeric_limits<int32_t>::min());
  EXPECT_EQ(v.created_ms, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(v.label_count, ListingView::kIndexed + 3);
  EXPECT_EQ(v.Label("k10"), "v0");
  EXPECT_EQ(v.Label("k20"), "v10");  // past the indexed ones
  EXPECT_EQ(v.Label("k19a"), std::nullopt);
  agg.set_created_unix_ms(std::numeric_limits<int64_t>::max());
  const std::string widest = EncodeListing("ns", "n", agg);
  ASSERT_TRUE(DecodeListing(widest, &v));
  EXPECT_EQ(v.created_ms, std::numeric_limits<int64_t>::max());
}

TEST(ListingRow, refuses_every_truncation_and_a_wrong_label_count) {
  const std::string bytes = EncodeListing("team-a", "shop", Sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    ListingView v;
    EXPECT_FALSE(DecodeListing(std::string_view(bytes).substr(0, n), &v)) << "prefix of " << n << " bytes";
  }
  ListingView v;
  EXPECT_FALSE(DecodeListing(bytes + "\x01", &v));           // a byte past the last label
  EXPECT_FALSE(DecodeListing(std::string(11, '\xff'), &v));  // a varint longer than 64 bits
}

}  // namespace
}  // namespace rollbook::store
