// Tests for the audit queries (store/projection/audit_query.h): log order,
// half-open time bounds, every filter, follow ranges, revision numbering,
// pruned history — and the query plans: the exact SQL the CLI runs must be
// answered from an index, never by scanning the changes / replica_sets table.
#include "store/projection/audit_query.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "events/codec.h"
#include "store/projection/projection.h"
#include "tests/unit/fold_harness.h"

namespace rollbook::store {
namespace {

constexpr int64_t kT0 = 1'763'600'000'000;  // 2025-11-20T00:53:20Z

// AuditFilter built field by field: F().Ns("default").Since(t).
struct F {
  AuditFilter f;
  F& Ns(std::string v) {
    f.ns = std::move(v);
    return *this;
  }
  F& Name(std::string v) {
    f.name = std::move(v);
    return *this;
  }
  F& Since(int64_t v) {
    f.since_ms = v;
    return *this;
  }
  F& Until(int64_t v) {
    f.until_ms = v;
    return *this;
  }
  F& Actor(std::string v) {
    f.actor = std::move(v);
    return *this;
  }
  F& Kinds(std::vector<std::string> v) {
    f.kinds = std::move(v);
    return *this;
  }
  F& Outcome(std::string v) {
    f.outcome = std::move(v);
    return *this;
  }
  operator AuditFilter() const { return f; }  // NOLINT: implicit on purpose
};

class AuditQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rollbook-audit-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    Projection::Options options;
    options.path = dir_ + "/p.db";
    auto p = Projection::Open(options);
    ASSERT_TRUE(p.ok()) << p.status().message();
    p_ = std::move(*p);
  }
  void TearDown() override {
    p_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Appends `rec` at (partition, next offset of that partition) stamped `time_ms`.
  void Append(int32_t partition, int64_t time_ms, v1::ChangeRecord rec) {
    rec.set_schema_version(1);
    rec.set_id("id-" + std::to_string(partition) + "-" + std::to_string(next_[partition]));
    if (rec.namespace_().empty()) rec.set_namespace_("default");
    if (rec.actor().empty()) rec.set_actor("alice");
    rec.set_host("laptop");
    rec.set_client_time_unix_ms(time_ms - 7);
    events::LogMessage m;
    m.position = {partition, next_[partition]++, time_ms};
    m.key = events::RecordKey(rec.namespace_(), rec.name());
    m.value = events::EncodeRecord(rec);
    auto s = p_->ApplyBatch({m});
    ASSERT_TRUE(s.ok()) << s.status().message();
  }
  void AppendRaw(int32_t partition, int64_t time_ms, const std::string& key, const std::string& value) {
    events::LogMessage m;
    m.position = {partition, next_[partition]++, time_ms};
    m.key = key;
    m.value = value;
    auto s = p_->ApplyBatch({m});
    ASSERT_TRUE(s.ok()) << s.status().message();
  }

  static v1::ChangeRecord Create(const std::string& name, const std::string& image,
                                 const std::string& extra = "", const std::string& ns = "default") {
    v1::ChangeRecord r;
    r.set_namespace_(ns);
    r.set_name(name);
    r.set_kind(v1::CHANGE_KIND_CREATE);
    *r.mutable_create()->mutable_deployment() =
        fold::testing::ParseDeployment(fold::testing::DeploymentYaml(name, 3, image, extra));
    r.mutable_create()->mutable_deployment()->mutable_metadata()->set_namespace_(ns);
    return r;
  }
  static v1::ChangeRecord Scale(const std::string& name, int replicas, uint64_t expected,
                                const std::string& actor, const std::string& ns = "default") {
    v1::ChangeRecord r;
    r.set_namespace_(ns);
    r.set_name(name);
    r.set_kind(v1::CHANGE_KIND_SCALE);
    r.set_expected_version(expected);
    r.set_actor(actor);
    r.mutable_scale()->set_replicas(replicas);
    r.mutable_scale()->set_current_replicas(-1);
    return r;
  }
  static v1::ChangeRecord SetImage(const std::string& name, const std::string& image, uint64_t expected,
                                   const std::string& actor = "alice") {
    v1::ChangeRecord r;
    r.set_namespace_("default");
    r.set_name(name);
    r.set_kind(v1::CHANGE_KIND_SET_IMAGE);
    r.set_expected_version(expected);
    r.set_actor(actor);
    auto* ci = r.mutable_set_image()->add_images();
    ci->set_container("app");
    ci->set_image(image);
    return r;
  }

  std::vector<std::string> Ids(const AuditFilter& f) {
    auto rows = QueryChanges(p_->db(), ChangesQuery(f));
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    std::vector<std::string> out;
    if (rows.ok()) {
      for (const auto& r : *rows) out.push_back(r.record_id);
    }
    return out;
  }

  // The same through ForEachChangeInLogOrder.
  std::vector<std::string> IdsInLogOrder(const AuditFilter& f) {
    std::vector<std::string> out;
    Status s = ForEachChangeInLogOrder(p_->db(), f, [&out](const ChangeRow& r) {
      out.push_back(r.record_id);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }

  std::vector<std::string> Plan(const SqlQuery& q) {
    auto plan = ExplainQueryPlan(p_->db(), q);
    EXPECT_TRUE(plan.ok()) << plan.status().message();
    return plan.ok() ? *plan : std::vector<std::string>{};
  }

  std::string dir_;
  std::unique_ptr<Projection> p_;
  std::map<int32_t, int64_t> next_;
};

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The guarantee of the plan tests: every step that touches `table` searches
// an index (or the primary key) and nothing is sorted afterwards.
void ExpectIndexedWithoutSort(const std::vector<std::string>& plan, const std::string& table) {
  ASSERT_FALSE(plan.empty());
  bool touched = false;
  for (const auto& step : plan) {
    EXPECT_NE(step.rfind("SCAN " + table, 0), 0u) << "full scan in plan:\n" << Joined(plan);
    EXPECT_EQ(step.find("TEMP B-TREE"), std::string::npos) << "sort in plan:\n" << Joined(plan);
    if (step.rfind("SEARCH " + table + " USING", 0) == 0) touched = true;
  }
  EXPECT_TRUE(touched) << "no index search on " << table << " in plan:\n" << Joined(plan);
}

// ---- log order and filters -------------------------------------------------------

// audit_query.h: log order = broker time, then partition, then offset.
TEST_F(AuditQueryTest, changes_come_back_by_broker_time_then_partition_then_offset) {
  Append(1, kT0 + 100, Create("api", "api:1"));       // id-1-0
  Append(0, kT0 + 50, Create("web", "web:1"));        // id-0-0
  Append(0, kT0 + 200, Scale("web", 5, 1, "bob"));    // id-0-1
  Append(1, kT0 + 200, Scale("api", 2, 1, "carol"));  // id-1-1: same time, partition 1 after 0
  Append(0, kT0 + 150, Scale("web", 4, 2, "bob"));    // id-0-2: a later offset with an earlier time
  EXPECT_EQ(Ids(F()), (std::vector<std::string>{"id-0-0", "id-1-0", "id-0-2", "id-0-1", "id-1-1"}));
}

// audit_query.h: time bounds are half-open, since <= t < until.
TEST_F(AuditQueryTest, since_is_inclusive_and_until_is_exclusive) {
  for (int i = 0; i < 4; ++i) {
    if (i == 0) {
      Append(0, kT0, Create("web", "web:1"));
    } else {
      Append(0, kT0 + i * 1000, Scale("web", 3 + i, static_cast<uint64_t>(i), "alice"));
    }
  }
  EXPECT_EQ(Ids(F().Since(kT0 + 1000)), (std::vector<std::string>{"id-0-1", "id-0-2", "id-0-3"}));
  EXPECT_EQ(Ids(F().Until(kT0 + 2000)), (std::vector<std::string>{"id-0-0", "id-0-1"}));
  EXPECT_EQ(Ids(F().Since(kT0 + 1000).Until(kT0 + 3000)), (std::vector<std::string>{"id-0-1", "id-0-2"}));
  EXPECT_EQ(Ids(F().Since(kT0 + 1001).Until(kT0 + 2000)), std::vector<std::string>{});
}

TEST_F(AuditQueryTest, each_filter_selects_only_matching_changes) {
  Append(0, kT0 + 1, Create("web", "web:1"));                // id-0-0 default/web create alice
  Append(0, kT0 + 2, Create("web", "web:1", "", "prod"));    // id-0-1 prod/web create alice
  Append(0, kT0 + 3, Scale("web", 5, 1, "bob"));             // id-0-2 default/web scale bob
  Append(0, kT0 + 4, Scale("web", 6, 1, "carol"));           // id-0-3 rejected: stale version
  Append(0, kT0 + 5, SetImage("web", "web:2", 2, "carol"));  // id-0-4 set-image carol
  Append(0, kT0 + 6, Create("api", "api:1"));                // id-0-5 default/api create

  EXPECT_EQ(Ids(F().Ns("prod")), std::vector<std::string>{"id-0-1"});
  EXPECT_EQ(Ids(F().Ns("default").Name("web")),
            (std::vector<std::string>{"id-0-0", "id-0-2", "id-0-3", "id-0-4"}));
  EXPECT_EQ(Ids(F().Name("web")).size(), 5u);  // all namespaces
  EXPECT_EQ(Ids(F().Actor("carol")), (std::vector<std::string>{"id-0-3", "id-0-4"}));
  EXPECT_EQ(Ids(F().Kinds(std::vector<std::string>{"create"})),
            (std::vector<std::string>{"id-0-0", "id-0-1", "id-0-5"}));
  EXPECT_EQ(Ids(F().Kinds(std::vector<std::string>{"scale", "set-image"})),
            (std::vector<std::string>{"id-0-2", "id-0-3", "id-0-4"}));
  EXPECT_EQ(Ids(F().Outcome("rejected")), std::vector<std::string>{"id-0-3"});
  EXPECT_EQ(Ids(F().Ns("default").Actor("carol").Outcome("applied")), std::vector<std::string>{"id-0-4"});
}

TEST_F(AuditQueryTest, rows_carry_before_and_after_values) {
  Append(0, kT0 + 1, Create("web", "web:1"));
  Append(0, kT0 + 2, Scale("web", 5, 1, "bob"));
  Append(0, kT0 + 3, SetImage("web", "web:2", 2));
  auto rows = QueryChanges(p_->db(), ChangesQuery(F()));
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 3u);
  const ChangeRow& create = (*rows)[0];
  EXPECT_EQ(create.kind, "create");
  EXPECT_EQ(create.revision_before, 0);
  EXPECT_EQ(create.revision_after, 1);
  EXPECT_EQ(create.images_before, "");
  EXPECT_EQ(create.images_after, "app=web:1");
  const ChangeRow& scale = (*rows)[1];
  EXPECT_EQ(scale.actor, "bob");
  EXPECT_EQ(scale.replicas_before, 3);
  EXPECT_EQ(scale.replicas_after, 5);
  EXPECT_EQ(scale.log_time_ms, kT0 + 2);
  EXPECT_EQ(scale.client_time_ms, kT0 + 2 - 7);
  const ChangeRow& image = (*rows)[2];
  EXPECT_EQ(image.revision_before, 1);
  EXPECT_EQ(image.revision_after, 2);
  EXPECT_EQ(image.images_before, "app=web:1");
  EXPECT_EQ(image.images_after, "app=web:2");
  EXPECT_EQ(image.outcome, "applied");
}

// audit_query.h: ChangesInRangeQuery is what `audit -w` prints per round.
TEST_F(AuditQueryTest, range_query_returns_only_the_offsets_asked_for_and_still_filters) {
  Append(0, kT0 + 1, Create("web", "web:1"));
  Append(0, kT0 + 2, Scale("web", 4, 1, "bob"));
  Append(0, kT0 + 3, Scale("web", 5, 2, "carol"));
  Append(0, kT0 + 4, Scale("web", 6, 3, "bob"));
  Append(1, kT0 + 5, Create("api", "api:1"));
  auto rows = QueryChanges(p_->db(), ChangesInRangeQuery({}, 0, 1, 3));
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].offset, 1);
  EXPECT_EQ((*rows)[1].offset, 2);
  rows = QueryChanges(p_->db(), ChangesInRangeQuery(F().Actor("bob"), 0, 0, 10));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].offset, 3);
  auto offsets = AppliedOffsets(p_->db());
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(*offsets, (std::map<int32_t, int64_t>{{0, 4}, {1, 1}}));
}

// ---- a time window read partition by partition -----------------------------------

TEST_F(AuditQueryTest, a_time_window_read_by_partition_returns_the_log_order_query_rows) {
  const std::vector<std::string> names = {"web", "api", "db"};
  for (int i = 0; i <= 6; ++i) {
    for (int32_t p = 0; p < 3; ++p) {
      // Partition 2 ties with partition 0 after their creates, and its create
      // comes first: the merge must break ties by partition, not by which
      // partition the window met first.
      const int64_t t = kT0 + 10 * i + (p == 1 ? 3 : 0) + (p == 0 && i == 0 ? 1 : 0);
      if (i == 0) {
        Append(p, t, Create(names[static_cast<size_t>(p)], "img:1"));
      } else {
        Append(p, t, Scale(names[static_cast<size_t>(p)], 3 + i, static_cast<uint64_t>(i), "bob"));
      }
    }
  }
  int windows = 0;
  for (int64_t since = kT0 - 5; since <= kT0 + 70; since += 4) {
    for (int64_t until = since; until <= kT0 + 75; until += 7) {
      const AuditFilter f = F().Since(since).Until(until);
      auto ranges = WindowOffsetRanges(p_->db(), f);
      ASSERT_TRUE(ranges.ok()) << ranges.status().message();
      ASSERT_TRUE(ranges->has_value()) << "every partition's time grows here";
      EXPECT_EQ(IdsInLogOrder(f), Ids(f)) << "window [" << since - kT0 << ", " << until - kT0 << ")";
      ++windows;
    }
    EXPECT_EQ(IdsInLogOrder(F().Since(since)), Ids(F().Since(since)));
    EXPECT_EQ(IdsInLogOrder(F().Until(since)), Ids(F().Until(since)));
  }
  // The ranges of one window: partition 1's records at 13, 23 are offsets 1, 2.
  auto ranges = WindowOffsetRanges(p_->db(), F().Since(kT0 + 11).Until(kT0 + 24));
  ASSERT_TRUE(ranges.ok() && ranges->has_value());
  ASSERT_EQ((*ranges)->size(), 3u);
  for (const OffsetRange& r : **ranges) {
    EXPECT_EQ(r.first, r.partition == 1 ? 1 : 2) << "partition " << r.partition;
    EXPECT_EQ(r.last, 2) << "partition " << r.partition;
  }
  EXPECT_GT(windows, 100);
}

TEST_F(AuditQueryTest, a_window_in_which_broker_time_goes_back_is_still_listed_in_log_order) {
  Append(0, kT0 + 10, Create("web", "web:1"));       // id-0-0
  Append(1, kT0 + 15, Create("api", "api:1"));       // id-1-0
  Append(0, kT0 + 30, Scale("web", 4, 1, "bob"));    // id-0-1
  Append(0, kT0 + 20, Scale("web", 5, 2, "bob"));    // id-0-2: the broker's clock stepped back
  Append(1, kT0 + 25, Scale("api", 2, 1, "carol"));  // id-1-1
  Append(0, kT0 + 40, Scale("web", 6, 3, "bob"));    // id-0-3

  const AuditFilter stepped = F().Since(kT0).Until(kT0 + 35);
  auto ranges = WindowOffsetRanges(p_->db(), stepped);
  ASSERT_TRUE(ranges.ok());
  EXPECT_FALSE(ranges->has_value()) << "offset 2 comes before offset 1 in log order";
  EXPECT_EQ(IdsInLogOrder(stepped),
            (std::vector<std::string>{"id-0-0", "id-1-0", "id-0-2", "id-1-1", "id-0-1"}));
  EXPECT_EQ(IdsInLogOrder(stepped), Ids(stepped));

  const AuditFilter after = F().Since(kT0 + 25);  // only id-1-1, id-0-1, id-0-3: no step back
  ranges = WindowOffsetRanges(p_->db(), after);
  ASSERT_TRUE(ranges.ok());
  EXPECT_TRUE(ranges->has_value());
  EXPECT_EQ(IdsInLogOrder(after), (std::vector<std::string>{"id-1-1", "id-0-1", "id-0-3"}));
}

TEST_F(AuditQueryTest, a_window_with_other_filters_keeps_them) {
  Append(0, kT0 + 10, Create("web", "web:1"));
  Append(1, kT0 + 15, Create("api", "api:1"));
  Append(0, kT0 + 20, Scale("web", 4, 1, "bob"));
  Append(1, kT0 + 25, Scale("api", 2, 1, "carol"));
  const AuditFilter bob = F().Since(kT0).Until(kT0 + 30).Actor("bob");
  EXPECT_EQ(IdsInLogOrder(bob), (std::vector<std::string>{"id-0-1"}));
  const AuditFilter api = F().Since(kT0 + 12).Name("api");
  EXPECT_EQ(IdsInLogOrder(api), (std::vector<std::string>{"id-1-0", "id-1-1"}));
}

TEST_F(AuditQueryTest, quarantine_lists_invalid_messages_in_log_order_within_the_bounds) {
  Append(0, kT0 + 1, Create("web", "web:1"));
  AppendRaw(1, kT0 + 30, "junk", "not a protobuf \xff\xfe");
  AppendRaw(0, kT0 + 20, "", "");
  auto rows = QueryQuarantine(p_->db(), QuarantineQuery(std::nullopt, std::nullopt));
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].partition, 0);
  EXPECT_EQ((*rows)[0].offset, 1);
  EXPECT_EQ((*rows)[1].key, "junk");
  EXPECT_EQ((*rows)[1].size, 17);
  EXPECT_FALSE((*rows)[1].reason.empty());
  EXPECT_EQ((*rows)[1].value_hash.size(), 32u);
  rows = QueryQuarantine(p_->db(), QuarantineQuery(kT0 + 21, std::nullopt));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].key, "junk");
  rows = QueryQuarantine(p_->db(), QuarantineInRangeQuery(std::nullopt, std::nullopt, 1, 0, 1));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].key, "junk");
}

// ---- history ---------------------------------------------------------------------

// audit_query.h: HistoryQuery keeps pruned ReplicaSets, RevisionChangesQuery
// names the change that numbered each revision.
TEST_F(AuditQueryTest, history_lists_pruned_revisions_only_when_asked_and_in_revision_order) {
  Append(0, kT0 + 1000, Create("web", "web:1", "  revisionHistoryLimit: 1\n"));
  Append(0, kT0 + 2000, SetImage("web", "web:2", 1, "bob"));
  Append(0, kT0 + 3000, SetImage("web", "web:3", 2, "carol"));
  Append(0, kT0 + 4000, SetImage("web", "web:4", 3, "dave"));
  auto agg = p_->GetAggregate("default", "web");
  ASSERT_TRUE(agg.ok() && agg->has_value());
  const std::string uid = (*agg)->uid();

  auto live = QueryHistory(p_->db(), HistoryQuery("default", "web", uid, false));
  ASSERT_TRUE(live.ok()) << live.status().message();
  std::vector<int64_t> revs;
  for (const auto& h : *live) revs.push_back(h.rs.revision());
  EXPECT_EQ(revs, (std::vector<int64_t>{3, 4}));  // limit 1: one old ReplicaSet besides the current one

  auto all = QueryHistory(p_->db(), HistoryQuery("default", "web", uid, true));
  ASSERT_TRUE(all.ok());
  revs.clear();
  for (const auto& h : *all) revs.push_back(h.rs.revision());
  EXPECT_EQ(revs, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_TRUE((*all)[0].pruned_ms.has_value());
  EXPECT_TRUE((*all)[1].pruned_ms.has_value());
  EXPECT_FALSE((*all)[2].pruned_ms.has_value());
  EXPECT_FALSE((*all)[3].pruned_ms.has_value());
  EXPECT_GE(*(*all)[0].pruned_ms, kT0 + 3000);

  auto numbered = QueryChanges(p_->db(), RevisionChangesQuery("default", "web", (*agg)->created_unix_ms()));
  ASSERT_TRUE(numbered.ok()) << numbered.status().message();
  ASSERT_EQ(numbered->size(), 4u);
  EXPECT_EQ((*numbered)[0].revision_after, 1);
  EXPECT_EQ((*numbered)[0].kind, "create");
  EXPECT_EQ((*numbered)[2].revision_after, 3);
  EXPECT_EQ((*numbered)[2].actor, "carol");
  EXPECT_EQ((*numbered)[2].log_time_ms, kT0 + 3000);
}

TEST_F(AuditQueryTest, revision_changes_skip_scales_and_rejections) {
  Append(0, kT0 + 1, Create("web", "web:1"));
  Append(0, kT0 + 2, Scale("web", 5, 1, "bob"));
  Append(0, kT0 + 3, SetImage("web", "web:2", 1, "mallory"));  // stale version: rejected
  auto numbered = QueryChanges(p_->db(), RevisionChangesQuery("default", "web", 0));
  ASSERT_TRUE(numbered.ok());
  ASSERT_EQ(numbered->size(), 1u);
  EXPECT_EQ((*numbered)[0].kind, "create");
}

// ---- query plans -----------------------------------------------------------------

TEST_F(AuditQueryTest, plan_of_a_time_range_query_searches_an_index_without_sorting) {
  ExpectIndexedWithoutSort(Plan(ChangesQuery(F().Since(kT0).Until(kT0 + 3600000))), "changes");
  ExpectIndexedWithoutSort(Plan(ChangesQuery(F().Since(kT0))), "changes");
}

TEST_F(AuditQueryTest, plan_of_a_namespace_time_range_query_searches_an_index_without_sorting) {
  // The default `rollbook audit --since 2h`: one namespace, a time range.
  const auto plan = Plan(ChangesQuery(F().Ns("default").Since(kT0)));
  ExpectIndexedWithoutSort(plan, "changes");
  EXPECT_NE(Joined(plan).find("changes_by_namespace_time (namespace=? AND log_time_ms>?)"), std::string::npos)
      << Joined(plan);
  ExpectIndexedWithoutSort(Plan(ChangesQuery(F().Ns("default"))), "changes");
}

TEST_F(AuditQueryTest, plan_of_a_per_deployment_query_searches_an_index_without_sorting) {
  const auto plan = Plan(ChangesQuery(F().Ns("default").Name("web")));
  ExpectIndexedWithoutSort(plan, "changes");
  EXPECT_NE(Joined(plan).find("changes_by_object (namespace=? AND name=?)"), std::string::npos)
      << Joined(plan);
  ExpectIndexedWithoutSort(Plan(ChangesQuery(F().Ns("default").Name("web").Since(kT0).Until(kT0 + 1).Kinds(
                               std::vector<std::string>{"scale"}))),
                           "changes");
}

TEST_F(AuditQueryTest, plan_of_an_actor_query_searches_an_index_without_sorting) {
  ExpectIndexedWithoutSort(Plan(ChangesQuery(F().Since(kT0).Actor("alice"))), "changes");
  ExpectIndexedWithoutSort(Plan(ChangesQuery(F().Ns("default").Actor("alice").Outcome("rejected"))),
                           "changes");
}

TEST_F(AuditQueryTest, plan_of_a_follow_round_searches_the_primary_key) {
  const auto plan = Plan(ChangesInRangeQuery(F().Ns("default").Name("web").Actor("a"), 3, 10, 20));
  ExpectIndexedWithoutSort(plan, "changes");
  EXPECT_NE(Joined(plan).find("PRIMARY KEY (partition=? AND offset>? AND offset<?)"), std::string::npos)
      << Joined(plan);
}

TEST_F(AuditQueryTest, plan_of_the_history_queries_searches_indexes_without_sorting) {
  ExpectIndexedWithoutSort(Plan(HistoryQuery("default", "web", "uid", true)), "replica_sets");
  ExpectIndexedWithoutSort(Plan(HistoryQuery("default", "web", "uid", false)), "replica_sets");
  const auto plan = Plan(RevisionChangesQuery("default", "web", kT0));
  ExpectIndexedWithoutSort(plan, "changes");
  EXPECT_NE(Joined(plan).find("changes_by_object (namespace=? AND name=? AND log_time_ms>?)"),
            std::string::npos)
      << Joined(plan);
}

}  // namespace
}  // namespace rollbook::store
