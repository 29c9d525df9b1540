// Bad records on the topic (issue #4, point 5), against the shared broker.
//
// Another producer (raw librdkafka here, no rollbook code on the write path)
// puts records on the topic that are not valid change records — garbage
// bytes, a wrong schema version, an unknown kind, missing fields, a payload of
// another kind, a key that does not match, a bad prev_record_hash, an
// oversized value, an empty value, no key — between valid records written by
// the CLI. Each bad record must land in the quarantine table with its
// partition, offset and reason, the valid ones around it must apply, the
// projector must go on, and the projection's digest must equal a rebuild's.
// The CLI itself refuses, before producing, a record over the size limit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "events/chain.h"
#include "events/codec.h"
#include "tests/faults/projector_daemon.h"
#include "tests/support/cli_runner.h"

namespace rollbook::testing {
namespace {

using ::testing::HasSubstr;

// A producer that is not rollbook's: librdkafka defaults (no idempotence),
// explicit partitions, optional null key and value.
class ForeignProducer {
 public:
  explicit ForeignProducer(const std::string& brokers) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof(err));
    rd_kafka_conf_set(conf, "message.timeout.ms", "30000", err, sizeof(err));
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
      auto* slot = static_cast<Slot*>(m->_private);
      slot->done = true;
      slot->err = m->err;
      slot->offset = m->offset;
    });
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (rk_ == nullptr) rd_kafka_conf_destroy(conf);
  }
  ~ForeignProducer() {
    if (rk_ != nullptr) {
      rd_kafka_flush(rk_, 10000);
      rd_kafka_destroy(rk_);
    }
  }
  ForeignProducer(const ForeignProducer&) = delete;
  ForeignProducer& operator=(const ForeignProducer&) = delete;

  // The offset the record got in `partition`, or -1 with `error` set.
  int64_t Produce(const std::string& topic, int32_t partition, const std::string* key,
                  const std::string* value, std::string* error) {
    if (rk_ == nullptr) {
      *error = "no producer";
      return -1;
    }
    Slot slot;
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key ? const_cast<char*>(key->data()) : nullptr, key ? key->size() : 0),
        RD_KAFKA_V_VALUE(value ? const_cast<char*>(value->data()) : nullptr, value ? value->size() : 0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&slot), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = rd_kafka_err2str(err);
      return -1;
    }
    while (!slot.done) rd_kafka_poll(rk_, 50);
    if (slot.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = rd_kafka_err2str(slot.err);
      return -1;
    }
    return slot.offset;
  }

 private:
  struct Slot {
    bool done = false;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    int64_t offset = -1;
  };
  rd_kafka_t* rk_ = nullptr;
};

// A valid record of default/hello-deployment, to be spoiled one way or another.
v1::ChangeRecord Scale(const std::string& id) {
  v1::ChangeRecord r;
  r.set_schema_version(events::kSchemaVersion);
  r.set_id(id);
  r.set_namespace_("default");
  r.set_name("hello-deployment");
  r.set_kind(v1::CHANGE_KIND_SCALE);
  r.set_expected_version(1);
  r.mutable_scale()->set_replicas(9);
  r.mutable_scale()->set_current_replicas(-1);
  return r;
}

struct BadRecord {
  std::string what;
  std::optional<std::string> key;    // nullopt: no key at all
  std::optional<std::string> value;  // nullopt: null value (a tombstone)
  std::string reason;                // expected quarantine reason
  bool other_partition = false;      // produce to the partition after the Deployment's
};

std::vector<BadRecord> BadRecords() {
  const std::string key = events::RecordKey("default", "hello-deployment");
  std::vector<BadRecord> out;
  out.push_back(
      {"garbage bytes", key, std::string(11, '\xff'), "value is not a rollbook.v1.ChangeRecord protobuf"});
  {
    v1::ChangeRecord r = Scale("bad-schema");
    r.set_schema_version(2);
    out.push_back({"wrong schema_version", key, events::EncodeRecord(r),
                   "unsupported schema_version 2 (this reader knows 1)"});
  }
  {
    v1::ChangeRecord r = Scale("bad-kind");
    r.set_kind(static_cast<v1::ChangeKind>(42));
    out.push_back({"unknown kind", key, events::EncodeRecord(r), "unknown change kind 42"});
  }
  out.push_back({"missing id", key, events::EncodeRecord(Scale("")), "missing record id"});
  {
    v1::ChangeRecord r = Scale("bad-names");
    r.clear_namespace_();
    r.clear_name();
    out.push_back({"missing namespace and name", std::string("/"), events::EncodeRecord(r),
                   "missing namespace or name"});
  }
  {
    v1::ChangeRecord r = Scale("bad-payload");
    v1::ContainerImage* image = r.mutable_set_image()->add_images();
    image->set_container("hello");
    image->set_image("nginx:evil");
    out.push_back(
        {"payload of another kind", key, events::EncodeRecord(r), "kind scale without its payload"});
  }
  out.push_back({"key of another Deployment", std::string("default/other"),
                 events::EncodeRecord(Scale("bad-key")),
                 "message key \"default/other\" does not match record default/hello-deployment"});
  {
    v1::ChangeRecord r = Scale("bad-hash");
    r.set_prev_record_hash("12345");
    out.push_back({"prev_record_hash of 5 bytes", key, events::EncodeRecord(r),
                   "prev_record_hash has 5 bytes, expected 32 (SHA-256) or none"});
  }
  {
    v1::ChangeRecord r = Scale("bad-size");
    r.set_command_line(std::string(600 * 1000, 'x'));
    const std::string value = events::EncodeRecord(r);
    out.push_back({"600 KB value", key, value,
                   "record of " + std::to_string(value.size()) + " bytes exceeds the " +
                       std::to_string(events::kMaxRecordBytes) + " byte limit"});
  }
  out.push_back({"null value (tombstone)", key, std::nullopt, "empty value: not a change record"});
  out.push_back({"no key", std::nullopt, events::EncodeRecord(Scale("bad-nokey")),
                 "message key \"\" does not match record default/hello-deployment", true});
  return out;
}

std::string Digest(const CliEnv& env, const std::string& db) {
  RunResult r = env.Rollbook({"--db", db, "admin", "digest"});
  return r.exit_code == 0 ? r.out : "digest failed: " + r.err;
}

TEST(BadRecords, are_quarantined_with_position_and_reason_while_valid_records_apply_and_digests_agree) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("badrecords");
  RunResult r = env.Rollbook({"create", "-f", "examples/hello-deployment.yaml", "--record"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string where = Sql(env.db(), "SELECT partition FROM changes");
  ASSERT_FALSE(where.empty());
  const int32_t partition = std::stoi(where);
  const int32_t other = (partition + 1) % 6;  // rollbook topics have 6 partitions

  const std::string daemon_db = env.dir() + "/daemon.db";
  ProjectorDaemon daemon({"--brokers", CliEnv::Brokers(), "--topic", env.topic(), "--db", daemon_db},
                         env.dir() + "/projector.log");
  ASSERT_TRUE(daemon.started());

  ForeignProducer foreign(CliEnv::Brokers());
  const std::vector<BadRecord> bad = BadRecords();
  std::vector<std::pair<int32_t, int64_t>> positions;  // of bad[i]
  const auto produce_bad = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const BadRecord& b = bad[i];
      const int32_t p = b.other_partition ? other : partition;
      std::string error;
      const int64_t offset =
          foreign.Produce(env.topic(), p, b.key ? &*b.key : nullptr, b.value ? &*b.value : nullptr, &error);
      ASSERT_GE(offset, 0) << b.what << ": " << error;
      positions.emplace_back(p, offset);
    }
  };
  // Bad records before, between and after the CLI's valid ones.
  produce_bad(0, 6);
  r = env.Rollbook({"scale", "deployment/hello-deployment", "--replicas=5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  produce_bad(6, bad.size() - 1);
  r = env.Rollbook({"set", "image", "deployment/hello-deployment", "hello=nginx:1.26", "--record"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  produce_bad(bad.size() - 1, bad.size());
  ASSERT_EQ(positions.size(), bad.size());

  // The daemon goes on past every bad record and applies the valid ones.
  const std::string quarantined = std::to_string(bad.size());
  EXPECT_TRUE(WaitFor(
      [&] {
        return Sql(daemon_db, "SELECT count(*) FROM quarantine") == quarantined &&
               Sql(daemon_db, "SELECT count(*) FROM changes WHERE outcome = 'applied'") == "3";
      },
      60))
      << daemon.Log();
  EXPECT_TRUE(daemon.Alive()) << daemon.Log();

  // Every bad record, in the daemon's projection and in the CLI's: at its
  // partition and offset, with its size, key and reason; never in `changes`.
  r = env.Rollbook({"get", "deployments"});  // the CLI catches up past the last bad record
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& db : {daemon_db, env.db()}) {
    SCOPED_TRACE(db);
    for (size_t i = 0; i < bad.size(); ++i) {
      SCOPED_TRACE(bad[i].what);
      const std::string at = " WHERE partition = " + std::to_string(positions[i].first) +
                             " AND offset = " + std::to_string(positions[i].second);
      EXPECT_EQ(Sql(db, "SELECT reason FROM quarantine" + at), bad[i].reason);
      EXPECT_EQ(Sql(db, "SELECT size FROM quarantine" + at),
                std::to_string(bad[i].value ? bad[i].value->size() : 0));
      EXPECT_EQ(Sql(db, "SELECT lower(hex(key)) FROM quarantine" + at),
                events::HexHash(bad[i].key.value_or("")));
      EXPECT_EQ(Sql(db, "SELECT lower(hex(value_hash)) FROM quarantine" + at),
                events::HexHash(events::RecordHash(bad[i].value.value_or(""))));
      EXPECT_EQ(Sql(db, "SELECT count(*) FROM changes" + at), "0");
    }
    EXPECT_EQ(Sql(db, "SELECT count(*) FROM quarantine"), quarantined);
    EXPECT_EQ(Sql(db,
                  "SELECT group_concat(kind || ':' || outcome, ' ') FROM (SELECT * FROM changes ORDER BY "
                  "log_time_ms, offset)"),
              "create:applied scale:applied set-image:applied");
  }

  std::printf(
      "quarantine (partition|offset|size|reason):\n%s\n",
      Sql(daemon_db, "SELECT partition, offset, size, reason FROM quarantine ORDER BY partition, offset")
          .c_str());

  // `audit --rejected` is the user's view of the quarantine: all of them, each
  // at its partition and offset with its reason.
  r = env.Rollbook({"audit", "--rejected", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json listed = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(listed.is_array()) << r.out;
  ASSERT_EQ(listed.size(), bad.size()) << r.out;
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(bad[i].what);
    int found = 0;
    for (const nlohmann::json& row : listed) {
      if (row["partition"] == positions[i].first && row["offset"] == positions[i].second) {
        ++found;
        EXPECT_EQ(row["reason"], bad[i].reason);
      }
    }
    EXPECT_EQ(found, 1);
  }

  // The valid records took effect as if the bad ones were not there.
  r = env.Rollbook({"get", "deployments", "-o", "wide"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("hello-deployment   5/5 "));
  EXPECT_THAT(r.out, HasSubstr("nginx:1.26"));
  r = env.Rollbook({"rollout", "history", "deployment/hello-deployment"});
  EXPECT_EQ(r.out,
            "deployment.apps/hello-deployment \n"
            "REVISION  CHANGE-CAUSE\n"
            "1         rollbook create --filename=examples/hello-deployment.yaml --record=true\n"
            "2         rollbook set image deployment/hello-deployment hello=nginx:1.26 --record=true\n\n");

  // Deterministic: the daemon's projection, the CLI's and two replays agree.
  const std::string rebuilt = env.dir() + "/rebuilt.db";
  ASSERT_EQ(env.Rollbook({"--db", rebuilt, "admin", "rebuild", "-q"}).exit_code, 0);
  const std::string digest = Digest(env, rebuilt);
  EXPECT_EQ(Sql(rebuilt, "SELECT count(*) FROM quarantine"), quarantined);
  ASSERT_EQ(env.Rollbook({"--db", rebuilt, "admin", "rebuild", "-q"}).exit_code, 0);
  EXPECT_EQ(Digest(env, rebuilt), digest);
  EXPECT_EQ(Digest(env, daemon_db), digest);
  EXPECT_EQ(Digest(env, env.db()), digest);
  EXPECT_EQ(daemon.Stop(), 0) << daemon.Log();
}

TEST(BadRecords, cli_refuses_a_record_over_the_size_limit_before_producing) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("oversized");
  // A Deployment that passes validation but whose record would exceed 512 KiB.
  const std::string manifest =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: huge\nspec:\n  replicas: 1\n"
      "  selector:\n    matchLabels: {app: huge}\n  template:\n    metadata:\n      labels: {app: huge}\n"
      "    spec:\n      containers:\n      - name: c\n        image: nginx\n        env:\n        - name: "
      "BLOB\n"
      "          value: \"" +
      std::string(600 * 1000, 'x') + "\"\n";
  RunResult r = env.Rollbook({"create", "-f", "-"}, manifest);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("error: the create of deployment.apps/huge is a change record of "));
  EXPECT_THAT(r.err, HasSubstr(" bytes, over the limit of 524288 bytes per record; nothing was written"));
  // Nothing reached the topic.
  r = env.Shell(
      "kcat -C -b \"$ROLLBOOK_BROKERS\" -t \"$ROLLBOOK_TOPIC\" -o beginning -e -q -f 'x\\n' 2>/dev/null | "
      "wc -l");
  EXPECT_EQ(r.out, "0\n");
  r = env.Rollbook({"get", "deployments"});
  EXPECT_EQ(r.err, "No resources found in default namespace.\n");
}

}  // namespace
}  // namespace rollbook::testing
