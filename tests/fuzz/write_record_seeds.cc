// Writes the seed corpus of record_decoder_fuzzer: one valid change record of
// every kind for default/web (as the CLI would write them, in the fuzzer's
// "key\nvalue" input format) plus a few that the decoder must reject.
//   write_record_seeds DIR
#include <cstdio>
#include <fstream>
#include <string>

#include "events/codec.h"
#include "store/fold/manifest.h"

namespace {

using rollbook::v1::ChangeRecord;

constexpr char kManifest[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: frontend}
  annotations: {owner: team-a}
spec:
  replicas: 3
  revisionHistoryLimit: 4
  selector:
    matchLabels: {app: web}
    matchExpressions:
    - {key: tier, operator: In, values: [frontend, edge]}
  strategy:
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}
  template:
    metadata:
      labels: {app: web, tier: frontend}
    spec:
      initContainers:
      - name: init
        image: busybox:1.36
      containers:
      - name: app
        image: nginx:1.25
        ports: [{containerPort: 80}]
        resources: {limits: {cpu: 0.5, memory: 1024Mi}}
        readinessProbe: {httpGet: {port: 80}}
)";

ChangeRecord Base(rollbook::v1::ChangeKind kind, int n) {
  ChangeRecord r;
  r.set_schema_version(rollbook::events::kSchemaVersion);
  r.set_id("5b0e3a6e-0000-4000-8000-00000000000" + std::to_string(n));
  r.set_namespace_("default");
  r.set_name("web");
  r.set_kind(kind);
  r.set_expected_version(static_cast<uint64_t>(n));
  r.set_actor("alice");
  r.set_host("ci");
  r.set_client_time_unix_ms(1'700'000'000'000 + n);
  r.set_command_line("rollbook seed");
  return r;
}

bool Write(const std::string& dir, const std::string& name, const std::string& key,
           const std::string& value) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out << key << '\n' << value;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_record_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  auto docs = rollbook::fold::ParseManifestText(kManifest, "seed.yaml");
  if (!docs.ok()) return std::fprintf(stderr, "%s\n", docs.status().message().c_str()), 1;
  auto deployment = rollbook::fold::DeploymentFromManifest((*docs)[0].object, "default");
  if (!deployment.ok()) return std::fprintf(stderr, "%s\n", deployment.status().message().c_str()), 1;

  const std::string key = rollbook::events::RecordKey("default", "web");
  bool ok = true;
  auto put = [&](const std::string& name, const ChangeRecord& r, const std::string& k) {
    ok = Write(dir, name, k, rollbook::events::EncodeRecord(r)) && ok;
  };

  ChangeRecord create = Base(rollbook::v1::CHANGE_KIND_CREATE, 0);
  create.set_change_cause("rollbook create --filename=web.yaml --record=true");
  *create.mutable_create()->mutable_deployment() = *deployment;
  put("create", create, key);

  ChangeRecord apply = Base(rollbook::v1::CHANGE_KIND_APPLY, 1);
  *apply.mutable_apply()->mutable_deployment() = *deployment;
  apply.mutable_apply()->mutable_deployment()->mutable_spec()->set_replicas(5);
  apply.mutable_apply()->set_replace(true);
  put("apply", apply, key);

  ChangeRecord scale = Base(rollbook::v1::CHANGE_KIND_SCALE, 2);
  scale.mutable_scale()->set_replicas(7);
  scale.mutable_scale()->set_current_replicas(-1);
  put("scale", scale, key);

  ChangeRecord set_image = Base(rollbook::v1::CHANGE_KIND_SET_IMAGE, 3);
  auto* image = set_image.mutable_set_image()->add_images();
  image->set_container("app");
  image->set_image("nginx:1.26");
  auto* all = set_image.mutable_set_image()->add_images();
  all->set_container("*");
  all->set_image("registry.example.com/web@sha256:0123456789abcdef");
  put("set-image", set_image, key);

  ChangeRecord annotate = Base(rollbook::v1::CHANGE_KIND_ANNOTATE, 4);
  (*annotate.mutable_annotate()->mutable_set())["kubernetes.io/change-cause"] = "hotfix";
  annotate.mutable_annotate()->add_remove("owner");
  annotate.mutable_annotate()->set_overwrite(true);
  put("annotate", annotate, key);

  ChangeRecord rollback = Base(rollbook::v1::CHANGE_KIND_ROLLBACK, 5);
  rollback.mutable_rollback()->set_to_revision(1);
  put("rollback", rollback, key);

  ChangeRecord pause = Base(rollbook::v1::CHANGE_KIND_PAUSE, 6);
  pause.mutable_pause();
  put("pause", pause, key);

  ChangeRecord resume = Base(rollbook::v1::CHANGE_KIND_RESUME, 7);
  resume.mutable_resume();
  put("resume", resume, key);

  ChangeRecord restart = Base(rollbook::v1::CHANGE_KIND_RESTART, 8);
  restart.mutable_restart()->set_restarted_at("2024-01-02T03:04:05Z");
  put("restart", restart, key);

  ChangeRecord del = Base(rollbook::v1::CHANGE_KIND_DELETE, 9);
  del.mutable_delete_();
  put("delete", del, key);

  // Chained (events/chain.h): the hash of the record before, and a bad length.
  ChangeRecord chained = scale;
  chained.set_prev_record_hash(std::string(32, '\x5a'));
  put("scale-chained", chained, key);
  ChangeRecord short_hash = scale;
  short_hash.set_prev_record_hash("12345");

  // Rejected by the decoder: each breaks one rule.
  put("reject-prev-hash-length", short_hash, key);
  put("reject-wrong-key", scale, "default/other");
  ChangeRecord newer = scale;
  newer.set_schema_version(2);
  put("reject-schema-version", newer, key);
  ChangeRecord no_payload = Base(rollbook::v1::CHANGE_KIND_SCALE, 2);
  put("reject-missing-payload", no_payload, key);
  ok = Write(dir, "reject-garbage", key, "\x0a\xff\xff\xff\xff\x0f not a protobuf") && ok;

  if (!ok) std::fprintf(stderr, "write_record_seeds: cannot write into %s\n", dir.c_str());
  return ok ? 0 : 1;
}
