#include "tests/support/workload.h"

#include <fmt/format.h>

#include "events/chain.h"
#include "events/codec.h"
#include "store/fold/fold.h"
#include "store/fold/manifest.h"

namespace rollbook::testing {

namespace {

v1::Deployment MakeDeployment(const std::string& ns, const std::string& name, int replicas, int limit) {
  const std::string yaml = fmt::format(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {0}\n  labels:\n    app: {0}\n    tier: "
      "web\n"
      "spec:\n  replicas: {1}\n  revisionHistoryLimit: {2}\n  selector:\n    matchLabels:\n      app: {0}\n"
      "  template:\n    metadata:\n      labels:\n        app: {0}\n    spec:\n      containers:\n"
      "      - name: app\n        image: nginx:1.0\n",
      name, replicas, limit);
  auto docs = fold::ParseManifestText(yaml, "workload.yaml");
  if (!docs.ok() || docs->empty()) return {};
  auto d = fold::DeploymentFromManifest((*docs)[0].object, ns);
  return d.ok() ? *d : v1::Deployment();
}

}  // namespace

WorkloadGenerator::WorkloadGenerator(uint64_t seed, int deployments, std::string ns)
    : rng_(seed), ns_(std::move(ns)), models_(static_cast<size_t>(deployments)), seed_(seed) {}

std::string WorkloadGenerator::Name(int i) { return fmt::format("app-{:04d}", i); }

v1::ChangeRecord WorkloadGenerator::Propose(int i) {
  const state::v1::Aggregate& agg = models_[static_cast<size_t>(i)];
  v1::ChangeRecord rec;
  std::uniform_int_distribution<int> pct(0, 99);
  const int r = pct(rng_);
  if (!agg.exists()) {
    rec.set_kind(v1::CHANGE_KIND_CREATE);
    *rec.mutable_create()->mutable_deployment() = MakeDeployment(ns_, Name(i), 1 + r % 5, 3 + r % 5);
  } else if (r < 55) {
    rec.set_kind(v1::CHANGE_KIND_SCALE);
    rec.mutable_scale()->set_replicas(static_cast<int32_t>(pct(rng_) % 12));
    rec.mutable_scale()->set_current_replicas(-1);
  } else if (r < 80) {
    rec.set_kind(v1::CHANGE_KIND_SET_IMAGE);
    auto* img = rec.mutable_set_image()->add_images();
    img->set_container("app");
    img->set_image(fmt::format("nginx:1.{}", pct(rng_) % 20));
  } else if (r < 87) {
    rec.set_kind(v1::CHANGE_KIND_ANNOTATE);
    (*rec.mutable_annotate()->mutable_set())["team/owner"] = fmt::format("oncall-{}", pct(rng_) % 7);
    rec.mutable_annotate()->set_overwrite(true);
  } else if (r < 94) {
    rec.set_kind(v1::CHANGE_KIND_ROLLBACK);
    rec.mutable_rollback()->set_to_revision(0);
  } else if (r < 97) {
    const bool paused = agg.deployment().spec().paused();
    rec.set_kind(paused ? v1::CHANGE_KIND_RESUME : v1::CHANGE_KIND_PAUSE);
    if (paused) {
      rec.mutable_resume();
    } else {
      rec.mutable_pause();
    }
  } else {
    rec.set_kind(v1::CHANGE_KIND_RESTART);
    rec.mutable_restart()->set_restarted_at(fmt::format("2026-11-20T03:{:02d}:00Z", pct(rng_) % 60));
  }
  return rec;
}

GeneratedRecord WorkloadGenerator::Next() {
  std::uniform_int_distribution<int> pick(0, static_cast<int>(models_.size()) - 1);
  for (;;) {
    const int i = pick(rng_);
    state::v1::Aggregate& agg = models_[static_cast<size_t>(i)];
    v1::ChangeRecord rec = Propose(i);
    rec.set_schema_version(events::kSchemaVersion);
    rec.set_id(fmt::format("wl-{}-{}", seed_, counter_++));
    rec.set_namespace_(ns_);
    rec.set_name(Name(i));
    rec.set_expected_version(agg.version());
    rec.set_actor(fmt::format("user{}", i % 4));
    rec.set_host("loadgen");
    rec.set_client_time_unix_ms(clock_ms_);
    rec.set_prev_record_hash(agg.last_record_hash());
    GeneratedRecord out{events::RecordKey(ns_, Name(i)), events::EncodeRecord(rec), rec.id()};
    state::v1::Aggregate next = agg;
    clock_ms_ += 1000;
    if (fold::ApplyRecord(next, rec, clock_ms_, events::RecordHash(out.value)).outcome.applied) {
      agg = std::move(next);
      return out;
    }
  }
}

std::vector<GeneratedRecord> WorkloadGenerator::Take(int n) {
  std::vector<GeneratedRecord> out;
  out.reserve(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) out.push_back(Next());
  return out;
}

}  // namespace rollbook::testing
