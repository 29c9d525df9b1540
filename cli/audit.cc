// rollbook audit [deployment/NAME] [-A] [--since D|T] [--until D|T] [--actor U]
//                [--kind K,...] [--outcome applied|rejected] [-o FORMAT] [-w]
// rollbook audit --rejected   — the quarantine: messages that are not change records
//
// One row per change record in log order (store/projection/audit_query.h).
// Times are the broker's (LogAppendTime), printed in RFC 3339 UTC with a
// kubectl-style age; wide/json/csv add the writer's own clock (client time).
#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "cli/command.h"
#include "cli/objects.h"
#include "cli/render/human_duration.h"
#include "cli/render/tabwriter.h"
#include "services/projector.h"
#include "store/projection/audit_query.h"

namespace rollbook::cli {

namespace {

const std::set<std::string> kKinds = {"create",   "apply", "scale",  "set-image", "annotate",
                                      "rollback", "pause", "resume", "restart",   "delete"};
const std::set<std::string> kFormats = {"table", "wide", "json", "jsonl", "csv"};

struct AuditOptions {
  std::vector<std::string> args;
  bool all_namespaces = false;
  std::string since, until, actor, kinds, outcome, output = "table";
  bool watch = false, rejected = false;
};

// "2h" (that long before now) or an RFC 3339 time ("2026-11-20T03:00:00Z",
// "2026-11-20T04:00:00+01:00", fractional seconds allowed).
StatusOr<int64_t> ParseTimeArg(const std::string& flag, const std::string& text, int64_t now_ms) {
  if (text.find('T') == std::string::npos) {
    StatusOr<int64_t> d = ParseDurationMs(text);
    if (d.ok()) return now_ms - *d;
    return InvalidArgument(
        fmt::format("invalid {} \"{}\": expected a duration such as 30m or 2h, or an RFC 3339 "
                    "time such as 2026-11-20T03:00:00Z",
                    flag, text));
  }
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  auto bad = [&] {
    return InvalidArgument(
        fmt::format("invalid {} \"{}\": expected an RFC 3339 time such as 2026-11-20T03:00:00Z or "
                    "2026-11-20T04:00:00+01:00, or a duration such as 2h",
                    flag, text));
  };
  if (in.fail()) return bad();
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  std::string rest;
  std::getline(in, rest);
  size_t i = 0;
  if (i < rest.size() && rest[i] == '.') {
    int digits = 0;
    int64_t frac = 0;
    for (++i; i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])); ++i, ++digits) {
      if (digits < 3) frac = frac * 10 + (rest[i] - '0');
    }
    if (digits == 0) return bad();
    for (int d = digits; d < 3; ++d) frac *= 10;
    ms += frac;
  }
  const std::string zone = rest.substr(i);
  if (zone == "Z" || zone == "z") return ms;
  if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' && std::isdigit(zone[1]) &&
      std::isdigit(zone[2]) && std::isdigit(zone[4]) && std::isdigit(zone[5])) {
    const int64_t offset =
        ((zone[1] - '0') * 10 + (zone[2] - '0')) * 60 + (zone[4] - '0') * 10 + (zone[5] - '0');
    return ms - (zone[0] == '+' ? 1 : -1) * offset * 60'000;
  }
  return bad();
}

std::string Arrow(int64_t before, int64_t after) {
  return before == after ? std::to_string(after) : fmt::format("{}->{}", before, after);
}
std::string ArrowText(const std::string& before, const std::string& after) {
  if (before == after) return after.empty() ? "<none>" : after;
  return fmt::format("{}->{}", before.empty() ? "<none>" : before, after.empty() ? "<none>" : after);
}
// Images without the container name when there is only one container.
std::string ShortImages(const std::string& images) {
  if (images.find(',') != std::string::npos) return images;
  const size_t eq = images.find('=');
  return eq == std::string::npos ? images : images.substr(eq + 1);
}

nlohmann::json RowJson(const store::ChangeRow& r) {
  return {{"time", Rfc3339(r.log_time_ms)},
          {"clientTime", Rfc3339(r.client_time_ms)},
          {"partition", r.partition},
          {"offset", r.offset},
          {"recordId", r.record_id},
          {"namespace", r.ns},
          {"name", r.name},
          {"kind", r.kind},
          {"actor", r.actor},
          {"host", r.host},
          {"outcome", r.outcome},
          {"reason", r.reason},
          {"message", r.message},
          {"versionBefore", r.version_before},
          {"versionAfter", r.version_after},
          {"revisionBefore", r.revision_before},
          {"revisionAfter", r.revision_after},
          {"replicasBefore", r.replicas_before},
          {"replicasAfter", r.replicas_after},
          {"imagesBefore", r.images_before},
          {"imagesAfter", r.images_after},
          {"changeCause", r.change_cause},
          {"command", r.command}};
}

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

const char* kCsvHeader =
    "time,client_time,partition,offset,record_id,namespace,name,kind,actor,host,outcome,reason,message,"
    "version_before,version_after,revision_before,revision_after,replicas_before,replicas_after,images_"
    "before,"
    "images_after,change_cause,command\n";

std::string CsvRow(const store::ChangeRow& r) {
  std::vector<std::string> f = {Rfc3339(r.log_time_ms),
                                Rfc3339(r.client_time_ms),
                                std::to_string(r.partition),
                                std::to_string(r.offset),
                                r.record_id,
                                r.ns,
                                r.name,
                                r.kind,
                                r.actor,
                                r.host,
                                r.outcome,
                                r.reason,
                                r.message,
                                std::to_string(r.version_before),
                                std::to_string(r.version_after),
                                std::to_string(r.revision_before),
                                std::to_string(r.revision_after),
                                std::to_string(r.replicas_before),
                                std::to_string(r.replicas_after),
                                r.images_before,
                                r.images_after,
                                r.change_cause,
                                r.command};
  std::string line;
  for (size_t i = 0; i < f.size(); ++i) line += (i ? "," : "") + CsvField(f[i]);
  return line + "\n";
}

// Table and wide: header plus tab-separated cells (aligned by the caller).
std::string TableHeader(bool wide, bool with_ns) {
  std::string h = "TIME\tAGE\t";
  h += with_ns ? "NAMESPACE\t" : "";
  h += "DEPLOYMENT\tACTOR\tKIND\tREVISION\tREPLICAS\tIMAGES\tOUTCOME";
  if (wide) h += "\tHOST\tCLIENT-TIME\tPOSITION\tCHANGE-CAUSE\tMESSAGE";
  return h + "\n";
}
std::string TableRow(const store::ChangeRow& r, bool wide, bool with_ns, int64_t now_ms) {
  std::string outcome = r.outcome == "applied" ? "applied" : "rejected(" + r.reason + ")";
  std::string line =
      fmt::format("{}\t{}\t", Rfc3339(r.log_time_ms), render::HumanDuration(now_ms - r.log_time_ms));
  if (with_ns) line += r.ns + "\t";
  line += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}", r.name, r.actor, r.kind,
                      Arrow(r.revision_before, r.revision_after), Arrow(r.replicas_before, r.replicas_after),
                      ArrowText(ShortImages(r.images_before), ShortImages(r.images_after)), outcome);
  if (wide) {
    line +=
        fmt::format("\t{}\t{}\t{}:{}\t{}\t{}", r.host, Rfc3339(r.client_time_ms), r.partition, r.offset,
                    r.change_cause.empty() ? "<none>" : r.change_cause, r.message.empty() ? "-" : r.message);
  }
  return line + "\n";
}

void PrintRows(const std::vector<store::ChangeRow>& rows, const AuditOptions& o, bool with_ns, int64_t now_ms,
               bool header) {
  if (o.output == "json") {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : rows) items.push_back(RowJson(r));
    fmt::print("{}\n", items.dump(2));
  } else if (o.output == "jsonl") {
    for (const auto& r : rows) fmt::print("{}\n", RowJson(r).dump());
  } else if (o.output == "csv") {
    if (header) fmt::print("{}", kCsvHeader);
    for (const auto& r : rows) fmt::print("{}", CsvRow(r));
  } else {
    const bool wide = o.output == "wide";
    std::string text = header ? TableHeader(wide, with_ns) : "";
    for (const auto& r : rows) text += TableRow(r, wide, with_ns, now_ms);
    fmt::print("{}", render::AlignTabs(text, render::kGetTabs));
  }
  std::fflush(stdout);
}

int PrintRejected(store::Projection& p, const AuditOptions& o, std::optional<int64_t> since,
                  std::optional<int64_t> until, int64_t now_ms) {
  StatusOr<std::vector<store::QuarantineRow>> rows = store::QueryQuarantine(p.db(), since, until);
  if (!rows.ok()) return Fail(rows.status());
  if (o.output == "json" || o.output == "jsonl") {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : *rows) {
      items.push_back({{"time", Rfc3339(r.log_time_ms)},
                       {"partition", r.partition},
                       {"offset", r.offset},
                       {"key", r.key},
                       {"size", r.size},
                       {"reason", r.reason}});
    }
    if (o.output == "json") {
      fmt::print("{}\n", items.dump(2));
    } else {
      for (const auto& it : items) fmt::print("{}\n", it.dump());
    }
  } else if (o.output == "csv") {
    fmt::print("time,partition,offset,key,size,reason\n");
    for (const auto& r : *rows) {
      fmt::print("{},{},{},{},{},{}\n", Rfc3339(r.log_time_ms), r.partition, r.offset, CsvField(r.key),
                 r.size, CsvField(r.reason));
    }
  } else {
    if (rows->empty()) {
      fmt::print(stderr, "No rejected records found.\n");
      return 0;
    }
    std::string text = "TIME\tAGE\tPARTITION\tOFFSET\tKEY\tSIZE\tREASON\n";
    for (const auto& r : *rows) {
      text += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\n", Rfc3339(r.log_time_ms),
                          render::HumanDuration(now_ms - r.log_time_ms), r.partition, r.offset,
                          r.key.empty() ? "<none>" : r.key, r.size, r.reason);
    }
    fmt::print("{}", render::AlignTabs(text, render::kGetTabs));
  }
  return 0;
}

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

int Run(Cli& cli, const AuditOptions& o) {
  if (!kFormats.count(o.output)) {
    return Fail(
        InvalidArgument(fmt::format("unable to match a printer suitable for the output format \"{}\", "
                                    "allowed formats are: csv,json,jsonl,table,wide",
                                    o.output)));
  }
  store::AuditFilter f;
  if (!o.args.empty()) {
    if (o.all_namespaces)
      return Fail(InvalidArgument("a resource cannot be named together with -A/--all-namespaces"));
    StatusOr<std::string> name = DeploymentName(o.args);
    if (!name.ok()) return Fail(name.status());
    f.name = *name;
  }
  f.ns = o.all_namespaces ? "" : cli.globals.ns;
  const int64_t now = Session::NowMs();
  if (!o.since.empty()) {
    StatusOr<int64_t> t = ParseTimeArg("--since", o.since, now);
    if (!t.ok()) return Fail(t.status());
    f.since_ms = *t;
  }
  if (!o.until.empty()) {
    StatusOr<int64_t> t = ParseTimeArg("--until", o.until, now);
    if (!t.ok()) return Fail(t.status());
    f.until_ms = *t;
  }
  if (f.since_ms && f.until_ms && *f.since_ms >= *f.until_ms) {
    return Fail(InvalidArgument(
        fmt::format("--since ({}) must be before --until ({})", Rfc3339(*f.since_ms), Rfc3339(*f.until_ms))));
  }
  f.actor = o.actor;
  if (!o.kinds.empty()) {
    std::stringstream in(o.kinds);
    for (std::string k; std::getline(in, k, ',');) {
      if (!kKinds.count(k)) {
        return Fail(
            InvalidArgument(fmt::format("unknown --kind \"{}\": allowed kinds are annotate, apply, create, "
                                        "delete, pause, restart, resume, "
                                        "rollback, scale, set-image",
                                        k)));
      }
      f.kinds.push_back(k);
    }
  }
  if (!o.outcome.empty() && o.outcome != "applied" && o.outcome != "rejected") {
    return Fail(InvalidArgument(
        fmt::format("invalid --outcome \"{}\": allowed values are applied, rejected", o.outcome)));
  }
  f.outcome = o.outcome;
  if (o.rejected && o.watch) return Fail(InvalidArgument("--rejected cannot be combined with -w/--watch"));
  if (o.rejected && (!f.name.empty() || !f.actor.empty() || !f.kinds.empty() || !f.outcome.empty())) {
    return Fail(
        InvalidArgument("--rejected lists records that are not change records: only --since, --until and -o "
                        "apply to it"));
  }

  StatusOr<store::Projection*> p = cli.S().ForRead();
  if (!p.ok()) return Fail(p.status());
  if (o.rejected) return PrintRejected(**p, o, f.since_ms, f.until_ms, now);

  StatusOr<std::vector<store::ChangeRow>> rows = store::QueryChanges((*p)->db(), f);
  if (!rows.ok()) return Fail(rows.status());
  const bool with_ns = o.all_namespaces;
  if (rows->empty() && !o.watch && (o.output == "table" || o.output == "wide")) {
    fmt::print(stderr, "No changes found.\n");
    return 0;
  }
  PrintRows(*rows, o, with_ns, now, true);
  if (!o.watch) return 0;

  // Follow: catch up, print what is new, repeat until interrupted.
  std::set<std::pair<int32_t, int64_t>> seen;
  int64_t last_ms = f.since_ms.value_or(INT64_MIN);
  for (const auto& r : *rows) {
    seen.insert({r.partition, r.offset});
    last_ms = std::max(last_ms, r.log_time_ms);
  }
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  StatusOr<events::KafkaConfig> config = cli.S().KafkaConfig();
  if (!config.ok()) return Fail(config.status());
  bool header = rows->empty();
  while (!g_stop) {
    StatusOr<services::CatchUpResult> caught = services::CatchUp(**p, *config);
    if (!caught.ok()) {
      fmt::print(stderr, "Warning: {}; retrying\n", caught.status().message());
    }
    store::AuditFilter since_last = f;
    since_last.since_ms = last_ms;
    StatusOr<std::vector<store::ChangeRow>> fresh = store::QueryChanges((*p)->db(), since_last);
    if (!fresh.ok()) return Fail(fresh.status());
    std::vector<store::ChangeRow> out;
    for (auto& r : *fresh) {
      if (seen.insert({r.partition, r.offset}).second) {
        last_ms = std::max(last_ms, r.log_time_ms);
        out.push_back(std::move(r));
      }
    }
    if (!out.empty()) {
      PrintRows(out, o, with_ns, Session::NowMs(), header);
      header = false;
    }
    for (int i = 0; i < 5 && !g_stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

}  // namespace

void RegisterAudit(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<AuditOptions>();
  CLI::App* cmd = app.add_subcommand(
      "audit", "Every change in log order: who, when (broker time), what it did, and whether it applied");
  cmd->add_option("resource", o->args, "deployment/NAME (default: every Deployment of the namespace)");
  cmd->add_flag("-A,--all-namespaces", o->all_namespaces, "changes of every namespace");
  cmd->add_option("--since", o->since, "only changes at or after this time: a duration ago (2h) or RFC 3339");
  cmd->add_option("--until", o->until, "only changes before this time: a duration ago or RFC 3339");
  cmd->add_option("--actor", o->actor, "only changes by this actor");
  cmd->add_option("--kind", o->kinds, "only these kinds, comma-separated (scale,set-image,rollback,...)");
  cmd->add_option("--outcome", o->outcome, "applied or rejected");
  cmd->add_option("-o,--output", o->output, "table (default), wide, json, jsonl or csv");
  cmd->add_flag("-w,--watch", o->watch, "after listing, keep printing new changes as they are applied");
  cmd->add_flag("--rejected", o->rejected, "list records that are not valid change records (the quarantine)");
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
