// Deployment validation with the API server's rules, field paths and wording
// (spec §10.2), and kubectl's presentation of an Invalid response.
//
// Contract:
//   * ValidateDeployment(d) returns the field errors the API server would
//     report for creating `d` (an already defaulted Deployment, see
//     manifest.h), in the server's order: metadata (name, namespace, labels,
//     annotations), spec.replicas, spec.selector, selector vs template labels,
//     template metadata and pod spec (containers, initContainers,
//     restartPolicy, activeDeadlineSeconds), strategy, minReadySeconds,
//     revisionHistoryLimit, progressDeadlineSeconds. Complex bad values are
//     rendered as JSON (the >=1.34 rendering): `{"app":"web"}`; a missing
//     template label map renders as `null`.
//   * ValidateDeploymentUpdate(old, new) returns ONLY the errors an update adds
//     on top of ValidateDeployment(new): `spec.selector: Invalid value: ...:
//     field is immutable` when new's apiVersion is apps/v1 or apps/v1beta2
//     and the selector changed (the legacy groups allow it).
//   * FormatInvalid renders kubectl's message: one cause ->
//     `The Deployment "NAME" is invalid: FIELD: DETAIL`; several ->
//     `The Deployment "NAME" is invalid: ` + "\n* F: D" per cause.
//     Duplicate causes are dropped; no trailing newline (the printer adds it).
// Pure functions; no I/O.
#pragma once

#include <string>

#include "rollbook/v1/change_record.pb.h"
#include "store/fold/field_error.h"

namespace rollbook::fold {

FieldErrors ValidateDeployment(const rollbook::v1::Deployment& deployment);

FieldErrors ValidateDeploymentUpdate(const rollbook::v1::Deployment& old_deployment,
                                     const rollbook::v1::Deployment& new_deployment);

std::string FormatInvalid(const std::string& kind, const std::string& name, const FieldErrors& errors);

// The JSON rendering of a LabelSelector in messages (Go field order:
// matchLabels, then matchExpressions{key,operator,values}; empty parts omitted).
std::string LabelSelectorJson(const rollbook::v1::LabelSelector& selector);

}  // namespace rollbook::fold
