// Broker faults (issue #4, point 3), against a real Kafka broker of the test's
// own that it stops, kills and restarts (tests/faults/private_broker.h):
//
//   * outage: with the broker stopped, writes fail within --timeout with an
//     error naming the brokers, exit 1 and leave nothing in the log or the
//     projection; reads answer from the projection with a staleness warning;
//     rollbook-projector keeps running, retries with growing backoff and
//     applies a change written after the broker returns;
//   * restarts under load: a SIGKILL and a graceful restart of the broker in
//     the middle of a burst from the idempotent producer lose no acknowledged
//     record and duplicate none (every record id is counted when the whole
//     topic is read back).
//
// The tests share one broker (one JVM start); they run as one ctest test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "events/codec.h"
#include "events/kafka_log.h"
#include "tests/faults/private_broker.h"
#include "tests/faults/projector_daemon.h"
#include "tests/support/cli_runner.h"

namespace rollbook::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

const char* kHello = "examples/hello-deployment.yaml";

class BrokerFaults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (BrokerConfigured()) broker_ = PrivateBroker::Start(&start_error_);
  }
  static void TearDownTestSuite() { broker_.reset(); }
  void SetUp() override {
    ROLLBOOK_REQUIRE_BROKER();  // the integration environment (java, kcat, jars) is there
    ASSERT_NE(broker_, nullptr) << "could not start a private broker: " << start_error_;
    // Each test starts with the broker up, whatever an earlier failure left.
    std::string error;
    ASSERT_TRUE(broker_->Restart(&error)) << error;
  }

  // `rollbook ARGS` against the private broker, killed if it ever hangs for
  // two minutes (exit 137 then); prints how long it took.
  RunResult Rollbook(const CliEnv& env, const std::vector<std::string>& args,
                     const std::string& stdin_text = "") {
    const std::string in_path = env.dir() + "/stdin";
    if (FILE* f = std::fopen(in_path.c_str(), "wb")) {
      std::fwrite(stdin_text.data(), 1, stdin_text.size(), f);
      std::fclose(f);
    }
    std::string cmd = "export ROLLBOOK_BROKERS=" + ShellQuote(broker_->bootstrap()) +
                      "; timeout -s KILL 120 " + ShellQuote(BinaryPath("rollbook"));
    for (const auto& a : args) cmd += " " + ShellQuote(a);
    const auto start = Clock::now();
    RunResult r = env.Shell(cmd + " <" + ShellQuote(in_path));
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::string line;
    for (const auto& a : args) line += " " + a;
    std::printf("  rollbook%s -> exit %d after %.1fs\n", line.c_str(), r.exit_code, seconds);
    return r;
  }

  std::string Digest(const CliEnv& env, const std::string& db) {
    RunResult r = Rollbook(env, {"--db", db, "admin", "digest"});
    return r.exit_code == 0 ? r.out : "digest failed: " + r.err;
  }

  // Records in the topic, counted by an independent client.
  int64_t TopicRecords(const CliEnv& env) {
    RunResult r =
        env.Shell("kcat -C -b " + ShellQuote(broker_->bootstrap()) + " -t " + ShellQuote(env.topic()) +
                  " -o beginning -e -q -f '%p:%o\\n' 2>/dev/null | wc -l");
    return std::stoll(r.out.empty() ? "-1" : r.out);
  }

  static std::unique_ptr<PrivateBroker> broker_;
  static std::string start_error_;
};

std::unique_ptr<PrivateBroker> BrokerFaults::broker_;
std::string BrokerFaults::start_error_;

std::string SecondDeployment() {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: second\nspec:\n  replicas: 1\n"
         "  selector:\n    matchLabels: {app: second}\n  template:\n    metadata:\n      labels: {app: "
         "second}\n"
         "    spec:\n      containers:\n      - name: c\n        image: nginx:1.25\n";
}

TEST_F(BrokerFaults, outage_fails_writes_cleanly_keeps_reads_and_the_projector_resumes) {
  CliEnv env("outage");
  const std::string brokers = broker_->bootstrap();
  RunResult r = Rollbook(env, {"create", "-f", kHello});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::string daemon_db = env.dir() + "/daemon.db";
  ProjectorDaemon daemon({"--brokers", brokers, "--topic", env.topic(), "--db", daemon_db, "--timeout", "2s"},
                         env.dir() + "/projector.log");
  ASSERT_TRUE(daemon.started());
  ASSERT_TRUE(WaitFor([&] { return Sql(daemon_db, "SELECT count(*) FROM changes") == "1"; }, 60))
      << daemon.Log();
  const std::string digest_before = Digest(env, env.db());

  std::string error;
  ASSERT_TRUE(broker_->Stop(&error)) << error;

  // (a) Writes: exit 1, an error naming the brokers and saying nothing was written.
  struct Write {
    std::vector<std::string> args;
    std::string stdin_text;
    std::string what;
  };
  const std::vector<Write> writes = {
      {{"scale", "deployment/hello-deployment", "--replicas=7"},
       "",
       "scale of deployment.apps/hello-deployment"},
      {{"set", "image", "deployment/hello-deployment", "hello=nginx:9.9"},
       "",
       "set-image of deployment.apps/hello-deployment"},
      {{"create", "-f", "-"}, SecondDeployment(), "create of deployment.apps/second"},
  };
  for (const Write& w : writes) {
    std::vector<std::string> args = {"--timeout", "3s"};
    args.insert(args.end(), w.args.begin(), w.args.end());
    r = Rollbook(env, args, w.stdin_text);
    EXPECT_EQ(r.exit_code, 1) << w.what << ": " << r.err;
    EXPECT_EQ(r.out, "") << w.what;
    EXPECT_THAT(r.err, HasSubstr("error: " + w.what + " was not written (nothing was appended to topic " +
                                 env.topic() + "): "));
    EXPECT_THAT(r.err, HasSubstr("Kafka brokers " + brokers + " did not answer within 3000ms"));
  }

  // (b) Reads: the projection's answer, exit 0, and a warning that it may be stale.
  const std::vector<std::vector<std::string>> reads = {
      {"get", "deployments"},
      {"describe", "deployment/hello-deployment"},
      {"rollout", "history", "deployment/hello-deployment"},
  };
  for (const auto& read : reads) {
    std::vector<std::string> args = {"--timeout", "3s"};
    args.insert(args.end(), read.begin(), read.end());
    r = Rollbook(env, args);
    EXPECT_EQ(r.exit_code, 0) << read[0] << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("hello-deployment")) << read[0];
    EXPECT_THAT(r.err, HasSubstr("Warning: "));
    EXPECT_THAT(r.err, HasSubstr("Kafka brokers " + brokers + " did not answer within 3000ms"));
    EXPECT_THAT(r.err, HasSubstr("it may be stale"));
  }
  r = Rollbook(env, {"--timeout", "3s", "get", "deployments"});
  EXPECT_THAT(r.out, HasSubstr("hello-deployment   3/3 ")) << "the failed scale changed nothing";

  // (c) The daemon notices, stays up and retries with growing backoff.
  const std::regex retry("retrying in ([0-9]+)ms \\(attempt ([0-9]+)\\)");
  const auto retries = [&] {
    std::vector<int> delays;
    const std::string log = daemon.Log();
    for (std::sregex_iterator it(log.begin(), log.end(), retry), end; it != end; ++it) {
      delays.push_back(std::stoi((*it)[1]));
    }
    return delays;
  };
  EXPECT_TRUE(WaitFor([&] { return retries().size() >= 3; }, 60)) << daemon.Log();
  const std::vector<int> delays = retries();
  ASSERT_GE(delays.size(), 2u) << daemon.Log();
  EXPECT_LT(delays[0], delays[1]) << "backoff grows";
  EXPECT_THAT(daemon.Log(), HasSubstr("Kafka brokers " + brokers + " are unreachable"));
  EXPECT_TRUE(daemon.Alive()) << daemon.Log();

  ASSERT_TRUE(broker_->Restart(&error)) << error;

  // (a) Nothing half-written: the log holds only the create, and the
  // projection is what it was, before and after catching up again.
  EXPECT_EQ(TopicRecords(env), 1);
  EXPECT_EQ(Digest(env, env.db()), digest_before);
  r = Rollbook(env, {"get", "deployments"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(Digest(env, env.db()), digest_before);

  // (c) The daemon resumes: a change written now reaches its own database.
  r = Rollbook(env, {"scale", "deployment/hello-deployment", "--replicas=4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(WaitFor(
      [&] {
        return Sql(daemon_db, "SELECT replicas FROM deployments WHERE name = 'hello-deployment'") == "4";
      },
      60))
      << daemon.Log();
  EXPECT_THAT(daemon.Log(), HasSubstr("brokers are back after"));
  EXPECT_TRUE(daemon.Alive());

  // Daemon, CLI and a fresh replay agree on every row.
  const std::string rebuilt = env.dir() + "/rebuilt.db";
  r = Rollbook(env, {"--db", rebuilt, "admin", "rebuild", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string digest = Digest(env, rebuilt);
  EXPECT_EQ(Digest(env, daemon_db), digest);
  EXPECT_EQ(Digest(env, env.db()), digest);
  EXPECT_EQ(daemon.Stop(), 0) << daemon.Log();
  std::printf("projector log:\n%s", daemon.Log().c_str());
}

// A record of the burst: a scale of one of 20 Deployments, id "burst-N".
v1::ChangeRecord BurstRecord(int64_t n) {
  v1::ChangeRecord rec;
  rec.set_schema_version(events::kSchemaVersion);
  rec.set_id("burst-" + std::to_string(n));
  rec.set_namespace_("burst");
  rec.set_name("d" + std::to_string(n % 20));
  rec.set_kind(v1::CHANGE_KIND_SCALE);
  rec.set_actor("broker-faults-test");
  rec.mutable_scale()->set_replicas(static_cast<int32_t>(n % 7));
  rec.mutable_scale()->set_current_replicas(-1);
  return rec;
}

TEST_F(BrokerFaults, restarts_during_a_write_burst_lose_no_acknowledged_record_and_duplicate_none) {
  CliEnv env("burst");
  events::KafkaConfig config;
  config.brokers = broker_->bootstrap();
  config.topic = env.topic();
  // Long enough for records queued during a restart to be delivered after it.
  config.timeout_ms = 120000;
  ASSERT_TRUE(events::EnsureTopic(config).ok());

  std::atomic<bool> stop{false};
  std::atomic<int64_t> produced{0}, acked{0}, failed{0};
  std::map<std::string, events::LogPosition> acked_at;  // written by the producer thread only
  std::mutex mu;
  std::string first_failure, producer_error;  // guarded by mu
  std::atomic<bool> producer_broken{false};
  const auto failure = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return "failed " + std::to_string(failed.load()) + " (first: " + first_failure + ") " + producer_error;
  };
  std::thread producer_thread([&] {
    StatusOr<std::unique_ptr<events::KafkaProducer>> producer =
        events::KafkaProducer::Create(config, events::KafkaProducer::Mode::kBulk);
    if (!producer.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      producer_error = producer.status().message();
      producer_broken = true;
      return;
    }
    for (int64_t n = 0; !stop.load(); ++n) {
      const v1::ChangeRecord rec = BurstRecord(n);
      const std::string id = rec.id();
      Status s =
          (*producer)->AppendAsync(events::RecordKey(rec.namespace_(), rec.name()), events::EncodeRecord(rec),
                                   [&, id](const StatusOr<events::LogPosition>& r) {
                                     if (r.ok()) {
                                       acked_at[id] = *r;
                                       ++acked;
                                     } else if (failed++ == 0) {
                                       std::lock_guard<std::mutex> lock(mu);
                                       first_failure = r.status().message();
                                     }
                                   });
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        producer_error = s.message();
        producer_broken = true;
        break;
      }
      ++produced;
      // About 2,000 records/s: a steady stream across each restart.
      if (n % 20 == 19) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    (void)(*producer)->Flush();  // failures were counted per record
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join{stop, producer_thread};

  const auto acked_grows_by = [&](int64_t n) {
    const int64_t target = acked.load() + n;
    return WaitFor([&] { return acked.load() >= target || producer_broken.load(); }, 120) && !producer_broken;
  };
  ASSERT_TRUE(acked_grows_by(5000)) << "acked " << acked << ", " << failure();

  std::string error;
  int restarts = 0;
  // Hard: the JVM dies mid-request, no controlled shutdown.
  std::printf("  SIGKILL at produced %lld acknowledged %lld\n", static_cast<long long>(produced.load()),
              static_cast<long long>(acked.load()));
  ASSERT_TRUE(broker_->Kill(&error)) << error;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // keep producing into the outage
  ASSERT_TRUE(broker_->Restart(&error)) << error << broker_->LogTail();
  ++restarts;
  ASSERT_TRUE(acked_grows_by(5000)) << "no progress after the SIGKILL restart; " << failure();
  // Graceful: controlled shutdown, then start on the same data.
  std::printf("  graceful stop at produced %lld acknowledged %lld\n", static_cast<long long>(produced.load()),
              static_cast<long long>(acked.load()));
  ASSERT_TRUE(broker_->Stop(&error)) << error;
  ASSERT_TRUE(broker_->Restart(&error)) << error << broker_->LogTail();
  ++restarts;
  ASSERT_TRUE(acked_grows_by(5000)) << "no progress after the graceful restart; " << failure();
  stop = true;
  producer_thread.join();
  ASSERT_FALSE(producer_broken) << failure();

  // Read the whole topic back with a fresh reader.
  StatusOr<std::unique_ptr<events::KafkaReader>> reader = events::KafkaReader::Create(config);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  StatusOr<std::optional<std::vector<events::KafkaReader::Watermark>>> marks = (*reader)->Watermarks();
  ASSERT_TRUE(marks.ok() && marks->has_value()) << (marks.ok() ? "no topic" : marks.status().message());
  std::vector<std::pair<int32_t, int64_t>> assignment;
  int64_t in_topic = 0;
  for (size_t p = 0; p < (*marks)->size(); ++p) {
    EXPECT_EQ((**marks)[p].low, 0) << "partition " << p;
    in_topic += (**marks)[p].high - (**marks)[p].low;
    assignment.emplace_back(static_cast<int32_t>(p), 0);
  }
  ASSERT_TRUE((*reader)->Assign(assignment).ok());
  std::map<std::string, std::vector<events::LogPosition>> found;
  std::map<std::pair<int32_t, int64_t>, std::string> id_at;
  int64_t read = 0, undecodable = 0;
  ASSERT_TRUE(WaitFor(
      [&] {
        StatusOr<std::vector<events::LogMessage>> batch = (*reader)->Poll(10000, 100);
        if (!batch.ok()) return false;
        for (const events::LogMessage& m : *batch) {
          ++read;
          StatusOr<v1::ChangeRecord> rec = events::DecodeRecord(m.key, m.value);
          if (!rec.ok()) {
            ++undecodable;
            continue;
          }
          found[rec->id()].push_back(m.position);
          id_at[{m.position.partition, m.position.offset}] = rec->id();
        }
        return read >= in_topic;
      },
      120))
      << "read " << read << " of " << in_topic;

  int64_t duplicates = 0, missing = 0, misplaced = 0, unacked_present = 0;
  for (const auto& [id, positions] : found) {
    if (positions.size() > 1) ++duplicates;
    if (!acked_at.count(id)) ++unacked_present;
  }
  for (const auto& [id, at] : acked_at) {
    auto it = found.find(id);
    if (it == found.end()) {
      if (++missing <= 20) {
        auto there = id_at.find({at.partition, at.offset});
        std::printf("  missing %s: acknowledged at partition %d offset %lld, where the topic has %s\n",
                    id.c_str(), at.partition, static_cast<long long>(at.offset),
                    there == id_at.end() ? "nothing" : there->second.c_str());
      }
    } else if (it->second[0].partition != at.partition || it->second[0].offset != at.offset) {
      ++misplaced;
    }
  }
  std::printf(
      "burst: produced %lld, acknowledged %lld, failed %lld, records in topic %lld, distinct ids found %zu, "
      "duplicates %lld, acknowledged but missing %lld, acknowledged at another offset %lld, present without "
      "ack "
      "%lld, undecodable %lld, broker restarts %d (1 SIGKILL, 1 graceful)\n",
      static_cast<long long>(produced.load()), static_cast<long long>(acked.load()),
      static_cast<long long>(failed.load()), static_cast<long long>(in_topic), found.size(),
      static_cast<long long>(duplicates), static_cast<long long>(missing), static_cast<long long>(misplaced),
      static_cast<long long>(unacked_present), static_cast<long long>(undecodable), restarts);
  RecordProperty("records_produced", std::to_string(produced.load()));
  RecordProperty("records_acknowledged", std::to_string(acked.load()));
  RecordProperty("records_in_topic", std::to_string(in_topic));
  RecordProperty("duplicates", std::to_string(duplicates));
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(missing, 0) << broker_->LogTail();
  EXPECT_EQ(misplaced, 0);
  EXPECT_EQ(undecodable, 0);
  EXPECT_EQ(read, in_topic);
  EXPECT_EQ(static_cast<int64_t>(found.size()), in_topic) << "every record in the topic has its own id";
  EXPECT_EQ(acked.load() + failed.load(), produced.load()) << "every record got exactly one delivery report";
}

}  // namespace
}  // namespace rollbook::testing
