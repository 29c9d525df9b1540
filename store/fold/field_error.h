// FieldError: one validation failure of a Kubernetes object, kubectl-shaped.
//
// `field` is the JSON path as the API server prints it ("spec.replicas",
// "spec.template.spec.containers[0].name"); `detail` is the rest of the line
// exactly as kubectl shows it ("Invalid value: -1: must be greater than or
// equal to 0", "Required value", ...). ToString() gives "field: detail".
#pragma once

#include <string>
#include <vector>

namespace rollbook::fold {

struct FieldError {
  std::string field;
  std::string detail;

  std::string ToString() const { return field.empty() ? detail : field + ": " + detail; }
  bool operator==(const FieldError&) const = default;
};

using FieldErrors = std::vector<FieldError>;

}  // namespace rollbook::fold
