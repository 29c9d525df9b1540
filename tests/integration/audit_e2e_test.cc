// End-to-end tests of the postmortem commands against the real broker:
// `rollbook audit` (every flag and output format, errors, -w, --rejected) and
// `rollout history -o wide / --all`.
//
// Broker times are real, so golden texts mask RFC 3339 times as <TIME> (the
// column widths stay real); ROLLBOOK_NOW is pinned 100 days ahead so every
// AGE reads "100d". Records the CLI cannot produce (a stale write, garbage)
// are produced with protoc + kcat, independently of rollbook's code.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/support/cli_runner.h"

namespace rollbook::testing {
namespace {

const char* kHello = "examples/hello-deployment.yaml";

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NowEnv(int64_t offset_ms) { return "ROLLBOOK_NOW=" + std::to_string(WallMs() + offset_ms); }
const int64_t kHundredDays = 100LL * 24 * 3600 * 1000 + 12LL * 3600 * 1000;

std::string MaskTimes(const std::string& text) {
  static const std::regex time_re("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{3})?Z");
  return std::regex_replace(text, time_re, "<TIME>");
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Appends raw `value_file` content as one message with `key`, partitioned as
// rollbook's producer partitions (murmur2_random).
RunResult KcatProduce(const CliEnv& env, const std::string& key, const std::string& value_file) {
  return env.Shell(
      "kcat -P -b \"$ROLLBOOK_BROKERS\" -t \"$ROLLBOOK_TOPIC\" -X topic.partitioner=murmur2_random -k " +
      Quote(key) + " " + Quote(value_file));
}

// A change record written by hand (protobuf text format), encoded by protoc.
RunResult ProduceTextRecord(const CliEnv& env, const std::string& key, const std::string& text_proto) {
  const std::string file = env.dir() + "/record.bin";
  RunResult enc = env.Shell("printf '%s' " + Quote(text_proto) +
                            " | protoc --encode=rollbook.v1.ChangeRecord -I events/proto "
                            "events/proto/rollbook/v1/change_record.proto > " +
                            Quote(file));
  if (enc.exit_code != 0) return enc;
  return KcatProduce(env, key, file);
}

RunResult ProduceGarbage(const CliEnv& env, const std::string& key, const std::string& bytes) {
  const std::string file = env.dir() + "/garbage.bin";
  std::ofstream(file, std::ios::binary) << bytes;
  return KcatProduce(env, key, file);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// `rollbook audit -w ...` as a child process whose stdout we read line by line.
class Follower {
 public:
  Follower(const CliEnv& env, const std::vector<std::string>& args,
           const std::vector<std::string>& extra_env) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      setenv("ROLLBOOK_BROKERS", CliEnv::Brokers().c_str(), 1);
      setenv("ROLLBOOK_TOPIC", env.topic().c_str(), 1);
      setenv("ROLLBOOK_DB", env.db().c_str(), 1);
      for (const auto& e : extra_env) putenv(const_cast<char*>(e.c_str()));
      if (chdir(ROLLBOOK_SOURCE_DIR) != 0) _exit(126);
      const std::string binary = BinaryPath("rollbook");
      std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    fd_ = fds[0];
  }
  ~Follower() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  // The next line of output; empty with `ok` false if none came within a
  // generous bound (a hang guard, not a timing assertion).
  std::string ReadLine(bool& ok) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        ok = true;
        return line;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) break;  // the child exited
      buffer_.append(buf, static_cast<size_t>(n));
    }
    ok = false;
    return "";
  }

  // Sends `sig` and returns the exit code (-1 when killed by a signal).
  int Stop(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  bool started() const { return pid_ > 0 && fd_ >= 0; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool reaped_ = false;
  std::string buffer_;
};

// ---------------------------------------------------------------------------------
// The shared story: four changes by three people, one forged stale write and a
// Deployment in another namespace.
class AuditStory : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!BrokerConfigured()) return;
    env_ = new CliEnv("audit");
    auto ok = [](const RunResult& r) { ASSERT_EQ(r.exit_code, 0) << r.out << r.err; };
    ok(env_->Rollbook({"create", "-f", kHello, "--record", "--as=alice"}));
    ok(env_->Rollbook({"scale", "deployment/hello-deployment", "--replicas=5", "--as=bob"}));
    ok(env_->Rollbook(
        {"set", "image", "deployment/hello-deployment", "hello=nginx:1.27", "--record", "--as=carol"}));
    ok(env_->Rollbook({"rollout", "undo", "deployment/hello-deployment", "--as=alice"}));
    // A writer that validated against version 1: the fold rejects it (Conflict).
    ok(ProduceTextRecord(
        *env_, "default/hello-deployment",
        "schema_version: 1 id: \"forged-1\" namespace: \"default\" name: \"hello-deployment\" "
        "kind: CHANGE_KIND_SCALE expected_version: 1 actor: \"mallory\" host: \"elsewhere\" "
        "command_line: \"kcat\" scale { replicas: 9 current_replicas: -1 }"));
    ok(env_->Rollbook({"create", "-f", kHello, "-n", "staging", "--as=dave"}));
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override { ROLLBOOK_REQUIRE_BROKER(); }

  RunResult Audit(std::vector<std::string> args, int64_t now_offset_ms = kHundredDays) {
    args.insert(args.begin(), "audit");
    return env_->Rollbook(args, "", {NowEnv(now_offset_ms)});
  }
  nlohmann::json Json(const std::vector<std::string>& args) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"-o", "json"});
    RunResult r = Audit(a);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  void ExpectError(const std::vector<std::string>& args, const std::string& err) {
    RunResult r = Audit(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, err);
  }

  static CliEnv* env_;
};
CliEnv* AuditStory::env_ = nullptr;

TEST_F(AuditStory, table_shows_who_changed_what_when_in_log_order) {
  RunResult r = Audit({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  // IMAGES is 40 wide: the widest cell (37 characters, the arrow is one) + 3.
  const std::string images = "hello=nginx:1.25.3" + std::string(22, ' ');
  EXPECT_EQ(
      MaskTimes(r.out),
      "TIME                   AGE    DEPLOYMENT         ACTOR     KIND        REVISION   REPLICAS   IMAGES" +
          std::string(34, ' ') +
          "OUTCOME               CHANGE-CAUSE\n"
          "<TIME>   100d   hello-deployment   alice     create      1          3          " +
          images +
          "applied               rollbook create --filename=examples/hello-deployment.yaml --record=true "
          "--as=alice\n"
          "<TIME>   100d   hello-deployment   bob       scale       1          3 → 5      " +
          images +
          "applied               <none>\n"
          "<TIME>   100d   hello-deployment   carol     set-image   1 → 2      5          hello=nginx:1.25.3 "
          "→ "
          "hello=nginx:1.27   applied               rollbook set image deployment/hello-deployment "
          "hello=nginx:1.27 --record=true --as=carol\n"
          "<TIME>   100d   hello-deployment   alice     rollback    2 → 3      5          hello=nginx:1.27 → "
          "hello=nginx:1.25.3   applied               <none>\n"
          "<TIME>   100d   hello-deployment   mallory   scale       3          5          " +
          images + "rejected (Conflict)   <none>\n");
}

TEST_F(AuditStory, all_namespaces_adds_the_namespace_column) {
  RunResult r = Audit({"-A", "--actor", "dave"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      MaskTimes(r.out),
      "TIME                   AGE    NAMESPACE   DEPLOYMENT         ACTOR   KIND     REVISION   REPLICAS   "
      "IMAGES               OUTCOME   CHANGE-CAUSE\n"
      "<TIME>   100d   staging     hello-deployment   dave    create   1          3          "
      "hello=nginx:1.25.3   applied   <none>\n");
  EXPECT_EQ(Lines(Audit({"-A"}).out).size(), 7u);  // header + 6 records
  EXPECT_EQ(Lines(Audit({"-n", "staging"}).out).size(), 2u);
}

TEST_F(AuditStory, filters_by_deployment_actor_kind_and_outcome) {
  auto kinds = [&](const std::vector<std::string>& args) {
    std::vector<std::string> out;
    for (const auto& row : Json(args))
      out.push_back(row["kind"].get<std::string>() + "/" + row["actor"].get<std::string>());
    return out;
  };
  EXPECT_EQ(kinds({"deployment/hello-deployment", "--actor", "bob"}), std::vector<std::string>{"scale/bob"});
  EXPECT_EQ(kinds({"deploy", "hello-deployment", "--kind", "set-image,rollback"}),
            (std::vector<std::string>{"set-image/carol", "rollback/alice"}));
  EXPECT_EQ(kinds({"--kind", "scale", "--kind", "create"}),
            (std::vector<std::string>{"create/alice", "scale/bob", "scale/mallory"}));
  EXPECT_EQ(kinds({"--outcome", "rejected"}), std::vector<std::string>{"scale/mallory"});
  EXPECT_EQ(kinds({"--outcome", "applied", "--actor", "alice"}),
            (std::vector<std::string>{"create/alice", "rollback/alice"}));
  RunResult none = Audit({"deployment/nothing-here"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(none.err, "No changes found for deployment.apps/nothing-here in default namespace.\n");
}

TEST_F(AuditStory, since_and_until_select_by_broker_time) {
  const nlohmann::json all = Json({});
  ASSERT_EQ(all.size(), 5u);
  // Cut at the third and fifth records' broker times, to the millisecond.
  auto count = [&](int64_t since, int64_t until) {
    size_t n = 0;
    for (const auto& row : all) n += row["log_time_ms"] >= since && row["log_time_ms"] < until ? 1 : 0;
    return n;
  };
  const int64_t t3 = all[2]["log_time_ms"], t5 = all[4]["log_time_ms"];
  EXPECT_EQ(Json({"--since", all[2]["time"]}).size(), count(t3, INT64_MAX));
  EXPECT_EQ(Json({"--until", all[2]["time"]}).size(), count(0, t3));
  EXPECT_EQ(Json({"--since", all[2]["time"], "--until", all[4]["time"]}).size(), count(t3, t5));
  EXPECT_GE(count(t3, INT64_MAX), 3u);
  // Durations count back from ROLLBOOK_NOW: everything is 1 hour old, nothing is 3 hours old.
  EXPECT_EQ(Lines(Audit({"--since", "2h"}, 3600 * 1000).out).size(), 6u);
  RunResult old = Audit({"--since", "2h"}, 3 * 3600 * 1000);
  EXPECT_EQ(old.exit_code, 0);
  EXPECT_EQ(old.out, "");
  EXPECT_EQ(old.err, "No changes found in default namespace.\n");
  EXPECT_EQ(Json({"--until", "2000-01-01"}).size(), 0u);
}

TEST_F(AuditStory, wide_adds_client_time_host_position_message_and_command) {
  RunResult r = Audit({"deployment/hello-deployment", "--actor", "mallory", "-o", "wide"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = Lines(MaskTimes(r.out));
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_TRUE(std::regex_match(
      lines[0],
      std::regex("TIME +CLIENT-TIME +AGE +DEPLOYMENT +ACTOR +HOST +KIND +REVISION +REPLICAS +IMAGES +"
                 "OUTCOME +POSITION +MESSAGE +COMMAND +CHANGE-CAUSE")))
      << lines[0];
  // The forged record has no client time: 1970.
  EXPECT_TRUE(std::regex_match(
      lines[1], std::regex("<TIME> +<TIME> +100d +hello-deployment +mallory +elsewhere +scale +3 +5 +"
                           "hello=nginx:1.25.3 +rejected \\(Conflict\\) +[0-5]:4 +.*version.* +kcat +"
                           "<none>")))
      << lines[1];
  RunResult mine = Audit({"--actor", "bob", "-o", "wide"});
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  EXPECT_TRUE(std::regex_search(mine.out, std::regex(std::string(" bob +") + host + " +scale "))) << mine.out;
  EXPECT_NE(mine.out.find("rollbook scale deployment/hello-deployment --replicas=5 --as=bob"),
            std::string::npos);
}

TEST_F(AuditStory, json_jsonl_and_csv_carry_the_same_rows) {
  const nlohmann::json all = Json({});
  ASSERT_TRUE(all.is_array());
  ASSERT_EQ(all.size(), 5u);
  const nlohmann::json& image = all[2];
  EXPECT_EQ(image["kind"], "set-image");
  EXPECT_EQ(image["actor"], "carol");
  EXPECT_EQ(image["revision_before"], 1);
  EXPECT_EQ(image["revision_after"], 2);
  EXPECT_EQ(image["images_before"], "hello=nginx:1.25.3");
  EXPECT_EQ(image["images_after"], "hello=nginx:1.27");
  EXPECT_EQ(image["replicas_before"], 5);
  EXPECT_EQ(image["outcome"], "applied");
  EXPECT_EQ(image["record_sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(
      std::regex_match(image["time"].get<std::string>(),
                       std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z")));
  EXPECT_LE(image["client_time_ms"].get<int64_t>(), image["log_time_ms"].get<int64_t>() + 60'000);
  EXPECT_EQ(all[4]["reason"], "Conflict");

  RunResult jsonl = Audit({"-o", "jsonl"});
  ASSERT_EQ(jsonl.exit_code, 0);
  const auto lines = Lines(jsonl.out);
  ASSERT_EQ(lines.size(), all.size());
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(nlohmann::json::parse(lines[i]), all[i]) << i;

  RunResult csv = Audit({"-o", "csv"});
  ASSERT_EQ(csv.exit_code, 0);
  const auto rows = Lines(csv.out);
  ASSERT_EQ(rows.size(), all.size() + 1);
  // nlohmann::json sorts keys; the CSV keeps the JSON output's order, so compare as sets.
  std::vector<std::string> csv_keys, json_keys;
  std::istringstream h(rows[0]);
  for (std::string k; std::getline(h, k, ',');) csv_keys.push_back(k);
  for (const auto& item : all[0].items()) json_keys.push_back(item.key());
  std::sort(csv_keys.begin(), csv_keys.end());
  EXPECT_EQ(csv_keys, json_keys);
  EXPECT_EQ(rows[0].rfind("time,client_time,log_time_ms,", 0), 0u) << rows[0];
  EXPECT_NE(rows[3].find(",set-image,carol,"), std::string::npos) << rows[3];

  // Empty structured outputs are still well-formed.
  EXPECT_EQ(Audit({"--actor", "nobody", "-o", "json"}).out, "[]\n");
  EXPECT_EQ(Audit({"--actor", "nobody", "-o", "jsonl"}).out, "");
  EXPECT_EQ(Lines(Audit({"--actor", "nobody", "-o", "csv"}).out).size(), 1u);
}

TEST_F(AuditStory, bad_flags_get_clear_errors_and_exit_1) {
  ExpectError(
      {"--kind", "scale,deploy"},
      "error: unknown --kind \"deploy\", allowed kinds are: create,apply,scale,set-image,annotate,rollback,"
      "pause,resume,restart,delete\n");
  ExpectError({"--outcome", "failed"},
              "error: invalid --outcome \"failed\", allowed values are: applied,rejected\n");
  ExpectError(
      {"-o", "yaml"},
      "error: unable to match a printer suitable for the output format \"yaml\", allowed formats are: "
      "csv,json,jsonl,table,wide\n");
  ExpectError(
      {"--since", "yesterday"},
      "error: invalid --since \"yesterday\": \"yesterday\" is not a time: expected YYYY-MM-DD at the start; "
      "use a duration back from now (e.g. 90s, 15m, 2h, 1h30m, 7d), an RFC 3339 time with a zone (e.g. "
      "2026-11-20T03:00:00Z or 2026-11-20T04:00:00+01:00) or a UTC date (2026-11-20)\n");
  ExpectError(
      {"--until", "2026-11-20T03:00:00"},
      "error: invalid --until \"2026-11-20T03:00:00\": \"2026-11-20T03:00:00\" has no zone: add Z for UTC or "
      "an offset such as +01:00; use a duration back from now (e.g. 90s, 15m, 2h, 1h30m, 7d), an RFC 3339 "
      "time with a zone (e.g. 2026-11-20T03:00:00Z or 2026-11-20T04:00:00+01:00) or a UTC date "
      "(2026-11-20)\n");
  ExpectError(
      {"--since", "2026-11-20T04:00:00Z", "--until", "2026-11-20T03:00:00Z"},
      "error: --since (2026-11-20T04:00:00.000Z) must be earlier than --until (2026-11-20T03:00:00.000Z)\n");
  ExpectError({"-w", "--until", "1h"},
              "error: --until cannot be combined with -w/--watch: following only ever shows new changes\n");
  ExpectError({"--actor", ""}, "error: --actor needs a user name\n");
  ExpectError(
      {"--rejected", "--actor", "bob", "deployment/x"},
      "error: --rejected lists log messages that are not valid change records, so a deployment, --actor "
      "cannot select them (only --since, --until, -o and -w apply; for change records the fold rejected use "
      "--outcome rejected)\n");
  ExpectError({"pods/x"},
              "error: the server doesn't have a resource type \"pods\" (rollbook manages deployments)\n");
}

// ---------------------------------------------------------------------------------

TEST(AuditFollow, prints_a_change_applied_after_it_started_and_stops_on_sigterm) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("audit_follow");
  ASSERT_EQ(env.Rollbook({"create", "-f", kHello, "--as=alice"}).exit_code, 0);
  Follower follow(env, {"audit", "-w"}, {});
  ASSERT_TRUE(follow.started());
  bool ok = false;
  const std::string header = follow.ReadLine(ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(header.rfind("TIME ", 0), 0u) << header;
  const std::string first = follow.ReadLine(ok);
  ASSERT_TRUE(ok);
  EXPECT_NE(first.find("alice"), std::string::npos) << first;
  EXPECT_NE(first.find("create"), std::string::npos) << first;

  RunResult scaled = env.Rollbook({"scale", "deployment/hello-deployment", "--replicas=7", "--as=bob"});
  ASSERT_EQ(scaled.exit_code, 0) << scaled.err;
  const std::string next = follow.ReadLine(ok);
  ASSERT_TRUE(ok) << "no line after the scale";
  EXPECT_TRUE(std::regex_search(next, std::regex("bob +scale +1 +3 → 7 "))) << next;
  // The new row lines up with the header (same column starts).
  EXPECT_EQ(next.find(" bob ") + 1, header.find("ACTOR"));
  EXPECT_EQ(follow.Stop(SIGTERM), 0);
}

TEST(AuditFollow, jsonl_follow_with_since_prints_only_new_records_and_stops_on_sigint) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("audit_follow_jsonl");
  ASSERT_EQ(env.Rollbook({"create", "-f", kHello, "--as=alice"}).exit_code, 0);
  // --since 0s: only what happens from now on. "Now" is pinned to this moment,
  // after the create and before the scale: the follower would otherwise read
  // its clock when it starts, which on a loaded machine can come after the
  // scale below appended its record (then rightly left out, and the test hung).
  const std::string pinned_now = NowEnv(0);
  Follower follow(env, {"audit", "-w", "--since", "0s", "-o", "jsonl"}, {pinned_now});
  ASSERT_TRUE(follow.started());
  // The follower has nothing to print yet; wait until it has started
  // following by sending a record it must print.
  ASSERT_EQ(env.Rollbook({"scale", "deployment/hello-deployment", "--replicas=2", "--as=bob"}).exit_code, 0);
  bool ok = false;
  const std::string line = follow.ReadLine(ok);
  ASSERT_TRUE(ok);
  const nlohmann::json row = nlohmann::json::parse(line, nullptr, false);
  ASSERT_TRUE(row.is_object()) << line;
  EXPECT_EQ(row["kind"], "scale");
  EXPECT_EQ(row["replicas_after"], 2);
  EXPECT_EQ(follow.Stop(SIGINT), 0);
}

TEST(AuditFollow, rejected_follow_prints_garbage_as_it_arrives) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("audit_follow_rejected");
  ASSERT_EQ(env.Rollbook({"create", "-f", kHello}).exit_code, 0);
  Follower follow(env, {"audit", "--rejected", "-w", "-o", "jsonl"}, {});
  ASSERT_TRUE(follow.started());
  ASSERT_EQ(ProduceGarbage(env, "junk/key", "\xde\xad\xbe\xef").exit_code, 0);
  bool ok = false;
  const std::string line = follow.ReadLine(ok);
  ASSERT_TRUE(ok);
  const nlohmann::json row = nlohmann::json::parse(line, nullptr, false);
  EXPECT_EQ(row["key"], "junk/key") << line;
  EXPECT_EQ(row["size"], 4);
  EXPECT_EQ(follow.Stop(SIGTERM), 0);
}

// ---------------------------------------------------------------------------------

TEST(AuditRejected, lists_messages_that_are_not_change_records) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("audit_rejected");
  ASSERT_EQ(env.Rollbook({"create", "-f", kHello}).exit_code, 0);
  RunResult none = env.Rollbook({"audit", "--rejected"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(none.err, "No rejected records found.\n");
  ASSERT_EQ(ProduceGarbage(env, "default/hello-deployment", "this is not protobuf\n").exit_code, 0);

  RunResult r = env.Rollbook({"audit", "--rejected"}, "", {NowEnv(kHundredDays)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = Lines(MaskTimes(r.out));
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex("TIME +AGE +PARTITION +OFFSET +KEY +SIZE +REASON")))
      << lines[0];
  EXPECT_TRUE(
      std::regex_match(lines[1], std::regex("<TIME> +100d +[0-5] +[0-9]+ +default/hello-deployment +21 +.+")))
      << lines[1];

  const nlohmann::json j =
      nlohmann::json::parse(env.Rollbook({"audit", "--rejected", "-o", "json"}).out, nullptr, false);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["key"], "default/hello-deployment");
  EXPECT_EQ(j[0]["size"], 21);
  EXPECT_EQ(j[0]["value_sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(j[0]["reason"].get<std::string>().empty());
  RunResult wide = env.Rollbook({"audit", "--rejected", "-o", "wide"});
  EXPECT_NE(wide.out.find("VALUE-SHA256"), std::string::npos);
  RunResult csv = env.Rollbook({"audit", "--rejected", "-o", "csv"});
  EXPECT_EQ(Lines(csv.out).size(), 2u);
  EXPECT_EQ(csv.out.rfind("time,log_time_ms,partition,offset,key,size,reason,value_sha256\n", 0), 0u)
      << csv.out;
  // The garbage is not a change: the timeline does not show it.
  EXPECT_EQ(Lines(env.Rollbook({"audit"}).out).size(), 2u);
  RunResult future = env.Rollbook({"audit", "--rejected", "--since", "2999-01-01"});
  EXPECT_EQ(future.err, "No rejected records found.\n");
}

// ---------------------------------------------------------------------------------

const char* kLimitedYaml = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  revisionHistoryLimit: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: registry.example/web:v1
)";

class HistoryWide : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!BrokerConfigured()) return;
    env_ = new CliEnv("history_wide");
    auto ok = [](const RunResult& r) { ASSERT_EQ(r.exit_code, 0) << r.out << r.err; };
    ok(env_->Rollbook({"create", "-f", "-", "--as=alice"}, kLimitedYaml));
    ok(env_->Rollbook({"set", "image", "deploy/web", "app=registry.example/web:v2", "--as=bob", "--record"}));
    ok(env_->Rollbook({"scale", "deploy/web", "--replicas=4", "--as=carol"}));
    ok(env_->Rollbook({"set", "image", "deploy/web", "app=registry.example/web:v3", "--as=carol"}));
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override { ROLLBOOK_REQUIRE_BROKER(); }
  RunResult History(std::vector<std::string> args) {
    args.insert(args.begin(), {"rollout", "history", "deploy/web"});
    return env_->Rollbook(args, "", {NowEnv(kHundredDays)});
  }
  static CliEnv* env_;
};
CliEnv* HistoryWide::env_ = nullptr;

TEST_F(HistoryWide, plain_history_stays_kubectls) {
  RunResult r = History({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "deployment.apps/web \n"
            "REVISION  CHANGE-CAUSE\n"
            "2         rollbook set image deploy/web app=registry.example/web:v2 --as=bob --record=true\n"
            "3         rollbook set image deploy/web app=registry.example/web:v2 --as=bob --record=true\n\n");
}

TEST_F(HistoryWide, wide_adds_created_age_actor_kind_and_images) {
  RunResult r = History({"-o", "wide"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      MaskTimes(r.out),
      "deployment.apps/web \n"
      "REVISION  CREATED               AGE   ACTOR  KIND       IMAGES                   CHANGE-CAUSE\n"
      "2         <TIME>  100d  bob    set-image  registry.example/web:v2  rollbook set image deploy/web "
      "app=registry.example/web:v2 --as=bob --record=true\n"
      "3         <TIME>  100d  carol  set-image  registry.example/web:v3  rollbook set image deploy/web "
      "app=registry.example/web:v2 --as=bob --record=true\n\n");
}

TEST_F(HistoryWide, all_lists_pruned_revisions_marked_with_their_prune_time) {
  RunResult r = History({"--all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      MaskTimes(r.out),
      "deployment.apps/web \n"
      "REVISION  PRUNED                CHANGE-CAUSE\n"
      "1         <TIME>  <none>\n"
      "2         <none>                rollbook set image deploy/web app=registry.example/web:v2 --as=bob "
      "--record=true\n"
      "3         <none>                rollbook set image deploy/web app=registry.example/web:v2 --as=bob "
      "--record=true\n\n");
  RunResult wide = History({"--all", "-o", "wide"});
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  const auto lines = Lines(MaskTimes(wide.out));
  ASSERT_EQ(lines.size(), 6u) << wide.out;
  EXPECT_TRUE(std::regex_match(
      lines[1], std::regex("REVISION +CREATED +AGE +ACTOR +KIND +IMAGES +PRUNED +CHANGE-CAUSE")));
  EXPECT_TRUE(std::regex_match(
      lines[2], std::regex("1 +<TIME> +100d +alice +create +registry.example/web:v1 +<TIME> +<none>")))
      << lines[2];
}

TEST_F(HistoryWide, all_with_revision_shows_a_pruned_template) {
  RunResult r = History({"--all", "--revision=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("deployment.apps/web with revision #1\nPod Template:\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("Image:\tregistry.example/web:v1"), std::string::npos) << r.out;
  RunResult gone = History({"--revision=1"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_EQ(gone.err, "error: unable to find the specified revision\n");
}

TEST_F(HistoryWide, bad_combinations_are_refused) {
  RunResult r = History({"--all", "-o", "yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(
      r.err,
      "error: --all works with the table and -o wide only: pruned revisions no longer exist as ReplicaSet "
      "objects to print as yaml\n");
  r = History({"-o", "wide", "--revision=2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "error: -o wide lists revisions; --revision shows one revision's pod template, so use one or the "
            "other\n");
  r = History({"-o", "table"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "error: unable to match a printer suitable for the output format \"table\", allowed formats are: "
            "json,name,wide,yaml\n");
}

TEST_F(HistoryWide, wide_at_offset_lists_the_revisions_live_then_and_all_refuses_a_past_point) {
  // Where bob's set image landed: the point to look back at.
  RunResult audit = env_->Rollbook({"audit", "deploy/web", "--actor", "bob", "-o", "json"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  const nlohmann::json rows = nlohmann::json::parse(audit.out, nullptr, false);
  ASSERT_TRUE(rows.is_array() && rows.size() == 1u) << audit.out;
  const std::string point = std::to_string(rows[0]["partition"].get<int>()) + ":" +
                            std::to_string(rows[0]["offset"].get<int64_t>());

  RunResult r = History({"-o", "wide", "--at-offset", point});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("as of "), std::string::npos) << r.err;  // says which point it answers for
  const auto lines = Lines(MaskTimes(r.out));
  ASSERT_EQ(lines.size(), 5u) << r.out;  // title, header, revisions 1 and 2 (not 3), blank line
  EXPECT_TRUE(
      std::regex_match(lines[2], std::regex("1 +<TIME> +100d +alice +create +registry.example/web:v1 .*")))
      << lines[2];
  EXPECT_TRUE(
      std::regex_match(lines[3], std::regex("2 +<TIME> +100d +bob +set-image +registry.example/web:v2 .*")))
      << lines[3];

  RunResult all = History({"--all", "--at-offset", point});
  EXPECT_EQ(all.exit_code, 1);
  EXPECT_EQ(all.out, "");
  EXPECT_NE(all.err.find("--all lists what revisionHistoryLimit has pruned up to now; it cannot be combined "
                         "with --at"),
            std::string::npos)
      << all.err;
}

}  // namespace
}  // namespace rollbook::testing
