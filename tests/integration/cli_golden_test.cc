// Golden test of spec §12 through the CLI and the real broker: every command's
// stdout/stderr and exit code, and `rollout history` after each step.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <regex>

#include "tests/support/cli_runner.h"

namespace rollbook::testing {
namespace {

std::string History(const std::vector<std::pair<int, std::string>>& rows) {
  std::string out = "deployment.apps/web \nREVISION  CHANGE-CAUSE\n";
  for (const auto& [rev, cause] : rows) {
    std::string r = std::to_string(rev);
    out += r + std::string(10 - r.size(), ' ') + cause + "\n";
  }
  return out + "\n";
}

class GoldenScenario : public ::testing::Test {
 protected:
  GoldenScenario() : env_("golden") {}
  RunResult Run(const std::vector<std::string>& args) { return env_.Rollbook(args, "", extra_env_); }
  void ExpectOk(const std::vector<std::string>& args, const std::string& out) {
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, out);
    EXPECT_EQ(r.err, "");
  }
  void ExpectHistory(const std::vector<std::pair<int, std::string>>& rows) {
    RunResult r = Run({"rollout", "history", "deploy/web"});
    EXPECT_EQ(r.out, History(rows));
  }
  // ReplicaSet name of revision N (via -o name).
  std::string RsOfRevision(int n) {
    RunResult r = Run({"rollout", "history", "deploy/web", "--revision=" + std::to_string(n), "-o", "name"});
    std::string name = r.out.substr(r.out.find('/') + 1);
    return name.substr(0, name.find('\n'));
  }
  std::vector<std::string> EventLines() {
    RunResult r = Run({"describe", "deployment/web"});
    std::vector<std::string> lines;
    size_t at = r.out.find("Events:\n");
    if (at == std::string::npos) return lines;
    std::string rest = r.out.substr(at);
    std::regex line_re("  Normal  ScalingReplicaSet  100d  deployment-controller  (.*)");
    for (std::sregex_iterator it(rest.begin(), rest.end(), line_re), end; it != end; ++it) lines.push_back((*it)[1]);
    return lines;
  }
  CliEnv env_;
  // Describe's ages are relative to ROLLBOOK_NOW: 100 days and 12 hours from
  // now renders every event's age as "100d".
  std::vector<std::string> extra_env_ = {
      "ROLLBOOK_NOW=" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count() +
                                       (100LL * 24 + 12) * 3600 * 1000)};
};

TEST_F(GoldenScenario, spec_section_12_step_by_step) {
  ROLLBOOK_REQUIRE_BROKER();
  // 1. apply: revision 1, one event.
  ExpectOk({"apply", "-f", "tests/golden/web-v1.yaml"}, "deployment.apps/web created\n");
  ExpectHistory({{1, "<none>"}});
  const std::string hA = RsOfRevision(1);
  EXPECT_TRUE(std::regex_match(hA, std::regex("web-[4-9b-df]{1,10}"))) << hA;  // spec §8.2 shape
  EXPECT_EQ(EventLines(), std::vector<std::string>{"Scaled up replica set " + hA + " from 0 to 3"});

  // 2. set image: revision 2 and the R=3 rolling sequence of spec §6.4.
  ExpectOk({"set", "image", "deploy/web", "app=registry.example/web:v2"}, "deployment.apps/web image updated\n");
  ExpectHistory({{1, "<none>"}, {2, "<none>"}});
  const std::string hB = RsOfRevision(2);
  EXPECT_EQ(EventLines(), (std::vector<std::string>{
                              "Scaled up replica set " + hA + " from 0 to 3",
                              "Scaled up replica set " + hB + " from 0 to 1",
                              "Scaled down replica set " + hA + " from 3 to 2",
                              "Scaled up replica set " + hB + " from 1 to 2",
                              "Scaled down replica set " + hA + " from 2 to 1",
                              "Scaled up replica set " + hB + " from 2 to 3",
                              "Scaled down replica set " + hA + " from 1 to 0",
                          }));

  // 3. annotate: the cause lands on the current revision.
  ExpectOk({"annotate", "deploy/web", "kubernetes.io/change-cause=v2 rollout"}, "deployment.apps/web annotated\n");
  ExpectHistory({{1, "<none>"}, {2, "v2 rollout"}});

  // 4. set image v3: the stale cause is inherited (spec §2.2 consequence 3).
  ExpectOk({"set", "image", "deploy/web", "app=registry.example/web:v3"}, "deployment.apps/web image updated\n");
  ExpectHistory({{1, "<none>"}, {2, "v2 rollout"}, {3, "v2 rollout"}});
  const std::string hC = RsOfRevision(3);

  // 5. undo: revision 2's ReplicaSet comes back as 4.
  ExpectOk({"rollout", "undo", "deploy/web"}, "deployment.apps/web rolled back\n");
  ExpectHistory({{1, "<none>"}, {3, "v2 rollout"}, {4, "v2 rollout"}});
  EXPECT_EQ(RsOfRevision(4), hB);
  RunResult yaml = Run({"rollout", "history", "deploy/web", "--revision=4", "-o", "yaml"});
  EXPECT_NE(yaml.out.find("deployment.kubernetes.io/revision-history: '2'"), std::string::npos) << yaml.out;

  // 6. the old number is gone.
  RunResult r = Run({"rollout", "undo", "deploy/web", "--to-revision=2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: unable to find specified revision 2 in history\n");
  EXPECT_EQ(r.out, "");

  // 7. undo to the current revision is skipped, and writes nothing.
  ExpectOk({"rollout", "undo", "deploy/web", "--to-revision=4"},
           "deployment.apps/web skipped rollback (current template already matches revision 4)\n");

  // 8. scale: no revision, one event on the current ReplicaSet.
  ExpectOk({"scale", "deploy/web", "--replicas=5"}, "deployment.apps/web scaled\n");
  ExpectHistory({{1, "<none>"}, {3, "v2 rollout"}, {4, "v2 rollout"}});
  EXPECT_EQ(EventLines().back(), "Scaled up replica set " + hB + " from 3 to 5");

  // 9. paused edits create no ReplicaSet.
  ExpectOk({"rollout", "pause", "deploy/web"}, "deployment.apps/web paused\n");
  ExpectOk({"set", "image", "deploy/web", "app=registry.example/web:v5"}, "deployment.apps/web image updated\n");
  ExpectOk({"set", "image", "deploy/web", "app=registry.example/web:v6"}, "deployment.apps/web image updated\n");
  ExpectHistory({{1, "<none>"}, {3, "v2 rollout"}, {4, "v2 rollout"}});
  RunResult described = Run({"describe", "deploy/web"});
  EXPECT_NE(described.out.find("  Progressing    Unknown  DeploymentPaused\n"), std::string::npos) << described.out;
  r = Run({"rollout", "undo", "deploy/web"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try "
            "again\n");
  r = Run({"rollout", "pause", "deploy/web"});
  EXPECT_EQ(r.err, "error: deployments.apps \"web\" is already paused\n");
  r = Run({"rollout", "restart", "deploy/web"});
  EXPECT_EQ(r.err, "error: deployments.apps \"web\" can't restart paused deployment (run rollout resume first)\n");

  // 10. resume: one new revision for both edits, with the stale cause again.
  ExpectOk({"rollout", "resume", "deploy/web"}, "deployment.apps/web resumed\n");
  ExpectHistory({{1, "<none>"}, {3, "v2 rollout"}, {4, "v2 rollout"}, {5, "v2 rollout"}});
  r = Run({"rollout", "resume", "deploy/web"});
  EXPECT_EQ(r.err, "error: deployments.apps \"web\" is not paused\n");
  ExpectOk({"rollout", "status", "deploy/web"}, "deployment \"web\" successfully rolled out\n");
  (void)hC;
}

TEST_F(GoldenScenario, describe_after_a_rollout_matches_kubectl_layout) {
  ROLLBOOK_REQUIRE_BROKER();
  ExpectOk({"apply", "-f", "tests/golden/web-v1.yaml"}, "deployment.apps/web created\n");
  ExpectOk({"set", "image", "deploy/web", "app=registry.example/web:v2", "--record"},
           "deployment.apps/web image updated\n");
  const std::string hA = RsOfRevision(1), hB = RsOfRevision(2);
  RunResult r = Run({"describe", "deployment/web"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = std::regex_replace(r.out, std::regex("CreationTimestamp:      .*\n"),
                                             "CreationTimestamp:      <time>\n");
  EXPECT_EQ(out,
            "Name:                   web\n"
            "Namespace:              default\n"
            "CreationTimestamp:      <time>\n"
            "Labels:                 app=web\n"
            "Annotations:            deployment.kubernetes.io/revision: 2\n"
            "                        kubernetes.io/change-cause: rollbook set image deploy/web app=registry.example/web:v2 --record=true\n"
            "Selector:               app=web\n"
            "Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable\n"
            "StrategyType:           RollingUpdate\n"
            "MinReadySeconds:        0\n"
            "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"
            "Pod Template:\n"
            "  Labels:  app=web\n"
            "  Containers:\n"
            "   app:\n"
            "    Image:         registry.example/web:v2\n"
            "    Port:          <none>\n"
            "    Host Port:     <none>\n"
            "    Environment:   <none>\n"
            "    Mounts:        <none>\n"
            "  Volumes:         <none>\n"
            "  Node-Selectors:  <none>\n"
            "  Tolerations:     <none>\n"
            "Conditions:\n"
            "  Type           Status  Reason\n"
            "  ----           ------  ------\n"
            "  Available      True    MinimumReplicasAvailable\n"
            "  Progressing    True    NewReplicaSetAvailable\n"
            "OldReplicaSets:  " + hA + " (0/0 replicas created)\n"
            "NewReplicaSet:   " + hB + " (3/3 replicas created)\n"
            "Events:\n"
            "  Type    Reason             Age   From                   Message\n"
            "  ----    ------             ----  ----                   -------\n"
            "  Normal  ScalingReplicaSet  100d  deployment-controller  Scaled up replica set " + hA + " from 0 to 3\n"
            "  Normal  ScalingReplicaSet  100d  deployment-controller  Scaled up replica set " + hB + " from 0 to 1\n"
            "  Normal  ScalingReplicaSet  100d  deployment-controller  Scaled down replica set " + hA + " from 3 to 2\n"
            "  Normal  ScalingReplicaSet  100d  deployment-controller  Scaled up replica set " + hB + " from 1 to 2\n"
            "  Normal  ScalingReplicaSet  100d  deployment-controller  Scaled down replica set " + hA + " from 2 to 1\n"
            "  Normal  ScalingReplicaSet  100d  deployment-controller  Scaled up replica set " + hB + " from 2 to 3\n"
            "  Normal  ScalingReplicaSet  100d  deployment-controller  Scaled down replica set " + hA + " from 1 to 0\n");
}

TEST_F(GoldenScenario, get_outputs_selectors_and_delete) {
  ROLLBOOK_REQUIRE_BROKER();
  ExpectOk({"apply", "-f", "tests/golden/web-v1.yaml"}, "deployment.apps/web created\n");
  ExpectOk({"apply", "-f", "tests/golden/web-v1.yaml"}, "deployment.apps/web unchanged\n");
  ExpectOk({"get", "deploy", "-o", "name"}, "deployment.apps/web\n");
  ExpectOk({"get", "deploy", "-l", "app in (web,api),env!=dev", "-o", "name"}, "deployment.apps/web\n");
  RunResult r = Run({"get", "deploy", "-l", "app=nope"});
  EXPECT_EQ(r.err, "No resources found in default namespace.\n");
  r = Run({"get", "deploy", "-l", "a b"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "Error from server (BadRequest): Unable to find \"apps/v1, Resource=deployments\" that match label "
            "selector \"a b\", field selector \"\": unable to parse requirement: found 'b', expected: in, notin, =, "
            "==, !=, gt, lt\n");
  r = Run({"get", "deploy", "web", "-o", "yaml"});
  EXPECT_NE(r.out.find("apiVersion: apps/v1\nkind: Deployment\n"), std::string::npos) << r.out;
  r = Run({"get", "deploy", "web", "-o", "json"});
  EXPECT_NE(r.out.find("\"kind\": \"Deployment\""), std::string::npos) << r.out;
  r = Run({"scale", "deploy/web", "--replicas=2", "--current-replicas=7"});
  EXPECT_EQ(r.err, "error: Expected replicas to be 7, was 3\n");
  r = Run({"scale", "deploy/web", "--replicas=-1"});
  EXPECT_EQ(r.err, "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n");
  r = Run({"set", "image", "deploy/web", "nope=x:1"});
  EXPECT_EQ(r.err, "error: unable to find container named \"nope\"\n");
  r = Run({"annotate", "deploy/web", "team=a"});
  EXPECT_EQ(r.out, "deployment.apps/web annotated\n");
  r = Run({"annotate", "deploy/web", "team=b"});
  EXPECT_EQ(r.err, "error: --overwrite is false but found the following declared annotation(s): 'team' already has a "
                   "value (a)\n");
  ExpectOk({"annotate", "deploy/web", "team=b", "--overwrite"}, "deployment.apps/web annotated\n");
  ExpectOk({"delete", "deployment/web"}, "deployment.apps \"web\" deleted\n");
  r = Run({"get", "deploy", "web"});
  EXPECT_EQ(r.err, "Error from server (NotFound): deployments.apps \"web\" not found\n");
  // Re-created after delete: a new incarnation, history starts over.
  ExpectOk({"create", "-f", "tests/golden/web-v1.yaml"}, "deployment.apps/web created\n");
  ExpectHistory({{1, "<none>"}});
}

TEST_F(GoldenScenario, edit_applies_the_saved_yaml_and_cancels_on_no_change) {
  ROLLBOOK_REQUIRE_BROKER();
  ExpectOk({"create", "-f", "tests/golden/web-v1.yaml"}, "deployment.apps/web created\n");
  RunResult r = env_.Rollbook({"edit", "deploy/web"}, "", {"EDITOR=true"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "Edit cancelled, no changes made.\n");
  r = env_.Rollbook({"edit", "deploy/web"}, "", {"EDITOR=sed -i s/web:v1/web:v9/"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "deployment.apps/web edited\n");
  ExpectHistory({{1, "<none>"}, {2, "<none>"}});
  r = env_.Rollbook({"edit", "deploy/web"}, "", {"EDITOR=sed -i s/replicas:.3/replicas:\\ -4/"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("spec.replicas: Invalid value: -4: must be greater than or equal to 0"), std::string::npos) << r.err;
}

TEST_F(GoldenScenario, undo_dry_run_prints_the_target_template_and_writes_nothing) {
  ROLLBOOK_REQUIRE_BROKER();
  ExpectOk({"apply", "-f", "tests/golden/web-v1.yaml"}, "deployment.apps/web created\n");
  ExpectOk({"set", "image", "deploy/web", "app=registry.example/web:v2"}, "deployment.apps/web image updated\n");
  const std::string hA = RsOfRevision(1);
  const std::string hash = hA.substr(hA.find('-') + 1);
  // spec §4.1: the template text is the name printer's operation, so " (dry run)" follows on its own line.
  ExpectOk({"rollout", "undo", "deploy/web", "--dry-run=client"},
           "deployment.apps/web Pod Template:\n"
           "  Labels:\tapp=web\n"
           "\tpod-template-hash=" + hash + "\n"
           "  Containers:\n"
           "   app:\n"
           "    Image:\tregistry.example/web:v1\n"
           "    Port:\t<none>\n"
           "    Host Port:\t<none>\n"
           "    Environment:\t<none>\n"
           "    Mounts:\t<none>\n"
           "  Volumes:\t<none>\n"
           "  Node-Selectors:\t<none>\n"
           "  Tolerations:\t<none>\n"
           " (dry run)\n");
  ExpectHistory({{1, "<none>"}, {2, "<none>"}});
  RunResult count = env_.Shell("sqlite3 \"$ROLLBOOK_DB\" 'select count(*) from changes'");
  EXPECT_EQ(count.out, "2\n");
}

TEST_F(GoldenScenario, apply_of_a_directory_applies_every_manifest_in_name_order) {
  ROLLBOOK_REQUIRE_BROKER();
  ExpectOk({"apply", "-f", "tests/golden/dir"}, "deployment.apps/web created\ndeployment.apps/api created\n");
  ExpectOk({"get", "deployments", "-o", "name"}, "deployment.apps/api\ndeployment.apps/web\n");
}

}  // namespace
}  // namespace rollbook::testing
