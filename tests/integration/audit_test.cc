// rollbook audit and rollout history -o wide/--all against the real broker:
// the timeline a postmortem starts from.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "events/codec.h"
#include "tests/support/cli_runner.h"
#include "tests/support/kafka_tools.h"

namespace rollbook::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kManifest[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 3
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
      - name: web
        image: nginx:1.0
)";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

class Audit : public ::testing::Test {
 protected:
  void SetUp() override {
    ROLLBOOK_REQUIRE_BROKER();
    env_ = std::make_unique<CliEnv>(::testing::UnitTest::GetInstance()->current_test_info()->name());
    Ok({"--as", "alice", "apply", "-f", "-", "--record"}, kManifest);
    Ok({"--as", "bob", "scale", "deployment/web", "--replicas=5"});
    Ok({"--as", "carol", "set", "image", "deployment/web", "web=nginx:1.1"});
    Ok({"--as", "alice", "set", "image", "deployment/web", "web=nginx:1.2"});
    Ok({"--as", "bob", "rollout", "undo", "deployment/web"});
  }
  RunResult Ok(const std::vector<std::string>& args, const std::string& in = "") {
    RunResult r = env_->Rollbook(args, in);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }
  nlohmann::json Json(const std::vector<std::string>& args) {
    RunResult r = Ok(args);
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  std::unique_ptr<CliEnv> env_;
};

TEST_F(Audit, timeline_lists_every_change_in_log_order_with_before_and_after) {
  const auto lines = Lines(Ok({"audit"}).out);
  ASSERT_EQ(lines.size(), 6u) << Ok({"audit"}).out;
  EXPECT_EQ(lines[0].substr(0, 4), "TIME");
  for (const char* col :
       {"AGE", "DEPLOYMENT", "ACTOR", "KIND", "REVISION", "REPLICAS", "IMAGES", "OUTCOME"}) {
    EXPECT_NE(lines[0].find(col), std::string::npos) << col;
  }
  const std::vector<std::vector<std::string>> expect = {
      {"alice", "apply", "0->1", "0->3", "<none>->nginx:1.0", "applied"},
      {"bob", "scale", " 1 ", "3->5", "nginx:1.0", "applied"},
      {"carol", "set-image", "1->2", " 5 ", "nginx:1.0->nginx:1.1", "applied"},
      {"alice", "set-image", "2->3", " 5 ", "nginx:1.1->nginx:1.2", "applied"},
      {"bob", "rollback", "3->4", " 5 ", "nginx:1.2->nginx:1.1", "applied"}};
  for (size_t i = 0; i < expect.size(); ++i) {
    for (const auto& cell : expect[i])
      EXPECT_NE(lines[i + 1].find(cell), std::string::npos) << lines[i + 1] << " / " << cell;
  }
  // JSON carries every field, with both clocks and the log position.
  nlohmann::json j = Json({"audit", "-o", "json"});
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 5u);
  EXPECT_EQ(j[0]["changeCause"], "rollbook apply --as=alice --filename=- --record=true");
  EXPECT_EQ(j[1]["replicasBefore"], 3);
  EXPECT_EQ(j[1]["replicasAfter"], 5);
  EXPECT_EQ(j[4]["kind"], "rollback");
  EXPECT_EQ(j[4]["revisionAfter"], 4);
  for (const auto& row : j) {
    EXPECT_TRUE(row.contains("clientTime") && row.contains("partition") && row.contains("offset"))
        << row.dump();
  }
  for (size_t i = 1; i < j.size(); ++i) EXPECT_LE(j[i - 1]["time"], j[i]["time"]) << "not in log order";
}

TEST_F(Audit, filters_select_by_kind_actor_outcome_and_time) {
  EXPECT_EQ(Lines(Ok({"audit", "--kind", "set-image"}).out).size(), 3u);
  EXPECT_EQ(Lines(Ok({"audit", "--kind", "scale,rollback"}).out).size(), 3u);
  EXPECT_EQ(Lines(Ok({"audit", "--actor", "bob", "-o", "jsonl"}).out).size(), 2u);
  EXPECT_EQ(Lines(Ok({"audit", "deployment/web", "--outcome", "applied", "-o", "jsonl"}).out).size(), 5u);
  // A stale writer's record (conflict) is in the log and in the audit, rejected.
  v1::ChangeRecord stale;
  stale.set_schema_version(1);
  stale.set_id("stale-1");
  stale.set_namespace_("default");
  stale.set_name("web");
  stale.set_kind(v1::CHANGE_KIND_SCALE);
  stale.mutable_scale()->set_replicas(1);
  stale.mutable_scale()->set_current_replicas(-1);
  stale.set_expected_version(1);
  stale.set_actor("dave");
  ASSERT_TRUE(
      ProduceRaw(CliEnv::Brokers(), env_->topic(), {{-1, "default/web", events::EncodeRecord(stale), 0}})
          .ok());
  const auto rejected = Lines(Ok({"audit", "--outcome", "rejected"}).out);
  ASSERT_EQ(rejected.size(), 2u);
  EXPECT_NE(rejected[1].find("dave"), std::string::npos);
  EXPECT_NE(rejected[1].find("rejected(Conflict)"), std::string::npos) << rejected[1];
  // Time windows are broker time: [since, until).
  nlohmann::json all = Json({"audit", "-o", "json"});
  const std::string third = all[2]["time"];
  const auto from_third = Json({"audit", "-o", "json", "--since", third});
  for (const auto& row : from_third) EXPECT_GE(row["time"].get<std::string>(), third);
  const auto before_third = Json({"audit", "-o", "json", "--until", third});
  for (const auto& row : before_third) EXPECT_LT(row["time"].get<std::string>(), third);
  EXPECT_EQ(from_third.size() + before_third.size(), all.size());
  EXPECT_EQ(Json({"audit", "-o", "json", "--since", "1h"}).size(), all.size());
  EXPECT_EQ(Json({"audit", "-o", "json", "--until", "1h"}).size(), 0u);
}

TEST_F(Audit, csv_quotes_fields_and_has_one_header) {
  const auto lines = Lines(Ok({"audit", "-o", "csv"}).out);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0].substr(0, 28), "time,client_time,partition,o");
  // The command lines contain no commas, the change-cause of the first does not either;
  // a comma in a cell is quoted.
  Ok({"annotate", "deployment/web", "note=a,b", "--record"});
  const std::string csv = Ok({"audit", "-o", "csv", "--kind", "annotate"}).out;
  EXPECT_NE(csv.find("\"rollbook annotate deployment/web note=a,b --record=true\""), std::string::npos)
      << csv;
}

TEST_F(Audit, rejected_lists_messages_that_are_not_change_records) {
  ASSERT_TRUE(
      ProduceRaw(CliEnv::Brokers(), env_->topic(), {{-1, "default/junk", "not a protobuf \x01", 0}}).ok());
  RunResult r = Ok({"audit", "--rejected"});
  const auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_NE(lines[1].find("default/junk"), std::string::npos);
  EXPECT_NE(lines[1].find("value is not a rollbook.v1.ChangeRecord protobuf"), std::string::npos) << lines[1];
  nlohmann::json j = Json({"audit", "--rejected", "-o", "json"});
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["key"], "default/junk");
  EXPECT_GE(j[0]["offset"].get<int>(), 0);
}

TEST_F(Audit, bad_flags_are_refused_with_what_is_allowed) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"audit", "--kind", "scale,explode"}, "unknown --kind \"explode\": allowed kinds are annotate, apply"},
      {{"audit", "--since", "yesterday"}, "invalid --since \"yesterday\": expected a duration"},
      {{"audit", "--until", "2026-11-20T25:00:00Z"}, "invalid --until \"2026-11-20T25:00:00Z\""},
      {{"audit", "--since", "2026-11-20T03:00:00"}, "expected an RFC 3339 time"},
      {{"audit", "--outcome", "maybe"}, "invalid --outcome \"maybe\": allowed values are applied, rejected"},
      {{"audit", "-o", "xml"}, "allowed formats are: csv,json,jsonl,table,wide"},
      {{"audit", "--since", "1h", "--until", "2h"}, "must be before --until"},
      {{"audit", "deployment/web", "-A"}, "cannot be named together with -A"},
      {{"audit", "--rejected", "--kind", "scale"}, "only --since, --until and -o apply"},
      {{"audit", "pod/web"}, ""},
  };
  for (const auto& c : cases) {
    RunResult r = env_->Rollbook(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args[1];
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(Audit, watch_prints_new_changes_as_they_are_applied) {
  const std::string out_path = env_->dir() + "/watch.out";
  const std::string cmd = "exec " + BinaryPath("rollbook") + " --brokers " + CliEnv::Brokers() + " --topic " +
                          env_->topic() + " --db " + env_->db() + " audit -w -o jsonl >" + out_path + " 2>&1";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto read_lines = [&] {
    std::ifstream in(out_path);
    std::stringstream ss;
    ss << in.rdbuf();
    return Lines(ss.str());
  };
  for (int i = 0; i < 100 && read_lines().size() < 5; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(read_lines().size(), 5u) << "the existing changes come first";
  Ok({"--as", "erin", "scale", "deployment/web", "--replicas=9"});
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    for (const auto& l : read_lines()) {
      if (l.find("\"actor\":\"erin\"") != std::string::npos &&
          l.find("\"replicasAfter\":9") != std::string::npos) {
        seen = true;
      }
    }
    if (!seen) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(seen) << "audit -w did not print the new change";
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "audit -w should stop cleanly on SIGTERM";
}

TEST_F(Audit, history_wide_adds_created_actor_images_and_all_adds_pruned_revisions) {
  // revisionHistoryLimit 1: revisions 1 and 2 are pruned, 3 (nginx:1.2) and 4 (the undo, nginx:1.1) stay.
  const std::string plain = Ok({"rollout", "history", "deployment/web"}).out;
  EXPECT_EQ(plain.find("CREATED"), std::string::npos) << "plain output must stay kubectl's";
  const auto wide = Lines(Ok({"rollout", "history", "deployment/web", "-o", "wide"}).out);
  ASSERT_GE(wide.size(), 4u);
  EXPECT_NE(wide[1].find("REVISION  CREATED"), std::string::npos) << wide[1];
  EXPECT_NE(wide[1].find("ACTOR"), std::string::npos);
  EXPECT_NE(wide[1].find("IMAGES"), std::string::npos);
  EXPECT_NE(wide[2].find("alice"), std::string::npos) << wide[2];  // revision 3 by alice
  EXPECT_NE(wide[2].find("web=nginx:1.2"), std::string::npos) << wide[2];
  EXPECT_NE(wide[3].find("bob"), std::string::npos) << wide[3];  // revision 4: bob's undo
  const auto all = Lines(Ok({"rollout", "history", "deployment/web", "--all"}).out);
  std::string joined;
  for (const auto& l : all) joined += l + "\n";
  EXPECT_NE(all[1].find("PRUNED"), std::string::npos) << joined;
  int pruned = 0;
  for (size_t i = 2; i < all.size(); ++i) {
    if (all[i].find("Z") != std::string::npos) ++pruned;
  }
  EXPECT_GE(pruned, 1) << joined;
  EXPECT_GT(all.size(), Lines(plain).size()) << joined;
  RunResult bad = env_->Rollbook({"rollout", "history", "deployment/web", "--all", "--revision=3"});
  EXPECT_EQ(bad.exit_code, 1);
}

}  // namespace
}  // namespace rollbook::testing
