// Tests for the fold (store/fold): revision numbering, change-cause
// propagation, rollback, history cleanup, the instant-ready rolling-update
// event sequences, pause/resume/restart, conflicts, the §12 golden scenario and
// a seeded determinism / invariant property test.
//
// Section references (§N) are to shared/spec/kubernetes-semantics.md.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "store/fold/fold.h"
#include "store/fold/manifest.h"
#include "store/fold/rollout.h"
#include "tests/unit/fold_harness.h"

namespace rollbook::fold {
namespace {

using testing::DeploymentYaml;
using testing::EventMessages;
using testing::Harness;
using testing::HistoryRows;
using testing::ParseDeployment;
using testing::StableBytes;
using testing::TemplateImages;

constexpr char kRevisionKey[] = "deployment.kubernetes.io/revision";

std::string Scaled(const std::string& rs, int from, int to) {
  return std::string("Scaled ") + (to > from ? "up" : "down") + " replica set " + rs + " from " +
         std::to_string(from) + " to " + std::to_string(to);
}

// A step of an event table: which RS ('A' old, 'B' new), from, to.
using Step = std::tuple<char, int, int>;

std::vector<std::string> Expand(const std::vector<Step>& steps, const std::string& a, const std::string& b) {
  std::vector<std::string> out;
  for (const auto& [which, from, to] : steps) out.push_back(Scaled(which == 'A' ? a : b, from, to));
  return out;
}

const std::string kRollingSurge0 =
    "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 1\n";
const std::string kRollingSurge100 =
    "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 100%\n      maxUnavailable: 0\n";
const std::string kRecreate = "  strategy:\n    type: Recreate\n";

std::string Limit(int n) { return "  revisionHistoryLimit: " + std::to_string(n) + "\n"; }

// ============================================================================
// §6.2 maxSurge / maxUnavailable resolution
// ============================================================================

// spec §6.2: the 25%/25% fencepost table for replicas 1..10.
TEST(FoldFenceposts, default_25_percent_table_matches_spec_for_replicas_1_to_10) {
  const int surge[] = {1, 1, 1, 1, 2, 2, 2, 2, 3, 3};
  const int unavailable[] = {0, 0, 0, 1, 1, 1, 1, 2, 2, 2};
  for (int r = 1; r <= 10; ++r) {
    SCOPED_TRACE("replicas=" + std::to_string(r));
    v1::Deployment d = ParseDeployment(DeploymentYaml("web", r, "nginx:1"));
    Fenceposts f = ResolveFenceposts(d.spec());
    EXPECT_EQ(f.max_surge, surge[r - 1]);
    EXPECT_EQ(f.max_unavailable, unavailable[r - 1]);
  }
}

// spec §6.2: both zero after rounding -> maxUnavailable 1; capped at replicas; 0 when replicas 0.
TEST(FoldFenceposts, both_zero_becomes_unavailable_one_and_is_capped_by_replicas) {
  v1::DeploymentSpec spec;
  spec.set_replicas(1);
  spec.mutable_strategy()->set_type("RollingUpdate");
  spec.mutable_strategy()->mutable_rolling_update()->mutable_max_surge()->set_int_value(0);
  spec.mutable_strategy()->mutable_rolling_update()->mutable_max_unavailable()->set_str_value("25%");
  Fenceposts f = ResolveFenceposts(spec);
  EXPECT_EQ(f.max_surge, 0);
  EXPECT_EQ(f.max_unavailable, 1);

  spec.set_replicas(0);
  spec.mutable_strategy()->mutable_rolling_update()->mutable_max_surge()->set_str_value("25%");
  f = ResolveFenceposts(spec);
  EXPECT_EQ(f.max_surge, 0);
  EXPECT_EQ(f.max_unavailable, 0);

  spec.set_replicas(3);
  spec.mutable_strategy()->mutable_rolling_update()->mutable_max_unavailable()->set_int_value(10);
  f = ResolveFenceposts(spec);
  EXPECT_EQ(f.max_unavailable, 3);
}

// spec §6.2: "Only meaningful for RollingUpdate; for Recreate both are 0."
TEST(FoldFenceposts, recreate_has_no_surge_and_no_unavailability) {
  v1::Deployment d = ParseDeployment(DeploymentYaml("web", 10, "nginx:1", kRecreate));
  Fenceposts f = ResolveFenceposts(d.spec());
  EXPECT_EQ(f.max_surge, 0);
  EXPECT_EQ(f.max_unavailable, 0);
}

// spec §6.2: maxSurge rounds up, maxUnavailable rounds down.
TEST(FoldFenceposts, percent_surge_rounds_up_and_unavailable_rounds_down) {
  v1::DeploymentSpec spec;
  spec.set_replicas(7);
  spec.mutable_strategy()->set_type("RollingUpdate");
  spec.mutable_strategy()->mutable_rolling_update()->mutable_max_surge()->set_str_value("30%");
  spec.mutable_strategy()->mutable_rolling_update()->mutable_max_unavailable()->set_str_value("30%");
  Fenceposts f = ResolveFenceposts(spec);
  EXPECT_EQ(f.max_surge, 3);        // ceil(2.1)
  EXPECT_EQ(f.max_unavailable, 2);  // floor(2.1)
}

// ============================================================================
// §6.4 / §6.5 event sequences under the instant-ready model
// ============================================================================

// Creates a Deployment with R replicas, rolls out a new image and returns the
// events of the rollout with the RS names.
struct Rollout {
  std::vector<std::string> events;
  std::string a, b;
  FoldResult result;
};

Rollout RollOut(int replicas, const std::string& spec_extra = "") {
  Harness h;
  h.Create(DeploymentYaml("web", replicas, "nginx:1", spec_extra));
  Rollout r;
  r.result = h.SetImage("app", "nginx:2");
  EXPECT_TRUE(r.result.outcome.applied) << r.result.outcome.message;
  r.events = EventMessages(r.result);
  r.a = h.RsName(1);
  r.b = h.RsName(2);
  EXPECT_FALSE(r.a.empty());
  EXPECT_FALSE(r.b.empty());
  EXPECT_NE(r.a, r.b);
  return r;
}

// spec §6.4 table, R = 1.
TEST(FoldRollingUpdateEvents, replicas_1_default_strategy_sequence) {
  Rollout r = RollOut(1);
  EXPECT_EQ(r.events, Expand({{'B', 0, 1}, {'A', 1, 0}}, r.a, r.b));
}

// spec §6.4 table, R = 2.
TEST(FoldRollingUpdateEvents, replicas_2_default_strategy_sequence) {
  Rollout r = RollOut(2);
  EXPECT_EQ(r.events, Expand({{'B', 0, 1}, {'A', 2, 1}, {'B', 1, 2}, {'A', 1, 0}}, r.a, r.b));
}

// spec §6.4 table, R = 3 (also §7.3's rendered events).
TEST(FoldRollingUpdateEvents, replicas_3_default_strategy_sequence) {
  Rollout r = RollOut(3);
  EXPECT_EQ(r.events,
            Expand({{'B', 0, 1}, {'A', 3, 2}, {'B', 1, 2}, {'A', 2, 1}, {'B', 2, 3}, {'A', 1, 0}}, r.a, r.b));
}

// spec §6.4 table, R = 4.
TEST(FoldRollingUpdateEvents, replicas_4_default_strategy_sequence) {
  Rollout r = RollOut(4);
  EXPECT_EQ(r.events,
            Expand({{'B', 0, 1}, {'A', 4, 3}, {'B', 1, 2}, {'A', 3, 1}, {'B', 2, 4}, {'A', 1, 0}}, r.a, r.b));
}

// spec §6.4 table, R = 5.
TEST(FoldRollingUpdateEvents, replicas_5_default_strategy_sequence) {
  Rollout r = RollOut(5);
  EXPECT_EQ(r.events,
            Expand({{'B', 0, 2}, {'A', 5, 4}, {'B', 2, 3}, {'A', 4, 1}, {'B', 3, 5}, {'A', 1, 0}}, r.a, r.b));
}

// spec §6.4 table, R = 10.
TEST(FoldRollingUpdateEvents, replicas_10_default_strategy_sequence) {
  Rollout r = RollOut(10);
  EXPECT_EQ(r.events,
            Expand({{'B', 0, 3}, {'A', 10, 8}, {'B', 3, 5}, {'A', 8, 3}, {'B', 5, 10}, {'A', 3, 0}}, r.a, r.b));
}

// spec §6.4 "Other settings, R = 3: maxSurge=0,maxUnavailable=1" (B created at 0, no event).
TEST(FoldRollingUpdateEvents, surge_0_unavailable_1_scales_old_down_first) {
  Rollout r = RollOut(3, kRollingSurge0);
  EXPECT_EQ(r.events,
            Expand({{'A', 3, 2}, {'B', 0, 1}, {'A', 2, 1}, {'B', 1, 2}, {'A', 1, 0}, {'B', 2, 3}}, r.a, r.b));
}

// spec §6.4 "maxSurge=100%,maxUnavailable=0 -> up B 0→3; down A 3→0".
TEST(FoldRollingUpdateEvents, surge_100_percent_unavailable_0_is_blue_green) {
  Rollout r = RollOut(3, kRollingSurge100);
  EXPECT_EQ(r.events, Expand({{'B', 0, 3}, {'A', 3, 0}}, r.a, r.b));
}

// spec §6.5: Recreate = down A 3→0; up B 0→3.
TEST(FoldRollingUpdateEvents, recreate_scales_old_to_zero_then_creates_new_at_full_size) {
  Rollout r = RollOut(3, kRecreate);
  EXPECT_EQ(r.events, Expand({{'A', 3, 0}, {'B', 0, 3}}, r.a, r.b));
}

// spec §6.4 "Brand-new Deployment: one event, up B 0→R"; §6.7 ≥1.32 created form.
TEST(FoldRollingUpdateEvents, brand_new_deployment_emits_single_created_event) {
  for (int replicas : {1, 3, 10}) {
    SCOPED_TRACE("replicas=" + std::to_string(replicas));
    Harness h;
    FoldResult r = h.Create(DeploymentYaml("web", replicas, "nginx:1"));
    ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
    EXPECT_EQ(r.outcome.message, "created");
    ASSERT_EQ(r.controller.events.size(), 1u);
    EXPECT_EQ(r.controller.events[0].message, Scaled(h.RsName(1), 0, replicas));
    EXPECT_EQ(r.controller.events[0].type, "Normal");
    EXPECT_EQ(r.controller.events[0].reason, "ScalingReplicaSet");
    EXPECT_EQ(r.controller.events[0].time_unix_ms, h.now_ms);
  }
}

// spec §6.4: "(or no event if R = 0)"; the RS still exists as revision 1.
TEST(FoldRollingUpdateEvents, brand_new_deployment_with_zero_replicas_emits_no_event) {
  Harness h;
  FoldResult r = h.Create(DeploymentYaml("web", 0, "nginx:1"));
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_TRUE(r.controller.events.empty()) << ::testing::PrintToString(EventMessages(r));
  EXPECT_EQ(h.Revisions(), std::vector<int64_t>{1});
  EXPECT_EQ(h.RsByRevision(1)->replicas(), 0);
}

// spec §8.1/§8.2: RS name = <deployment>-<hash>, hash drawn from the safe digit map 456789bcdf.
TEST(FoldReplicaSetNaming, name_is_deployment_name_dash_safe_encoded_hash) {
  Harness h;
  h.Create(DeploymentYaml("web", 1, "nginx:1"));
  const auto* rs = h.RsByRevision(1);
  ASSERT_NE(rs, nullptr);
  EXPECT_EQ(rs->name(), "web-" + rs->pod_template_hash());
  ASSERT_FALSE(rs->pod_template_hash().empty());
  EXPECT_LE(rs->pod_template_hash().size(), 10u);
  EXPECT_EQ(rs->pod_template_hash().find_first_not_of("456789bcdf"), std::string::npos);
}

// ============================================================================
// §1 revision numbering
// ============================================================================

// spec §1.3: "Scaling never bumps the revision".
TEST(FoldRevisions, scale_never_creates_a_revision) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  FoldResult r = h.Scale(5);
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(r.outcome.message, "scaled");
  EXPECT_EQ(h.Revisions(), std::vector<int64_t>{1});
  EXPECT_EQ(h.DeploymentAnnotation(kRevisionKey), "1");
  EXPECT_EQ(EventMessages(r), std::vector<std::string>{Scaled(h.RsName(1), 3, 5)});
  r = h.Scale(2);
  EXPECT_EQ(EventMessages(r), std::vector<std::string>{Scaled(h.RsName(1), 5, 2)});
  EXPECT_EQ(h.Revisions(), std::vector<int64_t>{1});
}

// spec §1.3: first creation -> 1; each template change -> previous max + 1; D annotation mirrors it.
TEST(FoldRevisions, template_change_creates_max_plus_one) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  EXPECT_EQ(h.DeploymentAnnotation(kRevisionKey), "1");
  h.SetImage("app", "nginx:2");
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(h.DeploymentAnnotation(kRevisionKey), "2");
  h.SetImage("app", "nginx:3");
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(h.DeploymentAnnotation(kRevisionKey), "3");
  EXPECT_EQ(TemplateImages(h.RsByRevision(3)->template_json()), "app=nginx:3");
  EXPECT_EQ(h.CurrentRs()->revision(), 3);
  EXPECT_EQ(h.CurrentRs()->replicas(), 3);
  EXPECT_EQ(h.RsByRevision(1)->replicas(), 0);
  EXPECT_EQ(h.RsByRevision(2)->replicas(), 0);
}

// spec §1.3: metadata-only changes (annotations, labels via annotate) never create a revision.
TEST(FoldRevisions, annotate_never_creates_a_revision) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  FoldResult r = h.Annotate("team", "blue");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(r.outcome.message, "annotated");
  EXPECT_TRUE(r.controller.events.empty());
  EXPECT_EQ(h.Revisions(), std::vector<int64_t>{1});
}

// spec §1.4 example: 1,2,3 -> undo -> 1,3,4 (RS "2" reused as 4) -> undo -> 1,4,5.
TEST(FoldRevisions, undo_reuses_the_target_replica_set_and_renumbers_it) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2");
  h.SetImage("app", "nginx:3");
  const std::string rs2 = h.RsName(2), rs3 = h.RsName(3);
  FoldResult r = h.Undo();
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(r.outcome.message, "rolled back");
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(h.RsName(4), rs2) << "no new ReplicaSet is created; the old one is renumbered";
  EXPECT_EQ(h.agg.replica_sets_size(), 3);
  EXPECT_EQ(h.RsByRevision(2), nullptr) << "the old number disappears";
  EXPECT_EQ(h.DeploymentAnnotation(kRevisionKey), "4");
  EXPECT_EQ(TemplateImages(h.agg.deployment().spec().template_json()), "app=nginx:2");
  EXPECT_EQ(h.RsByRevision(4)->replicas(), 3);
  EXPECT_EQ(h.RsByRevision(3)->replicas(), 0);

  r = h.Undo();
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{1, 4, 5}));
  EXPECT_EQ(h.RsName(5), rs3);
  EXPECT_EQ(h.RsByRevision(5)->revision_history(), "3");
}

// spec §1.5: revision-history is "2" after the first reuse, "2,4" after the second.
TEST(FoldRevisions, revision_history_annotation_accumulates_previous_numbers) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2");
  h.SetImage("app", "nginx:3");
  const std::string rs2 = h.RsName(2);
  EXPECT_EQ(h.RsByName(rs2)->revision_history(), "");
  h.Undo();  // RS(2) -> 4
  EXPECT_EQ(h.RsByName(rs2)->revision(), 4);
  EXPECT_EQ(h.RsByName(rs2)->revision_history(), "2");
  h.Undo();  // RS(3) -> 5
  h.Undo();  // RS(2, now 4) -> 6
  EXPECT_EQ(h.RsByName(rs2)->revision(), 6);
  EXPECT_EQ(h.RsByName(rs2)->revision_history(), "2,4");
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{1, 5, 6}));
  // A freshly created RS has no revision-history.
  EXPECT_EQ(h.RsByRevision(1)->revision_history(), "");
}

// spec §1.4: the template going back via `set image` (not a rollback) reuses the old RS.
TEST(FoldRevisions, set_image_back_to_an_old_template_reuses_that_replica_set) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  const std::string rs1 = h.RsName(1);
  h.SetImage("app", "nginx:2");
  const std::string rs2 = h.RsName(2);
  FoldResult r = h.SetImage("app", "nginx:1");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(h.agg.replica_sets_size(), 2);
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(h.RsName(3), rs1);
  EXPECT_EQ(h.RsByName(rs1)->revision_history(), "1");
  // Rolling events reuse the existing RS name: no "created" RS.
  EXPECT_EQ(EventMessages(r),
            Expand({{'B', 0, 1}, {'A', 3, 2}, {'B', 1, 2}, {'A', 2, 1}, {'B', 2, 3}, {'A', 1, 0}}, rs2, rs1));
}

// spec §1.3 edge case: while paused, editing the template back to an old RS renumbers it at once,
// but no rollout happens until resume.
TEST(FoldRevisions, paused_edit_back_to_old_template_renumbers_immediately_without_rolling) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  const std::string rs1 = h.RsName(1);
  h.SetImage("app", "nginx:2");
  const std::string rs2 = h.RsName(2);
  h.Pause();
  FoldResult r = h.SetImage("app", "nginx:1");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_TRUE(r.controller.events.empty()) << ::testing::PrintToString(EventMessages(r));
  EXPECT_EQ(h.RsByName(rs1)->revision(), 3);
  EXPECT_EQ(h.RsByName(rs1)->replicas(), 0);
  EXPECT_EQ(h.RsByName(rs2)->replicas(), 3);
  r = h.Resume();
  EXPECT_EQ(EventMessages(r),
            Expand({{'B', 0, 1}, {'A', 3, 2}, {'B', 1, 2}, {'A', 2, 1}, {'B', 2, 3}, {'A', 1, 0}}, rs2, rs1));
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{2, 3}));
}

// ============================================================================
// §2 change-cause
// ============================================================================

// spec §2.2 (1): the Deployment's change-cause at RS creation becomes that revision's cause.
TEST(FoldChangeCause, cause_of_the_record_is_copied_to_the_new_replica_set) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"), "kubectl apply --filename=web.yaml --record=true");
  h.SetImage("app", "nginx:2", "kubectl set image deployment/web app=nginx:2 --record=true");
  EXPECT_EQ(h.History(), (HistoryRows{{1, "kubectl apply --filename=web.yaml --record=true"},
                                      {2, "kubectl set image deployment/web app=nginx:2 --record=true"}}));
  EXPECT_EQ(h.DeploymentAnnotation(kChangeCauseAnnotation),
            "kubectl set image deployment/web app=nginx:2 --record=true");
}

// spec §2.2 (3), §12 step 4: a template change without a new cause inherits the stale one.
TEST(FoldChangeCause, stale_cause_is_inherited_by_the_next_revision) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2", "first");
  h.SetImage("app", "nginx:3");
  EXPECT_EQ(h.History(), (HistoryRows{{1, "<none>"}, {2, "first"}, {3, "first"}}));
}

// spec §2.2 (2): `scale --record` overwrites the CURRENT revision's cause although it creates none.
TEST(FoldChangeCause, scale_with_record_overwrites_current_revision_cause) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"), "create");
  h.SetImage("app", "nginx:2", "set image");
  FoldResult r = h.Scale(5, "kubectl scale deployment/web --replicas=5 --record=true");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(h.History(),
            (HistoryRows{{1, "create"}, {2, "kubectl scale deployment/web --replicas=5 --record=true"}}));
}

// spec §2.2 (2): annotating change-cause rewrites the current revision's cause (the docs' trick).
TEST(FoldChangeCause, annotate_change_cause_rewrites_current_revision_cause) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2");
  FoldResult r = h.Annotate(kChangeCauseAnnotation, "image updated to 2");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_TRUE(r.controller.events.empty());
  EXPECT_EQ(h.History(), (HistoryRows{{1, "<none>"}, {2, "image updated to 2"}}));
  // change-cause never needs --overwrite (§2.3).
  r = h.AnnotateMany({{kChangeCauseAnnotation, "again"}}, {}, /*overwrite=*/false);
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(h.History(), (HistoryRows{{1, "<none>"}, {2, "again"}}));
}

// spec §2.3: other keys need --overwrite.
TEST(FoldChangeCause, annotate_other_key_without_overwrite_is_refused) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.Annotate("team", "blue");
  const std::string before = h.Bytes();
  FoldResult r = h.AnnotateMany({{"team", "red"}}, {}, /*overwrite=*/false);
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.reason, "Rejected");
  EXPECT_EQ(r.outcome.message,
            "--overwrite is false but found the following declared annotation(s): 'team' already has a value (blue)");
  EXPECT_EQ(h.Bytes(), before);
}

// spec §2.2 (4): removing the annotation from the Deployment does not remove it from the RS.
TEST(FoldChangeCause, removing_the_deployment_annotation_keeps_it_on_the_replica_set) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"), "why");
  FoldResult r = h.RemoveAnnotation(kChangeCauseAnnotation);
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_FALSE(h.HasDeploymentAnnotation(kChangeCauseAnnotation));
  EXPECT_EQ(h.History(), (HistoryRows{{1, "why"}}));
  // And the next revision no longer inherits it.
  h.SetImage("app", "nginx:2");
  EXPECT_EQ(h.History(), (HistoryRows{{1, "why"}, {2, "<none>"}}));
}

// spec §2.2: old RSs are never touched by the annotation copy.
TEST(FoldChangeCause, old_replica_sets_keep_their_cause) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"), "one");
  h.SetImage("app", "nginx:2", "two");
  h.Annotate(kChangeCauseAnnotation, "two, edited");
  h.Annotate("other", "x");
  EXPECT_EQ(h.History(), (HistoryRows{{1, "one"}, {2, "two, edited"}}));
  EXPECT_FALSE(h.RsByRevision(1)->annotations().contains("other"));
  EXPECT_EQ(h.RsByRevision(2)->annotations().at("other"), "x");
}

// ============================================================================
// §4 rollout undo
// ============================================================================

// spec §4.1 step 3: N == 0 targets the second-highest revision.
TEST(FoldUndo, default_target_is_the_previous_revision) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2");
  h.SetImage("app", "nginx:3");
  std::string error;
  const auto* target = FindRollbackTarget(h.agg, 0, &error);
  ASSERT_NE(target, nullptr) << error;
  EXPECT_EQ(target->revision(), 2);
  h.Undo();
  EXPECT_EQ(TemplateImages(h.agg.deployment().spec().template_json()), "app=nginx:2");
  // Repeated undo toggles between the two most recent templates (§4.1).
  h.Undo();
  EXPECT_EQ(TemplateImages(h.agg.deployment().spec().template_json()), "app=nginx:3");
  h.Undo();
  EXPECT_EQ(TemplateImages(h.agg.deployment().spec().template_json()), "app=nginx:2");
}

// spec §4.1 step 3: --to-revision=N targets revision N.
TEST(FoldUndo, to_revision_targets_that_revision) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2");
  h.SetImage("app", "nginx:3");
  const std::string rs1 = h.RsName(1);
  FoldResult r = h.Undo(1);
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(TemplateImages(h.agg.deployment().spec().template_json()), "app=nginx:1");
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(h.RsName(4), rs1);
  EXPECT_EQ(h.RsByName(rs1)->replicas(), 3);
}

// spec §4.1 steps 1 and 3: unknown (or negative) revision -> exact error, nothing changes.
TEST(FoldUndo, unknown_revision_is_refused_with_kubectl_text) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2");
  const std::string before = h.Bytes();
  for (int64_t n : {7, -1}) {
    FoldResult r = h.Undo(n);
    EXPECT_FALSE(r.outcome.applied);
    EXPECT_EQ(r.outcome.reason, "Rejected");
    EXPECT_EQ(r.outcome.message, "unable to find specified revision " + std::to_string(n) + " in history");
    EXPECT_EQ(h.Bytes(), before);
  }
}

// spec §4.1 step 3: no second RS -> `no rollout history found for deployment "NAME"`.
TEST(FoldUndo, without_history_is_refused) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  FoldResult r = h.Undo();
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.reason, "Rejected");
  EXPECT_EQ(r.outcome.message, "no rollout history found for deployment \"web\"");
}

// spec §4.1 step 5: a paused Deployment is refused with the exact message.
TEST(FoldUndo, paused_deployment_is_refused) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2");
  h.Pause();
  const std::string before = h.Bytes();
  FoldResult r = h.Undo();
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.reason, "Rejected");
  EXPECT_EQ(r.outcome.message,
            "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
  EXPECT_EQ(h.Bytes(), before);
}

// spec §4.1 step 6: target == current template -> "skipped rollback (...revision N)" with N as passed.
TEST(FoldUndo, to_current_revision_is_a_skipped_rollback) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2");
  const auto history = h.History();
  FoldResult r = h.Undo(2);
  EXPECT_TRUE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message, "skipped rollback (current template already matches revision 2)");
  EXPECT_TRUE(r.controller.events.empty());
  EXPECT_EQ(h.History(), history);
  EXPECT_EQ(TemplateImages(h.agg.deployment().spec().template_json()), "app=nginx:2");
}

// spec §2.5 / §4.1 step 7: undo replaces the Deployment's annotations with
// {skip-list keys of D} ∪ {non-skip annotations of the target RS}.
TEST(FoldUndo, replaces_deployment_annotations_with_the_target_revisions) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"), "cause one");
  h.SetImage("app", "nginx:2", "cause two");
  h.Annotate("extra", "added later");
  ASSERT_EQ(h.DeploymentAnnotation("extra"), "added later");
  FoldResult r = h.Undo();
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  std::map<std::string, std::string> ann(h.agg.deployment().metadata().annotations().begin(),
                                         h.agg.deployment().metadata().annotations().end());
  EXPECT_EQ(ann, (std::map<std::string, std::string>{{kRevisionKey, "3"}, {kChangeCauseAnnotation, "cause one"}}));
  // The new number shows the target revision's original cause.
  EXPECT_EQ(h.History(), (HistoryRows{{2, "cause two"}, {3, "cause one"}}));
  EXPECT_FALSE(h.RsByRevision(3)->annotations().contains("extra"));
}

// spec §2.5: target RS without a change-cause -> the Deployment's change-cause disappears.
TEST(FoldUndo, to_a_revision_without_cause_drops_the_deployment_cause) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2", "two");
  h.Undo();
  EXPECT_FALSE(h.HasDeploymentAnnotation(kChangeCauseAnnotation));
  EXPECT_EQ(h.History(), (HistoryRows{{2, "two"}, {3, "<none>"}}));
}

// spec §1.5 / #51315: --to-revision with the pre-renumbering number fails.
TEST(FoldUndo, old_number_of_a_renumbered_revision_is_not_found) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2");
  h.SetImage("app", "nginx:3");
  h.Undo();  // 2 -> 4
  FoldResult r = h.Undo(2);
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message, "unable to find specified revision 2 in history");
}

// spec §4.2 worked example, end to end.
TEST(FoldUndo, worked_example_of_section_4_2) {
  Harness h("x");
  h.Create(DeploymentYaml("x", 3, "nginx:1.14.2"));
  h.SetImage("app", "nginx:1.16.1", "image 1.16.1");
  h.SetImage("app", "nginx:1.161", "image 1.161");
  ASSERT_EQ(h.History(), (HistoryRows{{1, "<none>"}, {2, "image 1.16.1"}, {3, "image 1.161"}}));
  h.Undo();
  EXPECT_EQ(h.History(), (HistoryRows{{1, "<none>"}, {3, "image 1.161"}, {4, "image 1.16.1"}}));
  EXPECT_EQ(h.RsByRevision(4)->revision_history(), "2");
  EXPECT_EQ(h.DeploymentAnnotation(kChangeCauseAnnotation), "image 1.16.1");
  EXPECT_EQ(h.Undo(2).outcome.message, "unable to find specified revision 2 in history");
  EXPECT_EQ(h.Undo(4).outcome.message, "skipped rollback (current template already matches revision 4)");
  h.Undo();
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{1, 4, 5}));
  EXPECT_EQ(h.RsByRevision(5)->revision_history(), "3");
}

// ============================================================================
// §5 revisionHistoryLimit
// ============================================================================

// spec §5.3: with limit L, after a completed rollout history shows the L+1 highest revisions
// and the record's result lists what was pruned.
TEST(FoldHistoryLimit, limit_2_keeps_the_three_highest_revisions_after_each_rollout) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1", Limit(2)));
  h.SetImage("app", "nginx:2");
  h.SetImage("app", "nginx:3");
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{1, 2, 3}));
  const std::string rs1 = h.RsName(1);
  FoldResult r = h.SetImage("app", "nginx:4");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{2, 3, 4}));
  ASSERT_EQ(r.controller.pruned.size(), 1u);
  EXPECT_EQ(r.controller.pruned[0].name(), rs1);
  EXPECT_EQ(r.controller.pruned[0].revision(), 1);
  EXPECT_EQ(r.controller.pruned[0].replicas(), 0);
}

// spec §5.3 (documents the deferral): whatever record comes next, the pruning does happen.
TEST(FoldHistoryLimit, limit_2_pruning_has_happened_by_the_next_record) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1", Limit(2)));
  h.SetImage("app", "nginx:2");
  h.SetImage("app", "nginx:3");
  h.SetImage("app", "nginx:4");
  h.Annotate("note", "x");
  h.Annotate("note", "y");
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{2, 3, 4}));
}

// spec §5.2/§5.3: when cleanup runs (here: the paused path, which cleans up on every sync), the
// lowest revisions beyond the limit are deleted and returned as `pruned`.
TEST(FoldHistoryLimit, cleanup_prunes_lowest_revisions_and_returns_them) {
  Harness h;
  std::vector<FoldResult> results;
  results.push_back(h.Create(DeploymentYaml("web", 3, "nginx:1", Limit(1))));
  const std::string rs1 = h.RsName(1);
  results.push_back(h.SetImage("app", "nginx:2"));
  const std::string rs2 = h.RsName(2);
  results.push_back(h.SetImage("app", "nginx:3"));
  results.push_back(h.SetImage("app", "nginx:4"));
  results.push_back(h.Pause());
  ASSERT_TRUE(results.back().outcome.applied) << results.back().outcome.message;
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{3, 4}));
  std::multiset<std::string> pruned;
  for (const auto& r : results) {
    for (const auto& rs : r.controller.pruned) {
      pruned.insert(rs.name());
      EXPECT_EQ(rs.replicas(), 0);
    }
  }
  EXPECT_EQ(pruned, (std::multiset<std::string>{rs1, rs2})) << "each pruned RS is reported exactly once";
}

// spec §5.3 (upstream-faithful edge): paused with a pending template, scaled to 0, limit 0 -> the
// only RS is an old one and is cleaned up; resume then starts numbering again at 1 (§1.3).
TEST(FoldHistoryLimit, paused_scale_to_zero_with_limit_0_deletes_the_only_old_rs) {
  Harness h;
  h.Create(DeploymentYaml("web", 2, "nginx:1", Limit(0)));
  h.Pause();
  h.SetImage("app", "nginx:2");
  FoldResult r = h.Scale(0);
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(h.agg.replica_sets_size(), 0);
  EXPECT_EQ(r.controller.pruned.size(), 1u);
  h.Scale(3);
  EXPECT_EQ(h.agg.replica_sets_size(), 0) << "nothing to scale while paused";
  r = h.Resume();
  ASSERT_EQ(h.agg.replica_sets_size(), 1);
  EXPECT_EQ(h.agg.replica_sets(0).revision(), 1);
  EXPECT_EQ(h.agg.replica_sets(0).replicas(), 3);
  EXPECT_EQ(EventMessages(r), std::vector<std::string>{Scaled(h.agg.replica_sets(0).name(), 0, 3)});
}

// spec §5.3: limit 0 -> only the current revision remains; undo is then impossible.
TEST(FoldHistoryLimit, limit_0_keeps_only_the_current_revision_and_undo_fails) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1", Limit(0)));
  FoldResult r = h.SetImage("app", "nginx:2");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(h.Revisions(), std::vector<int64_t>{2});
  EXPECT_EQ(r.controller.pruned.size(), 1u);
  r = h.Undo();
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message, "no rollout history found for deployment \"web\"");
}

// spec §5.1: apps/v1beta1 defaults revisionHistoryLimit to 2 (apps/v1: 10, extensions/v1beta1: unlimited).
TEST(FoldHistoryLimit, apps_v1beta1_defaults_limit_to_2) {
  v1::Deployment beta = ParseDeployment(DeploymentYaml("web", 3, "nginx:1", "", "apps/v1beta1"));
  EXPECT_EQ(beta.spec().revision_history_limit(), 2);
  v1::Deployment v1d = ParseDeployment(DeploymentYaml("web", 3, "nginx:1"));
  EXPECT_EQ(v1d.spec().revision_history_limit(), 10);
  v1::Deployment ext = ParseDeployment(DeploymentYaml("web", 3, "nginx:1", "", "extensions/v1beta1"));
  EXPECT_EQ(ext.spec().revision_history_limit(), 2147483647);
}

// spec §5.1 + §5.3: an apps/v1beta1 Deployment keeps 3 revisions after its rollouts.
TEST(FoldHistoryLimit, apps_v1beta1_deployment_keeps_three_revisions) {
  Harness h;
  FoldResult r = h.Create(DeploymentYaml("web", 3, "nginx:1", "", "apps/v1beta1"));
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  for (int i = 2; i <= 6; ++i) h.SetImage("app", "nginx:" + std::to_string(i));
  h.Annotate("note", "x");  // gives a deferred cleanup its chance (see limit_2_* tests)
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{4, 5, 6}));
}

// spec §5.3: the RS holding the pods is never pruned, also not while paused with a pending template.
TEST(FoldHistoryLimit, paused_cleanup_never_deletes_the_replica_set_holding_pods) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1", Limit(0)));
  h.Pause();
  h.SetImage("app", "nginx:2");
  h.SetImage("app", "nginx:3");
  EXPECT_EQ(h.Revisions(), std::vector<int64_t>{1});
  EXPECT_EQ(h.RsByRevision(1)->replicas(), 3);
}

// ============================================================================
// §6.6 scaling and proportional scaling
// ============================================================================

// spec §6.6 first bullet + §11: scaling a paused Deployment with a pending template change scales
// the single active (old) RS; the pending template still becomes ONE revision on resume.
TEST(FoldProportionalScaling, scaling_paused_deployment_with_pending_template_scales_the_active_old_rs) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  const std::string rs1 = h.RsName(1);
  h.Pause();
  h.SetImage("app", "nginx:2");
  FoldResult r = h.Scale(5);
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(EventMessages(r), std::vector<std::string>{Scaled(rs1, 3, 5)});
  EXPECT_EQ(h.Revisions(), std::vector<int64_t>{1});
  r = h.Resume();
  ASSERT_EQ(h.Revisions(), (std::vector<int64_t>{1, 2}));
  // R = 5 rolling sequence (§6.4).
  EXPECT_EQ(EventMessages(r),
            Expand({{'B', 0, 2}, {'A', 5, 4}, {'B', 2, 3}, {'A', 4, 1}, {'B', 3, 5}, {'A', 1, 0}}, rs1, h.RsName(2)));
}

// Builds the docs' stuck-rollout state (old 8 + new 5, replicas 10, maxSurge 3) by hand —
// not reachable through records under the instant-ready model, where every record converges.
state::v1::Aggregate StuckRollout(Harness& h, bool paused, std::string* old_name, std::string* new_name) {
  h.Create(DeploymentYaml("web", 10, "nginx:1",
                          "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 3\n"
                          "      maxUnavailable: 2\n"));
  h.Pause();
  h.SetImage("app", "nginx:bad");
  state::v1::Aggregate agg = h.agg;
  auto* old_rs = agg.mutable_replica_sets(0);
  old_rs->set_replicas(8);
  auto* new_rs = agg.add_replica_sets();
  new_rs->set_name("web-stuck");
  new_rs->set_pod_template_hash("stuck");
  new_rs->set_revision(2);
  new_rs->set_template_json(agg.deployment().spec().template_json());
  new_rs->set_replicas(5);
  new_rs->set_desired_replicas(10);
  new_rs->set_max_replicas(13);
  new_rs->set_created_unix_ms(h.now_ms);
  new_rs->set_creation_seq(agg.next_creation_seq());
  agg.set_next_creation_seq(agg.next_creation_seq() + 1);
  agg.mutable_deployment()->mutable_spec()->set_paused(paused);
  agg.mutable_deployment()->mutable_spec()->set_replicas(15);
  *old_name = old_rs->name();
  *new_name = new_rs->name();
  EXPECT_EQ(old_rs->desired_replicas(), 10);
  EXPECT_EQ(old_rs->max_replicas(), 13);
  return agg;
}

// spec §6.6 docs example: R 10→15, maxSurge 3, old 8 + new 5 -> old 11, new 7.
TEST(FoldProportionalScaling, docs_example_paused_mid_rollout_scales_proportionally) {
  Harness h;
  std::string old_name, new_name;
  state::v1::Aggregate agg = StuckRollout(h, /*paused=*/true, &old_name, &new_name);
  ReconcileOutput out;
  Reconcile(agg, h.now_ms + 1000, out);
  std::vector<std::string> msgs;
  for (const auto& e : out.events) msgs.push_back(e.message);
  EXPECT_EQ(msgs, (std::vector<std::string>{Scaled(old_name, 8, 11), Scaled(new_name, 5, 7)}));
  std::map<std::string, int32_t> sizes;
  for (const auto& rs : agg.replica_sets()) {
    sizes[rs.name()] = rs.replicas();
    EXPECT_EQ(rs.desired_replicas(), 15) << rs.name();
    EXPECT_EQ(rs.max_replicas(), 18) << rs.name();
  }
  EXPECT_EQ(sizes, (std::map<std::string, int32_t>{{old_name, 11}, {new_name, 7}}));

  // Scaling the same paused state to 0: every active RS goes to 0 ("down", larger first).
  agg.mutable_deployment()->mutable_spec()->set_replicas(0);
  ReconcileOutput out0;
  Reconcile(agg, h.now_ms + 2000, out0);
  msgs.clear();
  for (const auto& e : out0.events) msgs.push_back(e.message);
  EXPECT_EQ(msgs, (std::vector<std::string>{Scaled(old_name, 11, 0), Scaled(new_name, 7, 0)}));
}

// spec §6.1 step 8 + §6.6: unpaused, the replica change is a scaling event handled proportionally
// first; then the rollout continues to completion.
TEST(FoldProportionalScaling, docs_example_unpaused_scales_proportionally_then_finishes_rollout) {
  Harness h;
  std::string old_name, new_name;
  state::v1::Aggregate agg = StuckRollout(h, /*paused=*/false, &old_name, &new_name);
  ReconcileOutput out;
  Reconcile(agg, h.now_ms + 1000, out);
  ASSERT_GE(out.events.size(), 2u);
  EXPECT_EQ(out.events[0].message, Scaled(old_name, 8, 11));
  EXPECT_EQ(out.events[1].message, Scaled(new_name, 5, 7));
  std::map<std::string, int32_t> sizes;
  for (const auto& rs : agg.replica_sets()) sizes[rs.name()] = rs.replicas();
  EXPECT_EQ(sizes, (std::map<std::string, int32_t>{{old_name, 0}, {new_name, 15}}));
}

// ============================================================================
// §11 pause / resume / restart / scale
// ============================================================================

// spec §11: pause twice -> `deployments.apps "X" is already paused`; resume unpaused -> `is not paused`.
TEST(FoldPauseResume, errors_use_kubectl_wording) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  FoldResult r = h.Resume();
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.reason, "Rejected");
  EXPECT_EQ(r.outcome.message, "deployments.apps \"web\" is not paused");
  r = h.Pause();
  EXPECT_TRUE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message, "paused");
  EXPECT_TRUE(h.agg.deployment().spec().paused());
  const std::string before = h.Bytes();
  r = h.Pause();
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message, "deployments.apps \"web\" is already paused");
  EXPECT_EQ(h.Bytes(), before);
  r = h.Resume();
  EXPECT_TRUE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message, "resumed");
  EXPECT_FALSE(h.agg.deployment().spec().paused());
}

// spec §11 / §1.3: template edits while paused accumulate into ONE new revision on resume.
TEST(FoldPauseResume, paused_edits_become_one_revision_on_resume) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  const std::string rs1 = h.RsName(1);
  h.Pause();
  for (const char* img : {"nginx:2", "nginx:3", "nginx:4"}) {
    FoldResult r = h.SetImage("app", img);
    ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
    EXPECT_TRUE(r.controller.events.empty());
    EXPECT_EQ(h.Revisions(), std::vector<int64_t>{1});
  }
  FoldResult r = h.Resume();
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(TemplateImages(h.RsByRevision(2)->template_json()), "app=nginx:4");
  EXPECT_EQ(EventMessages(r),
            Expand({{'B', 0, 1}, {'A', 3, 2}, {'B', 1, 2}, {'A', 2, 1}, {'B', 2, 3}, {'A', 1, 0}}, rs1,
                   h.RsName(2)));
}

// spec §6.8: paused -> Progressing Unknown DeploymentPaused; resumed -> DeploymentResumed.
TEST(FoldPauseResume, progressing_condition_reflects_pause_and_resume) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  auto progressing = [&h]() -> const state::v1::Condition* {
    for (const auto& c : h.agg.status().conditions())
      if (c.type() == "Progressing") return &c;
    return nullptr;
  };
  h.Pause();
  ASSERT_NE(progressing(), nullptr);
  EXPECT_EQ(progressing()->status(), "Unknown");
  EXPECT_EQ(progressing()->reason(), "DeploymentPaused");
  EXPECT_EQ(progressing()->message(), "Deployment is paused");
  h.SetImage("app", "nginx:2");
  EXPECT_EQ(progressing()->reason(), "DeploymentPaused");
  h.Resume();
  ASSERT_NE(progressing(), nullptr);
  // After resume the rollout completes in the same record.
  EXPECT_EQ(progressing()->status(), "True");
  EXPECT_EQ(progressing()->reason(), "NewReplicaSetAvailable");
}

// spec §11: restart on a paused Deployment fails with the exact message.
TEST(FoldRestart, paused_deployment_cannot_be_restarted) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.Pause();
  const std::string before = h.Bytes();
  FoldResult r = h.Restart("2024-05-01T10:00:00+02:00");
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.reason, "Rejected");
  EXPECT_EQ(r.outcome.message, "deployments.apps \"web\" can't restart paused deployment (run rollout resume first)");
  EXPECT_EQ(h.Bytes(), before);
}

// spec §11: restart sets the template annotation restartedAt -> template change -> new revision.
TEST(FoldRestart, restart_creates_a_new_revision_with_restarted_at_template_annotation) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  FoldResult r = h.Restart("2024-05-01T10:00:00+02:00");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(r.outcome.message, "restarted");
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{1, 2}));
  nlohmann::json t = nlohmann::json::parse(h.RsByRevision(2)->template_json());
  EXPECT_EQ(t["metadata"]["annotations"][kRestartedAtAnnotation], "2024-05-01T10:00:00+02:00");
  EXPECT_EQ(TemplateImages(h.RsByRevision(2)->template_json()), "app=nginx:1");
  EXPECT_EQ(r.controller.events.size(), 6u);
  // Same second twice -> error.
  r = h.Restart("2024-05-01T10:00:00+02:00");
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message,
            "failed to create patch for web: if restart has already been triggered within the past second, please "
            "wait before attempting to trigger another");
  r = h.Restart("2024-05-01T10:00:01+02:00");
  EXPECT_TRUE(r.outcome.applied);
  EXPECT_EQ(h.Revisions(), (std::vector<int64_t>{1, 2, 3}));
}

// spec §11 scale errors.
TEST(FoldScale, current_replicas_mismatch_and_negative_are_refused) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  FoldResult r = h.Scale(5, "", /*current_replicas=*/2);
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message, "Expected replicas to be 2, was 3");
  r = h.Scale(-1);
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message,
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0");
  r = h.Scale(5, "", /*current_replicas=*/3);
  EXPECT_TRUE(r.outcome.applied);
  EXPECT_EQ(h.agg.deployment().spec().replicas(), 5);
}

// spec §11: set image on an unknown container.
TEST(FoldSetImage, unknown_container_is_refused) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  FoldResult r = h.SetImage("nope", "nginx:2");
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message, "unable to find container named \"nope\"");
}

// ============================================================================
// Conflicts and versions (fold.h contract)
// ============================================================================

// fold.h: a record with a stale expected_version is a Conflict and changes nothing.
TEST(FoldConflict, stale_expected_version_is_rejected_and_changes_nothing) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.Scale(4);
  ASSERT_EQ(h.agg.version(), 2u);
  const std::string before = h.Bytes();
  const std::string before_plain = h.agg.SerializeAsString();
  for (uint64_t stale : {uint64_t{0}, uint64_t{1}, uint64_t{3}, uint64_t{100}}) {
    v1::ChangeRecord rec = h.NewRecord(v1::CHANGE_KIND_SET_IMAGE);
    auto* ci = rec.mutable_set_image()->add_images();
    ci->set_container("app");
    ci->set_image("nginx:9");
    rec.set_expected_version(stale);
    FoldResult r = h.SubmitRaw(rec);
    EXPECT_FALSE(r.outcome.applied);
    EXPECT_EQ(r.outcome.reason, "Conflict");
    EXPECT_EQ(r.outcome.message,
              "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please "
              "apply your changes to the latest version and try again");
    EXPECT_TRUE(r.controller.events.empty());
    EXPECT_TRUE(r.controller.pruned.empty());
    EXPECT_EQ(h.Bytes(), before);
    EXPECT_EQ(h.agg.SerializeAsString(), before_plain);
  }
}

// fold.h: the fold works in place (no copy to roll back to), so every kind of
// rejection must be decided before the aggregate is touched.
TEST(FoldConflict, every_kind_of_rejection_leaves_the_aggregate_byte_identical) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  h.SetImage("app", "nginx:2");
  h.Restart("2026-01-01T00:00:00Z");
  const std::string before = h.Bytes();
  const auto expect_rejected = [&](const FoldResult& r, const char* what) {
    EXPECT_FALSE(r.outcome.applied) << what;
    EXPECT_TRUE(r.controller.events.empty()) << what;
    EXPECT_TRUE(r.controller.pruned.empty()) << what;
    EXPECT_EQ(h.Bytes(), before) << what;
  };
  expect_rejected(h.Create(DeploymentYaml("web", 1, "nginx:1")), "create of an existing Deployment");
  expect_rejected(h.Apply(DeploymentYaml("web", -1, "nginx:3")), "apply of an invalid manifest");
  expect_rejected(h.Scale(-1), "negative replicas");
  expect_rejected(h.Scale(5, "", /*current_replicas=*/7), "current-replicas mismatch");
  {
    // The first image matches, the second does not: nothing may be set.
    v1::ChangeRecord r = h.NewRecord(v1::CHANGE_KIND_SET_IMAGE);
    auto* first = r.mutable_set_image()->add_images();
    first->set_container("app");
    first->set_image("nginx:9");
    auto* second = r.mutable_set_image()->add_images();
    second->set_container("nope");
    second->set_image("nginx:9");
    expect_rejected(h.Submit(std::move(r)), "set image with one unknown container");
  }
  h.Annotate("team", "red");
  const std::string annotated = h.Bytes();
  const auto expect_unchanged = [&](const FoldResult& r, const std::string& state, const char* what) {
    EXPECT_FALSE(r.outcome.applied) << what;
    EXPECT_EQ(h.Bytes(), state) << what;
  };
  expect_unchanged(h.AnnotateMany({{"b", "2"}, {"team", "blue"}}, {"team"}, /*overwrite=*/false), annotated,
                   "annotate without --overwrite of an existing key");
  expect_unchanged(h.Undo(99), annotated, "undo to an unknown revision");
  expect_unchanged(h.Resume(), annotated, "resume of a running Deployment");
  expect_unchanged(h.Restart("2026-01-01T00:00:00Z"), annotated, "restart within the same second");
  h.Pause();
  const std::string paused = h.Bytes();
  expect_unchanged(h.Pause(), paused, "pause of a paused Deployment");
  expect_unchanged(h.Undo(), paused, "undo of a paused Deployment");
  expect_unchanged(h.Restart("2026-01-02T00:00:00Z"), paused, "restart of a paused Deployment");
  h.Delete();
  const std::string deleted = h.Bytes();
  expect_unchanged(h.Scale(2), deleted, "scale of a deleted Deployment");
  expect_unchanged(h.SetImage("app", "nginx:4"), deleted, "set image of a deleted Deployment");
}

// fold.h: applied records bump the version by exactly one; rejected ones don't.
TEST(FoldConflict, version_counts_applied_records_only) {
  Harness h;
  EXPECT_EQ(h.agg.version(), 0u);
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  EXPECT_EQ(h.agg.version(), 1u);
  h.Undo();  // rejected: no history
  EXPECT_EQ(h.agg.version(), 1u);
  h.Scale(2);
  EXPECT_EQ(h.agg.version(), 2u);
  // Create of an existing Deployment: AlreadyExists.
  FoldResult r = h.Create(DeploymentYaml("web", 3, "nginx:1"));
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.reason, "AlreadyExists");
  EXPECT_EQ(r.outcome.message, "deployments.apps \"web\" already exists");
  EXPECT_EQ(h.agg.version(), 2u);
}

// spec §10.3: "generation +1 when spec or annotations change" — a scale to the current size with
// several Deployment annotations changes neither, so the generation stays (repeated because the
// comparison must not depend on protobuf map iteration order).
TEST(FoldGeneration, noop_scale_never_bumps_generation) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"), "cause");
  h.Annotate("a", "1");
  h.Annotate("b", "2");
  const int64_t generation = h.agg.generation();
  int bumps = 0;
  for (int i = 0; i < 50; ++i) {
    FoldResult r = h.Scale(3);
    ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
    if (h.agg.generation() != generation) ++bumps;
  }
  EXPECT_EQ(bumps, 0) << "generation is now " << h.agg.generation() << ", was " << generation;
}

// spec §10.3: a real change bumps the generation by one; status.observedGeneration follows.
TEST(FoldGeneration, spec_or_annotation_change_bumps_generation_once) {
  Harness h;
  h.Create(DeploymentYaml("web", 3, "nginx:1"));
  EXPECT_EQ(h.agg.generation(), 1);
  h.Scale(4);
  EXPECT_EQ(h.agg.generation(), 2);
  h.Annotate("team", "blue");
  EXPECT_EQ(h.agg.generation(), 3);
  h.SetImage("app", "nginx:2");
  EXPECT_EQ(h.agg.generation(), 4);
  EXPECT_EQ(h.agg.status().observed_generation(), 4);
}

// kubectl apply of the manifest already applied reports "unchanged" (not "configured"), every time.
TEST(FoldGeneration, reapplying_the_same_manifest_is_unchanged) {
  Harness h;
  const std::string yaml = DeploymentYaml("web", 3, "nginx:1");
  FoldResult r = h.Apply(yaml, false, "kubectl apply --filename=web.yaml --record=true");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  h.Annotate("team", "blue");
  int configured = 0;
  for (int i = 0; i < 50; ++i) {
    r = h.Apply(yaml);
    ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
    if (r.outcome.message != "unchanged") ++configured;
  }
  EXPECT_EQ(configured, 0) << "last message: " << r.outcome.message;
}

// fold.h: records for a Deployment that does not exist are NotFound.
TEST(FoldConflict, change_before_create_is_not_found) {
  Harness h;
  FoldResult r = h.Scale(2);
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.reason, "NotFound");
  EXPECT_EQ(r.outcome.message, "deployments.apps \"web\" not found");
  EXPECT_EQ(h.agg.version(), 0u);
}

// ============================================================================
// §12 golden end-to-end scenario
// ============================================================================

// spec §12, every step with its history afterwards.
TEST(FoldGoldenScenario, section_12_step_by_step) {
  Harness h;
  const std::vector<Step> r3 = {{'B', 0, 1}, {'A', 3, 2}, {'B', 1, 2}, {'A', 2, 1}, {'B', 2, 3}, {'A', 1, 0}};

  // 1. kubectl apply -f web.yaml (image v1)
  FoldResult r = h.Apply(DeploymentYaml("web", 3, "web:v1", Limit(10)));
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  const std::string hA = h.RsName(1);
  EXPECT_EQ(EventMessages(r), std::vector<std::string>{"Scaled up replica set " + hA + " from 0 to 3"});
  EXPECT_EQ(h.DeploymentAnnotation(kRevisionKey), "1");
  EXPECT_EQ(h.RsByRevision(1)->replicas(), 3);
  EXPECT_EQ(h.History(), (HistoryRows{{1, "<none>"}}));

  // 2. kubectl set image deploy/web app=v2
  r = h.SetImage("app", "web:v2");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  const std::string hB = h.RsName(2);
  EXPECT_EQ(EventMessages(r), Expand(r3, hA, hB));
  EXPECT_EQ(h.History(), (HistoryRows{{1, "<none>"}, {2, "<none>"}}));

  // 3. kubectl annotate deploy/web kubernetes.io/change-cause="v2 rollout"
  r = h.Annotate(kChangeCauseAnnotation, "v2 rollout");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_TRUE(r.controller.events.empty());
  EXPECT_EQ(h.History(), (HistoryRows{{1, "<none>"}, {2, "v2 rollout"}}));

  // 4. kubectl set image deploy/web app=v3 (stale cause inherited)
  r = h.SetImage("app", "web:v3");
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  const std::string hC = h.RsName(3);
  EXPECT_EQ(EventMessages(r), Expand(r3, hB, hC));
  EXPECT_EQ(h.History(), (HistoryRows{{1, "<none>"}, {2, "v2 rollout"}, {3, "v2 rollout"}}));

  // 5. kubectl rollout undo deploy/web
  r = h.Undo();
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(r.outcome.message, "rolled back");
  EXPECT_EQ(h.RsName(4), hB);
  EXPECT_EQ(h.RsByName(hB)->revision_history(), "2");
  EXPECT_EQ(h.DeploymentAnnotation(kChangeCauseAnnotation), "v2 rollout");
  EXPECT_EQ(EventMessages(r), Expand(r3, hC, hB));  // hB 0→1, hC 3→2, ...
  EXPECT_EQ(h.History(), (HistoryRows{{1, "<none>"}, {3, "v2 rollout"}, {4, "v2 rollout"}}));
  const HistoryRows after5 = h.History();

  // 6. kubectl rollout undo deploy/web --to-revision=2
  const std::string bytes5 = h.Bytes();
  r = h.Undo(2);
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message, "unable to find specified revision 2 in history");
  EXPECT_EQ(h.Bytes(), bytes5);
  EXPECT_EQ(h.History(), after5);

  // 7. kubectl rollout undo deploy/web --to-revision=4
  r = h.Undo(4);
  EXPECT_TRUE(r.outcome.applied);
  EXPECT_EQ(r.outcome.message, "skipped rollback (current template already matches revision 4)");
  EXPECT_TRUE(r.controller.events.empty());
  EXPECT_EQ(h.History(), after5);

  // 8. kubectl scale deploy/web --replicas=5
  r = h.Scale(5);
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(EventMessages(r), std::vector<std::string>{"Scaled up replica set " + hB + " from 3 to 5"});
  EXPECT_EQ(h.History(), after5);

  // 9. pause; set image app=v5; set image app=v6
  ASSERT_TRUE(h.Pause().outcome.applied);
  r = h.SetImage("app", "web:v5");
  EXPECT_TRUE(r.outcome.applied);
  EXPECT_TRUE(r.controller.events.empty());
  r = h.SetImage("app", "web:v6");
  EXPECT_TRUE(r.outcome.applied);
  EXPECT_TRUE(r.controller.events.empty());
  EXPECT_EQ(h.agg.replica_sets_size(), 3);
  EXPECT_EQ(h.History(), after5);
  bool paused_condition = false;
  for (const auto& c : h.agg.status().conditions())
    if (c.type() == "Progressing" && c.status() == "Unknown" && c.reason() == "DeploymentPaused")
      paused_condition = true;
  EXPECT_TRUE(paused_condition);

  // 10. kubectl rollout resume deploy/web -> one RS hD rev 5 (template v6) with the stale cause
  r = h.Resume();
  ASSERT_TRUE(r.outcome.applied) << r.outcome.message;
  EXPECT_EQ(h.agg.replica_sets_size(), 4);
  const std::string hD = h.RsName(5);
  ASSERT_FALSE(hD.empty());
  EXPECT_EQ(TemplateImages(h.RsByRevision(5)->template_json()), "app=web:v6");
  EXPECT_EQ(h.History(), (HistoryRows{{1, "<none>"}, {3, "v2 rollout"}, {4, "v2 rollout"}, {5, "v2 rollout"}}));
  EXPECT_EQ(EventMessages(r),
            Expand({{'B', 0, 2}, {'A', 5, 4}, {'B', 2, 3}, {'A', 4, 1}, {'B', 3, 5}, {'A', 1, 0}}, hB, hD));
  EXPECT_EQ(h.DeploymentAnnotation(kRevisionKey), "5");
}

// ============================================================================
// Determinism and invariants over random sequences
// ============================================================================

// Drives a harness through a seeded random sequence of 30 changes after a
// create. `check` runs after every record with the result and the state bytes
// from before the record.
template <typename Check>
void RunRandomSequence(uint32_t seed, Harness& h, Check check) {
  std::mt19937 rng(seed);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  const std::vector<std::string> strategies = {"", "", kRecreate, kRollingSurge0, kRollingSurge100};
  const int limits[] = {0, 1, 2, 10};
  const std::vector<std::string> images = {"nginx:1", "nginx:2", "nginx:3", "nginx:4"};

  std::string extra = strategies[static_cast<size_t>(pick(5))] + Limit(limits[pick(4)]);
  {
    const std::string before = h.Bytes();
    FoldResult r = h.Create(DeploymentYaml("web", pick(6), images[0], extra));
    EXPECT_TRUE(r.outcome.applied) << r.outcome.message;
    check(r, before, v1::CHANGE_KIND_CREATE);
  }
  std::string last_restart;
  for (int i = 0; i < 30; ++i) {
    v1::ChangeRecord rec;
    const int op = pick(9);
    std::string cause = pick(4) == 0 ? "cause-" + std::to_string(i) : "";
    switch (op) {
      case 0:
        rec = h.NewRecord(v1::CHANGE_KIND_SCALE, cause);
        rec.mutable_scale()->set_replicas(pick(7));
        rec.mutable_scale()->set_current_replicas(-1);
        break;
      case 1:
      case 2: {
        rec = h.NewRecord(v1::CHANGE_KIND_SET_IMAGE, cause);
        auto* ci = rec.mutable_set_image()->add_images();
        ci->set_container("app");
        ci->set_image(images[static_cast<size_t>(pick(4))]);
        break;
      }
      case 3:
        rec = h.NewRecord(v1::CHANGE_KIND_ANNOTATE);
        (*rec.mutable_annotate()->mutable_set())[kChangeCauseAnnotation] = "annotated-" + std::to_string(i);
        rec.mutable_annotate()->set_overwrite(pick(2) == 0);
        break;
      case 4: {
        rec = h.NewRecord(v1::CHANGE_KIND_ROLLBACK);
        int64_t to = 0;
        const int kind = pick(5);
        std::vector<int64_t> revs = h.Revisions();
        if (kind == 1 || kind == 2) to = revs.empty() ? 1 : revs[static_cast<size_t>(pick(static_cast<int>(revs.size())))];
        if (kind == 3) to = 1 + pick(40);  // often a pruned / renumbered / future number
        if (kind == 4) to = -1;
        rec.mutable_rollback()->set_to_revision(to);
        break;
      }
      case 5:
        rec = h.NewRecord(v1::CHANGE_KIND_PAUSE);
        rec.mutable_pause();
        break;
      case 6:
        rec = h.NewRecord(v1::CHANGE_KIND_RESUME);
        rec.mutable_resume();
        break;
      case 7: {
        rec = h.NewRecord(v1::CHANGE_KIND_RESTART);
        std::string ts = "2024-05-01T10:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "+02:00";
        if (pick(4) == 0 && !last_restart.empty()) ts = last_restart;  // same second twice
        last_restart = ts;
        rec.mutable_restart()->set_restarted_at(ts);
        break;
      }
      default:
        rec = h.NewRecord(v1::CHANGE_KIND_SCALE, cause);
        rec.mutable_scale()->set_replicas(pick(7));
        rec.mutable_scale()->set_current_replicas(pick(3) == 0 ? pick(7) : -1);
        break;
    }
    const std::string before = h.Bytes();
    FoldResult r;
    if (pick(8) == 0) {  // a writer that lost a race
      const uint64_t v = h.agg.version();
      rec.set_expected_version(pick(2) == 0 || v == 0 ? v + 1 : v - 1);
      r = h.SubmitRaw(rec);
      EXPECT_EQ(r.outcome.reason, "Conflict");
    } else {
      r = h.Submit(rec);
    }
    check(r, before, rec.kind());
  }
}

struct Replay {
  state::v1::Aggregate agg;
  std::vector<ControllerEvent> events;
  std::vector<std::string> outcomes;
};

// Folds `log` from `start`, continuing from `agg`.
void FoldLog(const std::vector<Harness::Logged>& log, size_t start, size_t end, Replay& out) {
  for (size_t i = start; i < end; ++i) {
    FoldResult r = ApplyRecord(out.agg, log[i].record, log[i].log_time_ms);
    out.events.insert(out.events.end(), r.controller.events.begin(), r.controller.events.end());
    out.outcomes.push_back(r.outcome.reason + "|" + r.outcome.message);
  }
}

// fold.h "pure and deterministic": refolding the same log from scratch, in one go or split
// with a serialize/parse round trip of the aggregate in between, gives byte-identical state.
TEST(FoldProperty, folding_is_deterministic_and_resumable_from_serialized_state) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed=" + std::to_string(seed));
    Harness h;
    std::vector<ControllerEvent> first_events;
    std::vector<std::string> first_outcomes;
    RunRandomSequence(seed, h, [&](const FoldResult& r, const std::string&, v1::ChangeKind) {
      first_events.insert(first_events.end(), r.controller.events.begin(), r.controller.events.end());
      first_outcomes.push_back(r.outcome.reason + "|" + r.outcome.message);
    });
    const auto& log = h.log();
    ASSERT_EQ(log.size(), 31u);
    const std::string reference = h.Bytes();

    Replay again;
    FoldLog(log, 0, log.size(), again);
    EXPECT_EQ(StableBytes(again.agg), reference);
    EXPECT_EQ(again.events, first_events);
    EXPECT_EQ(again.outcomes, first_outcomes);

    std::mt19937 rng(seed * 7919u);
    const size_t split = rng() % (log.size() + 1);
    Replay part;
    FoldLog(log, 0, split, part);
    const std::string blob = part.agg.SerializeAsString();  // as the projection stores it
    Replay resumed;
    ASSERT_TRUE(resumed.agg.ParseFromString(blob));
    resumed.events = part.events;
    resumed.outcomes = part.outcomes;
    FoldLog(log, split, log.size(), resumed);
    EXPECT_EQ(StableBytes(resumed.agg), reference) << "split at " << split;
    EXPECT_EQ(resumed.events, first_events) << "split at " << split;
    EXPECT_EQ(resumed.outcomes, first_outcomes) << "split at " << split;
    if (HasFailure()) return;
  }
}

// Invariants that hold after every record (every record converges under the
// instant-ready model): fold.h version contract; §1.3 revisions unique and
// the current RS has the highest; §1.2 one RS per template; §6 sizes add up to
// spec.replicas with at most one active RS; §6.8 status after convergence.
TEST(FoldProperty, invariants_hold_after_every_record) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed=" + std::to_string(seed));
    Harness h;
    int step = 0;
    RunRandomSequence(seed, h, [&](const FoldResult& r, const std::string& before, v1::ChangeKind kind) {
      SCOPED_TRACE("step=" + std::to_string(step++) + " kind=" + std::to_string(kind) + " outcome=" +
                   r.outcome.reason + " " + r.outcome.message);
      if (!r.outcome.applied) {
        EXPECT_EQ(h.Bytes(), before) << "a rejected record must not change the state";
        EXPECT_TRUE(r.controller.events.empty());
        return;
      }
      const auto& agg = h.agg;
      ASSERT_TRUE(agg.exists());
      const auto& spec = agg.deployment().spec();
      std::set<int64_t> revisions;
      std::set<std::string> templates, names;
      int32_t sum = 0, active = 0;
      int64_t max_rev = 0;
      for (const auto& rs : agg.replica_sets()) {
        EXPECT_TRUE(revisions.insert(rs.revision()).second) << "duplicate revision " << rs.revision();
        EXPECT_TRUE(templates.insert(rs.template_json()).second) << "two RSs with one template";
        EXPECT_TRUE(names.insert(rs.name()).second) << "duplicate RS name " << rs.name();
        EXPECT_GT(rs.revision(), 0);
        EXPECT_GE(rs.replicas(), 0);
        sum += rs.replicas();
        if (rs.replicas() > 0) ++active;
        max_rev = std::max(max_rev, rs.revision());
      }
      // Exception (upstream-faithful, §5.3): paused with a pending template, scaled to 0 and
      // revisionHistoryLimit 0 -> the paused-path cleanup deletes the only (old) RS; later scales
      // have no RS to act on until resume creates one.
      if (!(spec.paused() && agg.replica_sets_size() == 0)) {
        EXPECT_EQ(sum, spec.replicas()) << "sizes must add up to spec.replicas once converged";
      }
      EXPECT_LE(active, 1) << "at most one RS holds pods once converged";
      const auto* current = h.CurrentRs();
      if (!spec.paused()) {
        ASSERT_NE(current, nullptr) << "an unpaused Deployment has an RS for its template";
        EXPECT_EQ(current->replicas(), spec.replicas());
        EXPECT_EQ(current->revision(), max_rev);
        EXPECT_EQ(h.DeploymentAnnotation(kRevisionKey), std::to_string(current->revision()));
        EXPECT_EQ(agg.status().replicas(), spec.replicas());
        EXPECT_EQ(agg.status().updated_replicas(), spec.replicas());
        EXPECT_EQ(agg.status().available_replicas(), spec.replicas());
        EXPECT_EQ(agg.status().unavailable_replicas(), 0);
      } else if (current != nullptr) {
        // Paused with the template of an existing RS: that RS was renumbered to the top (§1.3 edge case).
        EXPECT_EQ(current->revision(), max_rev);
      }
      for (const auto& e : r.controller.events) {
        EXPECT_EQ(e.reason, "ScalingReplicaSet");
        EXPECT_EQ(e.time_unix_ms, h.now_ms);
      }
    });
    if (HasFailure()) return;
  }
}

// spec §5.3: "with limit L, after a completed rollout the history shows at most L+1 rows" —
// every record converges, so this holds after every record.
TEST(FoldProperty, live_replica_sets_never_exceed_history_limit_plus_one) {
  int violations = 0;
  std::string first;
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    Harness h;
    int step = 0;
    RunRandomSequence(seed, h, [&](const FoldResult& r, const std::string&, v1::ChangeKind kind) {
      ++step;
      if (!r.outcome.applied) return;
      const int64_t limit = h.agg.deployment().spec().revision_history_limit();
      if (h.agg.replica_sets_size() > limit + 1) {
        if (violations++ == 0) {
          first = "seed " + std::to_string(seed) + " step " + std::to_string(step) + " kind " +
                  std::to_string(kind) + ": " + std::to_string(h.agg.replica_sets_size()) +
                  " live RSs with revisionHistoryLimit " + std::to_string(limit);
        }
      }
    });
  }
  EXPECT_EQ(violations, 0) << "first violation: " << first;
}

}  // namespace
}  // namespace rollbook::fold

// rollout.cc Reconcile stops at the fixpoint by comparing the status field by
// field (SameStatus, SameCondition). A field added to either message without
// being added there would make the loop stop while that field still changes:
// this test fails first, pointing at them.
TEST(FoldReconcile, the_status_comparison_knows_every_status_field) {
  EXPECT_EQ(rollbook::state::v1::DeploymentStatus::descriptor()->field_count(), 8)
      << "update SameStatus in store/fold/rollout.cc, then this count";
  EXPECT_EQ(rollbook::state::v1::Condition::descriptor()->field_count(), 6)
      << "update SameCondition in store/fold/rollout.cc, then this count";
}
