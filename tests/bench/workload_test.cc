// Tests for the benchmark workload generator (bench/workload.h): determinism,
// that a projection applies every record it generates (and reaches the same
// state the generator tracked), the mix of issue #6, the hot Deployments and
// the labels the selector benchmark relies on.
#include "bench/workload.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bench/dump.h"
#include "events/codec.h"
#include "store/projection/projection.h"

namespace rollbook::bench {
namespace {

std::vector<v1::ChangeRecord> Generate(const WorkloadOptions& o,
                                       std::unique_ptr<WorkloadGenerator>* keep = nullptr) {
  auto g = WorkloadGenerator::Create(o);
  EXPECT_TRUE(g.ok()) << g.status().message();
  if (!g.ok()) return {};
  std::vector<v1::ChangeRecord> out;
  for (;;) {
    v1::ChangeRecord rec;
    StatusOr<bool> more = (*g)->Next(&rec);
    EXPECT_TRUE(more.ok()) << more.status().message();
    if (!more.ok() || !*more) break;
    out.push_back(std::move(rec));
  }
  if (keep != nullptr) *keep = std::move(g).value();
  return out;
}

WorkloadOptions Small(uint64_t seed = 7) {
  WorkloadOptions o;
  o.seed = seed;
  o.deployments = 200;
  o.records = 3000;
  o.hot_deployments = 2;
  o.hot_share = 0.05;
  return o;
}

TEST(WorkloadTest, SameSeedGivesTheSameRecordsByteForByte) {
  const auto a = Generate(Small(7)), b = Generate(Small(7)), c = Generate(Small(8));
  ASSERT_EQ(a.size(), 3000u);
  ASSERT_EQ(a.size(), b.size());
  size_t differing_from_other_seed = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(events::EncodeRecord(a[i]), events::EncodeRecord(b[i])) << "record " << i;
    if (events::EncodeRecord(a[i]) != events::EncodeRecord(c[i])) ++differing_from_other_seed;
  }
  EXPECT_GT(differing_from_other_seed, a.size() / 2);
}

TEST(WorkloadTest, ClientTimesAreNonDecreasingAndSpanTheConfiguredWeeks) {
  const WorkloadOptions o = Small();
  const auto records = Generate(o);
  ASSERT_FALSE(records.empty());
  for (size_t i = 1; i < records.size(); ++i) {
    ASSERT_LE(records[i - 1].client_time_unix_ms(), records[i].client_time_unix_ms()) << "record " << i;
  }
  EXPECT_EQ(records.front().client_time_unix_ms(), o.start_unix_ms);
  EXPECT_EQ(records.back().client_time_unix_ms(), o.start_unix_ms + o.span_ms);
}

// The contract that makes the benchmark meaningful: a projection folding the
// log applies every record, and ends where the generator's own fold ended.
TEST(WorkloadTest, AProjectionAppliesEveryRecordAndReachesTheGeneratorsState) {
  std::unique_ptr<WorkloadGenerator> gen;
  const auto records = Generate(Small(), &gen);
  ASSERT_TRUE(gen);
  std::string dir = (std::filesystem::temp_directory_path() / "rollbook-workload-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  {
    auto p = store::Projection::Open({dir + "/p.db", "rollbook.events", true});
    ASSERT_TRUE(p.ok()) << p.status().message();
    std::vector<events::LogMessage> batch;
    for (size_t i = 0; i < records.size(); ++i) {
      events::LogMessage m;
      m.position = {0, static_cast<int64_t>(i), records[i].client_time_unix_ms()};
      m.key = events::RecordKey(records[i].namespace_(), records[i].name());
      m.value = events::EncodeRecord(records[i]);
      batch.push_back(std::move(m));
      if (batch.size() == 500 || i + 1 == records.size()) {
        auto stats = (*p)->ApplyBatch(batch);
        ASSERT_TRUE(stats.ok()) << stats.status().message();
        EXPECT_EQ(stats->quarantined, 0);
        batch.clear();
      }
    }
    auto count = [&](const char* sql) {
      auto s = (*p)->db().Prepare(sql);
      EXPECT_TRUE(s.ok());
      auto row = s->Step();
      EXPECT_TRUE(row.ok() && *row);
      return s->Int(0);
    };
    EXPECT_EQ(count("SELECT count(*) FROM changes"), static_cast<int64_t>(records.size()));
    EXPECT_EQ(count("SELECT count(*) FROM changes WHERE outcome != 'applied'"), 0);
    for (const auto& [ns, name] :
         std::vector<std::pair<std::string, std::string>>{{"default", "hot-0"},
                                                          {"default", "hot-1"},
                                                          {"team-05", "svc-00005"},
                                                          {"team-09", "svc-00199"}}) {
      auto agg = (*p)->GetAggregate(ns, name);
      ASSERT_TRUE(agg.ok() && agg->has_value()) << ns << "/" << name;
      const state::v1::Aggregate* expected = gen->Find(ns, name);
      ASSERT_NE(expected, nullptr);
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(**agg, *expected)) << ns << "/" << name;
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(WorkloadTest, MixFollowsIssue6) {
  WorkloadOptions o = Small();
  o.deployments = 1000;
  o.records = 21000;
  std::unique_ptr<WorkloadGenerator> gen;
  const auto records = Generate(o, &gen);
  const WorkloadSummary& s = gen->summary();
  const double changes = static_cast<double>(o.records - o.deployments);
  auto share = [&](const std::string& kind) {
    auto it = s.by_kind.find(kind);
    return it == s.by_kind.end() ? 0.0 : static_cast<double>(it->second) / changes;
  };
  EXPECT_EQ(s.by_kind.at("create"), o.deployments);
  EXPECT_NEAR(share("scale"), 0.60, 0.03);
  EXPECT_NEAR(share("set-image") + share("apply"), 0.30, 0.03);
  EXPECT_NEAR(share("set-image") / (share("set-image") + share("apply")), 2.0 / 3, 0.05);
  EXPECT_NEAR(share("annotate"), 0.05, 0.015);
  EXPECT_NEAR(share("rollback"), 0.04, 0.015);
  EXPECT_NEAR(share("pause") + share("resume"), 0.01, 0.005);
  EXPECT_LE(s.by_kind.at("pause") - s.by_kind.at("resume"), 1);  // pauses are resumed
  const double with_revision =
      static_cast<double>(s.undo_to_revision) / static_cast<double>(s.by_kind.at("rollback"));
  EXPECT_NEAR(with_revision, 0.5, 0.1);
}

TEST(WorkloadTest, HotDeploymentsGetTheirShareAndARevisionForAboutEveryThirdRecord) {
  WorkloadOptions o = Small();
  o.records = 20200;
  std::unique_ptr<WorkloadGenerator> gen;
  Generate(o, &gen);
  ASSERT_EQ(gen->summary().hot.size(), 2u);
  for (const HotDeployment& h : gen->summary().hot) {
    EXPECT_NEAR(static_cast<double>(h.records), o.hot_share * (o.records - o.deployments), 150) << h.name;
    EXPECT_GT(h.revision, h.records / 4) << h.name;
  }
}

TEST(WorkloadTest, DeploymentsCarryTheLabelsAndHistoryLimitTheBenchmarksQuery) {
  const auto records = Generate(Small());
  const std::set<std::string> tiers = {"web", "api", "db", "cache"}, envs = {"dev", "staging", "prod"};
  std::set<std::string> seen_tiers, seen_envs;
  for (const auto& r : records) {
    if (r.kind() != v1::CHANGE_KIND_CREATE) continue;
    const auto& d = r.create().deployment();
    EXPECT_EQ(d.spec().revision_history_limit(), 10);
    const auto& labels = d.metadata().labels();
    ASSERT_TRUE(labels.contains("tier") && labels.contains("env")) << r.name();
    EXPECT_TRUE(tiers.count(labels.at("tier")));
    EXPECT_TRUE(envs.count(labels.at("env")));
    seen_tiers.insert(labels.at("tier"));
    seen_envs.insert(labels.at("env"));
  }
  EXPECT_EQ(seen_tiers, tiers);
  EXPECT_EQ(seen_envs, envs);
}

TEST(WorkloadTest, RefusesOptionsThatCannotBeGenerated) {
  WorkloadOptions o = Small();
  o.records = o.deployments - 1;
  EXPECT_EQ(WorkloadGenerator::Create(o).status().code(), StatusCode::kInvalidArgument);
  o = Small();
  o.hot_deployments = 20;  // 20 x 5% = everything
  EXPECT_EQ(WorkloadGenerator::Create(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(DumpTest, ReadsBackWhatWasWrittenAndReportsTruncation) {
  std::string dir = (std::filesystem::temp_directory_path() / "rollbook-dump-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/d.bin";
  {
    std::ofstream out(path, std::ios::binary);
    WriteDumpMessage(out, "ns/a", std::string("v\0\n1", 4));
    WriteDumpMessage(out, "ns/b", "");
  }
  auto all = ReadDump(path);
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].key, "ns/a");
  EXPECT_EQ((*all)[0].value, std::string("v\0\n1", 4));
  EXPECT_EQ((*all)[1].value, "");
  EXPECT_EQ(ReadDump(path, 1)->size(), 1u);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 2);
  EXPECT_EQ(ReadDump(path).status().code(), StatusCode::kDataLoss);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rollbook::bench
