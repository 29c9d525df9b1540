// rollbook report deployment/NAME [--since DURATION|TIME] -o FILE.html
//
// Writes the postmortem report of one Deployment (cli/render/report_html.h):
// one self-contained HTML file with the replicas of each ReplicaSet over time,
// revision and rollback markers with their actors, and every change record
// of the window. The data is recomputed from the log: the state at --since
// (time travel), then each record after it folded in turn. Works for deleted
// Deployments too. The file is written to a temporary name and renamed, so a
// failure never leaves half a report; "-o -" writes to stdout.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/command.h"
#include "cli/render/report_html.h"
#include "cli/time_arg.h"
#include "store/projection/time_travel.h"

namespace rollbook::cli {

namespace {

struct ReportOptions {
  std::vector<std::string> args;
  std::string since;
  std::string output;
};

render::ReportChange ChangeOf(const store::ChangeRow& r) {
  render::ReportChange c;
  c.time_ms = r.log_time_ms;
  c.partition = r.partition;
  c.offset = r.offset;
  c.actor = r.actor;
  c.host = r.host;
  c.kind = r.kind;
  c.outcome = r.outcome;
  c.reason = r.reason;
  c.message = r.message;
  c.change_cause = r.change_cause;
  c.revision_before = r.revision_before;
  c.revision_after = r.revision_after;
  c.replicas_before = r.replicas_before;
  c.replicas_after = r.replicas_after;
  c.images_before = r.images_before;
  c.images_after = r.images_after;
  return c;
}

// Collects samples and ReplicaSets while the records are replayed.
class Collector {
 public:
  explicit Collector(render::ReportData& data) : data_(data) {}

  void Sample(const state::v1::Aggregate& agg, int64_t time_ms) {
    render::ReportSample s;
    s.time_ms = time_ms;
    s.desired = agg.exists() ? agg.deployment().spec().replicas() : 0;
    for (const auto& rs : agg.replica_sets()) {
      s.sizes[rs.name()] = rs.replicas();
      auto [it, fresh] = index_.try_emplace(rs.name(), data_.replica_sets.size());
      if (fresh) data_.replica_sets.push_back({rs.name(), 0, ""});
      render::ReportReplicaSet& known = data_.replica_sets[it->second];
      known.revision = rs.revision();
      known.images = store::ImagesOf(rs.template_json());
    }
    data_.samples.push_back(std::move(s));
  }

 private:
  render::ReportData& data_;
  std::map<std::string, size_t> index_;
};

Status WriteAtomically(const std::string& path, const std::string& content) {
  if (path == "-") {
    fmt::print("{}", content);
    return Status::Ok();
  }
  const std::string tmp = fmt::format("{}.tmp-{}", path, getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Unavailable(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    out << content;
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return Unavailable(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return Unavailable(fmt::format("cannot write {}: {}", path, ec.message()));
  }
  return Status::Ok();
}

int Run(Cli& cli, const ReportOptions& o) {
  StatusOr<std::string> name = DeploymentName(o.args);
  if (!name.ok()) return Fail(name.status());
  if (o.output.empty()) {
    return Fail(InvalidArgument(
        "-o FILE is required: the report is one HTML file (e.g. -o report.html; - for stdout)"));
  }
  const int64_t now = Session::NowMs();
  std::optional<int64_t> since;
  if (!o.since.empty()) {
    StatusOr<int64_t> t = ParseTimeArg("--since", o.since, now);
    if (!t.ok()) return Fail(t.status());
    since = *t;
  }
  StatusOr<store::Projection*> p = cli.S().ForRead();
  if (!p.ok()) return Fail(p.status());
  store::Db& db = (*p)->query_db();
  const std::string& ns = cli.globals.ns;
  StatusOr<std::optional<state::v1::Aggregate>> current = (*p)->GetAggregate(ns, *name);
  if (!current.ok()) return Fail(current.status());
  if (!current->has_value()) {
    return Fail(
        NotFound(fmt::format("Error from server (NotFound): deployments.apps \"{}\" not found", *name)));
  }

  render::ReportData data;
  data.ns = ns;
  data.name = *name;
  data.window = since ? fmt::format("since {}{}", Rfc3339Ms(*since),
                                    LooksLikeRfc3339(o.since) ? "" : fmt::format(" ({} ago)", o.since))
                      : "whole history";
  data.generated_at = fmt::format("{} (this machine's clock)", Rfc3339Ms(now));
  Collector collect(data);
  store::PastState state;
  if (since) {
    StatusOr<store::PastState> start = store::StateAtTime(db, ns, *name, *since);
    if (!start.ok()) return Fail(start.status());
    state = std::move(*start);
    if (state.aggregate.exists()) collect.Sample(state.aggregate, *since);
  }
  Status replayed = store::ReplayForward(db, ns, *name, state, {}, [&](const store::ReplayStep& step) {
    data.changes.push_back(ChangeOf(step.change));
    if (step.result.outcome.applied) collect.Sample(step.after, step.change.log_time_ms);
    return Status::Ok();
  });
  if (!replayed.ok()) return Fail(replayed);
  Status written = WriteAtomically(o.output, render::ReportHtml(data));
  if (!written.ok()) return Fail(written);
  if (o.output != "-") {
    fmt::print(stderr, "report of {} ({}, {} change records) written to {}\n", DeploymentRef(*name),
               data.window, data.changes.size(), o.output);
  }
  return 0;
}

}  // namespace

void RegisterReport(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Write a self-contained HTML postmortem report of a Deployment (timeline chart and change table)");
  cmd->add_option("resource", o->args, "deployment/NAME");
  cmd->add_option("--since", o->since,
                  "start of the window: RFC 3339 or a duration ago (2h); default: all history");
  cmd->add_option("-o,--output", o->output, "the HTML file to write (- for stdout)");
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
