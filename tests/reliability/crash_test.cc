// Crash safety (issue #4, promises 1 and 2): whatever instant a process dies
// at, the projection ends up equal to a clean replay of the log — no record
// lost, none applied twice. Processes are killed with SIGKILL at random
// moments (seeded; the seed is printed, ROLLBOOK_CRASH_SEED replays a run) and
// at the named failure points of base/failpoint.h.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "events/kafka_log.h"
#include "tests/support/cli_runner.h"
#include "tests/support/workload.h"

extern char** environ;

namespace rollbook::testing {
namespace {

using namespace std::chrono_literals;

uint64_t Seed() {
  const char* s = std::getenv("ROLLBOOK_CRASH_SEED");
  const uint64_t seed = s != nullptr ? std::strtoull(s, nullptr, 10) : std::random_device{}();
  std::cout << "crash seed: " << seed << " (replay with ROLLBOOK_CRASH_SEED=" << seed << ")" << std::endl;
  ::testing::Test::RecordProperty("crash_seed", std::to_string(seed));
  return seed;
}

// A child process started with posix_spawn; killed and reaped on demand.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) Kill();
  }
  bool started() const { return pid_ > 0; }
  // SIGKILL (if still running) and reap; true when it died by SIGKILL (ours
  // or a failure point's), false when it had exited on its own.
  // Waits up to `limit` for the child to end on its own (a failure point),
  // then kills it; same result as Kill().
  bool AwaitOrKill(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Kill();
  }
  bool Kill() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

class CrashSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    ROLLBOOK_REQUIRE_BROKER();
    env_ = std::make_unique<CliEnv>(::testing::UnitTest::GetInstance()->current_test_info()->name());
    config_.brokers = CliEnv::Brokers();
    config_.topic = env_->topic();
    ASSERT_TRUE(events::EnsureTopic(config_).ok());
  }

  // Appends n generated records through rollbook's own producer.
  void Produce(WorkloadGenerator& gen, int n) {
    auto producer = events::KafkaProducer::Create(config_, events::KafkaProducer::Mode::kBulk);
    ASSERT_TRUE(producer.ok()) << producer.status().message();
    for (const auto& r : gen.Take(n)) ASSERT_TRUE((*producer)->AppendAsync(r.key, r.value).ok());
    ASSERT_TRUE((*producer)->Flush().ok());
    produced_ += n;
  }

  // cache_mib: the daemon's aggregate cache (0: none, so every batch loads
  // and writes whole rows as before the cache existed).
  std::vector<std::string> Projector(int batch_size, int cache_mib = 64) const {
    return {BinaryPath("rollbook-projector"),
            "--brokers",
            CliEnv::Brokers(),
            "--topic",
            env_->topic(),
            "--db",
            env_->db(),
            "--batch-size",
            std::to_string(batch_size),
            "--cache-size",
            std::to_string(cache_mib)};
  }
  std::vector<std::string> Reader() const {
    return {BinaryPath("rollbook"), "--brokers", CliEnv::Brokers(), "--topic",
            env_->topic(),          "--db",      env_->db(),        "get",
            "deployments",          "-A"};
  }

  std::string Digest(const std::string& db) const {
    RunResult r = env_->Rollbook({"--db", db, "admin", "digest"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  int64_t Count(const std::string& sql) const {
    RunResult r = env_->Shell("sqlite3 \"$ROLLBOOK_DB\" \"" + sql + "\"");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::atoll(r.out.c_str());
  }

  // The promise itself: after catching up, the projection is exactly a replay.
  void ExpectEqualToACleanRebuild() {
    RunResult caught = env_->Rollbook({"get", "deployments", "-A"});
    ASSERT_EQ(caught.exit_code, 0) << caught.err;
    EXPECT_EQ(Count("SELECT count(*) FROM changes"), produced_) << "a record was lost or applied twice";
    EXPECT_EQ(Count("SELECT count(*) FROM changes WHERE outcome = 'applied'"), produced_);
    const std::string rebuilt = env_->dir() + "/rebuilt.db";
    RunResult rb = env_->Rollbook({"--db", rebuilt, "admin", "rebuild", "-q"});
    ASSERT_EQ(rb.exit_code, 0) << rb.err;
    EXPECT_EQ(Digest(env_->db()), Digest(rebuilt));
    // A rebuild without the aggregate cache (rows written at every load) gives the same file content.
    const std::string uncached = env_->dir() + "/rebuilt-uncached.db";
    rb = env_->Rollbook({"--db", uncached, "admin", "rebuild", "-q", "--cache-size", "0"});
    ASSERT_EQ(rb.exit_code, 0) << rb.err;
    EXPECT_EQ(Digest(uncached), Digest(rebuilt));
    RunResult v = env_->Rollbook({"verify"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  }

  std::unique_ptr<CliEnv> env_;
  events::KafkaConfig config_;
  int64_t produced_ = 0;
};

TEST_F(CrashSafety, projector_survives_sigkill_at_random_points_while_a_workload_is_written) {
  const uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  WorkloadGenerator gen(seed, 40);
  constexpr int kBursts = 30, kBurst = 150;  // 4,500 changes written during the kills
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int b = 0; b < kBursts; ++b) {
      Produce(gen, kBurst);
      std::this_thread::sleep_for(60ms);
    }
    writing = false;
  });
  int kills = 0, failpoint_kills = 0, rounds = 0;
  const int kBatchSizes[] = {1, 7, 64, 500};
  // Keep killing until the burst is written, at least 24 kills happened and the
  // killed projectors have applied most of the log between them: on a slow
  // machine (the sanitizer build) the burst can end before they got that far.
  auto applied_by_killed_projectors = [&] { return Count("SELECT count(*) FROM changes"); };
  while (kills < 24 || writing || applied_by_killed_projectors() <= produced_ / 2) {
    ++rounds;
    std::vector<std::string> extra;
    const bool use_failpoint = rounds % 4 == 0;
    if (use_failpoint) {
      // after_commit in a batch of fewer than 128 records; commit_queued
      // where the daemon pipelines its commits (batches of 500).
      const char* point = rounds % 8 == 0    ? "projection.after_commit:"
                          : rounds % 12 == 0 ? "projection.commit_queued:"
                                             : "projection.before_commit:";
      extra.push_back(std::string("ROLLBOOK_FAILPOINTS=") + point + std::to_string(1 + rng() % 5));
    }
    Child projector(Projector(kBatchSizes[rng() % 4], rng() % 3 == 0 ? 0 : 64), extra);
    ASSERT_TRUE(projector.started());
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 230));
    if (projector.Kill()) {
      ++kills;
      if (use_failpoint) ++failpoint_kills;
    }
    if (rounds >= 400) break;  // the checks below say which part did not happen
  }
  writer.join();
  const int64_t applied_by_killed = applied_by_killed_projectors();
  std::cout << "projector SIGKILLs: " << kills << " (" << failpoint_kills << " at failure points) in "
            << rounds << " rounds; changes written: " << produced_
            << ", applied by the killed projectors: " << applied_by_killed << std::endl;
  EXPECT_GT(applied_by_killed, produced_ / 2) << "the projectors were killed before doing any work";
  RecordProperty("kills", kills);
  EXPECT_GE(kills, 20);
  ExpectEqualToACleanRebuild();
}

TEST_F(CrashSafety, cli_killed_while_catching_up_leaves_a_projection_that_completes_exactly) {
  const uint64_t seed = Seed();
  std::mt19937_64 rng(seed);
  WorkloadGenerator gen(seed, 25);
  int kills = 0;
  for (int round = 0; round < 22; ++round) {
    Produce(gen, 600);  // a backlog for this reader to chew on
    std::vector<std::string> extra;
    if (round % 5 == 4) extra.push_back("ROLLBOOK_FAILPOINTS=projection.after_commit");
    if (round % 5 == 2) extra.push_back("ROLLBOOK_FAILPOINTS=projection.before_commit");
    Child reader(Reader(), extra);
    ASSERT_TRUE(reader.started());
    if (!extra.empty()) {
      // A failure point kills the reader itself, at that exact point however
      // slow the machine is: let it get there.
      if (reader.AwaitOrKill(std::chrono::seconds(60))) ++kills;
      continue;
    }
    // Catching up got faster (aggregates cached across batches): a shorter
    // window keeps most readers dying mid-way instead of after finishing.
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + rng() % 150));
    if (reader.Kill()) ++kills;
  }
  const int64_t applied_by_killed = Count("SELECT count(*) FROM changes");
  std::cout << "CLI SIGKILLs while catching up: " << kills << " of 22; changes written: " << produced_
            << ", applied by the killed readers: " << applied_by_killed << std::endl;
  RecordProperty("kills", kills);
  EXPECT_GE(kills, 5) << "the readers finished before being killed: the test did not test anything";
  EXPECT_GT(applied_by_killed, 0) << "no reader got far enough to commit anything before being killed";
  ExpectEqualToACleanRebuild();
}

TEST_F(CrashSafety, two_projectors_and_readers_on_one_file_apply_each_record_exactly_once) {
  const uint64_t seed = Seed();
  WorkloadGenerator gen(seed, 30);
  Child a(Projector(5), {}), b(Projector(50), {});
  for (int i = 0; i < 10; ++i) {
    Produce(gen, 200);
    RunResult r = env_->Rollbook({"get", "deployments", "-A"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  a.Kill();
  b.Kill();
  ExpectEqualToACleanRebuild();
}

// Batches of 128 records or more pipeline their commits (projection.h): each
// daemon folds its next batch before knowing whether the other committed in
// between, and must notice that it did.
TEST_F(CrashSafety, two_pipelining_projectors_on_one_file_apply_each_record_exactly_once) {
  const uint64_t seed = Seed();
  WorkloadGenerator gen(seed, 30);
  Child a(Projector(300), {}), b(Projector(1000), {});
  for (int i = 0; i < 8; ++i) {
    Produce(gen, 600);
    if (i % 2 == 1) {
      RunResult r = env_->Rollbook({"get", "deployments", "-A"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  // Both must still be running: an error would have ended one.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(a.Kill()) << "the first projector exited";
  EXPECT_TRUE(b.Kill()) << "the second projector exited";
  ExpectEqualToACleanRebuild();
}

TEST_F(CrashSafety, write_killed_after_its_append_is_applied_once_by_the_next_reader) {
  WorkloadGenerator gen(1, 1);
  Produce(gen, 1);  // creates default/app-0000
  ASSERT_EQ(env_->Rollbook({"get", "deployments"}).exit_code, 0);
  RunResult killed = env_->Rollbook({"scale", "deployment/app-0000", "--replicas=17"}, "",
                                    {"ROLLBOOK_FAILPOINTS=write.after_append"});
  EXPECT_NE(killed.exit_code, 0);
  EXPECT_EQ(killed.out, "") << "the writer must not have reported success";
  ++produced_;  // the record reached Kafka before the crash
  RunResult get = env_->Rollbook({"get", "deployment", "app-0000", "-o", "jsonpath={.spec.replicas}"});
  if (get.exit_code != 0) get = env_->Rollbook({"get", "deployment", "app-0000", "-o", "json"});
  EXPECT_NE(get.out.find("17"), std::string::npos) << get.out << get.err;
  ExpectEqualToACleanRebuild();
}

TEST_F(CrashSafety, rebuild_killed_before_the_swap_leaves_the_old_projection_untouched) {
  WorkloadGenerator gen(2, 10);
  Produce(gen, 300);
  ASSERT_EQ(env_->Rollbook({"get", "deployments", "-A"}).exit_code, 0);
  const std::string before = Digest(env_->db());
  RunResult killed = env_->Rollbook({"admin", "rebuild"}, "", {"ROLLBOOK_FAILPOINTS=rebuild.before_swap"});
  EXPECT_NE(killed.exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(env_->db() + ".rebuild"))
      << "the crash should have left the unfinished file";
  EXPECT_EQ(Digest(env_->db()), before);
  RunResult again = env_->Rollbook({"admin", "rebuild"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("300 record(s) folded"), std::string::npos) << again.out;
  EXPECT_FALSE(std::filesystem::exists(env_->db() + ".rebuild"));
  EXPECT_EQ(Digest(env_->db()), before);
  ExpectEqualToACleanRebuild();
}

TEST_F(CrashSafety, rebuild_refuses_to_replace_a_file_that_is_not_a_projection) {
  WorkloadGenerator gen(3, 2);
  Produce(gen, 5);
  const std::string foreign = env_->dir() + "/foreign.db";
  ASSERT_EQ(env_->Shell("sqlite3 " + foreign + " 'CREATE TABLE t(x); INSERT INTO t VALUES(1);'").exit_code,
            0);
  RunResult r = env_->Rollbook({"--db", foreign, "admin", "rebuild"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not a rollbook database"), std::string::npos) << r.err;
  EXPECT_EQ(env_->Shell("sqlite3 " + foreign + " 'SELECT x FROM t'").out, "1\n");
}

}  // namespace
}  // namespace rollbook::testing
