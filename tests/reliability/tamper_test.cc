// Tamper evidence (issue #4, promise 7): `rollbook verify` catches records that
// were altered, removed, reordered or injected in a real topic, and projection
// rows that disagree with the log; on an untouched log it exits 0.
//
// Kafka cannot edit a record in place, so "altered", "removed from the middle"
// and "reordered" are done the way an attacker with admin rights would: the
// topic is deleted and recreated with rewritten history (original partitions,
// offsets and timestamps preserved, one thing changed). Deleting the head of a
// partition uses the real delete-records API.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "events/chain.h"
#include "events/codec.h"
#include "events/kafka_log.h"
#include "store/projection/listing_checkpoint.h"
#include "store/projection/sqlite.h"
#include "tests/support/cli_runner.h"
#include "tests/support/kafka_tools.h"
#include "tests/support/workload.h"

namespace rollbook::testing {
namespace {

constexpr int kDeployments = 8;
constexpr int kRecords = 240;
constexpr int64_t kSpreadFrom = 1'790'000'000'000;  // 2026-09-21, a broker time for rewritten logs

struct Finding {
  std::string problem, object, detail;
  int32_t partition;
  int64_t offset;
};

struct Verdict {
  int exit_code;
  std::vector<Finding> findings;
  std::string raw;
};

class Tamper : public ::testing::Test {
 protected:
  void SetUp() override {
    ROLLBOOK_REQUIRE_BROKER();
    env_ = std::make_unique<CliEnv>(::testing::UnitTest::GetInstance()->current_test_info()->name());
    events::KafkaConfig config;
    config.brokers = CliEnv::Brokers();
    config.topic = env_->topic();
    ASSERT_TRUE(events::EnsureTopic(config).ok());
    WorkloadGenerator gen(7, kDeployments);
    std::vector<RawMessage> msgs;
    for (const auto& r : gen.Take(kRecords)) msgs.push_back({-1, r.key, r.value, 0});
    ASSERT_TRUE(ProduceRaw(CliEnv::Brokers(), env_->topic(), msgs).ok());
    RunResult caught = env_->Rollbook({"get", "deployments", "-A"});
    ASSERT_EQ(caught.exit_code, 0) << caught.err;
    auto log = ReadAll(CliEnv::Brokers(), env_->topic());
    ASSERT_TRUE(log.ok()) << log.status().message();
    log_ = *log;
    ASSERT_EQ(log_.size(), static_cast<size_t>(kRecords));
  }

  // The Deployments of the log's first and last records, as keys and names:
  // the tests that edit projection rows by hand edit these two.
  struct TwoDeployments {
    std::string a, b, name_a, name_b;
  };
  TwoDeployments FirstAndLastDeployments() const {
    const std::string a = log_.front().key, b = log_.back().key;
    return {a, b, a.substr(a.find('/') + 1), b.substr(b.find('/') + 1)};
  }

  // Runs verify, and again with three fold threads (services/verify.h): the
  // findings must not depend on how the Deployments are shared out.
  Verdict Verify(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"verify", "-o", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = env_->Rollbook(args);
    if (std::find(extra.begin(), extra.end(), "--fold-threads") == extra.end()) {
      std::vector<std::string> threaded = args;
      threaded.insert(threaded.end(), {"--fold-threads", "3"});
      RunResult t = env_->Rollbook(threaded);
      EXPECT_EQ(t.exit_code, r.exit_code);
      EXPECT_EQ(t.out, r.out) << "verify with 3 fold threads disagrees";
    }
    Verdict v{r.exit_code, {}, r.out + r.err};
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_object()) {
      for (const auto& f : j["findings"]) {
        v.findings.push_back({f["problem"], f["object"], f["detail"], f["partition"], f["offset"]});
      }
    }
    return v;
  }

  // Deletes the topic and writes `messages` back with their original
  // partitions and timestamps, as someone rewriting history would.
  void Recreate(const std::vector<events::LogMessage>& messages) {
    ASSERT_TRUE(DeleteTopic(CliEnv::Brokers(), env_->topic()).ok());
    ASSERT_TRUE(CreateTopicWithCreateTime(CliEnv::Brokers(), env_->topic(), 6).ok());
    std::vector<RawMessage> raw;
    for (const auto& m : messages)
      raw.push_back({m.position.partition, m.key, m.value, m.position.timestamp_ms});
    Status s = ProduceRaw(CliEnv::Brokers(), env_->topic(), raw);
    ASSERT_TRUE(s.ok()) << s.message();
  }

  // Index in log_ of a record that has a later record of the same key in the
  // same partition right after it (adjacent offsets).
  size_t AdjacentPairOfOneObject() const {
    for (size_t i = 0; i + 1 < log_.size(); ++i) {
      if (i > 10 && log_[i].key == log_[i + 1].key &&
          log_[i].position.partition == log_[i + 1].position.partition) {
        return i;
      }
    }
    ADD_FAILURE() << "no adjacent pair in the workload";
    return 0;
  }

  // Index of a record in the middle of its object's history.
  size_t MiddleOfAChain() const {
    std::map<std::string, std::vector<size_t>> by_key;
    for (size_t i = 0; i < log_.size(); ++i) by_key[log_[i].key].push_back(i);
    const auto& chain = by_key.begin()->second;
    return chain[chain.size() / 2];
  }

  static bool Has(const Verdict& v, const std::string& problem, int32_t partition, int64_t offset) {
    for (const auto& f : v.findings) {
      if (f.problem == problem && f.partition == partition && f.offset == offset) return true;
    }
    return false;
  }
  static bool HasProblem(const Verdict& v, const std::string& problem, const std::string& object = "") {
    for (const auto& f : v.findings) {
      if (f.problem == problem && (object.empty() || f.object == object)) return true;
    }
    return false;
  }

  std::unique_ptr<CliEnv> env_;
  std::vector<events::LogMessage> log_;
};

TEST_F(Tamper, untouched_log_and_projection_verify_clean_with_exit_0) {
  Verdict v = Verify();
  EXPECT_EQ(v.exit_code, 0) << v.raw;
  EXPECT_TRUE(v.findings.empty()) << v.raw;
  nlohmann::json j = nlohmann::json::parse(env_->Rollbook({"verify", "-o", "json"}).out);
  EXPECT_EQ(j["records"], kRecords);
  EXPECT_GT(j["projectionRowsChecked"].get<int>(), kRecords);
  // The plain form says so in words, on stderr, and prints no table.
  RunResult plain = env_->Rollbook({"verify"});
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_EQ(plain.out, "");
  EXPECT_NE(plain.err.find("verified 240 record(s) in 6 partition(s)"), std::string::npos) << plain.err;
  EXPECT_NE(plain.err.find("no problems found"), std::string::npos) << plain.err;
}

TEST_F(Tamper, altered_record_is_reported_at_its_partition_and_offset) {
  const size_t i = MiddleOfAChain();
  auto rewritten = log_;
  v1::ChangeRecord rec;
  ASSERT_TRUE(rec.ParseFromString(rewritten[i].value));
  rec.set_actor("mallory");  // same change, someone else's name on it
  rewritten[i].value = events::EncodeRecord(rec);
  Recreate(rewritten);
  const auto& at = log_[i].position;

  Verdict with_projection = Verify();
  EXPECT_EQ(with_projection.exit_code, 1);
  EXPECT_TRUE(Has(with_projection, "altered", at.partition, at.offset)) << with_projection.raw;

  // Without the projection the chain alone gives it away (its successor
  // commits to the original bytes).
  Verdict log_only = Verify({"--db", env_->dir() + "/none.db"});
  EXPECT_EQ(log_only.exit_code, 1);
  EXPECT_TRUE(Has(log_only, "altered", at.partition, at.offset)) << log_only.raw;
}

TEST_F(Tamper, records_deleted_with_the_delete_records_api_are_reported) {
  const int32_t p = log_[MiddleOfAChain()].position.partition;
  ASSERT_TRUE(DeleteRecordsBefore(CliEnv::Brokers(), env_->topic(), p, 3).ok());
  Verdict v = Verify();
  EXPECT_EQ(v.exit_code, 1);
  bool named = false;
  for (const auto& f : v.findings) {
    if (f.problem == "removed" && f.partition == p && f.detail.find("offsets 0..2") != std::string::npos)
      named = true;
  }
  EXPECT_TRUE(named) << v.raw;
  // The projection applied offsets 0..2 of that partition: each is reported.
  for (int64_t o = 0; o < 3; ++o) EXPECT_TRUE(Has(v, "removed", p, o)) << o << "\n" << v.raw;
}

TEST_F(Tamper, record_removed_from_a_recreated_topic_is_reported) {
  const size_t i = MiddleOfAChain();
  auto rewritten = log_;
  rewritten.erase(rewritten.begin() + static_cast<long>(i));
  Recreate(rewritten);
  const std::string object = log_[i].key;
  Verdict log_only = Verify({"--db", env_->dir() + "/none.db"});
  EXPECT_EQ(log_only.exit_code, 1);
  EXPECT_TRUE(HasProblem(log_only, "removed", object)) << log_only.raw;
  Verdict with_projection = Verify();
  EXPECT_EQ(with_projection.exit_code, 1);
  EXPECT_FALSE(with_projection.findings.empty());
}

TEST_F(Tamper, reordered_records_are_reported) {
  const size_t i = AdjacentPairOfOneObject();
  auto rewritten = log_;
  std::swap(rewritten[i].value, rewritten[i + 1].value);
  std::swap(rewritten[i].position.timestamp_ms, rewritten[i + 1].position.timestamp_ms);
  Recreate(rewritten);
  Verdict log_only = Verify({"--db", env_->dir() + "/none.db"});
  EXPECT_EQ(log_only.exit_code, 1);
  // The later record now comes first and chains to one that follows it.
  EXPECT_TRUE(Has(log_only, "reordered", log_[i].position.partition, log_[i].position.offset))
      << log_only.raw;
  Verdict with_projection = Verify();
  EXPECT_EQ(with_projection.exit_code, 1);
  EXPECT_TRUE(Has(with_projection, "altered", log_[i].position.partition, log_[i].position.offset))
      << with_projection.raw;
}

TEST_F(Tamper, injected_records_are_reported) {
  // A well-formed change record with the right version but no chain link, and
  // bytes that are no change record at all, from some other producer.
  const std::string key = log_.back().key;
  v1::ChangeRecord last;
  ASSERT_TRUE(last.ParseFromString(log_.back().value));
  nlohmann::json state = nlohmann::json::parse(
      env_->Rollbook({"get", "deployment", last.name(), "-o", "json"}).out, nullptr, false);
  ASSERT_TRUE(state.is_object());
  const uint64_t version = std::stoull(state["metadata"]["resourceVersion"].get<std::string>());
  v1::ChangeRecord forged;
  forged.set_schema_version(1);
  forged.set_id("forged-1");
  forged.set_namespace_(last.namespace_());
  forged.set_name(last.name());
  forged.set_kind(v1::CHANGE_KIND_SCALE);
  forged.mutable_scale()->set_replicas(0);
  forged.mutable_scale()->set_current_replicas(-1);
  forged.set_expected_version(version);
  forged.set_actor("mallory");
  ASSERT_TRUE(ProduceRaw(CliEnv::Brokers(), env_->topic(),
                         {{-1, key, events::EncodeRecord(forged), 0}, {-1, key, "\x01\x02 not protobuf", 0}})
                  .ok());
  auto after = ReadAll(CliEnv::Brokers(), env_->topic());
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), log_.size() + 2);
  std::vector<events::LogPosition> injected;
  for (const auto& m : *after) {
    if (m.position.offset >= 0 &&
        (m.value == events::EncodeRecord(forged) || m.value == "\x01\x02 not protobuf")) {
      injected.push_back(m.position);
    }
  }
  ASSERT_EQ(injected.size(), 2u);
  Verdict v = Verify();
  EXPECT_EQ(v.exit_code, 1);
  for (const auto& pos : injected) EXPECT_TRUE(Has(v, "injected", pos.partition, pos.offset)) << v.raw;
}

TEST_F(Tamper, projection_rows_that_disagree_with_the_log_are_reported) {
  const auto [a, b, name_a, name_b] = FirstAndLastDeployments();
  ASSERT_NE(a, b);
  // Someone "fixes" the projection by hand: one row gets another's state, one
  // audit row gets a different record hash.
  RunResult edit = env_->Shell(
      "sqlite3 \"$ROLLBOOK_DB\" \"UPDATE deployments SET state = (SELECT state FROM deployments WHERE name = "
      "'" +
      name_b + "') WHERE name = '" + name_a +
      "'; UPDATE changes SET record_hash = zeroblob(32) WHERE partition = " +
      std::to_string(log_[5].position.partition) +
      " AND offset = " + std::to_string(log_[5].position.offset) + ";\"");
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  Verdict v = Verify();
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_TRUE(HasProblem(v, "projection", a)) << v.raw;
  EXPECT_TRUE(Has(v, "altered", log_[5].position.partition, log_[5].position.offset)) << v.raw;
  // Restricting to another Deployment hides the first finding but not the
  // partition-level ones.
  Verdict only_b = Verify({"deployment/" + name_b});
  EXPECT_FALSE(HasProblem(only_b, "projection", a)) << only_b.raw;
}

// `get deployments -l` reads deployment_listing, not the state rows: verify
// replays what it must hold, so an edited, a missing and an invented row are
// each reported against their Deployment.
TEST_F(Tamper, listing_rows_that_disagree_with_the_log_are_reported) {
  const auto [a, b, name_a, name_b] = FirstAndLastDeployments();
  ASSERT_NE(a, b);
  RunResult edit = env_->Shell(
      "sqlite3 \"$ROLLBOOK_DB\" \"UPDATE deployment_listing SET listing = listing || x'00' WHERE name = '" +
      name_a + "'; DELETE FROM deployment_listing WHERE name = '" + name_b +
      "'; INSERT INTO deployment_listing SELECT 'forged', 'yes', namespace, name, listing FROM "
      "deployment_listing WHERE name = '" +
      name_a + "' LIMIT 1;\"");
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  Verdict v = Verify();
  EXPECT_EQ(v.exit_code, 1) << v.raw;
  EXPECT_TRUE(HasProblem(v, "projection", a)) << v.raw;
  EXPECT_TRUE(HasProblem(v, "projection", b)) << v.raw;
  EXPECT_NE(v.raw.find("disagrees with a replay of the log"), std::string::npos) << v.raw;
  EXPECT_NE(v.raw.find("deployment_listing lacks the row for label"), std::string::npos) << v.raw;
  EXPECT_NE(v.raw.find("has a row for label forged=yes"), std::string::npos) << v.raw;
}

// `get deployments --at` starts from listing_checkpoints: verify recomputes
// each one from the audit rows, so an edited body and a delta whose full
// checkpoint is gone are reported.
TEST_F(Tamper, listing_checkpoints_that_disagree_with_the_audit_rows_are_reported) {
  // The fixture's records share a few milliseconds, and a checkpoint covers
  // all the rows of its time: the log is written again 10 ms apart, and the
  // projection made from it gets a checkpoint every 4 rows (240 records make
  // none at the default stride).
  std::vector<events::LogMessage> spread = log_;
  for (size_t i = 0; i < spread.size(); ++i) spread[i].position.timestamp_ms = kSpreadFrom + 10 * i;
  ASSERT_NO_FATAL_FAILURE(Recreate(spread));
  RunResult removed = env_->Shell("rm -f \"$ROLLBOOK_DB\"*");
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  RunResult caught = env_->Rollbook({"get", "deployments", "-A"});
  ASSERT_EQ(caught.exit_code, 0) << caught.err;
  {
    auto db = store::Db::Open(env_->db(), /*create=*/false);
    ASSERT_TRUE(db.ok()) << db.status().message();
    ASSERT_TRUE((*db)->Exec("BEGIN IMMEDIATE").ok());
    auto rest = store::ExtendListingCheckpoints(**db, 4);
    ASSERT_TRUE(rest.ok()) << rest.status().message();
    ASSERT_TRUE((*db)->Exec("COMMIT").ok());
  }
  RunResult count = env_->Shell(
      "sqlite3 \"$ROLLBOOK_DB\" \"SELECT count(*) FROM listing_checkpoints WHERE base_ms IS NULL; SELECT "
      "count(*) FROM listing_checkpoints WHERE base_ms IS NOT NULL;\"");
  ASSERT_EQ(count.exit_code, 0) << count.err;
  int fulls = 0, deltas = 0;
  ASSERT_EQ(sscanf(count.out.c_str(), "%d %d", &fulls, &deltas), 2) << count.out;
  ASSERT_GE(fulls, 3);
  ASSERT_GE(deltas, 3);
  Verdict clean = Verify();
  EXPECT_EQ(clean.exit_code, 0) << clean.raw;

  // The last full checkpoint gets the first one's body; the first full one
  // goes, leaving its deltas without a base.
  RunResult edit = env_->Shell(
      "sqlite3 \"$ROLLBOOK_DB\" \"UPDATE listing_checkpoints SET body = (SELECT body FROM "
      "listing_checkpoints "
      "WHERE base_ms IS NULL ORDER BY time_ms LIMIT 1) WHERE time_ms = (SELECT max(time_ms) FROM "
      "listing_checkpoints WHERE base_ms IS NULL); DELETE FROM listing_checkpoints WHERE time_ms = (SELECT "
      "min(time_ms) FROM listing_checkpoints);\"");
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  Verdict v = Verify();
  EXPECT_EQ(v.exit_code, 1) << v.raw;
  EXPECT_NE(v.raw.find("disagrees with the audit rows up to that time"), std::string::npos) << v.raw;
  EXPECT_NE(v.raw.find("but the full one before it is missing"), std::string::npos) << v.raw;
}

// `get deployments` prints the row's plain columns and probes
// deployment_labels without reading the state: verify checks both too.
TEST_F(Tamper, row_columns_and_label_rows_that_disagree_with_the_log_are_reported) {
  const auto [a, b, name_a, name_b] = FirstAndLastDeployments();
  ASSERT_NE(a, b);
  RunResult edit = env_->Shell(
      "sqlite3 \"$ROLLBOOK_DB\" \"UPDATE deployments SET replicas = replicas + 1, ready = ready + 7 WHERE "
      "name = '" +
      name_a + "'; DELETE FROM deployment_labels WHERE name = '" + name_b + "';\"");
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  Verdict v = Verify();
  EXPECT_EQ(v.exit_code, 1) << v.raw;
  EXPECT_TRUE(HasProblem(v, "projection", a)) << v.raw;
  EXPECT_TRUE(HasProblem(v, "projection", b)) << v.raw;
  EXPECT_NE(v.raw.find("the row's column(s) replicas, ready disagree"), std::string::npos) << v.raw;
  EXPECT_NE(v.raw.find("deployment_labels lacks label"), std::string::npos) << v.raw;
}

// store/projection/templates.h: Deployment rows name their ReplicaSets'
// templates by digest, so verify checks those texts too: an edited template
// row and a missing one are both reported against the Deployments using them.
TEST_F(Tamper, edited_or_missing_template_rows_are_reported) {
  const std::string a = log_.front().key;
  RunResult edit =
      env_->Shell("sqlite3 \"$ROLLBOOK_DB\" \"UPDATE templates SET template_json = template_json || ' ';\"");
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  Verdict edited = Verify();
  EXPECT_EQ(edited.exit_code, 1) << edited.raw;
  EXPECT_TRUE(HasProblem(edited, "projection", a)) << edited.raw;

  RunResult remove = env_->Shell("sqlite3 \"$ROLLBOOK_DB\" \"DELETE FROM templates;\"");
  ASSERT_EQ(remove.exit_code, 0) << remove.err;
  Verdict missing = Verify();
  EXPECT_EQ(missing.exit_code, 1) << missing.raw;
  EXPECT_TRUE(HasProblem(missing, "projection", a)) << missing.raw;
  EXPECT_NE(missing.raw.find("that the templates table lacks"), std::string::npos) << missing.raw;
}

// A rejected record (a concurrent writer that lost) may chain to any earlier
// applied link of its own Deployment; chaining to another Deployment's record
// is a break. Verify folds Deployments on separate threads, and this checks
// that a loser is still judged against its own Deployment's records.
TEST_F(Tamper, losers_chaining_to_their_own_earlier_links_are_not_breaks) {
  const std::string key = log_.back().key;
  v1::ChangeRecord last;
  ASSERT_TRUE(last.ParseFromString(log_.back().value));
  ASSERT_FALSE(last.prev_record_hash().empty());
  v1::ChangeRecord loser = last;  // same expected version: rejected as a conflict
  loser.set_id("loser-1");
  loser.set_actor("bob");
  v1::ChangeRecord stray = loser;  // the same, but chaining to another Deployment's first record
  stray.set_id("stray-1");
  size_t other = 0;
  while (other < log_.size() && log_[other].key == key) ++other;
  ASSERT_LT(other, log_.size());
  stray.set_prev_record_hash(events::RecordHash(log_[other].value));
  ASSERT_TRUE(
      ProduceRaw(CliEnv::Brokers(), env_->topic(),
                 {{-1, key, events::EncodeRecord(loser), 0}, {-1, key, events::EncodeRecord(stray), 0}})
          .ok());
  auto after = ReadAll(CliEnv::Brokers(), env_->topic());
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), log_.size() + 2);
  const events::LogPosition loser_at = (*after)[after->size() - 2].position;
  const events::LogPosition stray_at = after->back().position;
  ASSERT_EQ(after->back().value, events::EncodeRecord(stray));
  RunResult caught = env_->Rollbook({"get", "deployments", "-A"});
  ASSERT_EQ(caught.exit_code, 0) << caught.err;
  for (const char* threads : {"1", "3"}) {
    SCOPED_TRACE(std::string("--fold-threads ") + threads);
    Verdict v = Verify({"--fold-threads", threads});
    EXPECT_EQ(v.exit_code, 1) << v.raw;
    EXPECT_FALSE(Has(v, "injected", loser_at.partition, loser_at.offset)) << v.raw;
    EXPECT_TRUE(Has(v, "injected", stray_at.partition, stray_at.offset)) << v.raw;
    EXPECT_EQ(v.findings.size(), 1u) << v.raw;
  }
}

}  // namespace
}  // namespace rollbook::testing
