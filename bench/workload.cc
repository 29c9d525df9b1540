#include "bench/workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "events/codec.h"
#include "store/fold/fold.h"
#include "store/fold/manifest.h"

namespace rollbook::bench {

namespace {

constexpr int kNamespaces = 10;
constexpr int kRevisionHistoryLimit = 10;
const char* const kTiers[] = {"web", "api", "db", "cache"};
const char* const kEnvs[] = {"dev", "staging", "prod"};
const char* const kTeams[] = {"payments", "search", "identity", "catalog", "checkout", "platform"};
const char* const kActors[] = {"alice", "bob",   "carol", "dave", "erin",    "frank",
                               "grace", "heidi", "ivan",  "judy", "mallory", "ci-bot"};
const char* const kHosts[] = {"ci-runner-1", "ci-runner-2", "ci-runner-3",
                              "laptop-7f3a", "laptop-c210", "bastion"};

int64_t RevisionOf(const state::v1::Aggregate& agg) {
  const auto& ann = agg.deployment().metadata().annotations();
  auto it = ann.find("deployment.kubernetes.io/revision");
  return it == ann.end() ? 0 : std::stoll(it->second);
}

}  // namespace

struct WorkloadGenerator::Target {
  std::string ns, name, tier, env, team;
  bool sidecar = false;
  bool hot = false;
  int64_t build = 0;  // bumped by every template change: makes each template new
  int64_t records = 0;
  state::v1::Aggregate agg;
};

WorkloadGenerator::WorkloadGenerator(const WorkloadOptions& options)
    : options_(options), rng_(options.seed) {}
WorkloadGenerator::~WorkloadGenerator() = default;

StatusOr<std::unique_ptr<WorkloadGenerator>> WorkloadGenerator::Create(const WorkloadOptions& options) {
  if (options.deployments < 1 || options.records < options.deployments) {
    return InvalidArgument(
        fmt::format("workload: need at least 1 Deployment and at least as many records as "
                    "Deployments (got {} Deployments, {} records)",
                    options.deployments, options.records));
  }
  if (options.hot_deployments < 0 || options.hot_deployments > options.deployments ||
      options.hot_share * options.hot_deployments >= 1.0 || options.hot_share < 0) {
    return InvalidArgument(fmt::format("workload: {} hot Deployments with a share of {} each do not fit",
                                       options.hot_deployments, options.hot_share));
  }
  std::unique_ptr<WorkloadGenerator> g(new WorkloadGenerator(options));
  RB_RETURN_IF_ERROR(g->Init());
  return g;
}

Status WorkloadGenerator::Init() {
  for (int64_t i = 0; i < options_.deployments; ++i) {
    auto t = std::make_unique<Target>();
    t->hot = i < options_.hot_deployments;
    if (t->hot) {
      t->ns = "default";
      t->name = fmt::format("hot-{}", i);
    } else {
      t->ns = fmt::format("team-{:02}", i % kNamespaces);
      t->name = fmt::format("svc-{:05}", i);
    }
    t->tier = kTiers[rng_() % std::size(kTiers)];
    t->env = kEnvs[rng_() % std::size(kEnvs)];
    t->team = kTeams[rng_() % std::size(kTeams)];
    t->sidecar = rng_() % 10 < 3;
    targets_.push_back(std::move(t));
  }
  summary_.first_client_ms = options_.start_unix_ms;
  for (int i = 0; i < options_.hot_deployments; ++i)
    summary_.hot.push_back({"default", fmt::format("hot-{}", i)});
  return Status::Ok();
}

const state::v1::Aggregate* WorkloadGenerator::Find(const std::string& ns, const std::string& name) const {
  for (const auto& t : targets_)
    if (t->ns == ns && t->name == name) return &t->agg;
  return nullptr;
}

std::string WorkloadGenerator::NewId() {
  uint64_t hi = rng_(), lo = rng_();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff,
                     lo >> 48, lo & 0xffffffffffffULL);
}

void WorkloadGenerator::Envelope(Target& t, v1::ChangeKind kind, v1::ChangeRecord& rec) {
  rec.Clear();
  rec.set_schema_version(events::kSchemaVersion);
  rec.set_id(NewId());
  rec.set_namespace_(t.ns);
  rec.set_name(t.name);
  rec.set_kind(kind);
  rec.set_expected_version(t.agg.version());
  rec.set_prev_record_hash(t.agg.last_record_hash());  // the chain head (events/chain.h)
  const char* actor = kActors[rng_() % std::size(kActors)];
  rec.set_actor(actor);
  rec.set_host(kHosts[rng_() % std::size(kHosts)]);
  // Spread evenly over the span, in record order (non-decreasing).
  const int64_t offset = static_cast<int64_t>(static_cast<long double>(options_.span_ms) * emitted_ /
                                              std::max<int64_t>(1, options_.records - 1));
  rec.set_client_time_unix_ms(options_.start_unix_ms + offset);
}

namespace {

// The manifest a team would keep in git for this Deployment, build `build`.
nlohmann::json Manifest(const std::string& ns, const std::string& name, const std::string& tier,
                        const std::string& env, const std::string& team, bool sidecar, int64_t build,
                        int32_t replicas) {
  using nlohmann::json;
  json labels = {{"app", name}, {"tier", tier}, {"env", env}, {"team", team}};
  json app = {
      {"name", "app"},
      {"image", fmt::format("registry.example.com/{}/{}:1.{}.{}", team, name, build / 100, build % 100)},
      {"ports", json::array({{{"containerPort", 8080}, {"name", "http"}}})},
      {"env", json::array({{{"name", "LOG_LEVEL"}, {"value", env == "prod" ? "info" : "debug"}},
                           {{"name", "BUILD"}, {"value", std::to_string(build)}}})},
      {"resources",
       {{"requests", {{"cpu", "100m"}, {"memory", "128Mi"}}},
        {"limits", {{"cpu", "500m"}, {"memory", "256Mi"}}}}},
      {"readinessProbe", {{"httpGet", {{"path", "/healthz"}, {"port", 8080}}}, {"periodSeconds", 5}}},
  };
  json containers = json::array({app});
  if (sidecar) {
    containers.push_back({{"name", "proxy"},
                          {"image", "registry.example.com/platform/envoy:1.29.1"},
                          {"ports", json::array({{{"containerPort", 9901}}})}});
  }
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
      {"spec",
       {{"replicas", replicas},
        {"revisionHistoryLimit", kRevisionHistoryLimit},
        {"selector", {{"matchLabels", {{"app", name}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", name}, {"tier", tier}, {"env", env}}}}},
          {"spec", {{"containers", containers}}}}}}},
  };
}

}  // namespace

Status WorkloadGenerator::BuildCreate(Target& t, v1::ChangeRecord& rec) {
  const int32_t replicas = 1 + static_cast<int32_t>(rng_() % 6);
  RB_ASSIGN_OR_RETURN(v1::Deployment d,
                      fold::DeploymentFromManifest(
                          Manifest(t.ns, t.name, t.tier, t.env, t.team, t.sidecar, t.build, replicas), t.ns));
  const std::string cause =
      fmt::format("rollbook create --filename=deploy/{}.yaml --namespace={} --record=true", t.name, t.ns);
  (*d.mutable_metadata()->mutable_annotations())[fold::kChangeCauseAnnotation] = cause;
  rec.set_change_cause(cause);
  rec.set_command_line(fmt::format("rollbook create -f deploy/{}.yaml -n {} --record", t.name, t.ns));
  *rec.mutable_create()->mutable_deployment() = std::move(d);
  return Status::Ok();
}

Status WorkloadGenerator::BuildApply(Target& t, v1::ChangeRecord& rec) {
  ++t.build;
  RB_ASSIGN_OR_RETURN(v1::Deployment d,
                      fold::DeploymentFromManifest(Manifest(t.ns, t.name, t.tier, t.env, t.team, t.sidecar,
                                                            t.build, t.agg.deployment().spec().replicas()),
                                                   t.ns));
  auto* ann = d.mutable_metadata()->mutable_annotations();
  const bool record = rng_() % 2 == 0;
  const std::string cause =
      record
          ? fmt::format("rollbook apply --filename=deploy/{}.yaml --namespace={} --record=true", t.name, t.ns)
          : "";
  if (record) (*ann)[fold::kChangeCauseAnnotation] = cause;
  nlohmann::json applied = fold::DeploymentToJson(d);  // what kubectl apply keeps for its three-way merge
  applied["apiVersion"] = d.api_version();
  (*ann)[fold::kLastAppliedAnnotation] = applied.dump() + "\n";
  rec.set_change_cause(cause);
  rec.set_command_line(
      fmt::format("rollbook apply -f deploy/{}.yaml -n {}{}", t.name, t.ns, record ? " --record" : ""));
  *rec.mutable_apply()->mutable_deployment() = std::move(d);
  return Status::Ok();
}

void WorkloadGenerator::BuildSetImage(Target& t, v1::ChangeRecord& rec) {
  ++t.build;
  const bool proxy = t.sidecar && rng_() % 5 == 0;
  const std::string container = proxy ? "proxy" : "app";
  const std::string image =
      proxy ? fmt::format("registry.example.com/platform/envoy:1.{}.{}", 29 + t.build / 50, t.build % 50)
            : fmt::format("registry.example.com/{}/{}:1.{}.{}", t.team, t.name, t.build / 100, t.build % 100);
  auto* ci = rec.mutable_set_image()->add_images();
  ci->set_container(container);
  ci->set_image(image);
  const bool record = rng_() % 10 < 7;
  const std::string args = fmt::format("set image deployment/{} {}={} -n {}", t.name, container, image, t.ns);
  rec.set_command_line("rollbook " + args + (record ? " --record" : ""));
  if (record) {
    rec.set_change_cause(fmt::format("rollbook set image deployment/{} {}={} --namespace={} --record=true",
                                     t.name, container, image, t.ns));
  }
}

void WorkloadGenerator::BuildScale(Target& t, v1::ChangeRecord& rec) {
  const int32_t current = t.agg.deployment().spec().replicas();
  int32_t replicas = 1 + static_cast<int32_t>(rng_() % 12);
  if (replicas == current) replicas = replicas % 12 + 1;
  rec.mutable_scale()->set_replicas(replicas);
  rec.mutable_scale()->set_current_replicas(-1);
  const bool record = rng_() % 5 == 0;
  rec.set_command_line(fmt::format("rollbook scale deployment/{} --replicas={} -n {}{}", t.name, replicas,
                                   t.ns, record ? " --record" : ""));
  if (record) {
    rec.set_change_cause(fmt::format(
        "rollbook scale deployment/{} --replicas={} --namespace={} --record=true", t.name, replicas, t.ns));
  }
}

void WorkloadGenerator::BuildAnnotate(Target& t, v1::ChangeRecord& rec) {
  auto* p = rec.mutable_annotate();
  p->set_overwrite(true);
  std::string key, value;
  if (rng_() % 2 == 0) {
    key = fold::kChangeCauseAnnotation;
    value =
        fmt::format("ticket OPS-{}: {}", rng_() % 100000, rng_() % 2 ? "hotfix rollout" : "capacity change");
  } else {
    key = "example.com/oncall";
    value = kActors[rng_() % std::size(kActors)];
  }
  (*p->mutable_set())[key] = value;
  rec.set_command_line(
      fmt::format("rollbook annotate deployment/{} {}=\"{}\" --overwrite -n {}", t.name, key, value, t.ns));
}

bool WorkloadGenerator::BuildUndo(Target& t, v1::ChangeRecord& rec) {
  const state::v1::Aggregate& agg = t.agg;
  if (agg.deployment().spec().paused()) return false;  // the fold refuses to roll back a paused Deployment
  const std::string& current = agg.deployment().spec().template_json();
  int64_t to_revision = 0;
  if (rng_() % 2 == 0) {
    std::vector<int64_t> candidates;
    for (const auto& rs : agg.replica_sets())
      if (rs.template_json() != current) candidates.push_back(rs.revision());
    if (candidates.empty()) return false;
    std::sort(candidates.begin(), candidates.end());
    to_revision = candidates[rng_() % candidates.size()];
  } else {
    std::string error;
    const state::v1::ReplicaSet* target = fold::FindRollbackTarget(agg, 0, &error);
    if (target == nullptr || target->template_json() == current) return false;
  }
  rec.mutable_rollback()->set_to_revision(to_revision);
  rec.set_command_line(fmt::format("rollbook rollout undo deployment/{}{} -n {}", t.name,
                                   to_revision > 0 ? fmt::format(" --to-revision={}", to_revision) : "",
                                   t.ns));
  return true;
}

WorkloadGenerator::Target& WorkloadGenerator::PickTarget() {
  const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
  const int hot = options_.hot_deployments;
  if (hot > 0 && u < options_.hot_share * hot) return *targets_[static_cast<size_t>(u / options_.hot_share)];
  const size_t cold = targets_.size() - static_cast<size_t>(hot);
  if (cold == 0) return *targets_[rng_() % targets_.size()];
  return *targets_[static_cast<size_t>(hot) + rng_() % cold];
}

StatusOr<bool> WorkloadGenerator::Next(v1::ChangeRecord* out) {
  if (emitted_ >= options_.records) return false;
  Target* t = nullptr;
  v1::ChangeRecord& rec = *out;  // built in place: the caller may keep records on an arena
  if (emitted_ < options_.deployments) {
    t = targets_[static_cast<size_t>(emitted_)].get();
    Envelope(*t, v1::CHANGE_KIND_CREATE, rec);
    RB_RETURN_IF_ERROR(BuildCreate(*t, rec));
  } else {
    const uint64_t roll = rng_() % 1000;
    if (roll >= 950 && roll < 990) {  // undo: needs an unpaused Deployment with an older template
      for (int attempt = 0; attempt < 50 && t == nullptr; ++attempt) {
        Target& candidate = PickTarget();
        Envelope(candidate, v1::CHANGE_KIND_ROLLBACK, rec);
        if (BuildUndo(candidate, rec)) t = &candidate;
      }
    }
    if (t == nullptr) {
      t = &PickTarget();
      if (roll < 600 || (roll >= 950 && roll < 990)) {
        Envelope(*t, v1::CHANGE_KIND_SCALE, rec);
        BuildScale(*t, rec);
      } else if (roll < 800) {
        Envelope(*t, v1::CHANGE_KIND_SET_IMAGE, rec);
        BuildSetImage(*t, rec);
      } else if (roll < 900) {
        Envelope(*t, v1::CHANGE_KIND_APPLY, rec);
        RB_RETURN_IF_ERROR(BuildApply(*t, rec));
      } else if (roll < 950) {
        Envelope(*t, v1::CHANGE_KIND_ANNOTATE, rec);
        BuildAnnotate(*t, rec);
      } else {
        // Pauses are short: the next pause/resume record resumes the
        // Deployment paused longest ago, if any.
        if (!paused_.empty()) {
          t = paused_.front();
          paused_.pop_front();
        } else {
          paused_.push_back(t);
        }
        const bool paused = t->agg.deployment().spec().paused();
        Envelope(*t, paused ? v1::CHANGE_KIND_RESUME : v1::CHANGE_KIND_PAUSE, rec);
        if (paused) {
          rec.mutable_resume();
        } else {
          rec.mutable_pause();
        }
        rec.set_command_line(fmt::format("rollbook rollout {} deployment/{} -n {}",
                                         paused ? "resume" : "pause", t->name, t->ns));
      }
    }
  }
  if ((rec.kind() == v1::CHANGE_KIND_SET_IMAGE || rec.kind() == v1::CHANGE_KIND_APPLY) &&
      t->agg.deployment().spec().paused()) {
    ++summary_.template_changes_while_paused;
  }
  fold::FoldResult result = fold::ApplyRecord(t->agg, rec, rec.client_time_unix_ms());
  if (!result.outcome.applied) {
    return Internal(fmt::format("workload record {} ({} {}/{}) would be rejected: {} {}", emitted_,
                                events::KindName(rec.kind()), rec.namespace_(), rec.name(),
                                result.outcome.reason, result.outcome.message));
  }
  ++t->records;
  ++emitted_;
  ++summary_.records;
  ++summary_.by_kind[events::KindName(rec.kind())];
  if (rec.kind() == v1::CHANGE_KIND_ROLLBACK && rec.rollback().to_revision() > 0) ++summary_.undo_to_revision;
  summary_.last_client_ms = rec.client_time_unix_ms();
  if (t->hot) {
    for (auto& h : summary_.hot) {
      if (h.name == t->name) {
        h.records = t->records;
        h.revision = RevisionOf(t->agg);
      }
    }
  }
  return true;
}

}  // namespace rollbook::bench
