#include "cli/objects.h"

#include <ctime>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "store/fold/manifest.h"
#include "store/fold/template.h"

namespace rollbook::cli {

std::string Rfc3339(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {
std::tm LocalTm(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}
}  // namespace

std::string Rfc1123Local(int64_t unix_ms) {
  const std::tm tm = LocalTm(unix_ms);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S %z", &tm);
  return buf;
}

std::string Rfc3339Local(int64_t unix_ms) {
  const std::tm tm = LocalTm(unix_ms);
  char base[32];
  std::strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
  const long off = tm.tm_gmtoff;
  if (off == 0) return std::string(base) + "Z";
  const long a = off < 0 ? -off : off;
  return fmt::format("{}{}{:02}:{:02}", base, off < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
}

nlohmann::json ReplicaSetTemplate(const state::v1::ReplicaSet& rs) {
  return nlohmann::json::parse(fold::WithHashLabel(rs.template_json(), rs.pod_template_hash()), nullptr, false);
}

std::map<std::string, std::string> ReplicaSetAnnotations(const state::v1::ReplicaSet& rs) {
  std::map<std::string, std::string> a(rs.annotations().begin(), rs.annotations().end());
  a["deployment.kubernetes.io/desired-replicas"] = std::to_string(rs.desired_replicas());
  a["deployment.kubernetes.io/max-replicas"] = std::to_string(rs.max_replicas());
  a["deployment.kubernetes.io/revision"] = std::to_string(rs.revision());
  if (!rs.revision_history().empty()) a["deployment.kubernetes.io/revision-history"] = rs.revision_history();
  return a;
}

nlohmann::json DeploymentObject(const state::v1::Aggregate& agg) {
  nlohmann::json j = fold::DeploymentToJson(agg.deployment());
  j["apiVersion"] = "apps/v1";
  j["kind"] = "Deployment";
  auto& meta = j["metadata"];
  meta["creationTimestamp"] = Rfc3339(agg.created_unix_ms());
  meta["generation"] = agg.generation();
  meta["uid"] = agg.uid();
  meta["resourceVersion"] = std::to_string(agg.version());
  const auto& s = agg.status();
  nlohmann::json status = nlohmann::json::object();
  if (s.available_replicas() > 0) status["availableReplicas"] = s.available_replicas();
  if (s.collision_count() > 0) status["collisionCount"] = s.collision_count();
  nlohmann::json conds = nlohmann::json::array();
  for (const auto& c : s.conditions()) {
    conds.push_back({{"type", c.type()},
                     {"status", c.status()},
                     {"reason", c.reason()},
                     {"message", c.message()},
                     {"lastUpdateTime", Rfc3339(c.last_update_unix_ms())},
                     {"lastTransitionTime", Rfc3339(c.last_transition_unix_ms())}});
  }
  if (!conds.empty()) status["conditions"] = conds;
  status["observedGeneration"] = s.observed_generation();
  if (s.ready_replicas() > 0) status["readyReplicas"] = s.ready_replicas();
  if (s.replicas() > 0) status["replicas"] = s.replicas();
  if (s.unavailable_replicas() > 0) status["unavailableReplicas"] = s.unavailable_replicas();
  if (s.updated_replicas() > 0) status["updatedReplicas"] = s.updated_replicas();
  j["status"] = status;
  return j;
}

nlohmann::json ReplicaSetObject(const state::v1::Aggregate& agg, const state::v1::ReplicaSet& rs) {
  const v1::Deployment& d = agg.deployment();
  nlohmann::json j;
  j["apiVersion"] = "apps/v1";
  j["kind"] = "ReplicaSet";
  nlohmann::json meta;
  meta["name"] = rs.name();
  meta["namespace"] = d.metadata().namespace_();
  meta["creationTimestamp"] = Rfc3339(rs.created_unix_ms());
  nlohmann::json tmpl = ReplicaSetTemplate(rs);
  meta["labels"] = tmpl["metadata"]["labels"];
  meta["annotations"] = ReplicaSetAnnotations(rs);
  meta["ownerReferences"] = nlohmann::json::array({{{"apiVersion", "apps/v1"},
                                                     {"kind", "Deployment"},
                                                     {"name", d.metadata().name()},
                                                     {"uid", agg.uid()},
                                                     {"controller", true},
                                                     {"blockOwnerDeletion", true}}});
  j["metadata"] = meta;
  nlohmann::json dj = fold::DeploymentToJson(d);
  nlohmann::json selector = dj["spec"].value("selector", nlohmann::json::object());
  selector["matchLabels"][fold::kPodTemplateHashLabel] = rs.pod_template_hash();
  j["spec"] = {{"replicas", rs.replicas()}, {"selector", selector}, {"template", tmpl}};
  if (d.spec().min_ready_seconds() > 0) j["spec"]["minReadySeconds"] = d.spec().min_ready_seconds();
  nlohmann::json status = {{"replicas", rs.replicas()}, {"observedGeneration", 1}};
  if (rs.replicas() > 0) {
    status["availableReplicas"] = rs.replicas();
    status["readyReplicas"] = rs.replicas();
    status["fullyLabeledReplicas"] = rs.replicas();
  }
  j["status"] = status;
  return j;
}

nlohmann::json ListObject(const nlohmann::json& items) {
  return {{"apiVersion", "v1"}, {"items", items}, {"kind", "List"}, {"metadata", {{"resourceVersion", ""}}}};
}

namespace {
void Emit(YAML::Emitter& out, const nlohmann::json& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (auto it = j.begin(); it != j.end(); ++it) {
      out << YAML::Key << it.key() << YAML::Value;
      Emit(out, it.value());
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    if (j.empty()) {
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    out << YAML::BeginSeq;
    for (const auto& v : j) Emit(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    const std::string s = j.get<std::string>();
    // Quote strings YAML would otherwise read as another type.
    const bool ambiguous = s.empty() || s == "true" || s == "false" || s == "null" || s == "~" ||
                           s.find_first_not_of("0123456789.-+eE") == std::string::npos;
    if (ambiguous) {
      out << YAML::SingleQuoted << s;
    } else {
      out << s;
    }
  } else if (j.is_boolean()) {
    out << (j.get<bool>() ? "true" : "false");
  } else if (j.is_null()) {
    out << YAML::Null;
  } else {
    out << j.dump();
  }
}
}  // namespace

std::string ToYaml(const nlohmann::json& j) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  Emit(out, j);
  std::string s = out.c_str();
  if (s.empty() || s.back() != '\n') s += "\n";
  return s;
}

std::string ToJson(const nlohmann::json& j) { return j.dump(4) + "\n"; }

}  // namespace rollbook::cli
