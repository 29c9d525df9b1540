#include "store/fold/fold.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "events/chain.h"
#include "events/codec.h"
#include "store/fold/json_view.h"
#include "store/fold/manifest.h"
#include "store/fold/template.h"
#include "store/fold/validation.h"

namespace rollbook::fold {

// Plain serialization would not do (maps serialize in hash-table order), and
// MessageDifferencer's reflection was a tenth of the rebuild time.
std::string CanonicalBytes(const google::protobuf::Message& m) { return events::DeterministicBytes(m); }

namespace {

using state::v1::Aggregate;
using state::v1::ReplicaSet;

Outcome Applied(std::string message) { return Outcome{true, "", std::move(message)}; }
Outcome Rejected(std::string reason, std::string message) {
  return Outcome{false, std::move(reason), std::move(message)};
}

std::string NotFoundMessage(const std::string& name) {
  return fmt::format("deployments.apps \"{}\" not found", name);
}

// Keys of metadata.labels and metadata.annotations in a last-applied document
// (one parse for both).
struct LastApplied {
  std::set<std::string> labels, annotations;
};
LastApplied LastAppliedKeys(const Aggregate& agg) {
  LastApplied keys;
  const auto& ann = agg.deployment().metadata().annotations();
  auto it = ann.find(kLastAppliedAnnotation);
  if (it == ann.end()) return keys;
  const std::optional<JsonDoc> doc = JsonDoc::Parse(it->second);
  if (!doc) return keys;
  const std::optional<JsonRef> meta = doc->root().Find("metadata");
  if (!meta || !meta->is_object()) return keys;
  for (auto [map_name, out] :
       {std::pair{"labels", &keys.labels}, std::pair{"annotations", &keys.annotations}}) {
    const std::optional<JsonRef> m = meta->Find(map_name);
    if (!m || !m->is_object()) continue;
    std::set<std::string>* keys_of_map = out;  // clang 14 cannot capture a structured binding
    m->ForEachField([keys_of_map](std::string_view k, JsonRef) { keys_of_map->emplace(k); });
  }
  return keys;
}

// kubectl apply's three-way rule for one string map.
void ThreeWayMerge(google::protobuf::Map<std::string, std::string>& live,
                   const google::protobuf::Map<std::string, std::string>& desired,
                   const std::set<std::string>& previously_applied) {
  for (const auto& k : previously_applied)
    if (!desired.contains(k)) live.erase(k);
  for (const auto& [k, v] : desired) live[k] = v;
}

// The user-visible part of a Deployment (spec and metadata), kept as bytes so
// that a handler remembers the state before its change without copying the
// whole Deployment (a copy per record was a tenth of the fold).
struct UserVisible {
  std::string spec, metadata;
  explicit UserVisible(const v1::Deployment& d)
      : spec(CanonicalBytes(d.spec())), metadata(CanonicalBytes(d.metadata())) {}
  bool Same(const v1::Deployment& d) const {
    return CanonicalBytes(d.spec()) == spec && CanonicalBytes(d.metadata()) == metadata;
  }
};

class Folder {
 public:
  Folder(Aggregate& agg, const v1::ChangeRecord& rec, int64_t now) : agg_(agg), rec_(rec), now_(now) {}

  FoldResult Run() {
    FoldResult result;
    if (rec_.expected_version() != agg_.version()) {
      result.outcome = Rejected(
          "Conflict",
          fmt::format("Operation cannot be fulfilled on deployments.apps \"{}\": the object has been "
                      "modified; please apply your changes to the latest version and try again",
                      rec_.name()));
      return result;
    }
    // Folded in place, without a copy to roll back to: every handler decides
    // whether to reject before it changes anything (a copy of the whole
    // aggregate per record was the largest single cost of a rebuild).
    Outcome outcome = Dispatch(agg_);
    if (!outcome.applied) {
      result.outcome = std::move(outcome);
      return result;
    }
    agg_.set_version(agg_.version() + 1);
    if (agg_.exists()) Reconcile(agg_, now_, result.controller);
    result.outcome = std::move(outcome);
    return result;
  }

 private:
  const std::string& name() const { return rec_.name(); }

  // Each handler below checks everything that can reject the record before
  // its first change to `next` (which is the aggregate itself): a rejected
  // record must leave the state untouched.
  Outcome Dispatch(Aggregate& next) {
    if (rec_.kind() == v1::CHANGE_KIND_CREATE) return Create(next, rec_.create().deployment(), "created");
    if (rec_.kind() == v1::CHANGE_KIND_APPLY && !next.exists()) {
      return Create(next, rec_.apply().deployment(), "created");
    }
    if (!next.exists()) return Rejected("NotFound", NotFoundMessage(name()));
    switch (rec_.kind()) {
      case v1::CHANGE_KIND_APPLY:
        return Apply(next);
      case v1::CHANGE_KIND_SCALE:
        return Scale(next);
      case v1::CHANGE_KIND_SET_IMAGE:
        return SetImage(next);
      case v1::CHANGE_KIND_ANNOTATE:
        return Annotate(next);
      case v1::CHANGE_KIND_ROLLBACK:
        return Rollback(next);
      case v1::CHANGE_KIND_PAUSE:
        return Pause(next, true);
      case v1::CHANGE_KIND_RESUME:
        return Pause(next, false);
      case v1::CHANGE_KIND_RESTART:
        return Restart(next);
      case v1::CHANGE_KIND_DELETE:
        return Delete(next);
      default:
        return Rejected("Rejected", "unsupported change kind");
    }
  }

  // Applies the record's change-cause (--record) and bumps the generation when
  // the user-visible object changed; returns whether it changed.
  bool Finish(Aggregate& next, const UserVisible& before) {
    if (!rec_.change_cause().empty()) {
      (*next.mutable_deployment()->mutable_metadata()->mutable_annotations())[kChangeCauseAnnotation] =
          rec_.change_cause();
    }
    const bool changed = !before.Same(next.deployment());
    if (changed) next.set_generation(next.generation() + 1);
    return changed;
  }
  // Finish() for a handler that knows whether its own change altered the
  // user-visible object (a scale, pause or image change touches one field):
  // only the change-cause is left to compare, with no serialization.
  void FinishKnown(Aggregate& next, bool changed) {
    if (!rec_.change_cause().empty()) {
      std::string& cause =
          (*next.mutable_deployment()->mutable_metadata()->mutable_annotations())[kChangeCauseAnnotation];
      if (cause != rec_.change_cause()) {
        cause = rec_.change_cause();
        changed = true;
      }
    }
    if (changed) next.set_generation(next.generation() + 1);
  }

  Outcome Create(Aggregate& next, const v1::Deployment& d, const char* verb) {
    if (next.exists()) {
      return Rejected("AlreadyExists", fmt::format("deployments.apps \"{}\" already exists", name()));
    }
    if (d.metadata().name() != name() || d.metadata().namespace_() != rec_.namespace_()) {
      return Rejected("Invalid", "the record's key does not match the Deployment's namespace/name");
    }
    FieldErrors errors = ValidateDeployment(d);
    if (!errors.empty()) return Rejected("Invalid", FormatInvalid("Deployment", name(), errors));
    const uint64_t version = next.version();
    const uint64_t seq = next.next_creation_seq();
    next.Clear();
    next.set_version(version);
    next.set_next_creation_seq(seq);
    next.set_exists(true);
    *next.mutable_deployment() = d;
    next.mutable_deployment()->mutable_metadata()->mutable_annotations()->erase(
        "deployment.kubernetes.io/revision");
    next.set_generation(1);
    next.set_created_unix_ms(now_);
    next.set_uid(rec_.id());
    if (!rec_.change_cause().empty()) {
      (*next.mutable_deployment()->mutable_metadata()->mutable_annotations())[kChangeCauseAnnotation] =
          rec_.change_cause();
    }
    return Applied(verb);
  }

  Outcome Apply(Aggregate& next) {
    // Neither the live nor the desired Deployment is copied: everything that
    // can reject reads them, and `before` keeps what Finish() compares.
    const v1::Deployment& desired = rec_.apply().deployment();
    if (desired.metadata().name() != name() || desired.metadata().namespace_() != rec_.namespace_()) {
      return Rejected("Invalid", "the record's key does not match the Deployment's namespace/name");
    }
    FieldErrors errors = ValidateDeployment(desired);
    FieldErrors update_errors = ValidateDeploymentUpdate(next.deployment(), desired);
    errors.insert(errors.end(), update_errors.begin(), update_errors.end());
    if (!errors.empty()) return Rejected("Invalid", FormatInvalid("Deployment", name(), errors));
    const UserVisible before(next.deployment());

    v1::Deployment* live = next.mutable_deployment();
    const bool paused = live->spec().paused();
    *live->mutable_spec() = desired.spec();
    // A manifest that does not ask for a pause leaves the pause state alone.
    live->mutable_spec()->set_paused(paused || desired.spec().paused());
    live->set_api_version(desired.api_version());
    if (rec_.apply().replace()) {
      const auto controller_revision =
          live->metadata().annotations().find("deployment.kubernetes.io/revision");
      std::string revision =
          controller_revision == live->metadata().annotations().end() ? "" : controller_revision->second;
      *live->mutable_metadata()->mutable_labels() = desired.metadata().labels();
      *live->mutable_metadata()->mutable_annotations() = desired.metadata().annotations();
      if (!revision.empty())
        (*live->mutable_metadata()->mutable_annotations())["deployment.kubernetes.io/revision"] = revision;
    } else {
      const LastApplied previously = LastAppliedKeys(next);
      ThreeWayMerge(*live->mutable_metadata()->mutable_labels(), desired.metadata().labels(),
                    previously.labels);
      ThreeWayMerge(*live->mutable_metadata()->mutable_annotations(), desired.metadata().annotations(),
                    previously.annotations);
    }
    return Applied(Finish(next, before) ? "configured" : "unchanged");
  }

  Outcome Scale(Aggregate& next) {
    const int32_t replicas = next.deployment().spec().replicas();
    const auto& p = rec_.scale();
    if (p.replicas() < 0) {
      return Rejected("Rejected",
                      "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0");
    }
    if (p.current_replicas() >= 0 && p.current_replicas() != replicas) {
      return Rejected("Rejected",
                      fmt::format("Expected replicas to be {}, was {}", p.current_replicas(), replicas));
    }
    next.mutable_deployment()->mutable_spec()->set_replicas(p.replicas());
    FinishKnown(next, p.replicas() != replicas);
    return Applied("scaled");
  }

  Outcome SetImage(Aggregate& next) {
    const std::string& stored = next.deployment().spec().template_json();
    const std::optional<JsonDoc> tmpl = JsonDoc::Parse(stored);
    if (!tmpl || !tmpl->root().is_object())
      return Rejected("Rejected", "stored pod template is not valid JSON");
    std::string updated;
    updated.reserve(stored.size() + 64);
    const auto& images = rec_.set_image().images();
    if (const int unmatched = SetContainerImages(tmpl->root(), images, &updated); unmatched >= 0) {
      return Rejected("Rejected",
                      fmt::format("unable to find container named \"{}\"", images[unmatched].container()));
    }
    const bool changed = updated != next.deployment().spec().template_json();
    next.mutable_deployment()->mutable_spec()->set_template_json(std::move(updated));
    FinishKnown(next, changed);
    return Applied("image updated");
  }

  Outcome Annotate(Aggregate& next) {
    const UserVisible before(next.deployment());
    const auto& p = rec_.annotate();
    auto* ann = next.mutable_deployment()->mutable_metadata()->mutable_annotations();
    if (!p.overwrite()) {
      for (const auto& [k, v] : p.set()) {
        auto it = ann->find(k);
        if (it != ann->end() && it->second != v && k != kChangeCauseAnnotation) {
          return Rejected("Rejected",
                          fmt::format("--overwrite is false but found the following declared annotation(s): "
                                      "'{}' already has a value ({})",
                                      k, it->second));
        }
      }
    }
    for (const auto& k : p.remove()) ann->erase(k);
    for (const auto& [k, v] : p.set()) (*ann)[k] = v;
    Finish(next, before);
    return Applied("annotated");
  }

  Outcome Rollback(Aggregate& next) {
    const v1::Deployment& live_before = next.deployment();  // read only until the first change below
    const int64_t to = rec_.rollback().to_revision();
    std::string error;
    const ReplicaSet* target = FindRollbackTarget(next, to, &error);
    if (target == nullptr) return Rejected("Rejected", error);
    if (live_before.spec().paused()) {
      return Rejected(
          "Rejected",
          "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and "
          "try again");
    }
    if (target->template_json().empty()) {
      // A stored ReplicaSet keeps only its template's digest; whoever folds a
      // rollback loads the text first (store/projection/templates.h). Never
      // reached by a correct caller; rejecting is deterministic, and `verify`
      // would report the disagreement with a replay.
      return Rejected("Internal",
                      fmt::format("the template of revision {} was not loaded", target->revision()));
    }
    if (target->template_json() == live_before.spec().template_json()) {
      return Applied(fmt::format("skipped rollback (current template already matches revision {})", to));
    }
    const UserVisible before(live_before);
    google::protobuf::Map<std::string, std::string> annotations;
    for (const auto& [k, v] : live_before.metadata().annotations())
      if (IsSkippedAnnotation(k)) annotations[k] = v;
    for (const auto& [k, v] : target->annotations())
      if (!IsSkippedAnnotation(k)) annotations[k] = v;
    v1::Deployment* live = next.mutable_deployment();
    live->mutable_spec()->set_template_json(target->template_json());
    *live->mutable_metadata()->mutable_annotations() = std::move(annotations);
    Finish(next, before);
    return Applied("rolled back");
  }

  Outcome Pause(Aggregate& next, bool pause) {
    if (next.deployment().spec().paused() == pause) {
      return Rejected("Rejected", fmt::format("deployments.apps \"{}\" is {}", name(),
                                              pause ? "already paused" : "not paused"));
    }
    next.mutable_deployment()->mutable_spec()->set_paused(pause);
    FinishKnown(next, /*changed=*/true);
    return Applied(pause ? "paused" : "resumed");
  }

  Outcome Restart(Aggregate& next) {
    if (next.deployment().spec().paused()) {
      return Rejected("Rejected", fmt::format("deployments.apps \"{}\" can't restart paused deployment (run "
                                              "rollout resume first)",
                                              name()));
    }
    nlohmann::json tmpl = nlohmann::json::parse(next.deployment().spec().template_json(), nullptr, false);
    if (!tmpl.is_object()) return Rejected("Rejected", "stored pod template is not valid JSON");
    const UserVisible before(next.deployment());
    auto& slot = tmpl["metadata"]["annotations"][kRestartedAtAnnotation];
    if (slot.is_string() && slot.get<std::string>() == rec_.restart().restarted_at()) {
      return Rejected("Rejected",
                      fmt::format("failed to create patch for {}: if restart has already been "
                                  "triggered within the past second, please wait before attempting "
                                  "to trigger another",
                                  name()));
    }
    slot = rec_.restart().restarted_at();
    next.mutable_deployment()->mutable_spec()->set_template_json(tmpl.dump());
    Finish(next, before);
    return Applied("restarted");
  }

  Outcome Delete(Aggregate& next) {
    next.set_exists(false);
    return Applied("deleted");
  }

  Aggregate& agg_;
  const v1::ChangeRecord& rec_;
  const int64_t now_;
};

}  // namespace

const ReplicaSet* FindRollbackTarget(const Aggregate& agg, int64_t to_revision, std::string* error) {
  if (to_revision < 0) {
    *error = fmt::format("unable to find specified revision {} in history", to_revision);
    return nullptr;
  }
  if (to_revision > 0) {
    for (const auto& rs : agg.replica_sets())
      if (rs.revision() == to_revision) return &rs;
    *error = fmt::format("unable to find specified revision {} in history", to_revision);
    return nullptr;
  }
  const ReplicaSet* max = nullptr;
  const ReplicaSet* second = nullptr;
  for (const auto& rs : agg.replica_sets()) {
    if (max == nullptr || rs.revision() > max->revision()) {
      second = max;
      max = &rs;
    } else if (second == nullptr || rs.revision() > second->revision()) {
      second = &rs;
    }
  }
  if (second == nullptr) {
    *error =
        fmt::format("no rollout history found for deployment \"{}\"", agg.deployment().metadata().name());
  }
  return second;
}

FoldResult ApplyRecord(Aggregate& agg, const v1::ChangeRecord& record, int64_t log_time_unix_ms,
                       std::string_view record_hash) {
  Folder folder(agg, record, log_time_unix_ms);
  FoldResult result = folder.Run();
  if (!result.outcome.applied) return result;
  if (record.kind() == v1::CHANGE_KIND_DELETE) {
    // Deleting a Deployment deletes its ReplicaSets (DeleteDependents).
    for (const auto& rs : agg.replica_sets()) result.controller.pruned.push_back(rs);
    agg.clear_replica_sets();
  }
  // The chain survives delete and re-create: it is the aggregate's whole story.
  agg.set_last_record_hash(std::string(record_hash));
  return result;
}

FoldResult ApplyRecord(Aggregate& agg, const v1::ChangeRecord& record, int64_t log_time_unix_ms) {
  return ApplyRecord(agg, record, log_time_unix_ms, events::RecordHash(events::EncodeRecord(record)));
}

}  // namespace rollbook::fold
