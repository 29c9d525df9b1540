// time_travel_bench: latency of `--at` (store/projection/time_travel.h) in
// process, on one hot Deployment with a long history.
//
//   time_travel_bench [--revisions N] [--queries Q] [--db PATH]
//
// Builds a projection file with one Deployment created and then given N
// `set image` changes (N revisions, one broker second apart), plus as many
// records of 9 other Deployments interleaved, then times Q
// lookups at random broker times with snapshots and a few without. Prints
// numbers; asserts nothing about time (a benchmark, not a test), but checks
// that each answer names the image the Deployment had then.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "events/codec.h"
#include "store/fold/manifest.h"
#include "store/projection/projection.h"
#include "store/projection/time_travel.h"

namespace {

using namespace rollbook;

constexpr int64_t kT0 = 1'790'000'000'000;

v1::Deployment MakeDeployment(const std::string& name) {
  const std::string yaml = fmt::format(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: {0}
  labels: {{app: {0}}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: {0}}}}}
  template:
    metadata:
      labels: {{app: {0}}}
    spec:
      containers:
      - name: web
        image: nginx:0
        ports: [{{containerPort: 80}}]
)",
                                       name);
  auto docs = fold::ParseManifestText(yaml, "bench.yaml");
  if (!docs.ok() || docs->size() != 1) {
    fmt::print(stderr, "bad manifest\n");
    std::exit(1);
  }
  auto d = fold::DeploymentFromManifest((*docs)[0].object, "default");
  if (!d.ok()) {
    fmt::print(stderr, "{}\n", d.status().message());
    std::exit(1);
  }
  return *d;
}

struct Writer {
  std::vector<events::LogMessage> batch;
  std::map<std::string, uint64_t> versions;
  int64_t offset = 0;
  int64_t id = 0;

  void Add(v1::ChangeRecord r, int64_t time_ms) {
    r.set_schema_version(1);
    r.set_id(fmt::format("id-{}", ++id));
    r.set_namespace_("default");
    r.set_actor("bench");
    r.set_expected_version(versions[r.name()]++);
    events::LogMessage m;
    m.position = {0, offset++, time_ms};
    m.key = events::RecordKey("default", r.name());
    m.value = events::EncodeRecord(r);
    batch.push_back(std::move(m));
  }
};

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// CPU time of this thread: the machine may be shared, wall time then overstates.
double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void PrintStats(const char* label, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double x : ms) sum += x;
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
  fmt::print("{:<28} n={:<6} mean {:8.3f} ms  p50 {:8.3f} ms  p99 {:8.3f} ms  max {:8.3f} ms\n", label,
             ms.size(), sum / ms.size(), pct(0.5), pct(0.99), ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  int revisions = 10'000, queries = 2'000;
  std::string db_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--revisions")
      revisions = std::stoi(argv[i + 1]);
    else if (flag == "--queries")
      queries = std::stoi(argv[i + 1]);
    else if (flag == "--db")
      db_path = argv[i + 1];
  }
  std::filesystem::path dir;
  if (db_path.empty()) {
    dir = std::filesystem::temp_directory_path() / fmt::format("rollbook-ttbench-{}", getpid());
    std::filesystem::create_directories(dir);
    db_path = (dir / "bench.db").string();
  }
  auto opened = store::Projection::Open({db_path, "rollbook.events", true});
  if (!opened.ok()) {
    fmt::print(stderr, "{}\n", opened.status().message());
    return 1;
  }
  store::Projection& p = **opened;

  // The hot Deployment "web" gets a new image every second; nine others get
  // a scale in between, so the hot one's records are not contiguous.
  Writer w;
  const std::vector<std::string> names = {"web", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"};
  for (size_t i = 0; i < names.size(); ++i) {
    v1::ChangeRecord r;
    r.set_name(names[i]);
    r.set_kind(v1::CHANGE_KIND_CREATE);
    *r.mutable_create()->mutable_deployment() = MakeDeployment(names[i]);
    w.Add(r, kT0);
  }
  const auto build_start = std::chrono::steady_clock::now();
  for (int i = 1; i <= revisions; ++i) {
    v1::ChangeRecord r;
    r.set_name("web");
    r.set_kind(v1::CHANGE_KIND_SET_IMAGE);
    auto* ci = r.mutable_set_image()->add_images();
    ci->set_container("web");
    ci->set_image(fmt::format("nginx:{}", i));
    w.Add(r, kT0 + i * 1000);
    v1::ChangeRecord s;
    s.set_name(names[1 + i % 9]);
    s.set_kind(v1::CHANGE_KIND_SCALE);
    s.mutable_scale()->set_replicas(1 + i % 5);
    s.mutable_scale()->set_current_replicas(-1);
    w.Add(s, kT0 + i * 1000 + 500);
    if (w.batch.size() >= 1000 || i == revisions) {
      auto stats = p.ApplyBatch(w.batch);
      if (!stats.ok()) {
        fmt::print(stderr, "{}\n", stats.status().message());
        return 1;
      }
      w.batch.clear();
    }
  }
  fmt::print(
      "projection: {} records ({} revisions of web) applied in {:.1f} s; snapshot every {} applied records\n",
      w.offset, revisions, Ms(std::chrono::steady_clock::now() - build_start) / 1000,
      store::kSnapshotInterval);

  if (const char* pragma = std::getenv("BENCH_PRAGMA"); pragma != nullptr) {
    if (!p.db().Exec(pragma).ok()) return 1;
  }
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(0, revisions);
  auto run = [&](const char* label, int n, bool snapshots) {
    std::vector<double> ms, cpu;
    int64_t folded = 0;
    for (int q = 0; q < n; ++q) {
      const int i = pick(rng);
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = CpuMs();
      auto past =
          store::StateAtTime(p.db(), "default", "web", kT0 + i * 1000 + 250, {.use_snapshots = snapshots});
      ms.push_back(Ms(std::chrono::steady_clock::now() - start));
      cpu.push_back(CpuMs() - cpu_start);
      if (!past.ok() || store::ImagesOf(past->aggregate.deployment().spec().template_json()) !=
                            fmt::format("web=nginx:{}", i)) {
        fmt::print(stderr, "wrong answer at revision {}: {}\n", i,
                   past.ok() ? "wrong image" : past.status().message());
        return false;
      }
      folded += past->records_folded;
    }
    PrintStats(label, ms);
    PrintStats("  (CPU time)", cpu);
    fmt::print("{:<28} records folded per lookup: {:.1f}\n", "", static_cast<double>(folded) / n);
    return true;
  };
  bool ok = run("StateAtTime, snapshots", queries, true) && run("StateAtTime, full replay", 5, false);
  opened->reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
