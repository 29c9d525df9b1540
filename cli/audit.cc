// rollbook audit [deployment/NAME] [-A | -n NS] [--since DURATION|TIME] [--until TIME] [--actor USER]
//                [--kind K,...] [--outcome applied|rejected] [-o table|wide|json|jsonl|csv] [-w]
// rollbook audit --rejected [--since ...] [--until ...] [-o ...] [-w]
//
// The timeline of change records (one row per record, applied or rejected by
// the fold) in log order — broker LogAppendTime, then partition, then offset
// (store/projection/audit_query.h) — or, with --rejected, the messages that
// were not valid change records (the quarantine). -w keeps following: after
// the rows so far it catches up with the log every kFollowPollMs and prints
// the rows that became applied, until SIGINT or SIGTERM.
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <thread>
#include <tuple>

#include "cli/audit_format.h"
#include "cli/command.h"
#include "cli/time_flag.h"
#include "events/codec.h"
#include "services/projector.h"
#include "store/projection/audit_query.h"

namespace rollbook::cli {

namespace {

constexpr int kFollowPollMs = 500;

struct AuditOptions {
  std::vector<std::string> args;
  bool all_namespaces = false;
  std::string since, until, actor, outcome, output;
  std::vector<std::string> kinds;
  bool watch = false;
  bool rejected = false;
  // Set when the flag was on the command line, even with an empty value.
  bool since_given = false, until_given = false, actor_given = false, outcome_given = false;
};

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "g_stop is written from a signal handler");

extern "C" void OnStopSignal(int) { g_stop.store(true); }

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

std::vector<std::string> AllowedKinds() {
  std::vector<std::string> out;
  for (int k = v1::ChangeKind_MIN; k <= v1::ChangeKind_MAX; ++k) {
    if (!v1::ChangeKind_IsValid(k) || k == v1::CHANGE_KIND_UNSPECIFIED) continue;
    out.push_back(events::KindName(static_cast<v1::ChangeKind>(k)));
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// Everything a query needs, validated.
struct Plan {
  AuditFormat format = AuditFormat::kTable;
  store::AuditFilter filter;
};

StatusOr<Plan> Validate(const Cli& cli, const AuditOptions& o, int64_t now_ms) {
  Plan plan;
  RB_ASSIGN_OR_RETURN(plan.format, ParseAuditFormat(o.output));
  if (o.rejected) {
    std::vector<std::string> bad;
    if (!o.args.empty()) bad.push_back("a deployment");
    if (o.actor_given) bad.push_back("--actor");
    if (!o.kinds.empty()) bad.push_back("--kind");
    if (o.outcome_given) bad.push_back("--outcome");
    if (!bad.empty()) {
      return InvalidArgument(fmt::format(
          "--rejected lists log messages that are not valid change records, so {} cannot select them "
          "(only --since, --until, -o and -w apply; for change records the fold rejected use --outcome "
          "rejected)",
          Join(bad, ", ")));
    }
  }
  if (!o.args.empty()) {
    RB_ASSIGN_OR_RETURN(plan.filter.name, DeploymentName(o.args));
  }
  plan.filter.ns = o.all_namespaces ? "" : cli.globals.ns;
  if (o.since_given) {
    RB_ASSIGN_OR_RETURN(int64_t t, ParseTimeFlag("--since", o.since, now_ms));
    plan.filter.since_ms = t;
  }
  if (o.until_given) {
    if (o.watch) {
      return InvalidArgument(
          "--until cannot be combined with -w/--watch: following only ever shows new changes");
    }
    RB_ASSIGN_OR_RETURN(int64_t t, ParseTimeFlag("--until", o.until, now_ms));
    plan.filter.until_ms = t;
  }
  if (plan.filter.since_ms && plan.filter.until_ms && *plan.filter.since_ms >= *plan.filter.until_ms) {
    return InvalidArgument(fmt::format("--since ({}) must be earlier than --until ({})",
                                       Rfc3339Millis(*plan.filter.since_ms),
                                       Rfc3339Millis(*plan.filter.until_ms)));
  }
  if (o.actor_given && o.actor.empty()) return InvalidArgument("--actor needs a user name");
  plan.filter.actor = o.actor;
  const std::vector<std::string> allowed = AllowedKinds();
  for (const auto& k : o.kinds) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return InvalidArgument(
          fmt::format("unknown --kind \"{}\", allowed kinds are: {}", k, Join(allowed, ",")));
    }
    if (std::find(plan.filter.kinds.begin(), plan.filter.kinds.end(), k) == plan.filter.kinds.end()) {
      plan.filter.kinds.push_back(k);
    }
  }
  if ((o.outcome_given || !o.outcome.empty()) && o.outcome != "applied" && o.outcome != "rejected") {
    return InvalidArgument(
        fmt::format("invalid --outcome \"{}\", allowed values are: applied,rejected", o.outcome));
  }
  plan.filter.outcome = o.outcome;
  return plan;
}

// Prints rows in the chosen format, row by row, in bounded memory. A table is
// aligned over the rows measured before they are added (Measure every row of
// a batch, then Add them); following appends batches to the same table.
template <typename Row>
class RowPrinter {
 public:
  using Cells = std::function<std::vector<std::string>(const Row&)>;
  using Json = std::function<nlohmann::ordered_json(const Row&)>;

  RowPrinter(AuditFormat format, bool watch, std::vector<std::string> headers, Cells cells, Json json)
      : format_(format),
        watch_(watch),
        table_(std::move(headers)),
        cells_(std::move(cells)),
        json_(std::move(json)) {}

  bool IsTable() const { return format_ == AuditFormat::kTable || format_ == AuditFormat::kWide; }
  void Measure(const Row& r) { table_.Measure(cells_(r)); }

  void Add(const Row& r) {
    switch (format_) {
      case AuditFormat::kTable:
      case AuditFormat::kWide:
        buffer_ += table_.Render({cells_(r)});
        break;
      case AuditFormat::kJson:
        if (watch_) {  // a stream of objects, as kubectl get -w -o json prints
          buffer_ += JsonPretty(json_(r)) + "\n";
        } else {  // one array, written element by element as nlohmann would indent it
          buffer_ += printed_ == 0 ? "[\n    " : ",\n    ";
          for (const char c : JsonPretty(json_(r))) {
            buffer_.push_back(c);
            if (c == '\n') buffer_ += "    ";
          }
        }
        break;
      case AuditFormat::kJsonl:
        buffer_ += JsonLine(json_(r)) + "\n";
        break;
      case AuditFormat::kCsv:
        CsvHeaderOnce();
        buffer_ += CsvLine(CsvFields(json_(r)));
        break;
    }
    ++printed_;
    if (buffer_.size() > (1 << 20)) Flush();
  }

  void Flush() {
    fmt::print("{}", buffer_);
    buffer_.clear();
    std::fflush(stdout);
  }

  // Ends the rows so far: closes the json array (unless following), writes
  // the csv header even without rows, and prints `empty_message` on stderr
  // for an empty table, as kubectl prints "No resources found".
  void Finish(const std::string& empty_message) {
    if (format_ == AuditFormat::kJson && !watch_) buffer_ += printed_ == 0 ? "[]\n" : "\n]\n";
    if (format_ == AuditFormat::kCsv) CsvHeaderOnce();
    if (printed_ == 0 && IsTable()) fmt::print(stderr, "{}\n", empty_message);
    Flush();
  }

 private:
  void CsvHeaderOnce() {
    if (csv_header_done_) return;
    buffer_ = CsvLine(CsvHeader(json_(Row{}))) + buffer_;
    csv_header_done_ = true;
  }

  AuditFormat format_;
  bool watch_;
  GrowingTable table_;
  Cells cells_;
  Json json_;
  std::string buffer_;
  bool csv_header_done_ = false;
  size_t printed_ = 0;
};

template <typename Row>
bool LogOrder(const Row& a, const Row& b) {
  return std::tie(a.log_time_ms, a.partition, a.offset) < std::tie(b.log_time_ms, b.partition, b.offset);
}

// Where rows come from: the listing (streamed) and a follow round's range.
template <typename Row>
struct RowSource {
  std::function<Status(const std::function<Status(const Row&)>&)> for_each;
  std::function<StatusOr<std::vector<Row>>(int32_t partition, int64_t from, int64_t to)> range;
};

// Prints the rows of `source` (twice through the query for a table: measure,
// then print) from one read snapshot, and returns the applied offsets of
// that snapshot: the rows after them belong to the first follow round.
template <typename Row>
StatusOr<std::map<int32_t, int64_t>> List(store::Db& db, const RowSource<Row>& source,
                                          RowPrinter<Row>& printer) {
  RB_RETURN_IF_ERROR(db.Exec("BEGIN"));
  auto listed = [&]() -> StatusOr<std::map<int32_t, int64_t>> {
    RB_ASSIGN_OR_RETURN(auto offsets, store::AppliedOffsets(db));
    if (printer.IsTable()) {
      RB_RETURN_IF_ERROR(source.for_each([&](const Row& r) {
        printer.Measure(r);
        return Status::Ok();
      }));
    }
    RB_RETURN_IF_ERROR(source.for_each([&](const Row& r) {
      printer.Add(r);
      return Status::Ok();
    }));
    return offsets;
  }();
  const Status ended = db.Exec("COMMIT");  // read-only: ends the snapshot
  if (!listed.ok()) return listed.status();
  RB_RETURN_IF_ERROR(ended);
  return listed;
}

// Catch up, print what became applied, repeat until a stop signal.
template <typename Row>
Status Follow(Cli& cli, store::Projection& projection, std::map<int32_t, int64_t> seen,
              RowPrinter<Row>& printer, const RowSource<Row>& source) {
  RB_ASSIGN_OR_RETURN(events::KafkaConfig config, cli.S().KafkaConfig());
  bool warned = false;
  while (!g_stop.load()) {
    for (int waited = 0; waited < kFollowPollMs && !g_stop.load(); waited += 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (g_stop.load()) break;
    StatusOr<services::CatchUpResult> caught = services::CatchUp(projection, config);
    if (!caught.ok()) {
      const StatusCode code = caught.status().code();
      if (code != StatusCode::kUnavailable && code != StatusCode::kDeadlineExceeded) return caught.status();
      if (!warned) fmt::print(stderr, "Warning: {}; still following, retrying\n", caught.status().message());
      warned = true;
      continue;  // the projector daemon may still be applying: look anyway next round
    }
    warned = false;
    RB_ASSIGN_OR_RETURN(auto now, store::AppliedOffsets(projection.query_db()));
    std::vector<Row> fresh;
    for (const auto& [partition, next] : now) {
      auto it = seen.find(partition);
      const int64_t from = it == seen.end() ? 0 : it->second;
      if (next <= from) continue;
      RB_ASSIGN_OR_RETURN(std::vector<Row> rows, source.range(partition, from, next));
      fresh.insert(fresh.end(), rows.begin(), rows.end());
    }
    std::sort(fresh.begin(), fresh.end(), LogOrder<Row>);
    if (printer.IsTable()) {
      for (const auto& r : fresh) printer.Measure(r);
    }
    for (const auto& r : fresh) printer.Add(r);
    printer.Flush();
    seen = std::move(now);
  }
  return Status::Ok();
}

template <typename Row>
int Show(Cli& cli, store::Projection& projection, bool watch, RowPrinter<Row>& printer,
         const RowSource<Row>& source, const std::string& empty_message) {
  StatusOr<std::map<int32_t, int64_t>> snapshot = List(projection.query_db(), source, printer);
  if (!snapshot.ok()) return Fail(snapshot.status());
  printer.Finish(empty_message);
  if (!watch) return 0;
  const Status followed = Follow(cli, projection, *snapshot, printer, source);
  return followed.ok() ? 0 : Fail(followed);
}

std::string NoChangesMessage(const Plan& plan) {
  std::string where = plan.filter.ns.empty() ? "" : fmt::format(" in {} namespace", plan.filter.ns);
  if (!plan.filter.name.empty()) {
    return fmt::format("No changes found for {}{}.", DeploymentRef(plan.filter.name), where);
  }
  return fmt::format("No changes found{}.", where);
}

int Run(Cli& cli, const AuditOptions& o) {
  const int64_t now_ms = Session::NowMs();
  StatusOr<Plan> plan = Validate(cli, o, now_ms);
  if (!plan.ok()) return Fail(plan.status());
  const bool wide = plan->format == AuditFormat::kWide;
  if (o.watch) InstallStopHandlers();  // before the first read, so an early signal is not lost

  StatusOr<store::Projection*> p = cli.S().ForRead();
  if (!p.ok()) return Fail(p.status());
  store::Db& db = (*p)->query_db();
  // Following: ages are relative to when a row is printed.
  auto now = [now_ms, watch = o.watch] { return watch ? Session::NowMs() : now_ms; };

  if (o.rejected) {
    RowPrinter<store::QuarantineRow> printer(
        plan->format, o.watch, QuarantineHeaders(wide),
        [now, wide](const store::QuarantineRow& r) { return QuarantineCells(r, now(), wide); },
        QuarantineJson);
    const auto since = plan->filter.since_ms, until = plan->filter.until_ms;
    RowSource<store::QuarantineRow> source{
        [&db, since, until](const std::function<Status(const store::QuarantineRow&)>& fn) {
          return store::ForEachQuarantine(db, store::QuarantineQuery(since, until), fn);
        },
        [&db, since, until](int32_t part, int64_t from, int64_t to) {
          return store::QueryQuarantine(db, store::QuarantineInRangeQuery(since, until, part, from, to));
        }};
    return Show(cli, **p, o.watch, printer, source, "No rejected records found.");
  }

  const TableLayout layout{wide, o.all_namespaces};
  RowPrinter<store::ChangeRow> printer(
      plan->format, o.watch, ChangeHeaders(layout),
      [now, layout](const store::ChangeRow& r) { return ChangeCells(r, now(), layout); }, ChangeJson);
  const store::AuditFilter filter = plan->filter;
  RowSource<store::ChangeRow> source{[&db, filter](const std::function<Status(const store::ChangeRow&)>& fn) {
                                       return store::ForEachChangeInLogOrder(db, filter, fn);
                                     },
                                     [&db, filter](int32_t part, int64_t from, int64_t to) {
                                       return store::QueryChanges(
                                           db, store::ChangesInRangeQuery(filter, part, from, to));
                                     }};
  return Show(cli, **p, o.watch, printer, source, NoChangesMessage(*plan));
}

}  // namespace

void RegisterAudit(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<AuditOptions>();
  CLI::App* cmd = app.add_subcommand(
      "audit",
      "Timeline of every change record (who, when, what) in log order: broker LogAppendTime, then partition, "
      "then offset");
  cmd->add_option("resource", o->args, "deployment/NAME (default: every Deployment of the namespace)");
  cmd->add_flag("-A,--all-namespaces", o->all_namespaces, "changes of all namespaces");
  CLI::Option* since = cmd->add_option(
      "--since", o->since,
      "only changes at or after this broker time: a duration back from now (90s, 15m, 2h, 1h30m, 7d), "
      "an RFC 3339 time (2026-11-20T03:00:00Z) or a UTC date (2026-11-20)");
  CLI::Option* until =
      cmd->add_option("--until", o->until, "only changes before this broker time (same forms as --since)");
  CLI::Option* actor =
      cmd->add_option("--actor", o->actor, "only changes made by this user (--as of the writer)");
  cmd->add_option("--kind", o->kinds, "only these kinds, comma-separated: " + Join(AllowedKinds(), ","))
      ->delimiter(',');
  CLI::Option* outcome =
      cmd->add_option("--outcome", o->outcome, "applied|rejected: only changes the fold applied / rejected");
  cmd->add_option(
      "-o,--output", o->output,
      "table (default), wide (adds client time, host, log position, message, command), json, jsonl, csv");
  cmd->add_flag("-w,--watch", o->watch,
                "after the rows so far, print new changes as they are applied (Ctrl-C stops)");
  cmd->add_flag("--rejected", o->rejected,
                "list log messages that are not valid change records (the quarantine) instead of changes");
  cmd->callback([&cli, o, since, until, actor, outcome] {
    o->since_given = since->count() > 0;
    o->until_given = until->count() > 0;
    o->actor_given = actor->count() > 0;
    o->outcome_given = outcome->count() > 0;
    cli.exit_code = Run(cli, *o);
  });
}

}  // namespace rollbook::cli
