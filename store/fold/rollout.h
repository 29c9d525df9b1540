// The deployment controller under the instant-ready model (spec §1, §5, §6).
//
// Reconcile() runs controller syncs on one aggregate until a sync changes
// nothing: it creates/renumbers ReplicaSets, copies annotations, performs the
// rolling-update / recreate / proportional-scaling steps, prunes history past
// revisionHistoryLimit and maintains status and conditions. Every pod the
// controller asks for is ready right after the sync that asked for it.
//
// Pure and deterministic: the only clock is `now_unix_ms`, taken from the
// record being folded. Ties that Kubernetes breaks by creation timestamp (with
// one-second granularity) and then by name are broken here by creation order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rollbook/state/v1/aggregate.pb.h"

namespace rollbook::fold {

// A Kubernetes Event emitted by the simulated deployment-controller.
struct ControllerEvent {
  std::string type;    // "Normal" or "Warning"
  std::string reason;  // e.g. "ScalingReplicaSet"
  std::string message;
  int64_t time_unix_ms = 0;
  bool operator==(const ControllerEvent&) const = default;
};

struct ReconcileOutput {
  std::vector<ControllerEvent> events;
  // ReplicaSets removed by history cleanup, as they were when deleted.
  std::vector<state::v1::ReplicaSet> pruned;
};

// Resolved maxSurge / maxUnavailable for a Deployment spec (§6.2).
struct Fenceposts {
  int32_t max_surge = 0;
  int32_t max_unavailable = 0;
};
Fenceposts ResolveFenceposts(const v1::DeploymentSpec& spec);

// Annotation keys never copied from a Deployment to its ReplicaSets (§2.2).
bool IsSkippedAnnotation(const std::string& key);

// Runs syncs to a fixpoint. `agg` must have exists == true.
void Reconcile(state::v1::Aggregate& agg, int64_t now_unix_ms, ReconcileOutput& out);

}  // namespace rollbook::fold
