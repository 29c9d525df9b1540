// End-to-end: time travel (get/describe/rollout history --at, --at-offset),
// diff and blame through the rollbook binary against the real broker.
//
// Broker times are real, so every expected output is built from the log
// times the test reads back from the projection (changes table); the client
// clock is pinned with ROLLBOOK_NOW where a duration ("1h") is resolved.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/time_arg.h"
#include "store/projection/projection.h"
#include "tests/support/cli_runner.h"

namespace rollbook::testing {
namespace {

const char* kWeb = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 3
  revisionHistoryLimit: 2
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
        image: nginx:1.1
)";

struct Record {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t time_ms = 0;
  std::string kind, actor;
};

// The Deployment's records as the projection holds them, in log order.
std::vector<Record> Records(const CliEnv& env, const std::string& name = "web") {
  std::vector<Record> out;
  auto p = store::Projection::Open({env.db(), env.topic(), false});
  if (!p.ok()) {
    ADD_FAILURE() << p.status().message();
    return out;
  }
  auto s = (*p)->db().Prepare(
      "SELECT partition, offset, log_time_ms, kind, actor FROM changes WHERE name = ? ORDER BY partition, "
      "offset");
  if (!s.ok()) return out;
  s->Bind(1, name);
  while (true) {
    auto row = s->Step();
    if (!row.ok() || !*row) break;
    out.push_back({static_cast<int32_t>(s->Int(0)), s->Int(1), s->Int(2), s->Text(3), s->Text(4)});
  }
  return out;
}

std::string T(int64_t ms) { return cli::Rfc3339Ms(ms); }
std::string Pos(const Record& r) { return std::to_string(r.partition) + ":" + std::to_string(r.offset); }

// Replaces every "{key}" in `text`.
std::string Fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [k, v] : values) {
    const std::string key = "{" + k + (k.back() == ' ' ? "" : "}");
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + v.size())) {
      text.replace(at, key.size(), v);
    }
  }
  return text;
}

// Six changes by five people; revisionHistoryLimit 2 prunes revision 1 at the
// fourth revision, and the undo renumbers revision 3 to 5.
class PostmortemStory : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!BrokerConfigured()) GTEST_SKIP() << "ROLLBOOK_TEST_BROKERS unset";
    env_ = std::make_unique<CliEnv>("postmortem");
    Run({"create", "-f", "-", "--record", "--as", "alice"}, kWeb);
    Run({"scale", "deployment/web", "--replicas=5", "--as", "bob"});
    Run({"set", "image", "deployment/web", "web=nginx:1.2", "--record", "--as", "carol"});
    Run({"set", "image", "deployment/web", "web=nginx:1.3", "--as", "carol"});
    Run({"set", "image", "deployment/web", "web=nginx:1.4", "--as", "dave"});
    Run({"rollout", "undo", "deployment/web", "--as", "erin"});
    records_ = Records(*env_);
    ASSERT_EQ(records_.size(), 6u);
  }

  void Run(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    RunResult r = env_->Rollbook(args, stdin_text);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  RunResult Rb(const std::vector<std::string>& args, const std::vector<std::string>& extra_env = {}) {
    return env_->Rollbook(args, "", extra_env);
  }

  // The stderr line of a lookup at `at` that ends after record i.
  std::string AsOf(size_t i) { return AsOfAt(records_[i].time_ms, i); }
  std::string AsOfAt(int64_t at, size_t i) {
    return "as of " + T(at) + " (broker time), after record partition " +
           std::to_string(records_[i].partition) + " offset " + std::to_string(records_[i].offset) + " (" +
           T(records_[i].time_ms) + ")\n";
  }

  std::unique_ptr<CliEnv> env_;
  std::vector<Record> records_;
};

TEST_F(PostmortemStory, get_at_a_broker_time_shows_the_deployment_as_it_was_and_names_the_clock) {
  RunResult r = Rb({"get", "deployment", "web", "--at", T(records_[1].time_ms), "-o", "wide"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES      SELECTOR\n"
            "web    5/5     5            5           " +
                std::to_string((records_[1].time_ms - records_[0].time_ms) / 1000) +
                "s    web          nginx:1.1   app=web\n");
  EXPECT_EQ(r.err, AsOf(1));
  // One millisecond before the scale, the scale had not happened.
  r = Rb({"get", "deployment", "web", "--at", T(records_[1].time_ms - 1), "-o", "jsonpath-less"});
  EXPECT_NE(r.exit_code, 0) << "an unknown -o is still an error with --at";
  r = Rb({"get", "deployment", "web", "--at", T(records_[1].time_ms - 1), "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"replicas\": 3"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, AsOfAt(records_[1].time_ms - 1, 0));
}

TEST_F(PostmortemStory, get_at_a_duration_counts_back_from_the_pinned_client_clock) {
  const int64_t now = records_[2].time_ms + 3'600'000;  // an hour after carol's set image
  RunResult r =
      Rb({"get", "deployments", "--at", "1h", "-o", "wide"}, {"ROLLBOOK_NOW=" + std::to_string(now)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nginx:1.2"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "as of " + T(records_[2].time_ms) +
                       " (broker time; 1h before this machine's clock), after record " + "partition " +
                       std::to_string(records_[2].partition) + " offset " +
                       std::to_string(records_[2].offset) + " (" + T(records_[2].time_ms) + ")\n");
}

TEST_F(PostmortemStory, rollout_history_at_shows_the_revision_list_of_that_moment) {
  RunResult r = Rb({"rollout", "history", "deployment/web", "--at", T(records_[3].time_ms)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "deployment.apps/web \n"
            "REVISION  CHANGE-CAUSE\n"
            "1         rollbook create --filename=- --record=true --as=alice\n"
            "2         rollbook set image deployment/web web=nginx:1.2 --record=true --as=carol\n"
            "3         rollbook set image deployment/web web=nginx:1.2 --record=true --as=carol\n\n");
  EXPECT_EQ(r.err, AsOf(3));
  // Now: revision 1 was pruned (limit 2) and the undo renumbered 3 to 5.
  r = Rb({"rollout", "history", "deployment/web"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "deployment.apps/web \n"
            "REVISION  CHANGE-CAUSE\n"
            "2         rollbook set image deployment/web web=nginx:1.2 --record=true --as=carol\n"
            "4         rollbook set image deployment/web web=nginx:1.2 --record=true --as=carol\n"
            "5         rollbook set image deployment/web web=nginx:1.2 --record=true --as=carol\n\n");
}

TEST_F(PostmortemStory, describe_at_offset_shows_only_the_events_until_then) {
  RunResult r = Rb({"describe", "deployment/web", "--at-offset", Pos(records_[1])});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(
      r.out.find("Replicas:               5 desired | 5 updated | 5 total | 5 available | 0 unavailable"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("    Image:         nginx:1.1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Scaled up replica set"), std::string::npos);
  EXPECT_EQ(r.out.find("Scaled down"), std::string::npos) << "no rollout had happened yet:\n" << r.out;
  EXPECT_EQ(r.err, "as of partition " + std::to_string(records_[1].partition) + " offset " +
                       std::to_string(records_[1].offset) + " (" + T(records_[1].time_ms) +
                       " broker time)\n");
}

TEST_F(PostmortemStory, diff_of_a_pruned_revision_and_a_later_one_is_a_unified_diff) {
  RunResult r = Rb({"diff", "deployment/web", "1", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      r.out,
      Fill(
          R"(--- deployment.apps/web revision 1 (rolled out {t0} broker time by alice, create at partition {p} offset {o0})
+++ deployment.apps/web revision 4 (rolled out {t4} broker time by dave, set-image at partition {p} offset {o4})
@@ -1,11 +1,11 @@
 metadata:
   annotations:
-    kubernetes.io/change-cause: rollbook create --filename=- --record=true --as=alice
+    kubernetes.io/change-cause: rollbook set image deployment/web web=nginx:1.2 --record=true --as=carol
   labels:
     app: web
 spec:
   progressDeadlineSeconds: 600
-  replicas: 3
+  replicas: 5
   revisionHistoryLimit: 2
   selector:
     matchLabels:
@@ -21,7 +21,7 @@
         app: web
     spec:
       containers:
-        - image: nginx:1.1
+        - image: nginx:1.4
           imagePullPolicy: IfNotPresent
           name: web
           terminationMessagePath: /dev/termination-log
)",
          {{"t0", T(records_[0].time_ms)},
           {"t4", T(records_[4].time_ms)},
           {"p", std::to_string(records_[0].partition)},
           {"o0", std::to_string(records_[0].offset)},
           {"o4", std::to_string(records_[4].offset)}}));
}

TEST_F(PostmortemStory, diff_between_two_times_shows_the_scale) {
  RunResult r = Rb({"diff", "deployment/web", "--at", T(records_[0].time_ms), "--at", T(records_[1].time_ms),
                    "--color=always", "-U", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "\033[1m--- deployment.apps/web " + AsOf(0).substr(0, AsOf(0).size() - 1) + "\033[m\n" +
                "\033[1m+++ deployment.apps/web " + AsOf(1).substr(0, AsOf(1).size() - 1) + "\033[m\n" +
                "\033[36m@@ -8 +8 @@\033[m\n\033[31m-  replicas: 3\033[m\n\033[32m+  replicas: 5\033[m\n");
  // Not a terminal: no colour with the default --color=auto.
  r = Rb({"diff", "deployment/web", "--at", T(records_[0].time_ms)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\033'), std::string::npos);
  EXPECT_NE(r.out.find("+++ deployment.apps/web now (revision 5)"), std::string::npos) << r.out;
}

TEST_F(PostmortemStory, blame_names_the_change_that_last_set_each_field) {
  RunResult r = Rb({"blame", "deployment/web"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto sec = [&](size_t i) { return T(records_[i].time_ms / 1000 * 1000); };
  // Times in the table are 20 characters wide; "{tN}" plus 16 spaces keeps the
  // golden aligned.
  const std::string pad(16, ' ');
  EXPECT_EQ(
      r.out,
      Fill(
          R"(FIELD                                                              VALUE                                              LAST CHANGED (BROKER TIME)   ACTOR   KIND        CHANGE-CAUSE                                       RECORD
metadata.annotations[deployment.kubernetes.io/revision]            5                                                  {t5}                         erin    rollback    <none>                                             {r5}
metadata.annotations[kubernetes.io/change-cause]                   rollbook set image deployment/web web=nginx:1...   {t2}                         carol   set-image   rollbook set image deployment/web web=nginx:1...   {r2}
metadata.labels[app]                                               web                                                {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.progressDeadlineSeconds                                       600                                                {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.replicas                                                      5                                                  {t1}                         bob     scale       <none>                                             {r1}
spec.revisionHistoryLimit                                          2                                                  {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.selector.matchLabels[app]                                     web                                                {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.strategy.rollingUpdate.maxSurge                               25%                                                {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.strategy.rollingUpdate.maxUnavailable                         25%                                                {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.strategy.type                                                 RollingUpdate                                      {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.template.metadata.labels[app]                                 web                                                {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.template.spec.containers[name=web].image                      nginx:1.3                                          {t5}                         erin    rollback    <none>                                             {r5}
spec.template.spec.containers[name=web].imagePullPolicy            IfNotPresent                                       {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.template.spec.containers[name=web].name                       web                                                {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.template.spec.containers[name=web].terminationMessagePath     /dev/termination-log                               {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.template.spec.containers[name=web].terminationMessagePolicy   File                                               {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.template.spec.dnsPolicy                                       ClusterFirst                                       {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.template.spec.restartPolicy                                   Always                                             {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.template.spec.schedulerName                                   default-scheduler                                  {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
spec.template.spec.terminationGracePeriodSeconds                   30                                                 {t0}                         alice   create      rollbook create --filename=- --record=true --...   {r0}
)",
          {{"t0}" + pad, sec(0)},
           {"t1}" + pad, sec(1)},
           {"t2}" + pad, sec(2)},
           {"t5}" + pad, sec(5)},
           {"r0", Pos(records_[0])},
           {"r1", Pos(records_[1])},
           {"r2", Pos(records_[2])},
           {"r5", Pos(records_[5])}}));
}

TEST_F(PostmortemStory, blame_at_a_point_stops_there) {
  RunResult r = Rb({"blame", "deployment/web", "--at-offset", Pos(records_[2]), "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"value\": \"nginx:1.2\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nginx:1.3"), std::string::npos) << r.out;
}

TEST_F(PostmortemStory, points_before_the_create_in_the_future_or_unparsable_are_clear_errors) {
  RunResult r = Rb({"get", "deployment", "web", "--at", T(records_[0].time_ms - 1)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "Error from server (NotFound): deployments.apps \"web\" not found at " +
                       T(records_[0].time_ms - 1) + " (broker time): it was created later, at " +
                       T(records_[0].time_ms) + " by alice (partition " +
                       std::to_string(records_[0].partition) + " offset " +
                       std::to_string(records_[0].offset) + ")\n");
  r = Rb({"describe", "deployment/web", "--at", "2999-01-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: --at 2999-01-01T00:00:00Z is in the future"), std::string::npos) << r.err;
  r = Rb({"rollout", "history", "deployment/web", "--at", "last tuesday"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("error: --at: invalid duration \"last tuesday\""), std::string::npos) << r.err;
  r = Rb({"get", "deployment", "web", "--at", "1h", "--at-offset", "0:1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("give only one of them"), std::string::npos) << r.err;
  r = Rb({"get", "deployment", "web", "--at-offset", std::to_string(records_[0].partition) + ":999"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ends at offset"), std::string::npos) << r.err;
  r = Rb({"diff", "deployment/web", "9"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: deployment \"web\" never had revision 9 (its latest revision is 5)\n");
  r = Rb({"diff", "deployment/web", "1", "2", "3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("give one or two of REVISION"), std::string::npos) << r.err;
}

TEST(PostmortemDelete, after_a_delete_time_travel_says_when_and_by_whom) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("postmortem-delete");
  ASSERT_EQ(env.Rollbook({"create", "-f", "-", "--as", "alice"}, kWeb).exit_code, 0);
  ASSERT_EQ(env.Rollbook({"delete", "deployment/web", "--as", "mallory"}).exit_code, 0);
  ASSERT_EQ(env.Rollbook({"create", "-f", "-", "--as", "alice"}, kWeb).exit_code, 0);
  const std::vector<Record> recs = Records(env);
  ASSERT_EQ(recs.size(), 3u);
  RunResult r = env.Rollbook({"get", "deployment", "web", "--at-offset", Pos(recs[1])});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error from server (NotFound): deployments.apps \"web\" not found at partition " +
                       std::to_string(recs[1].partition) + " offset " + std::to_string(recs[1].offset) +
                       ": it was deleted at " + T(recs[1].time_ms) + " by mallory (partition " +
                       std::to_string(recs[1].partition) + " offset " + std::to_string(recs[1].offset) +
                       "), and created again at " + T(recs[2].time_ms) + " by alice (partition " +
                       std::to_string(recs[2].partition) + " offset " + std::to_string(recs[2].offset) +
                       ")\n");
  // Listing at that point shows nothing; at the first create, the first incarnation.
  r = env.Rollbook({"get", "deployments", "--at", T(recs[0].time_ms)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("web    3/3"), std::string::npos) << r.out;
  // Blame after the re-create blames the new create, not the first one.
  r = env.Rollbook({"blame", "deployment/web", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("\"offset\": " + std::to_string(recs[0].offset) + ","), std::string::npos) << r.out;
}

}  // namespace
}  // namespace rollbook::testing
