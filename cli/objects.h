// Kubernetes-shaped objects for -o json|yaml|name: a Deployment (metadata,
// spec, status) and its ReplicaSets as `kubectl get -o yaml` shows them, so
// that the output could be fed to `kubectl apply`.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "rollbook/state/v1/aggregate.pb.h"

namespace rollbook::cli {

nlohmann::json DeploymentObject(const state::v1::Aggregate& agg);
nlohmann::json ReplicaSetObject(const state::v1::Aggregate& agg, const state::v1::ReplicaSet& rs);
// kind: List wrapper used by kubectl for several objects.
nlohmann::json ListObject(const nlohmann::json& items);

// YAML rendering in kubectl's style (block style, 2-space indent, "- " items).
std::string ToYaml(const nlohmann::json& j);
// Pretty JSON with 4-space indent, as kubectl prints it.
std::string ToJson(const nlohmann::json& j);

// RFC 3339 UTC ("2026-11-25T10:00:00Z") of a Unix-ms time.
std::string Rfc3339(int64_t unix_ms);
// The viewer's local time as kubectl prints it: Go's RFC1123Z for describe
// ("Wed, 25 Nov 2026 10:00:00 +0100"), RFC 3339 for restartedAt ("Z" for UTC,
// otherwise "+hh:mm").
std::string Rfc1123Local(int64_t unix_ms);
std::string Rfc3339Local(int64_t unix_ms);

// The ReplicaSet's template with the pod-template-hash label (as Kubernetes
// shows RS templates).
nlohmann::json ReplicaSetTemplate(const state::v1::ReplicaSet& rs);
// All annotations of an RS, controller-owned ones included.
std::map<std::string, std::string> ReplicaSetAnnotations(const state::v1::ReplicaSet& rs);

}  // namespace rollbook::cli
