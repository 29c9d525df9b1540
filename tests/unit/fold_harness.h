// Test harness for the fold (store/fold/fold.h): drives one aggregate with
// kubectl-like change records, filling expected_version from the aggregate and
// advancing a fake broker clock by one second per record.
//
// Header-only; used by tests/unit/fold_test.cc (and usable by other tests that
// need a folded Deployment).
#pragma once

#include <google/protobuf/message.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "rollbook/state/v1/aggregate.pb.h"
#include "rollbook/v1/change_record.pb.h"
#include "store/fold/fold.h"
#include "store/fold/manifest.h"

namespace rollbook::fold::testing {

// A Deployment manifest in YAML. `spec_extra` is inserted verbatim into the
// spec block (two-space indented lines such as "  revisionHistoryLimit: 2\n").
inline std::string DeploymentYaml(const std::string& name, int replicas, const std::string& image,
                                  const std::string& spec_extra = "",
                                  const std::string& api_version = "apps/v1") {
  std::string y;
  y += "apiVersion: " + api_version + "\n";
  y += "kind: Deployment\n";
  y += "metadata:\n";
  y += "  name: " + name + "\n";
  y += "  labels:\n";
  y += "    app: " + name + "\n";
  y += "spec:\n";
  y += "  replicas: " + std::to_string(replicas) + "\n";
  y += "  selector:\n";
  y += "    matchLabels:\n";
  y += "      app: " + name + "\n";
  y += spec_extra;
  y += "  template:\n";
  y += "    metadata:\n";
  y += "      labels:\n";
  y += "        app: " + name + "\n";
  y += "    spec:\n";
  y += "      containers:\n";
  y += "      - name: app\n";
  y += "        image: " + image + "\n";
  y += "        ports:\n";
  y += "        - containerPort: 80\n";
  return y;
}

// Parses one Deployment manifest (namespace "default"); a parse failure is a
// test failure and yields an empty Deployment.
inline v1::Deployment ParseDeployment(const std::string& yaml) {
  auto docs = ParseManifestText(yaml, "test.yaml");
  if (!docs.ok()) {
    ADD_FAILURE() << "ParseManifestText: " << docs.status().message();
    return {};
  }
  if (docs->size() != 1) {
    ADD_FAILURE() << "expected exactly one object, got " << docs->size();
    return {};
  }
  auto d = DeploymentFromManifest((*docs)[0].object, "default");
  if (!d.ok()) {
    ADD_FAILURE() << "DeploymentFromManifest: " << d.status().message();
    return {};
  }
  return *d;
}

// Deterministic protobuf bytes (map entries sorted), for byte comparisons.
inline std::string StableBytes(const google::protobuf::Message& m) { return fold::CanonicalBytes(m); }

// Images of the containers of a canonical template, "name=image" joined by ",".
inline std::string TemplateImages(const std::string& template_json) {
  nlohmann::json t = nlohmann::json::parse(template_json, nullptr, false);
  std::string out;
  if (!t.is_object() || !t.contains("spec") || !t["spec"].contains("containers")) return out;
  for (const auto& c : t["spec"]["containers"]) {
    if (!out.empty()) out += ",";
    out += c.value("name", "") + "=" + c.value("image", "");
  }
  return out;
}

inline std::vector<std::string> EventMessages(const FoldResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.controller.events) out.push_back(e.message);
  return out;
}

using HistoryRows = std::vector<std::pair<int64_t, std::string>>;

class Harness {
 public:
  explicit Harness(std::string name = "web", std::string ns = "default")
      : name_(std::move(name)), ns_(std::move(ns)) {}

  state::v1::Aggregate agg;
  int64_t now_ms = 1'700'000'000'000;
  int64_t step_ms = 1000;

  const std::string& name() const { return name_; }
  const std::string& ns() const { return ns_; }

  // Every record submitted (in order) with its log time, for replays.
  struct Logged {
    v1::ChangeRecord record;
    int64_t log_time_ms;
  };
  const std::vector<Logged>& log() const { return log_; }

  // A record of `kind` for this Deployment with the next id; expected_version
  // is filled in by Submit.
  v1::ChangeRecord NewRecord(v1::ChangeKind kind, const std::string& cause = "") {
    v1::ChangeRecord r;
    r.set_schema_version(1);
    r.set_id("rec-" + std::to_string(++seq_));
    r.set_namespace_(ns_);
    r.set_name(name_);
    r.set_kind(kind);
    r.set_actor("tester");
    r.set_host("testhost");
    r.set_client_time_unix_ms(now_ms);
    r.set_change_cause(cause);
    return r;
  }

  // Folds `r` with expected_version := agg.version().
  FoldResult Submit(v1::ChangeRecord r) {
    r.set_expected_version(agg.version());
    return SubmitRaw(std::move(r));
  }

  // Folds `r` as is (expected_version untouched).
  FoldResult SubmitRaw(v1::ChangeRecord r) {
    now_ms += step_ms;
    log_.push_back(Logged{r, now_ms});
    return ApplyRecord(agg, r, now_ms);
  }

  FoldResult Create(const std::string& yaml, const std::string& cause = "") {
    v1::ChangeRecord r = NewRecord(v1::CHANGE_KIND_CREATE, cause);
    *r.mutable_create()->mutable_deployment() = ParseDeployment(yaml);
    return Submit(std::move(r));
  }

  FoldResult Apply(const std::string& yaml, bool replace = false, const std::string& cause = "") {
    v1::ChangeRecord r = NewRecord(v1::CHANGE_KIND_APPLY, cause);
    *r.mutable_apply()->mutable_deployment() = ParseDeployment(yaml);
    r.mutable_apply()->set_replace(replace);
    return Submit(std::move(r));
  }

  FoldResult Scale(int32_t replicas, const std::string& cause = "", int32_t current_replicas = -1) {
    v1::ChangeRecord r = NewRecord(v1::CHANGE_KIND_SCALE, cause);
    r.mutable_scale()->set_replicas(replicas);
    r.mutable_scale()->set_current_replicas(current_replicas);
    return Submit(std::move(r));
  }

  FoldResult SetImage(const std::string& container, const std::string& image, const std::string& cause = "") {
    v1::ChangeRecord r = NewRecord(v1::CHANGE_KIND_SET_IMAGE, cause);
    auto* ci = r.mutable_set_image()->add_images();
    ci->set_container(container);
    ci->set_image(image);
    return Submit(std::move(r));
  }

  FoldResult AnnotateMany(const std::map<std::string, std::string>& set,
                          const std::vector<std::string>& remove, bool overwrite = true) {
    v1::ChangeRecord r = NewRecord(v1::CHANGE_KIND_ANNOTATE);
    for (const auto& [k, v] : set) (*r.mutable_annotate()->mutable_set())[k] = v;
    for (const auto& k : remove) r.mutable_annotate()->add_remove(k);
    r.mutable_annotate()->set_overwrite(overwrite);
    return Submit(std::move(r));
  }
  FoldResult Annotate(const std::string& key, const std::string& value) {
    return AnnotateMany({{key, value}}, {}, /*overwrite=*/true);
  }
  FoldResult RemoveAnnotation(const std::string& key) { return AnnotateMany({}, {key}, /*overwrite=*/true); }

  FoldResult Undo(int64_t to_revision = 0) {
    v1::ChangeRecord r = NewRecord(v1::CHANGE_KIND_ROLLBACK);
    r.mutable_rollback()->set_to_revision(to_revision);
    return Submit(std::move(r));
  }

  FoldResult Pause() {
    v1::ChangeRecord r = NewRecord(v1::CHANGE_KIND_PAUSE);
    r.mutable_pause();
    return Submit(std::move(r));
  }

  FoldResult Resume() {
    v1::ChangeRecord r = NewRecord(v1::CHANGE_KIND_RESUME);
    r.mutable_resume();
    return Submit(std::move(r));
  }

  FoldResult Restart(const std::string& restarted_at) {
    v1::ChangeRecord r = NewRecord(v1::CHANGE_KIND_RESTART);
    r.mutable_restart()->set_restarted_at(restarted_at);
    return Submit(std::move(r));
  }

  FoldResult Delete() {
    v1::ChangeRecord r = NewRecord(v1::CHANGE_KIND_DELETE);
    r.mutable_delete_();
    return Submit(std::move(r));
  }

  // revision -> change-cause ("<none>" when absent or empty) of the live
  // ReplicaSets, ascending by revision: what `kubectl rollout history` lists.
  HistoryRows History() const {
    HistoryRows rows;
    for (const auto& rs : agg.replica_sets()) {
      auto it = rs.annotations().find(kChangeCauseAnnotation);
      rows.emplace_back(rs.revision(), it == rs.annotations().end() || it->second.empty()
                                           ? std::string("<none>")
                                           : it->second);
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  std::vector<int64_t> Revisions() const {
    std::vector<int64_t> out;
    for (const auto& rs : agg.replica_sets()) out.push_back(rs.revision());
    std::sort(out.begin(), out.end());
    return out;
  }

  const state::v1::ReplicaSet* RsByRevision(int64_t revision) const {
    for (const auto& rs : agg.replica_sets())
      if (rs.revision() == revision) return &rs;
    return nullptr;
  }

  const state::v1::ReplicaSet* RsByName(const std::string& rs_name) const {
    for (const auto& rs : agg.replica_sets())
      if (rs.name() == rs_name) return &rs;
    return nullptr;
  }

  // RS name for revision (empty when absent).
  std::string RsName(int64_t revision) const {
    const auto* rs = RsByRevision(revision);
    return rs == nullptr ? std::string() : rs->name();
  }

  // The ReplicaSet holding the Deployment's current template (nullptr if none).
  const state::v1::ReplicaSet* CurrentRs() const {
    for (const auto& rs : agg.replica_sets())
      if (rs.template_json() == agg.deployment().spec().template_json()) return &rs;
    return nullptr;
  }

  std::string DeploymentAnnotation(const std::string& key) const {
    const auto& a = agg.deployment().metadata().annotations();
    auto it = a.find(key);
    return it == a.end() ? std::string() : it->second;
  }

  bool HasDeploymentAnnotation(const std::string& key) const {
    return agg.deployment().metadata().annotations().contains(key);
  }

  // name -> size of every live ReplicaSet.
  std::map<std::string, int32_t> Sizes() const {
    std::map<std::string, int32_t> out;
    for (const auto& rs : agg.replica_sets()) out[rs.name()] = rs.replicas();
    return out;
  }

  std::string Bytes() const { return StableBytes(agg); }

  static std::vector<std::string> EventMessages(const FoldResult& r) { return testing::EventMessages(r); }

 private:
  std::string name_;
  std::string ns_;
  int seq_ = 0;
  std::vector<Logged> log_;
};

}  // namespace rollbook::fold::testing
