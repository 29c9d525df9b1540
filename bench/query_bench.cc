// rollbook-bench-query: in-process query latency against a loaded projection
// (issue #6, figures 5 and 9), as a Google Benchmark binary.
//
// The CLI queries run through the CLI's own code: the verbs are registered on
// a CLI::App exactly as cli/main.cc does and each iteration parses the command
// line, so an iteration is argument parsing + projection query + kubectl
// rendering — what the `rollbook` process does minus process start and the
// catch-up with Kafka (the session has caught up once, before timing; figure
// 9 measures that catch-up on its own). stdout goes to /dev/null; Google
// Benchmark reports on stderr.
//
// Queries without a CLI verb yet are measured with the closest thing and
// named "proxy" (see docs/benchmarks.md):
//   audit_window_proxy  the audit index `changes` read by log_time_ms (index
//                       changes_by_time) over a one-hour window;
//   get_at_proxy        the state of every Deployment at a time a week back,
//                       read from the audit index (latest change at or before
//                       the time, one changes_by_object probe per Deployment).
//
// write/append_then_catchup splits a CLI write (figure 4) into its append and
// the catch-up that applies it; it writes to the topic, so it runs last.
//
// Own flags (before Google Benchmark's): --db=PATH --topic=T --brokers=B
// --hot=NS/NAME --selector=SEL --window=START_MS:END_MS (inclusive) --at=MS
// --out=FILE.
// --out receives {name: {iterations, p50_us, p99_us, mean_us}} of the last
// run of each benchmark, measured per iteration.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/rollout.h"
#include "events/codec.h"
#include "events/kafka_log.h"
#include "services/projector.h"
#include "store/projection/projection.h"

namespace rollbook::bench {
namespace {

struct Flags {
  std::string db, topic = "rollbook.events", brokers = "127.0.0.1:9092";
  std::string hot_ns = "default", hot_name = "hot-0";
  std::string selector = "tier in (web,api),env!=dev";
  int64_t window_start = 0, window_end = 0, at = 0;
  std::string out;
};
Flags g_flags;

std::map<std::string, std::vector<double>> g_samples;  // microseconds, last run of each benchmark

using Clock = std::chrono::steady_clock;

// Times each iteration of `body` (which returns false on failure).
template <typename Body>
void Measure(benchmark::State& state, const std::string& name, Body body) {
  std::vector<double> samples;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const bool ok = body();
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    if (!ok) {
      state.SkipWithError("query failed");
      break;
    }
  }
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  if (!sorted.empty()) {
    auto pct = [&](double p) {
      const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
      return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
    };
    state.counters["p50_us"] = pct(50);
    state.counters["p99_us"] = pct(99);
  }
  g_samples[name] = std::move(samples);
}

// One CLI per benchmark, caught up once; each iteration parses `args`.
class InProcessCli {
 public:
  explicit InProcessCli(const std::string& ns = "default") {
    cli_.globals.ns = ns;
    cli_.globals.brokers = g_flags.brokers;
    cli_.globals.db = g_flags.db;
    cli_.globals.topic = g_flags.topic;
    cli_.globals.timeout = "600s";
    app_.require_subcommand(1);
    cli::RegisterGet(app_, cli_);
    cli::RegisterRollout(app_, cli_);
  }
  bool Run(const std::vector<std::string>& args) {
    cli_.exit_code = 0;
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app_.parse(reversed);
    } catch (const CLI::ParseError& e) {
      std::cerr << "parse error: " << e.what() << "\n";
      return false;
    }
    std::fflush(stdout);
    return cli_.exit_code == 0;
  }

 private:
  cli::Cli cli_;
  CLI::App app_{"rollbook"};
};

void BM_RolloutHistory(benchmark::State& state, const std::string& name) {
  InProcessCli cli(g_flags.hot_ns);
  const std::vector<std::string> args = {"rollout", "history", "deployment/" + g_flags.hot_name};
  if (!cli.Run(args)) {  // the first run catches up (untimed)
    state.SkipWithError("rollout history failed");
    return;
  }
  Measure(state, name, [&] { return cli.Run(args); });
}

void BM_GetSelector(benchmark::State& state, const std::string& name) {
  InProcessCli cli;
  const std::vector<std::string> args = {"get", "deployments", "-A", "-l", g_flags.selector};
  if (!cli.Run(args)) {
    state.SkipWithError("get deployments failed");
    return;
  }
  Measure(state, name, [&] { return cli.Run(args); });
}

StatusOr<std::unique_ptr<store::Projection>> OpenProjection() {
  return store::Projection::Open({g_flags.db, g_flags.topic, false});
}

void BM_AuditWindowProxy(benchmark::State& state, const std::string& name) {
  auto p = OpenProjection();
  if (!p.ok()) {
    state.SkipWithError(p.status().message().c_str());
    return;
  }
  auto stmt = (*p)->db().Prepare(
      "SELECT partition, offset, log_time_ms, record_id, namespace, name, kind, actor, host, client_time_ms, "
      "command, change_cause, outcome, reason, message, version_before, version_after, revision_before, "
      "revision_after, replicas_before, replicas_after, images_before, images_after FROM changes "
      "WHERE log_time_ms >= ? AND log_time_ms <= ? ORDER BY log_time_ms, partition, offset");
  if (!stmt.ok()) {
    state.SkipWithError(stmt.status().message().c_str());
    return;
  }
  int64_t rows = 0;
  Measure(state, name, [&] {
    stmt->Reset().Bind(1, g_flags.window_start).Bind(2, g_flags.window_end);
    std::vector<store::ChangeRow> out;
    for (;;) {
      StatusOr<bool> row = stmt->Step();
      if (!row.ok()) return false;
      if (!*row) break;
      store::ChangeRow r;
      r.partition = static_cast<int32_t>(stmt->Int(0));
      r.offset = stmt->Int(1);
      r.log_time_ms = stmt->Int(2);
      r.record_id = stmt->Text(3);
      r.ns = stmt->Text(4);
      r.name = stmt->Text(5);
      r.kind = stmt->Text(6);
      r.actor = stmt->Text(7);
      r.host = stmt->Text(8);
      r.client_time_ms = stmt->Int(9);
      r.command = stmt->Text(10);
      r.change_cause = stmt->Text(11);
      r.outcome = stmt->Text(12);
      r.reason = stmt->Text(13);
      r.message = stmt->Text(14);
      r.version_before = stmt->Int(15);
      r.version_after = stmt->Int(16);
      r.revision_before = stmt->Int(17);
      r.revision_after = stmt->Int(18);
      r.replicas_before = stmt->Int(19);
      r.replicas_after = stmt->Int(20);
      r.images_before = stmt->Text(21);
      r.images_after = stmt->Text(22);
      out.push_back(std::move(r));
    }
    rows = static_cast<int64_t>(out.size());
    benchmark::DoNotOptimize(out);
    return true;
  });
  state.counters["rows"] = static_cast<double>(rows);
}

void BM_GetAtProxy(benchmark::State& state, const std::string& name) {
  auto p = OpenProjection();
  if (!p.ok()) {
    state.SkipWithError(p.status().message().c_str());
    return;
  }
  store::Db& db = (*p)->db();
  auto list = db.Prepare("SELECT namespace, name FROM deployments ORDER BY namespace, name");
  auto probe = db.Prepare(
      "SELECT replicas_after, revision_after, images_after FROM changes WHERE namespace = ? AND name = ? AND "
      "log_time_ms <= ? AND outcome = 'applied' ORDER BY log_time_ms DESC, offset DESC LIMIT 1");
  if (!list.ok() || !probe.ok()) {
    state.SkipWithError("prepare failed");
    return;
  }
  int64_t found = 0;
  Measure(state, name, [&] {
    list->Reset();
    found = 0;
    std::string text;
    for (;;) {
      StatusOr<bool> row = list->Step();
      if (!row.ok()) return false;
      if (!*row) break;
      probe->Reset().Bind(1, list->Text(0)).Bind(2, list->Text(1)).Bind(3, g_flags.at);
      StatusOr<bool> hit = probe->Step();
      if (!hit.ok()) return false;
      if (*hit) {
        ++found;
        text += fmt::format("{}\t{}\t{}\t{}\n", list->Text(1), probe->Int(0), probe->Int(1), probe->Text(2));
      }
    }
    benchmark::DoNotOptimize(text);
    return true;
  });
  state.counters["deployments_at"] = static_cast<double>(found);
}

// Figure 9: a read with the catch-up every CLI read does (nothing to apply)
// vs the same read from SQLite alone. Both open the projection each time, as
// a new process would.
bool HistoryRead(bool catch_up) {
  auto p = OpenProjection();
  if (!p.ok()) return false;
  if (catch_up) {
    events::KafkaConfig config;
    config.brokers = g_flags.brokers;
    config.topic = g_flags.topic;
    StatusOr<services::CatchUpResult> r = services::CatchUp(**p, config);
    if (!r.ok() || r->stats.applied != 0) return false;
  }
  auto agg = (*p)->GetAggregate(g_flags.hot_ns, g_flags.hot_name);
  if (!agg.ok() || !agg->has_value()) return false;
  std::vector<const state::v1::ReplicaSet*> rss;
  for (const auto& rs : (*agg)->replica_sets()) rss.push_back(&rs);
  std::sort(rss.begin(), rss.end(), [](auto* x, auto* y) { return x->revision() < y->revision(); });
  std::string table = cli::HistoryTable(rss);
  benchmark::DoNotOptimize(table);
  return true;
}

void BM_ReadWithCatchUp(benchmark::State& state, const std::string& name) {
  Measure(state, name, [] { return HistoryRead(true); });
}
void BM_ReadSqliteOnly(benchmark::State& state, const std::string& name) {
  Measure(state, name, [] { return HistoryRead(false); });
}

// Figure 4 decomposed: the two network phases of a write, with the process
// start, client creation for the append and teardown taken out. A producer
// kept open appends a valid scale record (version and chain head from the
// projection, as Session::Write fills them); then CatchUp applies it, as the
// CLI does after every write. Registered last: it adds records to the topic.
void BM_WriteAppendThenCatchUp(benchmark::State& state, const std::string& name) {
  auto p = OpenProjection();
  events::KafkaConfig config;
  config.brokers = g_flags.brokers;
  config.topic = g_flags.topic;
  auto producer = events::KafkaProducer::Create(config, events::KafkaProducer::Mode::kInteractive);
  if (!p.ok() || !producer.ok()) {
    state.SkipWithError("cannot open the projection or the producer");
    return;
  }
  const std::string ns = "team-01", deployment = "svc-00011";
  std::vector<double> append_us, catchup_us;
  int64_t i = 0;
  Measure(state, name, [&] {
    auto agg = (*p)->GetAggregate(ns, deployment);
    if (!agg.ok() || !agg->has_value()) return false;
    v1::ChangeRecord rec;
    rec.set_schema_version(events::kSchemaVersion);
    rec.set_id(fmt::format("00000000-0000-4000-8000-{:012x}", static_cast<uint64_t>(getpid()) << 24 | i));
    rec.set_namespace_(ns);
    rec.set_name(deployment);
    rec.set_kind(v1::CHANGE_KIND_SCALE);
    rec.set_expected_version((*agg)->version());
    rec.set_prev_record_hash((*agg)->last_record_hash());
    rec.set_actor("bench");
    rec.set_host("bench");
    rec.set_client_time_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
    rec.mutable_scale()->set_replicas(static_cast<int32_t>(1 + i++ % 9));
    rec.mutable_scale()->set_current_replicas(-1);
    rec.set_command_line(
        fmt::format("rollbook scale deployment/{} --replicas={}", deployment, rec.scale().replicas()));
    const auto t0 = Clock::now();
    auto pos = (*producer)->Append(events::RecordKey(ns, deployment), events::EncodeRecord(rec));
    const auto t1 = Clock::now();
    if (!pos.ok()) return false;
    auto caught = services::CatchUp(**p, config);
    const auto t2 = Clock::now();
    append_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    catchup_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
    if (!caught.ok()) return false;
    auto row = (*p)->GetChange(pos->partition, pos->offset);
    return row.ok() && row->has_value() && (*row)->outcome == "applied";
  });
  g_samples["write/append"] = std::move(append_us);
  g_samples["write/catchup_own_record"] = std::move(catchup_us);
}

bool TakeFlag(const std::string& arg, const char* name, std::string* value) {
  const std::string prefix = std::string("--") + name + "=";
  if (arg.rfind(prefix, 0) != 0) return false;
  *value = arg.substr(prefix.size());
  return true;
}

}  // namespace
}  // namespace rollbook::bench

int main(int argc, char** argv) {
  using namespace rollbook::bench;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    std::string v;
    if (TakeFlag(a, "db", &g_flags.db) || TakeFlag(a, "topic", &g_flags.topic) ||
        TakeFlag(a, "brokers", &g_flags.brokers) || TakeFlag(a, "selector", &g_flags.selector) ||
        TakeFlag(a, "out", &g_flags.out)) {
      continue;
    }
    if (TakeFlag(a, "hot", &v)) {
      const size_t slash = v.find('/');
      if (slash == std::string::npos) {
        fmt::print(stderr, "--hot needs NAMESPACE/NAME, got \"{}\"\n", v);
        return 2;
      }
      g_flags.hot_ns = v.substr(0, slash);
      g_flags.hot_name = v.substr(slash + 1);
      continue;
    }
    if (TakeFlag(a, "window", &v)) {
      if (std::sscanf(v.c_str(), "%" SCNd64 ":%" SCNd64, &g_flags.window_start, &g_flags.window_end) != 2) {
        fmt::print(stderr, "--window needs START_MS:END_MS, got \"{}\"\n", v);
        return 2;
      }
      continue;
    }
    if (TakeFlag(a, "at", &v)) {
      g_flags.at = std::stoll(v);
      continue;
    }
    rest.push_back(argv[i]);
  }
  if (g_flags.db.empty()) {
    fmt::print(stderr, "rollbook-bench-query: --db=PATH of a loaded projection is required\n");
    return 2;
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;

  auto reg = [](const char* name, void (*fn)(benchmark::State&, const std::string&)) {
    return benchmark::RegisterBenchmark(name, [fn, name](benchmark::State& state) { fn(state, name); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  };
  reg("query/rollout_history", BM_RolloutHistory);
  // The two list queries take seconds today: a fixed count gives them more
  // than the single sample Google Benchmark would take.
  reg("query/get_selector", BM_GetSelector)->Iterations(5);
  reg("query/audit_window_proxy", BM_AuditWindowProxy);
  reg("query/get_at_proxy", BM_GetAtProxy)->Iterations(10);
  reg("catchup/read_with_catchup", BM_ReadWithCatchUp);
  reg("catchup/read_sqlite_only", BM_ReadSqliteOnly);
  reg("write/append_then_catchup", BM_WriteAppendThenCatchUp);

  // The verbs print to stdout: send it to /dev/null, report on stderr.
  std::fflush(stdout);
  const int devnull = open("/dev/null", O_WRONLY);
  if (devnull < 0 || dup2(devnull, STDOUT_FILENO) < 0) return 1;
  close(devnull);
  benchmark::ConsoleReporter console(benchmark::ConsoleReporter::OO_Tabular);
  console.SetOutputStream(&std::cerr);
  console.SetErrorStream(&std::cerr);
  benchmark::RunSpecifiedBenchmarks(&console);
  benchmark::Shutdown();

  if (!g_flags.out.empty()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, samples] : g_samples) {
      std::vector<double> sorted = samples;
      std::sort(sorted.begin(), sorted.end());
      if (sorted.empty()) continue;
      auto pct = [&](double p) {
        const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
        return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
      };
      double sum = 0;
      for (double s : sorted) sum += s;
      out[name] = {{"iterations", sorted.size()},
                   {"p50_us", pct(50)},
                   {"p99_us", pct(99)},
                   {"mean_us", sum / static_cast<double>(sorted.size())}};
    }
    std::ofstream f(g_flags.out, std::ios::trunc);
    f << out.dump(2) << "\n";
    if (!f.flush()) {
      fmt::print(stderr, "rollbook-bench-query: cannot write {}\n", g_flags.out);
      return 1;
    }
  }
  return 0;
}
