// Describe deployment: the text of `kubectl describe deployment NAME`.
//
// DescribeDeployment is a pure renderer over a plain struct the caller fills
// from its projection; it produces kubectl's exact layout (spec §7):
// Name, Namespace, CreationTimestamp, Labels, Annotations, Selector, Replicas,
// StrategyType, MinReadySeconds, RollingUpdateStrategy (only when set), the
// Pod Template block (pod_template.h), Conditions (only when any),
// OldReplicaSets/NewReplicaSet (only when the Deployment owns any RS), Events.
// The document is aligned with the describe tabwriter (tabwriter.h); a
// non-empty events table is aligned on its own (kubectl flushes before it),
// while "Events:\t<none>" joins the preceding column block. Values are
// terminal-escaped like kubectl's. Never fails.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rollbook::render {

struct DescribeEvent {
  std::string type;     // "Normal"
  std::string reason;   // "ScalingReplicaSet"
  std::string age;      // preformatted, see EventAge
  std::string from;     // "deployment-controller"
  std::string message;  // surrounding whitespace is trimmed on output
  // Rows are shown oldest last-seen first; events with equal keys keep the
  // caller's order (leave 0 everywhere to keep the given order).
  int64_t last_seen_unix_ms = 0;
};

struct DescribeCondition {
  std::string type, status, reason;  // messages are not shown by kubectl
};

struct ReplicaSetSummary {
  std::string name;
  int32_t replicas = 0;  // status.replicas
  int32_t desired = 0;   // spec.replicas
};

struct RollingUpdateParams {
  std::string max_unavailable;  // raw IntOrString text, e.g. "25%" or "1"
  std::string max_surge;
};

struct DeploymentDescription {
  std::string name;
  std::string namespace_;
  std::string creation_timestamp;  // already formatted, RFC 1123 numeric zone
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string selector;     // canonical selector string (spec §9.4)
  int32_t replicas = 0;     // spec.replicas
  int32_t updated = 0;      // status.updatedReplicas
  int32_t total = 0;        // status.replicas
  int32_t available = 0;    // status.availableReplicas
  int32_t unavailable = 0;  // status.unavailableReplicas
  std::string strategy_type = "RollingUpdate";
  int32_t min_ready_seconds = 0;
  std::optional<RollingUpdateParams> rolling_update;  // absent for Recreate
  nlohmann::json pod_template;                        // the Deployment's own PodTemplateSpec (null = empty)
  std::vector<DescribeCondition> conditions;
  // The RS lines are printed when there is at least one old RS or a new RS.
  std::vector<ReplicaSetSummary> old_replica_sets;
  std::optional<ReplicaSetSummary> new_replica_set;
  bool show_events = true;  // --show-events=false omits the Events section
  std::vector<DescribeEvent> events;
};

std::string DescribeDeployment(const DeploymentDescription& d);

// Age column of an event: HumanDuration(since_first) for a single event,
// "<since_last> (x<count> over <since_first>)" when count > 1.
std::string EventAge(int64_t since_first_ms, int64_t since_last_ms, int32_t count);

// "NAME (S/D replicas created)" joined by ", ", or "<none>".
std::string ReplicaSetList(const std::vector<ReplicaSetSummary>& sets);

}  // namespace rollbook::render
