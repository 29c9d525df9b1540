// Tests for the listing checkpoint body and its merge rules
// (store/projection/listing_checkpoint.h): a body round-trips every column
// and key (prefix-compressed), every truncation and a key out of order is
// refused rather than read past, and among several rows of a Deployment the
// last in log order wins. That the checkpoints a projection writes give the
// folded listing at every time is pinned by time_travel_test.cc.
#include "store/projection/listing_checkpoint.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace rollbook::store {
namespace {

CheckpointEntry Entry(std::string ns, std::string name, int64_t replicas, int64_t offset) {
  CheckpointEntry e;
  e.ns = std::move(ns);
  e.name = std::move(name);
  e.exists = replicas >= 0;
  e.replicas = replicas;
  e.updated = replicas - 1;
  e.ready = -3;  // signed columns survive the zigzag encoding
  e.available = replicas / 2;
  e.created_ms = 1'763'600'000'123;
  e.partition = static_cast<int32_t>(offset % 6);
  e.offset = offset;
  e.log_time_ms = 1'796'535'892'797 + offset;
  return e;
}

std::vector<CheckpointEntry> Sample() {
  return {Entry("default", "api", 3, 10),
          Entry("default", "api-canary", 0, 11),
          Entry("default", "web", -1, 12),
          Entry("team-a", std::string(200, 'x'), 7, 1'000'000),
          Entry("team-a", std::string(201, 'x'), 2, 5),
          Entry("team-ab", "", 1, 6)};
}

TEST(ListingCheckpoint, round_trips_every_column_and_key) {
  const std::vector<CheckpointEntry> entries = Sample();
  const std::string body = EncodeCheckpoint(entries);
  auto decoded = DecodeCheckpoint(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, entries);

  CheckpointDecoder d(body);
  EXPECT_EQ(d.count(), entries.size());
  size_t i = 0;
  for (; d.Next(); ++i) {
    ASSERT_LT(i, entries.size());
    EXPECT_EQ(d.ns(), entries[i].ns);
    EXPECT_EQ(d.name(), entries[i].name);
    EXPECT_EQ(d.columns().replicas, entries[i].replicas);
    EXPECT_EQ(d.columns().log_time_ms, entries[i].log_time_ms);
  }
  EXPECT_EQ(i, entries.size());
  EXPECT_TRUE(d.status().ok()) << d.status().message();
}

TEST(ListingCheckpoint, keys_share_their_prefix_with_the_previous_entry) {
  std::vector<CheckpointEntry> many;
  for (int i = 0; i < 100; ++i)
    many.push_back(Entry("default", "deployment-" + std::to_string(1000 + i), 1, i));
  const std::string body = EncodeCheckpoint(many);
  // "default" + "deployment-1" (19 bytes) is written once, then 3 bytes a key.
  EXPECT_LT(body.size(), many.size() * 30);
  auto decoded = DecodeCheckpoint(body);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, many);
}

TEST(ListingCheckpoint, entries_of_one_byte_columns_round_trip) {
  // 12 bytes an entry, the least there is: the count bound must let them pass.
  std::vector<CheckpointEntry> tiny(3);
  tiny[1].name = "a";
  tiny[2].name = "b";
  const std::string body = EncodeCheckpoint(tiny);
  EXPECT_EQ(body.size(), 1 + 12 + 13 + 13u);
  auto decoded = DecodeCheckpoint(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, tiny);
}

// The decoder reads a varint one way while ten bytes are left and another
// way near the end of the body: extreme values (ten-byte varints) must come
// back from both, whichever entry they are in.
TEST(ListingCheckpoint, extreme_columns_round_trip_in_the_middle_and_at_the_end_of_the_body) {
  std::vector<CheckpointEntry> entries;
  for (int i = 0; i < 4; ++i) {
    CheckpointEntry e = Entry("ns", "d" + std::to_string(i), 1, i);
    e.replicas = i % 2 == 0 ? INT64_MIN : INT64_MAX;
    e.created_ms = i % 2 == 0 ? INT64_MAX : INT64_MIN;
    e.partition = INT32_MAX;
    e.offset = INT64_MAX;
    e.log_time_ms = i % 2 == 0 ? INT64_MIN : -1;
    entries.push_back(e);
  }
  const std::string body = EncodeCheckpoint(entries);
  auto decoded = DecodeCheckpoint(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, entries);
}

TEST(ListingCheckpoint, an_overlong_or_unterminated_varint_is_refused) {
  // Count 1, then a key length of eleven continuation bytes: more than a
  // 64-bit varint has, with ten bytes left.
  std::string overlong = "\x01";
  overlong += '\0';
  overlong += std::string(11, '\x80');
  // Count 1, key "ab", namespace length 1, then an `exists` column of nine
  // continuation bytes that end with the body: fewer than ten bytes left.
  std::string unterminated = "\x01";
  unterminated += std::string(
      "\0\x02"
      "ab"
      "\x01",
      5);
  unterminated += std::string(9, '\x80');
  for (const std::string& body : {overlong, unterminated}) {
    CheckpointDecoder d(body);
    ASSERT_EQ(d.count(), 1u) << "the count bound let the entry through";
    EXPECT_FALSE(d.Next());
    EXPECT_EQ(d.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(d.status().message().find("entry 0 is malformed"), std::string::npos) << d.status().message();
  }
}

TEST(ListingCheckpoint, an_empty_checkpoint_has_no_entries) {
  auto decoded = DecodeCheckpoint(EncodeCheckpoint({}));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

TEST(ListingCheckpoint, every_truncation_and_trailing_bytes_are_refused) {
  const std::string body = EncodeCheckpoint(Sample());
  for (size_t n = 0; n < body.size(); ++n) {
    auto decoded = DecodeCheckpoint(std::string_view(body).substr(0, n));
    EXPECT_FALSE(decoded.ok()) << "truncated to " << n << " bytes";
    if (!decoded.ok()) {
      EXPECT_EQ(decoded.status().code(), StatusCode::kDataLoss);
    }
  }
  auto longer = DecodeCheckpoint(body + '\0');
  ASSERT_FALSE(longer.ok());
  EXPECT_NE(longer.status().message().find("bytes after the last entry"), std::string::npos);
}

TEST(ListingCheckpoint, keys_out_of_order_are_refused) {
  std::vector<CheckpointEntry> entries = Sample();
  std::swap(entries[0], entries[2]);
  auto decoded = DecodeCheckpoint(EncodeCheckpoint(entries));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.status().message().find("out of order"), std::string::npos) << decoded.status().message();
}

TEST(ListingCheckpoint, the_last_row_of_each_deployment_in_log_order_wins) {
  // Rows in index order (effective time, partition, offset).
  std::vector<CheckpointEntry> rows = {Entry("default", "web", 1, 20), Entry("default", "api", 2, 21),
                                       Entry("default", "web", 3, 22), Entry("b", "x", 4, 23),
                                       Entry("default", "web", -1, 24)};
  std::vector<CheckpointEntry> last = LastRowPerDeployment(rows);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[0], rows[3]);  // b/x
  EXPECT_EQ(last[1], rows[1]);  // default/api
  EXPECT_EQ(last[2], rows[4]);  // default/web: its third row, a delete

  // Merged into a checkpoint: a later row replaces the entry, others stay.
  std::vector<CheckpointEntry> base = {Entry("a", "kept", 9, 1), Entry("default", "web", 8, 2),
                                       Entry("z", "kept", 7, 3)};
  std::vector<CheckpointEntry> merged = MergeCheckpointRows(base, rows);
  ASSERT_EQ(merged.size(), 5u);
  EXPECT_EQ(merged[0], base[0]);
  EXPECT_EQ(merged[1], rows[3]);
  EXPECT_EQ(merged[2], rows[1]);
  EXPECT_EQ(merged[3], rows[4]);
  EXPECT_EQ(merged[4], base[2]);
}

// Keys drawn so that namespaces and names are often prefixes of each other
// ("a" and "ab"; (ns, name) order is not the order of ns + name).
std::vector<CheckpointEntry> RandomSortedEntries(std::mt19937& rng, int max_count, int64_t first_offset) {
  // Long ones too: keys are compared eight bytes at a time.
  const char* namespaces[] = {"a", "ab", "b", "default", "platform-team-7", "platform-team-70"};
  const char* names[] = {"",
                         "a",
                         "ab",
                         "abc",
                         "b",
                         "ba",
                         "web",
                         "web-1",
                         "x",
                         "replica-00017",
                         "replica-00170",
                         "replica-0017",
                         "replica-10017",
                         "replica-00017-canary"};
  std::map<std::pair<std::string, std::string>, CheckpointEntry> by_key;
  const int count = static_cast<int>(rng() % static_cast<uint32_t>(max_count + 1));
  for (int i = 0; i < count; ++i) {
    std::string ns = namespaces[rng() % std::size(namespaces)], name = names[rng() % std::size(names)];
    const int64_t replicas = static_cast<int64_t>(rng() % 6) - 1;  // -1: deleted
    by_key[{ns, name}] = Entry(ns, name, replicas, first_offset + i);
  }
  std::vector<CheckpointEntry> out;
  for (auto& [key, e] : by_key) out.push_back(std::move(e));
  return out;
}

// What the merge must give, built the plain way: each source's entries
// overwrite the earlier sources' in a map.
std::vector<CheckpointEntry> NewestByKey(const std::vector<std::vector<CheckpointEntry>>& sources) {
  std::map<std::pair<std::string, std::string>, CheckpointEntry> by_key;
  for (const auto& source : sources) {
    for (const CheckpointEntry& e : source) by_key[{e.ns, e.name}] = e;
  }
  std::vector<CheckpointEntry> out;
  for (auto& [key, e] : by_key) out.push_back(e);
  return out;
}

std::vector<CheckpointEntry> MergeAll(const std::string& full, const std::string& delta,
                                      const std::vector<CheckpointEntry>& after, Status* status) {
  std::vector<CheckpointEntry> out;
  *status = MergeCheckpoint(full, delta, after,
                            [&](std::string_view ns, std::string_view name, const CheckpointEntry& c) {
                              out.push_back(c);
                              out.back().ns = ns;
                              out.back().name = name;
                            });
  return out;
}

TEST(ListingCheckpoint, a_merge_hands_each_key_once_in_order_with_the_newest_sources_columns) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    const std::vector<CheckpointEntry> full = RandomSortedEntries(rng, 30, 0);
    const std::vector<CheckpointEntry> delta = RandomSortedEntries(rng, seed % 3 == 0 ? 0 : 12, 100);
    const std::vector<CheckpointEntry> after = RandomSortedEntries(rng, seed % 5 == 0 ? 0 : 8, 200);
    Status status;
    const std::vector<CheckpointEntry> got =
        MergeAll(EncodeCheckpoint(full), EncodeCheckpoint(delta), after, &status);
    ASSERT_TRUE(status.ok()) << status.message();
    ASSERT_EQ(got, NewestByKey({full, delta, after})) << "seed " << seed;
  }
}

TEST(ListingCheckpoint, keys_compare_as_string_views_do) {
  std::mt19937 rng(7);
  auto sign = [](int c) { return c < 0 ? -1 : c > 0 ? 1 : 0; };
  for (int i = 0; i < 100'000; ++i) {
    // Mostly equal prefixes of every length, so that the difference falls in
    // every byte of a word and in the tail; bytes above 0x7f compare unsigned.
    std::string a(rng() % 20, 'k');
    std::string b = a.substr(0, rng() % (a.size() + 1)) + std::string(rng() % 4, 'k');
    for (std::string* s : {&a, &b}) {
      if (!s->empty() && rng() % 2) (*s)[rng() % s->size()] = static_cast<char>(rng() % 256);
    }
    ASSERT_EQ(checkpoint_internal::CompareText(a, b), sign(std::string_view(a).compare(b)))
        << "case " << i << ": '" << a << "' and '" << b << "'";
  }
}

TEST(ListingCheckpoint, a_merge_reports_which_body_is_malformed) {
  const std::vector<CheckpointEntry> entries = Sample();
  const std::string good = EncodeCheckpoint(entries);
  const std::string truncated = good.substr(0, good.size() - 1);
  Status status;
  MergeAll(good, truncated, {}, &status);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(status.message().rfind("delta checkpoint: listing checkpoint: entry 5 is malformed", 0), 0u)
      << status.message();
  MergeAll(truncated, EncodeCheckpoint({}), {Entry("a", "b", 1, 1)}, &status);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(status.message().rfind("full checkpoint: ", 0), 0u) << status.message();
}

}  // namespace
}  // namespace rollbook::store
