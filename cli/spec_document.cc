#include "cli/spec_document.h"

#include "store/fold/fold.h"
#include "store/fold/manifest.h"

namespace rollbook::cli {

nlohmann::json SpecDocument(const state::v1::Aggregate& agg, const SpecDocumentOptions& options) {
  if (!agg.exists()) return nlohmann::json::object();
  const nlohmann::json object = fold::DeploymentToJson(agg.deployment());
  nlohmann::json doc = nlohmann::json::object();
  const nlohmann::json& meta = object.value("metadata", nlohmann::json::object());
  for (const char* key : {"labels", "annotations"}) {
    if (meta.contains(key)) doc["metadata"][key] = meta[key];
  }
  if (doc.contains("metadata") && doc["metadata"].contains("annotations")) {
    nlohmann::json& ann = doc["metadata"]["annotations"];
    ann.erase(fold::kLastAppliedAnnotation);
    if (options.omit_revision_annotation) ann.erase("deployment.kubernetes.io/revision");
    if (ann.empty()) doc["metadata"].erase("annotations");
    if (doc["metadata"].empty()) doc.erase("metadata");
  }
  if (object.contains("spec")) doc["spec"] = object["spec"];
  return doc;
}

}  // namespace rollbook::cli
