// rollbook-bench-query: in-process query latency against a loaded projection
// (issue #6, figures 5 and 9), as a Google Benchmark binary.
//
// The CLI queries run through the CLI's own code: the verbs are registered on
// a CLI::App exactly as cli/main.cc does and each iteration parses the command
// line, so an iteration is argument parsing + projection query + kubectl
// rendering — what the `rollbook` process does minus process start and the
// catch-up with Kafka (the session has caught up once, before timing; figure
// 9 measures that catch-up on its own). The verbs' stdout and stderr (the
// "as of" line of --at) go to /dev/null; Google Benchmark reports on the
// original stderr. The queries: `rollout history` of the hot Deployment,
// `get deployments -A -l SEL`, `audit -A --since --until` over the window,
// `get deployments -A --at` a week back. The store/ benchmarks time the same
// four queries at the store layer (the call each verb makes for its rows, no
// parsing, rendering or printing): figure 5's target is for "the query
// itself", and the difference is what rendering costs.
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
#include <ctime>
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
#include "store/fold/labels.h"
#include "store/projection/audit_query.h"
#include "store/projection/deployment_query.h"
#include "store/projection/projection.h"
#include "store/projection/time_travel.h"

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
    cli::RegisterAudit(app_, cli_);
  }
  bool Run(const std::vector<std::string>& args) {
    cli_.exit_code = 0;
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app_.parse(reversed);
    } catch (const CLI::ParseError&) {
      return false;  // the benchmark reports "... failed"
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

// RFC 3339 UTC with milliseconds, the form --since/--until/--at accept.
std::string Rfc3339Ms(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unix_ms % 1000);
}

void BM_AuditWindow(benchmark::State& state, const std::string& name) {
  InProcessCli cli;
  // --until is exclusive; the window's end is inclusive.
  const std::vector<std::string> args = {"audit",   "-A",
                                         "--since", Rfc3339Ms(g_flags.window_start),
                                         "--until", Rfc3339Ms(g_flags.window_end + 1)};
  if (!cli.Run(args)) {
    state.SkipWithError("audit failed");
    return;
  }
  Measure(state, name, [&] { return cli.Run(args); });
}

void BM_GetAt(benchmark::State& state, const std::string& name) {
  InProcessCli cli;
  const std::vector<std::string> args = {"get", "deployments", "-A", "--at", Rfc3339Ms(g_flags.at)};
  if (!cli.Run(args)) {
    state.SkipWithError("get --at failed");
    return;
  }
  Measure(state, name, [&] { return cli.Run(args); });
}

// The same four queries at the store layer: the call each verb makes for its
// rows, on a projection opened once, without argument parsing, rendering or
// printing. This is "the query itself" of figure 5's target; the verb
// benchmarks above time the command around it.
class StoreQuery {
 public:
  StoreQuery() {
    auto p = OpenProjection();
    if (p.ok()) p_ = std::move(*p);
  }
  store::Projection* get() { return p_.get(); }

 private:
  std::unique_ptr<store::Projection> p_;
};

void BM_StoreRolloutHistory(benchmark::State& state, const std::string& name) {
  StoreQuery q;
  if (!q.get()) return state.SkipWithError("cannot open the projection");
  Measure(state, name, [&] {
    auto agg = q.get()->GetAggregate(g_flags.hot_ns, g_flags.hot_name);
    if (!agg.ok() || !agg->has_value()) return false;
    std::vector<const state::v1::ReplicaSet*> rss;
    for (const auto& rs : (*agg)->replica_sets()) rss.push_back(&rs);
    std::sort(rss.begin(), rss.end(), [](auto* x, auto* y) { return x->revision() < y->revision(); });
    benchmark::DoNotOptimize(rss.data());
    return !rss.empty();
  });
}

void BM_StoreGetSelector(benchmark::State& state, const std::string& name) {
  StoreQuery q;
  StatusOr<fold::Selector> selector = fold::Selector::Parse(g_flags.selector);
  if (!q.get() || !selector.ok())
    return state.SkipWithError("cannot open the projection or parse the selector");
  store::DeploymentListQuery query;
  query.selector = *selector;
  Measure(state, name, [&] {
    size_t rows = 0;
    Status s =
        store::ForEachListedDeployment(q.get()->query_db(), query, [&](const store::ListedDeployment& d) {
          benchmark::DoNotOptimize(d.replicas);
          ++rows;
        });
    return s.ok() && rows > 0;
  });
}

void BM_StoreAuditWindow(benchmark::State& state, const std::string& name) {
  StoreQuery q;
  if (!q.get()) return state.SkipWithError("cannot open the projection");
  store::AuditFilter filter;
  filter.since_ms = g_flags.window_start;
  filter.until_ms = g_flags.window_end + 1;  // exclusive
  Measure(state, name, [&] {
    size_t rows = 0;
    Status s = store::ForEachChangeInLogOrder(q.get()->query_db(), filter, [&](const store::ChangeRow& row) {
      benchmark::DoNotOptimize(row.offset);
      ++rows;
      return Status::Ok();
    });
    return s.ok() && rows > 0;
  });
}

void BM_StoreGetAt(benchmark::State& state, const std::string& name) {
  StoreQuery q;
  if (!q.get()) return state.SkipWithError("cannot open the projection");
  Measure(state, name, [&] {
    size_t rows = 0;
    auto known =
        store::ForEachDeploymentAt(q.get()->query_db(), "", g_flags.at, [&](const store::ListedAtRow& r) {
          benchmark::DoNotOptimize(r.deployment.replicas);
          ++rows;
        });
    return known.ok() && rows > 0;
  });
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
// projection, as Session::Write fills them); then CatchUpTo applies it
// through a reader kept open, as the CLI does after every write (up to its
// record, in its partition). Registered last: it adds records to the topic.
void BM_WriteAppendThenCatchUp(benchmark::State& state, const std::string& name) {
  auto p = OpenProjection();
  events::KafkaConfig config;
  config.brokers = g_flags.brokers;
  config.topic = g_flags.topic;
  auto producer = events::KafkaProducer::Create(config, events::KafkaProducer::Mode::kInteractive);
  // One reader for all writes, as one CLI invocation keeps one.
  auto reader = events::KafkaReader::Create(config);
  if (!p.ok() || !producer.ok() || !reader.ok()) {
    state.SkipWithError("cannot open the projection, the producer or the reader");
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
    // What Session::Write does: catch up to this record, in its partition.
    std::vector<int64_t> ends(static_cast<size_t>(pos->partition) + 1, 0);
    ends.back() = pos->offset + 1;
    auto caught = services::CatchUpTo(**p, **reader, config, ends);
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
  reg("query/get_selector", BM_GetSelector);
  reg("query/audit_window", BM_AuditWindow);
  reg("query/get_at", BM_GetAt);
  reg("store/rollout_history", BM_StoreRolloutHistory);
  reg("store/get_selector", BM_StoreGetSelector);
  reg("store/audit_window", BM_StoreAuditWindow);
  reg("store/get_at", BM_StoreGetAt);
  reg("catchup/read_with_catchup", BM_ReadWithCatchUp);
  reg("catchup/read_sqlite_only", BM_ReadSqliteOnly);
  reg("write/append_then_catchup", BM_WriteAppendThenCatchUp);

  // The verbs print to stdout and stderr: send both to /dev/null, report on
  // a copy of the original stderr.
  std::fflush(stdout);
  std::fflush(stderr);
  const int report_fd = dup(STDERR_FILENO);
  const int devnull = open("/dev/null", O_WRONLY);
  if (report_fd < 0 || devnull < 0 || dup2(devnull, STDOUT_FILENO) < 0 || dup2(devnull, STDERR_FILENO) < 0)
    return 1;
  close(devnull);
  std::ofstream report(fmt::format("/dev/fd/{}", report_fd));
  benchmark::ConsoleReporter console(benchmark::ConsoleReporter::OO_Tabular);
  console.SetOutputStream(&report);
  console.SetErrorStream(&report);
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
      report << "rollbook-bench-query: cannot write " << g_flags.out << "\n";
      return 1;
    }
  }
  return 0;
}
