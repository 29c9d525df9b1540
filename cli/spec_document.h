// The user-visible desired state of a Deployment as one document, the unit
// that `rollbook diff` compares and `rollbook blame` attributes:
//
//   metadata: {labels, annotations}   (annotations without kubectl's
//                                      last-applied-configuration)
//   spec: {replicas, selector, strategy, template, minReadySeconds, ...}
//
// exactly as `kubectl get deployment -o yaml` shows those fields (defaults
// applied, keys sorted). Status and server-set metadata (uid, generation,
// creationTimestamp) are left out: they are not something anybody "set".
#pragma once

#include <nlohmann/json.hpp>

#include "rollbook/state/v1/aggregate.pb.h"

namespace rollbook::cli {

struct SpecDocumentOptions {
  // Leave out deployment.kubernetes.io/revision (diff names the revisions in
  // its headers; the annotation would differ in every diff).
  bool omit_revision_annotation = false;
};

// An empty object when the Deployment does not exist.
nlohmann::json SpecDocument(const state::v1::Aggregate& agg, const SpecDocumentOptions& options = {});

}  // namespace rollbook::cli
