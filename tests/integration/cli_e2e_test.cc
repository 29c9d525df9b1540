// End-to-end: the rollbook binary against the real Kafka broker.
// Outputs are compared byte for byte with what kubectl prints (spec §3, §4, §11).
#include <gtest/gtest.h>

#include <regex>

#include "tests/support/cli_runner.h"

namespace rollbook::testing {
namespace {

const char* kHello = "examples/hello-deployment.yaml";

std::string HashOfCurrentRs(const CliEnv& env) {
  RunResult r = env.Rollbook({"get", "rs", "-o", "name"});
  std::smatch m;
  std::regex re("replicaset.apps/hello-deployment-([a-z0-9]+)");
  std::string all = r.out, last;
  for (std::sregex_iterator it(all.begin(), all.end(), re), end; it != end; ++it) last = (*it)[1];
  return last;
}

TEST(CliEndToEnd, talk_story_prints_what_kubectl_prints) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("talk");
  RunResult r = env.Rollbook({"create", "-f", kHello, "--record"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/hello-deployment created\n");

  r = env.Rollbook({"get", "deployments"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("NAME               READY   UP-TO-DATE   AVAILABLE   AGE\n"
                                                 "hello-deployment   3/3     3            3           [0-9]+s\n")))
      << r.out;

  // spec §3.2: trailing space after the name, blank line at the end.
  r = env.Rollbook({"rollout", "history", "deployment/hello-deployment"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "deployment.apps/hello-deployment \n"
            "REVISION  CHANGE-CAUSE\n"
            "1         rollbook create --filename=examples/hello-deployment.yaml --record=true\n\n");

  r = env.Rollbook({"scale", "deployment/hello-deployment", "--replicas=5"});
  EXPECT_EQ(r.out, "deployment.apps/hello-deployment scaled\n");
  r = env.Rollbook({"set", "image", "deployment/hello-deployment", "hello=nginx:1.26", "--record"});
  EXPECT_EQ(r.out, "deployment.apps/hello-deployment image updated\n");
  r = env.Rollbook({"rollout", "history", "deploy/hello-deployment"});
  EXPECT_EQ(r.out,
            "deployment.apps/hello-deployment \n"
            "REVISION  CHANGE-CAUSE\n"
            "1         rollbook create --filename=examples/hello-deployment.yaml --record=true\n"
            "2         rollbook set image deployment/hello-deployment hello=nginx:1.26 --record=true\n\n");

  // spec §3.3: raw tabs, hash label, injected change-cause.
  const std::string hash = HashOfCurrentRs(env);
  r = env.Rollbook({"rollout", "history", "deployment/hello-deployment", "--revision=2"});
  EXPECT_EQ(r.out,
            "deployment.apps/hello-deployment with revision #2\n"
            "Pod Template:\n"
            "  Labels:\tapp=hello\n"
            "\tpod-template-hash=" + hash + "\n"
            "  Annotations:\tkubernetes.io/change-cause: rollbook set image deployment/hello-deployment "
            "hello=nginx:1.26 --record=true\n"
            "  Containers:\n"
            "   hello:\n"
            "    Image:\tnginx:1.26\n"
            "    Port:\t80/TCP\n"
            "    Host Port:\t0/TCP\n"
            "    Environment:\t<none>\n"
            "    Mounts:\t<none>\n"
            "  Volumes:\t<none>\n"
            "  Node-Selectors:\t<none>\n"
            "  Tolerations:\t<none>\n\n");

  // spec §4: undo reuses revision 1's ReplicaSet as revision 3.
  r = env.Rollbook({"rollout", "undo", "deployment/hello-deployment"});
  EXPECT_EQ(r.out, "deployment.apps/hello-deployment rolled back\n");
  r = env.Rollbook({"rollout", "history", "deployment/hello-deployment"});
  EXPECT_EQ(r.out,
            "deployment.apps/hello-deployment \n"
            "REVISION  CHANGE-CAUSE\n"
            "2         rollbook set image deployment/hello-deployment hello=nginx:1.26 --record=true\n"
            "3         rollbook create --filename=examples/hello-deployment.yaml --record=true\n\n");
  r = env.Rollbook({"rollout", "undo", "deployment/hello-deployment", "--to-revision=1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: unable to find specified revision 1 in history\n");
  r = env.Rollbook({"rollout", "undo", "deployment/hello-deployment", "--to-revision=3"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "deployment.apps/hello-deployment skipped rollback (current template already matches revision 3)\n");

  r = env.Rollbook({"describe", "deployment/hello-deployment"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Replicas:               5 desired | 5 updated | 5 total | 5 available | 0 unavailable\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  Progressing    True    NewReplicaSetAvailable\n"), std::string::npos) << r.out;
}

// librdkafka refuses a connection-setup timeout under a second; --timeout
// below that used to fail every command with that setting's error.
TEST(CliEndToEnd, a_timeout_under_a_second_is_accepted_for_reads_and_writes) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("short-timeout");
  // The topic's creation keeps the default: on a loaded machine a new
  // topic's leader may take longer than these timeouts to be elected.
  RunResult r = env.Rollbook({"create", "-f", kHello});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/hello-deployment created\n");
  r = env.Rollbook({"scale", "deployment/hello-deployment", "--replicas=2", "--timeout=900ms"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/hello-deployment scaled\n");
  r = env.Rollbook({"--timeout=800ms", "get", "deployments", "-o", "name"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/hello-deployment\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliEndToEnd, kubectl_errors_and_exit_codes) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("errors");
  ASSERT_EQ(env.Rollbook({"create", "-f", kHello}).exit_code, 0);
  RunResult r = env.Rollbook({"create", "-f", kHello});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Error from server (AlreadyExists): error when creating \"examples/hello-deployment.yaml\": "
            "deployments.apps \"hello-deployment\" already exists\n");
  r = env.Rollbook({"rollout", "history", "deployment/nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error from server (NotFound): deployments.apps \"nope\" not found\n");
  r = env.Rollbook({"get", "deployments", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "Error from server (NotFound): deployments.apps \"nope\" not found\n");
  r = env.Rollbook({"get", "deployments", "-n", "empty"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "No resources found in empty namespace.\n");
  r = env.Rollbook({"create", "-f", "does/not/exist.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: the path \"does/not/exist.yaml\" does not exist\n");
}

TEST(CliEndToEnd, rejected_manifest_writes_no_record) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("invalid");
  const std::string bad =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: -1\n"
      "  selector:\n    matchLabels: {app: bad}\n  template:\n    metadata:\n      labels: {app: bad}\n"
      "    spec:\n      containers:\n      - name: c\n        image: nginx\n";
  RunResult r = env.Rollbook({"create", "-f", "-"}, bad);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "The Deployment \"bad\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n");
  // Nothing reached the topic: reading it from the beginning yields no message.
  r = env.Shell("kcat -C -b \"$ROLLBOOK_BROKERS\" -t \"$ROLLBOOK_TOPIC\" -o beginning -e -q -f 'x' 2>/dev/null | wc -c");
  EXPECT_EQ(r.out, "0\n");
  r = env.Rollbook({"create", "-f", "-"}, "");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: no objects passed to create\n");
}

TEST(CliEndToEnd, record_is_readable_by_an_independent_client) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("decode");
  RunResult created = env.Rollbook({"create", "-f", kHello, "--record", "--as", "alice"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  RunResult r = env.Shell(
      "kcat -C -b \"$ROLLBOOK_BROKERS\" -t \"$ROLLBOOK_TOPIC\" -o beginning -c 1 -e -q -f '%s' | "
      "protoc --decode=rollbook.v1.ChangeRecord -I events/proto events/proto/rollbook/v1/change_record.proto");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("schema_version: 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("name: \"hello-deployment\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kind: CHANGE_KIND_CREATE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("actor: \"alice\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("change_cause: \"rollbook create --filename=examples/hello-deployment.yaml --record=true "
                       "--as=alice\""),
            std::string::npos)
      << r.out;
}

TEST(CliEndToEnd, projector_daemon_applies_records_and_stops_on_sigterm) {
  ROLLBOOK_REQUIRE_BROKER();
  CliEnv env("daemon");
  // Create first (so the topic exists), then let the daemon follow it.
  ASSERT_EQ(env.Rollbook({"create", "-f", kHello}).exit_code, 0);
  const std::string daemon_db = env.dir() + "/daemon.db";
  const std::string log = env.dir() + "/projector.log";
  RunResult start = env.Shell("'" + BinaryPath("rollbook-projector") + "' --db '" + daemon_db + "' >'" + log +
                              "' 2>&1 & echo $! > '" + env.dir() + "/pid'");
  ASSERT_EQ(start.exit_code, 0);
  ASSERT_EQ(env.Rollbook({"scale", "deployment/hello-deployment", "--replicas=2"}).exit_code, 0);
  // The daemon's own database reaches both records without any CLI reading it.
  RunResult poll = env.Shell(
      "for i in $(seq 1 100); do n=$(sqlite3 '" + daemon_db +
      "' 'select count(*) from changes' 2>/dev/null || echo 0); [ \"$n\" = 2 ] && break; sleep 0.1; done; echo $n");
  EXPECT_EQ(poll.out, "2\n");
  RunResult stop = env.Shell("pid=$(cat '" + env.dir() + "/pid'); kill -TERM $pid; for i in $(seq 1 100); do "
                             "kill -0 $pid 2>/dev/null || exit 0; sleep 0.1; done; exit 1");
  EXPECT_EQ(stop.exit_code, 0) << "projector did not stop on SIGTERM";
  RunResult logged = env.Shell("cat '" + log + "'");
  EXPECT_NE(logged.out.find("applied"), std::string::npos) << logged.out;
  EXPECT_NE(logged.out.find("stopped"), std::string::npos) << logged.out;
}

}  // namespace
}  // namespace rollbook::testing
