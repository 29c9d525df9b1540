#include "store/fold/rollout.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>

#include "store/fold/template.h"

namespace rollbook::fold {

namespace {

using state::v1::Aggregate;
using state::v1::Condition;
using state::v1::ReplicaSet;

constexpr int32_t kUnlimited = 2147483647;  // "unset" for history limit and deadline
constexpr size_t kMaxRevisionHistoryChars = 2000;
constexpr char kRevisionAnnotation[] = "deployment.kubernetes.io/revision";

// Resolves an IntOrString against `total`; percent rounds up or down (§6.2).
int32_t ScaledValue(const v1::IntOrString& v, int32_t total, bool round_up) {
  if (v.value_case() == v1::IntOrString::kIntValue) return v.int_value();
  if (v.value_case() != v1::IntOrString::kStrValue) return 0;
  const std::string& s = v.str_value();
  if (s.empty() || s.back() != '%') return 0;
  int64_t percent = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return 0;
    percent = std::min<int64_t>(percent * 10 + (s[i] - '0'), 1'000'000);
  }
  const int64_t product = percent * total;
  return static_cast<int32_t>(round_up ? (product + 99) / 100 : product / 100);
}

// Whether `rs` has the template with this digest. A ReplicaSet built without
// its digest (a test, a tool that sets only template_json) is hashed here.
bool HasTemplate(const ReplicaSet& rs, const std::string& digest) {
  if (rs.template_digest().empty()) return TemplateDigest(rs.template_json()) == digest;
  return rs.template_digest() == digest;
}

bool ByCreation(const ReplicaSet* a, const ReplicaSet* b) {
  if (a->created_unix_ms() != b->created_unix_ms()) return a->created_unix_ms() < b->created_unix_ms();
  return a->creation_seq() < b->creation_seq();
}

// What the syncs of one Reconcile call learn once and keep: within the call
// the Deployment's template and annotations (but its revision annotation) do
// not change, and a ReplicaSet's template never does. Each entry only saves
// work; a sync behaves the same with a fresh memo.
struct SyncMemo {
  // creation_seq of every ReplicaSet whose template is the Deployment's,
  // once `matched` (ReplicaSets created during the call are added).
  bool matched = false;
  std::vector<uint64_t> matching_seqs;
  // creation_seq of the ReplicaSet that already carries the Deployment's
  // annotations (CopyAnnotations ran on it during this call).
  std::optional<uint64_t> annotated_seq;
};

// The status as a sync found it, to tell whether the sync changed it: the
// counters always, the conditions only once the sync is about to change them
// (most syncs do not, and copying them was 5% of the fold).
class StatusBefore {
 public:
  void Take(const state::v1::DeploymentStatus& s) {
    counters_ = Counters(s);
    conditions_saved_ = false;
  }
  // Call before changing the conditions of `s`, the status passed to Take().
  void SaveConditions(const state::v1::DeploymentStatus& s) {
    if (conditions_saved_) return;
    conditions_.CopyFrom(s.conditions());  // reuses the strings of the last copy
    conditions_saved_ = true;
  }
  bool Same(const state::v1::DeploymentStatus& s) const;

 private:
  static std::array<int64_t, 7> Counters(const state::v1::DeploymentStatus& s) {
    return {s.observed_generation(), s.replicas(),           s.updated_replicas(),
            s.ready_replicas(),      s.available_replicas(), s.unavailable_replicas(),
            s.collision_count()};
  }
  std::array<int64_t, 7> counters_{};
  bool conditions_saved_ = false;
  google::protobuf::RepeatedPtrField<Condition> conditions_;
};

// One controller sync (syncDeployment) over the aggregate.
class Sync {
 public:
  // `spec_digest` is TemplateDigest of the Deployment's template.
  Sync(Aggregate& agg, int64_t now, const std::string& spec_digest, ReconcileOutput& out, SyncMemo& memo,
       StatusBefore& before)
      : agg_(agg), now_(now), spec_digest_(spec_digest), out_(out), memo_(memo), before_(before) {
    observed_.reserve(static_cast<size_t>(agg_.replica_sets_size()));
    for (const auto& rs : agg_.replica_sets()) observed_.emplace_back(rs.creation_seq(), rs.replicas());
  }

  // Returns true when the sync changed a size, created or deleted a ReplicaSet.
  bool Run() {
    CheckPausedConditions();
    if (spec().paused()) {
      SyncScaleOnly(/*cleanup_when_paused=*/true);
    } else if (IsScalingEvent()) {
      SyncScaleOnly(/*cleanup_when_paused=*/false);
    } else if (spec().strategy().type() == "Recreate") {
      RolloutRecreate();
    } else {
      RolloutRolling();
    }
    return changed_;
  }

 private:
  const v1::DeploymentSpec& spec() const { return agg_.deployment().spec(); }
  int32_t R() const { return spec().replicas(); }
  bool HasProgressDeadline() const { return spec().progress_deadline_seconds() != kUnlimited; }
  bool HasHistoryLimit() const { return spec().revision_history_limit() != kUnlimited; }
  // The spec does not change during a sync, so neither do its fenceposts.
  const Fenceposts& Posts() {
    if (!posts_) posts_ = ResolveFenceposts(spec());
    return *posts_;
  }

  // Pods of `rs` that exist and are ready: its size when this sync started
  // (instant-ready), 0 for a ReplicaSet created during this sync.
  int32_t Observed(const ReplicaSet& rs) const {
    for (const auto& [seq, size] : observed_)
      if (seq == rs.creation_seq()) return size;
    return 0;
  }

  ReplicaSet* FindNew() {
    if (!memo_.matched) {
      for (const auto& rs : agg_.replica_sets())
        if (HasTemplate(rs, spec_digest_)) memo_.matching_seqs.push_back(rs.creation_seq());
      memo_.matched = true;
    }
    ReplicaSet* best = nullptr;
    for (auto& rs : *agg_.mutable_replica_sets()) {
      const auto& seqs = memo_.matching_seqs;
      if (std::find(seqs.begin(), seqs.end(), rs.creation_seq()) == seqs.end()) continue;
      if (best == nullptr || ByCreation(&rs, best)) best = &rs;
    }
    return best;
  }

  std::vector<ReplicaSet*> Olds(const ReplicaSet* new_rs) {
    std::vector<ReplicaSet*> olds;
    for (auto& rs : *agg_.mutable_replica_sets())
      if (&rs != new_rs) olds.push_back(&rs);
    return olds;
  }

  static std::vector<ReplicaSet*> Active(const std::vector<ReplicaSet*>& rss) {
    std::vector<ReplicaSet*> out;
    for (auto* rs : rss)
      if (rs != nullptr && rs->replicas() > 0) out.push_back(rs);
    return out;
  }

  static int32_t SumSizes(const std::vector<ReplicaSet*>& rss) {
    int32_t n = 0;
    for (auto* rs : rss)
      if (rs != nullptr) n += rs->replicas();
    return n;
  }

  int32_t SumObserved(const std::vector<ReplicaSet*>& rss) const {
    int32_t n = 0;
    for (auto* rs : rss)
      if (rs != nullptr) n += Observed(*rs);
    return n;
  }

  void Emit(const std::string& reason, const std::string& message, const char* type = "Normal") {
    out_.events.push_back(ControllerEvent{type, reason, message, now_});
  }

  // SetDeploymentCondition: no-op when status and reason are unchanged; keeps
  // the transition time when only the reason changes; the new one is appended.
  // string_views: most calls change nothing, and their literals need no copy then.
  void SetCondition(std::string_view type, std::string_view status, std::string_view reason,
                    std::string_view message) {
    auto* conds = agg_.mutable_status()->mutable_conditions();
    int64_t transition = now_;
    for (int i = 0; i < conds->size(); ++i) {
      const Condition& c = conds->Get(i);
      if (c.type() != type) continue;
      if (c.status() == status && c.reason() == reason) return;
      if (c.status() == status) transition = c.last_transition_unix_ms();
      before_.SaveConditions(agg_.status());
      conds->erase(conds->begin() + i);
      break;
    }
    before_.SaveConditions(agg_.status());
    Condition* c = conds->Add();
    c->set_type(type.data(), type.size());
    c->set_status(status.data(), status.size());
    c->set_reason(reason.data(), reason.size());
    c->set_message(message.data(), message.size());
    c->set_last_update_unix_ms(now_);
    c->set_last_transition_unix_ms(transition);
  }

  const Condition* GetCondition(std::string_view type) const {
    for (const auto& c : agg_.status().conditions())
      if (c.type() == type) return &c;
    return nullptr;
  }

  // Whether SetCondition(type, status, reason, ...) would leave the conditions as they are.
  bool HasCondition(std::string_view type, std::string_view status, std::string_view reason) const {
    const Condition* c = GetCondition(type);
    return c != nullptr && c->status() == status && c->reason() == reason;
  }

  void RemoveCondition(std::string_view type) {
    auto* conds = agg_.mutable_status()->mutable_conditions();
    for (int i = 0; i < conds->size(); ++i) {
      if (conds->Get(i).type() == type) {
        before_.SaveConditions(agg_.status());
        conds->erase(conds->begin() + i);
        return;
      }
    }
  }

  void CheckPausedConditions() {
    if (!HasProgressDeadline()) return;
    const Condition* cond = GetCondition("Progressing");
    if (cond != nullptr && cond->reason() == "ProgressDeadlineExceeded") return;
    const bool paused_cond = cond != nullptr && cond->reason() == "DeploymentPaused";
    if (spec().paused() && !paused_cond) {
      SetCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused");
    } else if (!spec().paused() && paused_cond) {
      SetCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed");
    }
  }

  // Copies the Deployment's annotations onto the new ReplicaSet (add/overwrite).
  void CopyAnnotations(ReplicaSet& rs) {
    for (const auto& [k, v] : agg_.deployment().metadata().annotations()) {
      if (IsSkippedAnnotation(k)) continue;
      std::string& slot = (*rs.mutable_annotations())[k];
      if (slot != v) slot = v;  // runs every sync; most of the time nothing changed
    }
  }

  static void AppendRevisionHistory(ReplicaSet& rs, int64_t old_revision) {
    std::string history = rs.revision_history();
    const std::string item = std::to_string(old_revision);
    history = history.empty() ? item : history + "," + item;
    // Drop the oldest entries until it fits; give up if even one cannot.
    while (history.size() > kMaxRevisionHistoryChars) {
      const size_t comma = history.find(',');
      if (comma == std::string::npos) return;
      history.erase(0, comma + 1);
    }
    rs.set_revision_history(history);
  }

  // getAllReplicaSetsAndSyncRevision: returns the new RS (created when allowed).
  ReplicaSet* ResolveReplicaSets(bool create_if_missing) {
    ReplicaSet* new_rs = FindNew();
    int64_t max_old = 0;
    for (const auto& rs : agg_.replica_sets())
      if (&rs != new_rs) max_old = std::max(max_old, rs.revision());
    const int64_t candidate = max_old + 1;

    if (new_rs != nullptr) {
      if (memo_.annotated_seq != new_rs->creation_seq()) {
        CopyAnnotations(*new_rs);
        memo_.annotated_seq = new_rs->creation_seq();
      }
      if (new_rs->revision() < candidate) {
        if (new_rs->revision() > 0) AppendRevisionHistory(*new_rs, new_rs->revision());
        new_rs->set_revision(candidate);
      }
      if (HasProgressDeadline() && GetCondition("Progressing") == nullptr) {
        SetCondition("Progressing", "True", "FoundNewReplicaSet",
                     fmt::format("Found new replica set \"{}\"", new_rs->name()));
      }
    } else if (create_if_missing) {
      new_rs = CreateReplicaSet(candidate);
    }
    if (new_rs != nullptr) SetRevisionAnnotation(new_rs->revision());
    return new_rs;
  }

  // Sets the Deployment's revision annotation; read first, since it rarely
  // changes and this runs several times per record.
  void SetRevisionAnnotation(int64_t revision) {
    static const std::string key = kRevisionAnnotation;  // one allocation, not one per call
    std::string value = std::to_string(revision);
    const auto& annotations = agg_.deployment().metadata().annotations();
    const auto it = annotations.find(key);
    if (it != annotations.end() && it->second == value) return;
    (*agg_.mutable_deployment()->mutable_metadata()->mutable_annotations())[key] = std::move(value);
  }

  ReplicaSet* CreateReplicaSet(int64_t revision) {
    const std::string& tmpl = spec().template_json();
    std::string hash, name;
    for (;;) {
      const int32_t cc = agg_.status().collision_count();
      hash = PodTemplateHash(tmpl, cc > 0 ? std::optional<int32_t>(cc) : std::nullopt);
      name = agg_.deployment().metadata().name() + "-" + hash;
      bool taken = false;
      for (const auto& rs : agg_.replica_sets()) taken = taken || rs.name() == name;
      if (!taken) break;
      agg_.mutable_status()->set_collision_count(cc + 1);
    }
    int32_t size = R();
    if (spec().strategy().type() != "Recreate") {
      const int32_t max_total = R() + Posts().max_surge;
      int32_t current = 0;
      for (const auto& rs : agg_.replica_sets()) current += rs.replicas();
      size = current >= max_total ? 0 : std::min(max_total - current, R());
    }
    ReplicaSet* rs = agg_.add_replica_sets();
    rs->set_name(name);
    rs->set_pod_template_hash(hash);
    rs->set_revision(revision);
    rs->set_template_json(tmpl);
    rs->set_template_digest(spec_digest_);
    CopyAnnotations(*rs);
    rs->set_replicas(size);
    rs->set_desired_replicas(R());
    rs->set_max_replicas(R() + Posts().max_surge);
    rs->set_created_unix_ms(now_);
    rs->set_creation_seq(agg_.next_creation_seq());
    agg_.set_next_creation_seq(agg_.next_creation_seq() + 1);
    if (memo_.matched) memo_.matching_seqs.push_back(rs->creation_seq());
    memo_.annotated_seq = rs->creation_seq();
    changed_ = true;
    if (size > 0) Emit("ScalingReplicaSet", fmt::format("Scaled up replica set {} from 0 to {}", name, size));
    if (HasProgressDeadline()) {
      SetCondition("Progressing", "True", "NewReplicaSetCreated",
                   fmt::format("Created new replica set \"{}\"", name));
    }
    return rs;
  }

  // scaleReplicaSet: refreshes desired/max annotations; returns true on a size change.
  bool ScaleReplicaSet(ReplicaSet& rs, int32_t new_size, const char* operation) {
    const Fenceposts posts = Posts();
    const int32_t old_size = rs.replicas();
    rs.set_desired_replicas(R());
    rs.set_max_replicas(R() + posts.max_surge);
    if (old_size == new_size) return false;
    rs.set_replicas(new_size);
    changed_ = true;
    Emit("ScalingReplicaSet",
         fmt::format("Scaled {} replica set {} from {} to {}", operation, rs.name(), old_size, new_size));
    return true;
  }

  bool ScaleAndRecord(ReplicaSet& rs, int32_t new_size) {
    if (rs.replicas() == new_size) return false;
    return ScaleReplicaSet(rs, new_size, new_size > rs.replicas() ? "up" : "down");
  }

  bool IsScalingEvent() {
    ReplicaSet* new_rs = ResolveReplicaSets(false);
    std::vector<ReplicaSet*> all = Olds(new_rs);
    if (new_rs != nullptr) all.push_back(new_rs);
    for (auto* rs : Active(all))
      if (rs->desired_replicas() != R()) return true;
    return false;
  }

  bool IsSaturated(const ReplicaSet* rs) const {
    return rs != nullptr && rs->replicas() == R() && rs->desired_replicas() == R() && Observed(*rs) == R();
  }

  // dc.scale: one active RS takes everything, else proportional scaling.
  void Scale(ReplicaSet* new_rs, std::vector<ReplicaSet*> olds) {
    // FindActiveOrLatest
    std::vector<ReplicaSet*> all = olds;
    if (new_rs != nullptr) all.push_back(new_rs);
    if (!all.empty()) {
      std::vector<ReplicaSet*> active = Active(all);
      ReplicaSet* target = nullptr;
      if (active.size() == 1) {
        target = active[0];
      } else if (active.empty()) {
        if (new_rs != nullptr) {
          target = new_rs;
        } else {
          target = *std::max_element(olds.begin(), olds.end(), ByCreation);
        }
      }
      if (target != nullptr) {
        if (target->replicas() != R()) ScaleAndRecord(*target, R());
        return;
      }
    }
    if (IsSaturated(new_rs)) {
      for (auto* rs : Active(olds)) ScaleAndRecord(*rs, 0);
      return;
    }
    if (spec().strategy().type() == "Recreate") return;

    std::vector<ReplicaSet*> active = Active(all);
    const int32_t allowed = R() > 0 ? R() + Posts().max_surge : 0;
    const int32_t to_add = allowed - SumSizes(active);
    if (to_add > 0) {
      std::sort(active.begin(), active.end(), [](const ReplicaSet* a, const ReplicaSet* b) {
        if (a->replicas() != b->replicas()) return a->replicas() > b->replicas();
        return ByCreation(b, a);  // newer first
      });
    } else if (to_add < 0) {
      std::sort(active.begin(), active.end(), [](const ReplicaSet* a, const ReplicaSet* b) {
        if (a->replicas() != b->replicas()) return a->replicas() > b->replicas();
        return ByCreation(a, b);  // older first
      });
    }
    std::vector<int32_t> sizes;
    int32_t added = 0;
    for (auto* rs : active) {
      int32_t proportion = 0;
      if (to_add != 0 && rs->replicas() != 0 && to_add != added) {
        int32_t fraction;
        if (R() == 0) {
          fraction = -rs->replicas();
        } else {
          int32_t before = rs->max_replicas();
          if (before == 0) before = agg_.status().replicas();
          const double scaled =
              before == 0 ? rs->replicas() : static_cast<double>(rs->replicas()) * allowed / before;
          fraction = static_cast<int32_t>(std::lround(scaled)) - rs->replicas();
        }
        const int32_t remaining = to_add - added;
        proportion = to_add > 0 ? std::min(fraction, remaining) : std::max(fraction, remaining);
      }
      sizes.push_back(rs->replicas() + proportion);
      added += proportion;
    }
    const char* operation = to_add > 0 ? "up" : "down";
    for (size_t i = 0; i < active.size(); ++i) {
      if (i == 0 && to_add != 0) sizes[0] = std::max(0, sizes[0] + to_add - added);
      ScaleReplicaSet(*active[i], sizes[i], operation);
    }
  }

  // cleanupDeployment (§5.3).
  void Cleanup(ReplicaSet* new_rs) {
    if (!HasHistoryLimit()) return;
    std::vector<ReplicaSet*> olds = Olds(new_rs);
    const int64_t excess = static_cast<int64_t>(olds.size()) - spec().revision_history_limit();
    if (excess <= 0) return;
    std::sort(olds.begin(), olds.end(), [](const ReplicaSet* a, const ReplicaSet* b) {
      if (a->revision() != b->revision()) return a->revision() < b->revision();
      return ByCreation(a, b);
    });
    std::vector<std::string> doomed;
    for (int64_t i = 0; i < excess; ++i) {
      const ReplicaSet* rs = olds[static_cast<size_t>(i)];
      if (rs->replicas() != 0 || Observed(*rs) != 0) continue;
      doomed.push_back(rs->name());
    }
    if (doomed.empty()) return;
    auto* list = agg_.mutable_replica_sets();
    for (int i = list->size() - 1; i >= 0; --i) {
      if (std::find(doomed.begin(), doomed.end(), list->Get(i).name()) == doomed.end()) continue;
      out_.pruned.push_back(list->Get(i));
      list->erase(list->begin() + i);
    }
    changed_ = true;
  }

  bool Complete(const state::v1::DeploymentStatus& s) const {
    return s.updated_replicas() == R() && s.replicas() == R() && s.available_replicas() == R() &&
           s.observed_generation() >= agg_.generation();
  }

  // calculateStatus, using the pod counts observed when this sync started.
  // Updates the counts in place (conditions stay): the status is copied on
  // every record otherwise, which showed up in rebuild profiles.
  void CalculateStatus(const ReplicaSet* new_rs) {
    int32_t total = 0, spec_total = 0;
    for (const auto& rs : agg_.replica_sets()) {
      total += Observed(rs);
      spec_total += rs.replicas();
    }
    state::v1::DeploymentStatus& s = *agg_.mutable_status();
    s.set_observed_generation(agg_.generation());
    s.set_replicas(total);
    s.set_updated_replicas(new_rs != nullptr ? Observed(*new_rs) : 0);
    s.set_ready_replicas(total);
    s.set_available_replicas(total);
    s.set_unavailable_replicas(std::max(0, spec_total - total));
  }

  void SetAvailableCondition(const state::v1::DeploymentStatus& s) {
    if (s.available_replicas() >= R() - Posts().max_unavailable) {
      SetCondition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.");
    } else {
      SetCondition("Available", "False", "MinimumReplicasUnavailable",
                   "Deployment does not have minimum availability.");
    }
  }

  // syncDeploymentStatus (scale-only path): status and the Available condition.
  void SyncStatus(const ReplicaSet* new_rs) {
    CalculateStatus(new_rs);
    SetAvailableCondition(agg_.status());
  }

  // syncRolloutStatus: status plus the Progressing condition.
  void SyncRolloutStatus(const ReplicaSet* new_rs) {
    struct Counts {
      int32_t replicas, updated, ready, available;
    };
    const Counts old_status{agg_.status().replicas(), agg_.status().updated_replicas(),
                            agg_.status().ready_replicas(), agg_.status().available_replicas()};
    CalculateStatus(new_rs);
    const state::v1::DeploymentStatus& s = agg_.status();  // counts are not touched by SetCondition below
    SetAvailableCondition(s);
    if (!HasProgressDeadline()) {
      RemoveCondition("Progressing");
      return;
    }
    const Condition* cur = GetCondition("Progressing");
    const bool complete_already =
        s.replicas() == s.updated_replicas() && cur != nullptr && cur->reason() == "NewReplicaSetAvailable";
    if (complete_already) return;
    // Formatted only for a condition that changes: most syncs of a rollout
    // find it already "ReplicaSetUpdated".
    auto subject = [&] {
      return new_rs != nullptr ? fmt::format("ReplicaSet \"{}\"", new_rs->name())
                               : fmt::format("Deployment \"{}\"", agg_.deployment().metadata().name());
    };
    if (Complete(s)) {
      SetCondition("Progressing", "True", "NewReplicaSetAvailable",
                   subject() + " has successfully progressed.");
      return;
    }
    const bool progressing =
        s.updated_replicas() > old_status.updated ||
        (s.replicas() - s.updated_replicas()) < (old_status.replicas - old_status.updated) ||
        s.ready_replicas() > old_status.ready || s.available_replicas() > old_status.available;
    if (progressing && !HasCondition("Progressing", "True", "ReplicaSetUpdated")) {
      SetCondition("Progressing", "True", "ReplicaSetUpdated", subject() + " is progressing.");
    }
  }

  void SyncScaleOnly(bool paused_path) {
    ReplicaSet* new_rs = ResolveReplicaSets(false);
    Scale(new_rs, Olds(new_rs));
    if (paused_path) Cleanup(new_rs);
    new_rs = FindNew();
    SyncStatus(new_rs);
  }

  void RolloutRolling() {
    const bool complete_at_start = Complete(agg_.status());
    ReplicaSet* new_rs = ResolveReplicaSets(true);
    if (ReconcileNew(*new_rs) || ReconcileOld(*new_rs)) {
      SyncRolloutStatus(new_rs);
      return;
    }
    if (complete_at_start) Cleanup(new_rs);
    SyncRolloutStatus(FindNew());
  }

  bool ReconcileNew(ReplicaSet& new_rs) {
    if (new_rs.replicas() == R()) return false;
    if (new_rs.replicas() > R()) return ScaleAndRecord(new_rs, R());
    int32_t current = 0;
    for (const auto& rs : agg_.replica_sets()) current += rs.replicas();
    const int32_t max_total = R() + Posts().max_surge;
    int32_t target = new_rs.replicas();
    if (current < max_total) target += std::min(max_total - current, R() - new_rs.replicas());
    return ScaleAndRecord(new_rs, target);
  }

  bool ReconcileOld(ReplicaSet& new_rs) {
    std::vector<ReplicaSet*> old_active = Active(Olds(&new_rs));
    if (SumSizes(old_active) == 0) return false;
    std::vector<ReplicaSet*> all = Olds(nullptr);
    const int32_t min_available = R() - Posts().max_unavailable;
    const int32_t new_unavailable = new_rs.replicas() - Observed(new_rs);
    const int32_t max_scaled_down = SumSizes(all) - min_available - new_unavailable;
    if (max_scaled_down <= 0) return false;

    int32_t total_scaled_down = 0;
    // cleanupUnhealthyReplicas: old pods that exist but are not ready go first.
    std::sort(old_active.begin(), old_active.end(), ByCreation);
    for (auto* rs : old_active) {
      if (total_scaled_down >= max_scaled_down) break;
      const int32_t unhealthy = rs->replicas() - Observed(*rs);
      if (unhealthy <= 0) continue;
      const int32_t down = std::min(max_scaled_down - total_scaled_down, unhealthy);
      ScaleAndRecord(*rs, rs->replicas() - down);
      total_scaled_down += down;
    }
    // scaleDownOldReplicaSetsForRollingUpdate
    int32_t available = 0;
    for (const auto& rs : agg_.replica_sets()) available += std::min(Observed(rs), rs.replicas());
    if (available > min_available) {
      const int32_t to_scale_down = available - min_available;
      int32_t scaled = 0;
      for (auto* rs : old_active) {
        if (scaled >= to_scale_down) break;
        if (rs->replicas() == 0) continue;
        const int32_t down = std::min(rs->replicas(), to_scale_down - scaled);
        ScaleAndRecord(*rs, rs->replicas() - down);
        scaled += down;
      }
      total_scaled_down += scaled;
    }
    return total_scaled_down > 0;
  }

  void RolloutRecreate() {
    const bool complete_at_start = Complete(agg_.status());
    ReplicaSet* new_rs = ResolveReplicaSets(false);
    bool scaled_down = false;
    for (auto* rs : Active(Olds(new_rs))) scaled_down = ScaleAndRecord(*rs, 0) || scaled_down;
    if (scaled_down) {
      SyncRolloutStatus(new_rs);
      return;
    }
    for (auto* rs : Olds(new_rs)) {
      if (Observed(*rs) > 0) {  // old pods still running: wait for the next sync
        SyncRolloutStatus(new_rs);
        return;
      }
    }
    if (new_rs == nullptr) new_rs = ResolveReplicaSets(true);
    if (ScaleAndRecord(*new_rs, R())) {
      SyncRolloutStatus(new_rs);
      return;
    }
    if (complete_at_start) Cleanup(new_rs);
    SyncRolloutStatus(FindNew());
  }

  Aggregate& agg_;
  const int64_t now_;
  const std::string& spec_digest_;
  ReconcileOutput& out_;
  SyncMemo& memo_;
  StatusBefore& before_;
  // creation_seq -> size when the sync started, for the dozen or so live
  // ReplicaSets (creation_seq is unique within the aggregate; a linear scan
  // beats a map of names at this size).
  std::vector<std::pair<uint64_t, int32_t>> observed_;
  std::optional<Fenceposts> posts_;
  bool changed_ = false;
};

}  // namespace

Fenceposts ResolveFenceposts(const v1::DeploymentSpec& spec) {
  Fenceposts f;
  if (spec.strategy().type() == "Recreate") return f;
  const auto& ru = spec.strategy().rolling_update();
  f.max_surge = ScaledValue(ru.max_surge(), spec.replicas(), /*round_up=*/true);
  f.max_unavailable = ScaledValue(ru.max_unavailable(), spec.replicas(), /*round_up=*/false);
  if (f.max_surge == 0 && f.max_unavailable == 0) f.max_unavailable = 1;
  f.max_unavailable = std::min(f.max_unavailable, spec.replicas());
  return f;
}

bool IsSkippedAnnotation(const std::string& key) {
  return key == "kubectl.kubernetes.io/last-applied-configuration" || key == kRevisionAnnotation ||
         key == "deployment.kubernetes.io/revision-history" ||
         key == "deployment.kubernetes.io/desired-replicas" ||
         key == "deployment.kubernetes.io/max-replicas" || key == "deprecated.deployment.rollback.to";
}

namespace {
// Field by field: serializing both sides to compare them was a few percent
// of a rebuild. A field added to Condition must be added here, one added to
// DeploymentStatus to StatusBefore::Counters (or saved like the conditions).
bool SameCondition(const state::v1::Condition& a, const state::v1::Condition& b) {
  return a.type() == b.type() && a.status() == b.status() && a.reason() == b.reason() &&
         a.message() == b.message() && a.last_update_unix_ms() == b.last_update_unix_ms() &&
         a.last_transition_unix_ms() == b.last_transition_unix_ms();
}
bool StatusBefore::Same(const state::v1::DeploymentStatus& s) const {
  if (Counters(s) != counters_) return false;
  if (!conditions_saved_) return true;  // not changed since Take()
  if (s.conditions_size() != conditions_.size()) return false;
  for (int i = 0; i < s.conditions_size(); ++i) {
    if (!SameCondition(s.conditions(i), conditions_.Get(i))) return false;
  }
  return true;
}
}  // namespace

void Reconcile(state::v1::Aggregate& agg, int64_t now_unix_ms, ReconcileOutput& out) {
  // Each sync either changes something or is the fixpoint; a rollout needs at
  // most a few syncs per replica, the bound only guards against a bug looping.
  const int max_syncs = 64 + 4 * std::max(0, agg.deployment().spec().replicas());
  // As in Kubernetes, a status update triggers another sync: cleanup runs
  // only in a sync that starts from a complete status, so the loop ends only
  // when a sync changes neither sizes nor status.
  const std::string spec_digest = TemplateDigest(agg.deployment().spec().template_json());
  // One copy per thread, reused across syncs and records: CopyFrom into it
  // reuses its strings and conditions instead of allocating them. It is
  // scratch space only, overwritten before every use, so the fold stays a
  // pure function of its inputs.
  static thread_local StatusBefore status_before;
  SyncMemo memo;
  for (int i = 0; i < max_syncs; ++i) {
    status_before.Take(agg.status());
    Sync sync(agg, now_unix_ms, spec_digest, out, memo, status_before);
    const bool changed = sync.Run();
    if (!changed && status_before.Same(agg.status())) return;
  }
}

}  // namespace rollbook::fold
