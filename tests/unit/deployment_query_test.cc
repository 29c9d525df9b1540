// Tests for the Deployment listing (store/projection/deployment_query.h): on
// a varied projection (several namespaces, labels present, absent, changed
// by a delete and re-create, integer values for > and <), every selector,
// namespace and name filter lists exactly the Deployments that
// Selector::Matches accepts among the decoded Aggregates, with the same
// numbers; and the query plans search indexes, never scan a table.
#include "store/projection/deployment_query.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "events/codec.h"
#include "store/projection/listing_row.h"
#include "store/projection/projection.h"
#include "tests/unit/fold_harness.h"

namespace rollbook::store {
namespace {

constexpr int64_t kT0 = 1'763'600'000'000;

class DeploymentQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rollbook-dq-XXXXXX").string();
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

  void Append(v1::ChangeRecord rec) {
    rec.set_schema_version(1);
    rec.set_id("id-" + std::to_string(offset_));
    rec.set_actor("alice");
    rec.set_host("laptop");
    rec.set_client_time_unix_ms(kT0 + offset_);
    events::LogMessage m;
    m.position = {0, offset_, kT0 + offset_};
    ++offset_;
    m.key = events::RecordKey(rec.namespace_(), rec.name());
    m.value = events::EncodeRecord(rec);
    auto s = p_->ApplyBatch({m});
    ASSERT_TRUE(s.ok()) << s.status().message();
    auto c = p_->GetChange(0, m.position.offset);
    ASSERT_TRUE(c.ok() && c->has_value());
    EXPECT_EQ((*c)->outcome, "applied") << (*c)->kind << " " << rec.name() << ": " << (*c)->message;
  }

  void Create(const std::string& ns, const std::string& name, int replicas,
              const std::map<std::string, std::string>& labels) {
    v1::ChangeRecord r;
    r.set_namespace_(ns);
    r.set_name(name);
    r.set_kind(v1::CHANGE_KIND_CREATE);
    auto existing = p_->GetAggregate(ns, name);  // a deleted one: re-created at its version
    ASSERT_TRUE(existing.ok());
    if (existing->has_value()) r.set_expected_version((*existing)->version());
    v1::Deployment d =
        fold::testing::ParseDeployment(fold::testing::DeploymentYaml(name, replicas, "nginx:1"));
    d.mutable_metadata()->set_namespace_(ns);
    auto* l = d.mutable_metadata()->mutable_labels();
    l->clear();
    for (const auto& [k, v] : labels) (*l)[k] = v;
    *r.mutable_create()->mutable_deployment() = d;
    Append(r);
  }
  void Delete(const std::string& ns, const std::string& name) {
    v1::ChangeRecord r;
    r.set_namespace_(ns);
    r.set_name(name);
    r.set_kind(v1::CHANGE_KIND_DELETE);
    auto agg = p_->GetAggregate(ns, name);
    ASSERT_TRUE(agg.ok() && agg->has_value());
    r.set_expected_version((*agg)->version());
    r.mutable_delete_();
    Append(r);
  }
  void Scale(const std::string& ns, const std::string& name, int replicas) {
    auto agg = p_->GetAggregate(ns, name);
    ASSERT_TRUE(agg.ok() && agg->has_value());
    v1::ChangeRecord r;
    r.set_namespace_(ns);
    r.set_name(name);
    r.set_kind(v1::CHANGE_KIND_SCALE);
    r.set_expected_version((*agg)->version());
    r.mutable_scale()->set_replicas(replicas);
    r.mutable_scale()->set_current_replicas(-1);
    Append(r);
  }

  // 3 namespaces x 12 Deployments with a rotating mix of labels; some deleted,
  // some deleted and re-created with other labels, some scaled.
  void LoadVariedDataset() {
    const std::vector<std::string> tiers = {"web", "api", "db", ""};
    const std::vector<std::string> envs = {"dev", "prod", "staging"};
    for (int n = 0; n < 3; ++n) {
      const std::string ns = "ns-" + std::to_string(n);
      for (int i = 0; i < 12; ++i) {
        std::map<std::string, std::string> labels = {{"app", "d" + std::to_string(i)}};
        if (const std::string& t = tiers[static_cast<size_t>((i + n) % 4)]; !t.empty()) labels["tier"] = t;
        if (i % 5 != 4) labels["env"] = envs[static_cast<size_t>((i * 7 + n) % 3)];
        if (i % 3 == 0) labels["team"] = i % 2 == 0 ? "a" : "b";
        if (i % 4 != 1) labels["rank"] = std::to_string(i % 6);
        Create(ns, "d" + std::to_string(i), 1 + i % 4, labels);
      }
      Delete(ns, "d3");
      Delete(ns, "d7");
      Create(ns, "d7", 2, {{"app", "d7"}, {"tier", "web"}, {"env", "prod"}, {"rank", "9"}});
      Scale(ns, "d2", 7);
    }
  }

  // What the old path printed: decoded Aggregates filtered in C++.
  std::vector<std::string> Expected(const DeploymentListQuery& q) {
    auto all = p_->ListAggregates(q.ns);
    EXPECT_TRUE(all.ok()) << all.status().message();
    std::vector<std::string> out;
    if (!all.ok()) return out;
    for (const auto& agg : *all) {
      const auto& d = agg.deployment();
      if (!q.names.empty() &&
          std::find(q.names.begin(), q.names.end(), d.metadata().name()) == q.names.end()) {
        continue;
      }
      const auto& l = d.metadata().labels();
      if (!q.selector.Matches(fold::LabelMap(l.begin(), l.end()))) continue;
      out.push_back(fmt::format("{}/{} {}/{} {} {} {} v{}", d.metadata().namespace_(), d.metadata().name(),
                                agg.status().ready_replicas(), d.spec().replicas(),
                                agg.status().updated_replicas(), agg.status().available_replicas(),
                                agg.created_unix_ms(), agg.version()));
    }
    return out;
  }

  std::vector<std::string> Listed(const DeploymentListQuery& q) {
    DeploymentListQuery with_state = q;
    with_state.with_state = true;
    auto rows = ListDeployments(p_->db(), with_state);
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    std::vector<std::string> out;
    if (!rows.ok()) return out;
    for (const auto& r : *rows) {
      state::v1::Aggregate agg;
      EXPECT_TRUE(agg.ParseFromString(r.state)) << r.ns << "/" << r.name;
      out.push_back(fmt::format("{}/{} {}/{} {} {} {} v{}", r.ns, r.name, r.ready, r.replicas, r.updated,
                                r.available, r.created_ms, agg.version()));
    }
    // Without the state: the same rows.
    auto lean = ListDeployments(p_->db(), q);
    EXPECT_TRUE(lean.ok());
    if (lean.ok()) {
      EXPECT_EQ(lean->size(), out.size());
      for (size_t i = 0; i < lean->size() && i < rows->size(); ++i) {
        EXPECT_EQ((*lean)[i].name, (*rows)[i].name);
        EXPECT_TRUE((*lean)[i].state.empty());
      }
    }
    return out;
  }

  std::vector<std::string> Plan(const DeploymentListQuery& q) {
    const DeploymentListSql built = BuildDeploymentListSql(q);
    auto s = p_->db().Prepare("EXPLAIN QUERY PLAN " + built.sql);
    EXPECT_TRUE(s.ok()) << s.status().message();
    std::vector<std::string> out;
    if (!s.ok()) return out;
    for (size_t i = 0; i < built.params.size(); ++i) s->Bind(static_cast<int>(i + 1), built.params[i]);
    for (;;) {
      auto row = s->Step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !*row) break;
      out.push_back(s->Text(3));
    }
    return out;
  }

  static fold::Selector Sel(const std::string& text) {
    auto s = fold::Selector::Parse(text);
    EXPECT_TRUE(s.ok()) << text << ": " << s.status().message();
    return s.ok() ? *s : fold::Selector();
  }

  std::string dir_;
  std::unique_ptr<Projection> p_;
  int64_t offset_ = 0;
};

const std::vector<std::string> kSelectors = {
    "",
    "tier in (web,api),env!=dev",
    "tier",
    "!tier",
    "env=prod",
    "env==prod",
    "env notin (dev,prod)",
    "tier=web,team=a",
    "nokey",
    "!nokey",
    "nokey!=x",
    "rank>3",
    "rank<2",
    "tier,rank>1",
    "app in (d0,d7,d9)",
    "team notin (a),!env",
    "tier in (web,web,api)",                        // a value twice: listed once
    "app in (d0,d1,d2,d3,d4,d5,d6,d9)",             // kMaxMergedValues: one statement per value
    "app in (d0,d1,d2,d3,d4,d5,d6,d7,d9,zz),tier",  // more: one statement, its runs merged
};

TEST_F(DeploymentQueryTest, every_selector_scope_and_name_filter_lists_what_matching_the_aggregates_lists) {
  LoadVariedDataset();
  const std::vector<std::vector<std::string>> name_sets = {{}, {"d1", "d7", "d3", "nope"}, {"d2"}};
  int non_empty = 0;
  for (const std::string& text : kSelectors) {
    for (const std::string& ns : {std::string(), std::string("ns-1")}) {
      for (const auto& names : name_sets) {
        DeploymentListQuery q;
        q.ns = ns;
        q.names = names;
        q.selector = Sel(text);
        const std::vector<std::string> expected = Expected(q);
        EXPECT_EQ(Listed(q), expected) << "-l '" << text << "' ns '" << ns << "' names " << names.size();
        if (!expected.empty()) ++non_empty;
      }
    }
  }
  EXPECT_GT(non_empty, 40);  // the dataset exercises the filters, not just empty answers
}

TEST_F(DeploymentQueryTest, labels_follow_delete_and_recreate) {
  Create("default", "web", 1, {{"tier", "web"}});
  Delete("default", "web");
  DeploymentListQuery q;
  q.selector = Sel("tier=web");
  EXPECT_TRUE(Listed(q).empty());
  Create("default", "web", 2, {{"tier", "api"}});
  EXPECT_TRUE(Listed(q).empty());
  q.selector = Sel("tier=api");
  ASSERT_EQ(Listed(q).size(), 1u);
  auto labels = p_->db().Prepare("SELECT key || '=' || value FROM deployment_labels WHERE name = 'web'");
  ASSERT_TRUE(labels.ok());
  std::vector<std::string> stored;
  while (*labels->Step()) stored.push_back(labels->Text(0));
  EXPECT_EQ(stored, std::vector<std::string>{"tier=api"});
}

TEST_F(DeploymentQueryTest, a_nil_selector_lists_nothing) {
  LoadVariedDataset();
  DeploymentListQuery q;
  q.selector = fold::Selector::Nothing();
  auto rows = ListDeployments(p_->db(), q);
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// No step scans a table; `deployments` is searched through `index`.
void ExpectSearches(const std::vector<std::string>& plan, const std::string& index) {
  ASSERT_FALSE(plan.empty());
  bool found = false;
  for (const auto& step : plan) {
    EXPECT_EQ(step.find("SCAN"), std::string::npos) << "scan in plan:\n" << Joined(plan);
    if (step.rfind("SEARCH d USING " + index, 0) == 0) found = true;
  }
  EXPECT_TRUE(found) << "deployments not searched with " << index << ":\n" << Joined(plan);
}

TEST_F(DeploymentQueryTest, listings_search_the_label_and_listing_indexes_without_scanning) {
  LoadVariedDataset();
  DeploymentListQuery all;
  ExpectSearches(Plan(all), "COVERING INDEX deployments_listing (live=?)");

  // With the state (-o json|yaml|wide), the label drives a join.
  DeploymentListQuery selected;
  selected.selector = Sel("tier in (web,api),env!=dev");
  selected.with_state = true;
  const std::vector<std::string> plan = Plan(selected);
  ExpectSearches(plan, "INDEX deployments_listing (live=? AND namespace=? AND name=?)");
  ASSERT_FALSE(plan.empty());
  EXPECT_EQ(plan[0].rfind("SEARCH l USING PRIMARY KEY (key=? AND value=?)", 0), 0u) << Joined(plan);

  DeploymentListQuery in_namespace;
  in_namespace.ns = "ns-1";
  in_namespace.selector = Sel("!nokey,tier!=db");
  ExpectSearches(Plan(in_namespace), "COVERING INDEX deployments_listing (live=? AND namespace=?)");

  DeploymentListQuery by_name;
  by_name.ns = "ns-1";
  by_name.names = {"d1", "d2"};
  by_name.with_state = true;  // the state column is not in the index: a search, then the row by rowid
  ExpectSearches(Plan(by_name), "INDEX deployments_listing (live=? AND namespace=? AND name=?)");
}

// The default output, driven by a label: deployment_listing alone, in its
// primary-key order (no sort), in one namespace or all.
TEST_F(DeploymentQueryTest, a_label_driven_listing_reads_deployment_listing_alone_without_sorting) {
  LoadVariedDataset();
  for (const std::string ns : {"", "ns-1"}) {
    for (const std::string text : {"tier in (web,api),env!=dev", "tier", "env=prod,rank>1"}) {
      DeploymentListQuery q;
      q.ns = ns;
      q.selector = Sel(text);
      ASSERT_TRUE(BuildDeploymentListSql(q).by_label) << text;
      const std::vector<std::string> plan = Plan(q);
      ASSERT_EQ(plan.size(), 1u) << text << ":\n" << Joined(plan);
      EXPECT_EQ(plan[0].rfind("SEARCH deployment_listing USING PRIMARY KEY (key=?", 0), 0u) << Joined(plan);
    }
  }
  DeploymentListQuery negative_only;
  negative_only.selector = Sel("env!=dev");
  EXPECT_FALSE(BuildDeploymentListSql(negative_only).by_label);
}

// deployment_listing follows every change of what it holds: replicas (scale),
// labels (re-create with others), and liveness (delete); a Deployment with no
// labels has no rows.
TEST_F(DeploymentQueryTest, the_listing_rows_follow_scale_relabel_and_delete) {
  auto rows = [this]() {
    auto s = p_->db().Prepare("SELECT key, value, namespace, name, listing FROM deployment_listing");
    EXPECT_TRUE(s.ok());
    std::vector<std::string> out;
    while (s.ok() && *s->Step()) {
      ListingView v;
      EXPECT_TRUE(DecodeListing(s->BlobView(4), &v));
      out.push_back(
          fmt::format("{}={} {}/{} replicas={}", s->Text(0), s->Text(1), s->Text(2), s->Text(3), v.replicas));
    }
    return out;
  };
  Create("default", "web", 1, {{"tier", "web"}, {"env", "dev"}});
  Create("default", "bare", 1, {});
  EXPECT_EQ(rows(),
            (std::vector<std::string>{"env=dev default/web replicas=1", "tier=web default/web replicas=1"}));
  Scale("default", "web", 4);
  EXPECT_EQ(rows(),
            (std::vector<std::string>{"env=dev default/web replicas=4", "tier=web default/web replicas=4"}));
  Delete("default", "web");
  EXPECT_TRUE(rows().empty());
  Create("default", "web", 2, {{"tier", "api"}});
  EXPECT_EQ(rows(), (std::vector<std::string>{"tier=api default/web replicas=2"}));
}

// A corrupt listing fails the call with DataLoss, whichever way the label's
// runs are merged (statements stepped side by side for `in`, one statement's
// runs collected for a bare key); rows handed over before it are a prefix of
// the listing, in order (get prints nothing but the error). with_state hands
// over the Aggregate's bytes, which parse back to the listed Deployment.
TEST_F(DeploymentQueryTest, a_corrupt_listing_is_data_loss_and_no_row_goes_out_of_order) {
  Create("default", "a", 1, {{"tier", "web"}});
  Create("default", "b", 2, {{"tier", "web"}});
  Create("default", "c", 3, {{"tier", "api"}});
  const std::vector<std::string> all = {"default/a 1", "default/b 2", "default/c 3"};
  std::vector<std::string> seen;
  auto collect = [&seen](const ListedDeployment& d) {
    seen.push_back(fmt::format("{}/{} {}", d.ns, d.name, d.replicas));
  };
  for (const std::string text : {"tier in (web,api)", "tier"}) {
    DeploymentListQuery q;
    q.selector = Sel(text);
    EXPECT_EQ(BuildDeploymentListSql(q).per_value.empty(), text == "tier") << text;
    seen.clear();
    ASSERT_TRUE(ForEachListedDeployment(p_->db(), q, collect).ok());
    EXPECT_EQ(seen, all) << text;
  }

  // Cut b's listing short: the rows before and after it in the scan are fine.
  ASSERT_TRUE(p_->db()
                  .Exec("UPDATE deployment_listing SET listing = substr(listing, 1, 5) "
                        "WHERE key = 'tier' AND name = 'b'")
                  .ok());
  for (const std::string text : {"tier in (web,api)", "tier"}) {
    DeploymentListQuery q;
    q.selector = Sel(text);
    seen.clear();
    Status s = ForEachListedDeployment(p_->db(), q, collect);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << text;
    EXPECT_NE(s.message().find("corrupt listing in deployment_listing (label tier)"), std::string::npos)
        << s.message();
    EXPECT_NE(s.message().find("rollbook admin rebuild"), std::string::npos) << s.message();
    ASSERT_LE(seen.size(), 1u) << text;  // at most a, never b, never c before a
    if (!seen.empty()) {
      EXPECT_EQ(seen[0], all[0]) << text;
    }
  }

  DeploymentListQuery with_state;
  with_state.names = {"c"};
  with_state.ns = "default";
  with_state.with_state = true;
  int handed = 0;
  ASSERT_TRUE(ForEachListedDeployment(p_->db(), with_state, [&](const ListedDeployment& d) {
                ++handed;
                state::v1::Aggregate agg;
                ASSERT_TRUE(agg.ParseFromArray(d.state.data(), static_cast<int>(d.state.size())));
                EXPECT_EQ(agg.deployment().metadata().name(), "c");
                EXPECT_EQ(agg.deployment().spec().replicas(), 3);
              }).ok());
  EXPECT_EQ(handed, 1);
}

// The statements of a merged listing (one per value) read one snapshot: the
// listing holds a read transaction while it hands rows over, even when a
// value's statement ends before the next one starts ('api' has no rows here),
// and ends it afterwards; inside the caller's transaction it opens none.
TEST_F(DeploymentQueryTest, a_merged_listing_reads_every_value_in_one_snapshot) {
  Create("default", "a", 1, {{"tier", "web"}});
  Create("default", "b", 2, {{"tier", "web"}});
  DeploymentListQuery q;
  q.selector = Sel("tier in (api,web)");
  ASSERT_EQ(BuildDeploymentListSql(q).per_value, (std::vector<std::string>{"api", "web"}));
  sqlite3* raw = p_->db().raw();
  ASSERT_NE(sqlite3_get_autocommit(raw), 0);
  int rows = 0, in_transaction = 0;
  auto count = [&](const ListedDeployment&) {
    ++rows;
    if (sqlite3_get_autocommit(raw) == 0) ++in_transaction;
  };
  ASSERT_TRUE(ForEachListedDeployment(p_->db(), q, count).ok());
  EXPECT_EQ(rows, 2);
  EXPECT_EQ(in_transaction, 2);
  EXPECT_NE(sqlite3_get_autocommit(raw), 0);  // ended

  ASSERT_TRUE(p_->db().Exec("BEGIN").ok());
  rows = in_transaction = 0;
  ASSERT_TRUE(ForEachListedDeployment(p_->db(), q, count).ok());
  EXPECT_EQ(in_transaction, 2);
  EXPECT_EQ(sqlite3_get_autocommit(raw), 0);  // the caller's, still open
  ASSERT_TRUE(p_->db().Exec("COMMIT").ok());
}

TEST(DeploymentQueryBulkLoad, a_bulk_load_has_the_listing_indexes_once_finished) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rollbook-dq-bulk-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string dir = tmpl;
  auto indexes = [](Projection& p) {
    auto s = p.db().Prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN "
        "('deployments_listing', 'deployment_labels_by_value') ORDER BY name");
    EXPECT_TRUE(s.ok());
    std::vector<std::string> out;
    while (s.ok() && *s->Step()) out.push_back(s->Text(0));
    return out;
  };
  {
    Projection::Options options;
    options.path = dir + "/bulk.db";
    options.bulk_load = true;
    auto p = Projection::Open(options);
    ASSERT_TRUE(p.ok()) << p.status().message();
    EXPECT_TRUE(indexes(**p).empty());  // not maintained batch by batch
    ASSERT_TRUE((*p)->FinishBulkLoad().ok());
    // deployment_listing's primary key serves label lookups: no label index.
    EXPECT_EQ(indexes(**p), (std::vector<std::string>{"deployments_listing"}));
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace rollbook::store
