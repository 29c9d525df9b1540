// audit_query.h: the audit and history queries stay interactive at any log
// size — each one is answered through an index, never a full table scan.
#include "store/projection/audit_query.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/projection/projection.h"

namespace rollbook::store {
namespace {

std::string PlanOf(Db& db, const std::string& sql) {
  auto s = db.Prepare("EXPLAIN QUERY PLAN " + sql);
  EXPECT_TRUE(s.ok()) << sql;
  if (!s.ok()) return "";
  std::string plan;
  for (;;) {
    auto row = s->Step();
    if (!row.ok() || !*row) break;
    plan += s->Text(3) + "\n";
  }
  return plan;
}

class AuditPlans : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("audit-plans-" + std::to_string(::getpid()) + ".db"))
                .string();
    std::filesystem::remove(path_);
    auto p = Projection::Open({.path = path_});
    ASSERT_TRUE(p.ok()) << p.status().message();
    p_ = std::move(*p);
  }
  void TearDown() override {
    p_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string Plan(const AuditFilter& f) { return PlanOf(p_->db(), BuildChangesQuery(f).sql); }

  std::string path_;
  std::unique_ptr<Projection> p_;
};

TEST_F(AuditPlans, time_range_over_all_namespaces_searches_the_time_index) {
  const std::string plan = Plan({.since_ms = 1000, .until_ms = 2000});
  EXPECT_NE(plan.find("SEARCH changes USING INDEX changes_by_time"), std::string::npos) << plan;
}

TEST_F(AuditPlans, one_deployment_searches_the_object_index) {
  const std::string plan = Plan({.ns = "default", .name = "web"});
  EXPECT_NE(plan.find("SEARCH changes USING INDEX changes_by_object (namespace=? AND name=?)"),
            std::string::npos)
      << plan;
}

TEST_F(AuditPlans, one_deployment_in_a_time_window_uses_the_whole_object_index) {
  const std::string plan = Plan({.ns = "default", .name = "web", .since_ms = 1000, .until_ms = 2000});
  EXPECT_NE(plan.find("changes_by_object (namespace=? AND name=? AND log_time_ms>? AND log_time_ms<?)"),
            std::string::npos)
      << plan;
}

TEST_F(AuditPlans, filters_on_actor_kind_and_outcome_never_scan_the_table) {
  for (const AuditFilter& f : {AuditFilter{.ns = "default", .actor = "alice"},
                               AuditFilter{.ns = "default", .name = "web", .kinds = {"scale", "rollback"}},
                               AuditFilter{.since_ms = 5, .outcome = "rejected"}}) {
    const std::string plan = Plan(f);
    EXPECT_EQ(plan.find("SCAN changes\n"), std::string::npos) << plan;
    EXPECT_NE(plan.find("SEARCH changes"), std::string::npos) << plan;
  }
}

TEST_F(AuditPlans, history_with_pruned_revisions_searches_the_primary_key) {
  const std::string plan = PlanOf(p_->db(), kHistoryAllSql);
  EXPECT_NE(plan.find("SEARCH replica_sets USING PRIMARY KEY (namespace=? AND deployment=?)"),
            std::string::npos)
      << plan;
}

TEST(AuditQuery, placeholders_match_their_parameters) {
  const SqlQuery q = BuildChangesQuery({.ns = "prod",
                                        .name = "api",
                                        .since_ms = 1,
                                        .until_ms = 2,
                                        .actor = "bob",
                                        .kinds = {"scale"},
                                        .outcome = "applied"});
  EXPECT_EQ(std::count(q.sql.begin(), q.sql.end(), '?'), static_cast<long>(q.order.size()));
  EXPECT_EQ(q.text_params, (std::vector<std::string>{"prod", "api", "bob", "scale", "applied"}));
  EXPECT_EQ(q.int_params, (std::vector<int64_t>{1, 2}));
  EXPECT_NE(q.sql.find("ORDER BY log_time_ms, partition, offset"), std::string::npos);
}

}  // namespace
}  // namespace rollbook::store
