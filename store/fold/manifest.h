// Manifest files to defaulted Deployments, and Deployments back to
// Kubernetes-shaped JSON.
//
// Contract:
//   * ParseManifestText turns the text of a `-f` file into its objects. Text
//     whose first non-blank byte is '{' or '[' is tried as JSON first; anything
//     else (and JSON that does not parse) is read as YAML: multi-document,
//     flow style, CRLF, comments, BOM. Empty documents are skipped; a `*List`
//     object with an `items` array is expanded into its items. Plain scalars
//     resolve like sigs.k8s.io/yaml (go-yaml v2, YAML 1.1): ints stay ints
//     (decimal, 0x, 0o/0 octal, 0b, `_` separators), floats stay numbers,
//     true/false/yes/no/on/off/y/n are bools, ``/~/null are null; quoted
//     scalars and block scalars are strings; mapping keys are always the
//     key's text. `<<` merge keys are honoured. Every object must have `kind`
//     and `apiVersion`, as kubectl's decoder requires. Duplicate keys are an
//     error in YAML; in JSON input the last one wins.
//     Errors (kInvalidArgument), kubectl's wording:
//       `error parsing SRC: error converting YAML to JSON: yaml: line N: MSG`
//       (MSG is yaml-cpp's description, e.g. "end of map not found"; it is
//       not go-yaml's text),
//       (duplicate key: `... yaml: unmarshal errors:\n  line N: mapping key
//       "K" already defined at line M`),
//       `unable to decode "SRC": Object 'Kind' is missing in '{...}'`,
//       and "no objects passed to create" for input without objects.
//   * DeploymentFromManifest applies the API server's defaults for the
//     object's apiVersion (spec §5.1) and the pod template defaults (§10.3),
//     rejecting what the server's strict decoding rejects: unknown fields of
//     the Deployment, its metadata, spec, selector (and its expressions),
//     strategy, rollingUpdate and template/template.metadata
//     (`strict decoding error: unknown field "spec.foo", unknown field
//     "spec.bar"`, sorted), and wrongly typed values of the fields rollbook
//     reads (`json: cannot unmarshal string into Go struct field
//     DeploymentSpec.spec.replicas of type int32`). The pod spec is otherwise
//     not checked. A non-Deployment kind is kInvalidArgument
//     `rollbook only manages Deployments: kind "Service" in object "NAME"`;
//     an unserved apiVersion is `no matches for kind "Deployment" in version "X"`.
//     Explicit nulls everywhere mean "absent". `spec.rollbackTo` of the two
//     legacy versions is accepted and ignored.
//   * The template is stored canonically (template_json, spec §8.2): nulls,
//     empty arrays and empty objects are dropped everywhere (except `{}` under
//     `emptyDir`, `labelSelector` and `namespaceSelector`, where presence has a
//     meaning); null label/annotation values become ""; numeric and string
//     quantities under `resources.limits/requests` (containers, init
//     containers, pod) and `emptyDir.sizeLimit` are rewritten in Kubernetes'
//     canonical form (0.5 -> "500m", 1 -> "1", "1024Mi" -> "1Gi"); then the
//     pod defaults are filled in: restartPolicy Always, dnsPolicy
//     ClusterFirst, schedulerName default-scheduler,
//     terminationGracePeriodSeconds 30; per container and init container
//     imagePullPolicy (Always for `:latest` or no tag, else IfNotPresent),
//     terminationMessagePath /dev/termination-log, terminationMessagePolicy
//     File, ports[].protocol TCP, probe timeoutSeconds 1 / periodSeconds 10 /
//     successThreshold 1 / failureThreshold 3, httpGet path "/" and scheme
//     HTTP (probes and lifecycle hooks), env fieldRef apiVersion v1; volume
//     defaultMode 420 for configMap/secret/downwardAPI/projected, and a volume
//     with no source gets `emptyDir: {}`. The empty `securityContext: {}`
//     the server adds is NOT added (absent and empty are equal). The result is
//     nlohmann::json::dump() (sorted keys, compact).
//   * DeploymentToJson is the inverse for apps/v1: an apps/v1 Deployment
//     object as `kubectl get -o json` shapes it (zero minReadySeconds, false
//     paused and empty maps omitted).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "rollbook/v1/change_record.pb.h"

namespace rollbook::fold {

struct ManifestDocument {
  // 0-based position of the YAML document in the file, counting every
  // `---`-separated document including empty ones; items of a List share the
  // index of the List.
  int index = 0;
  nlohmann::json object;
};

StatusOr<std::vector<ManifestDocument>> ParseManifestText(std::string_view text, std::string_view source_name);

// kind == "Deployment" (any apiVersion).
bool IsDeployment(const nlohmann::json& object);

// The apiVersions rollbook accepts for kind Deployment.
bool IsServedDeploymentApiVersion(std::string_view api_version);

StatusOr<rollbook::v1::Deployment> DeploymentFromManifest(const nlohmann::json& object,
                                                          std::string_view default_namespace);

// The canonical form of a pod template object (see above). Fails only for
// wrongly typed fields the defaulting reads.
StatusOr<std::string> CanonicalTemplateJson(const nlohmann::json& template_object);

// Kubernetes' canonical string of a resource quantity ("0.5" -> "500m");
// returns the input unchanged when it is not a valid quantity.
std::string CanonicalQuantity(std::string_view quantity);

nlohmann::json DeploymentToJson(const rollbook::v1::Deployment& deployment);

}  // namespace rollbook::fold
