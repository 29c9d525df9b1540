// rollbook rollout history deployment/NAME [--revision=N] [-o json|yaml|name]
//                          [--at TIME | --at-offset PARTITION:OFFSET] [-o wide] [--all]
#include <fmt/format.h>

#include <algorithm>

#include "cli/command.h"
#include "cli/objects.h"
#include "cli/point_in_time.h"
#include "cli/render/pod_template.h"
#include "cli/render/tabwriter.h"
#include "cli/rollout.h"
#include "store/fold/fold.h"
#include "store/projection/audit_query.h"

namespace rollbook::cli {

namespace {
struct HistoryOptions {
  std::vector<std::string> args;
  int64_t revision = 0;
  std::string output;
  bool all = false;
  AtFlags at;  // the revision list as it was then
};

std::string ChangeCause(const state::v1::ReplicaSet& rs) {
  auto it = rs.annotations().find(fold::kChangeCauseAnnotation);
  return it == rs.annotations().end() ? "" : it->second;
}

// Who made revision `revision` current, and when (broker time): the latest
// applied change of this incarnation that moved the Deployment to it.
struct RevisionOrigin {
  std::string actor;
  int64_t time_ms = 0;
};
RevisionOrigin OriginOf(store::Db& db, const state::v1::Aggregate& a, int64_t revision) {
  RevisionOrigin o;
  StatusOr<store::Stmt> s = db.Prepare(
      "SELECT actor, log_time_ms FROM changes WHERE namespace = ? AND name = ? AND log_time_ms >= ? AND "
      "outcome = 'applied' AND revision_after = ? AND revision_before <> ? ORDER BY log_time_ms DESC LIMIT "
      "1");
  if (!s.ok()) return o;
  s->Bind(1, a.deployment().metadata().namespace_()).Bind(2, a.deployment().metadata().name());
  s->Bind(3, a.created_unix_ms()).Bind(4, revision).Bind(5, revision);
  StatusOr<bool> row = s->Step();
  if (row.ok() && *row) {
    o.actor = s->Text(0);
    o.time_ms = s->Int(1);
  }
  return o;
}

// `rollout history -o wide` and/or `--all`: kubectl's two columns plus what a
// postmortem needs. The plain form stays byte-identical to kubectl.
int ExtendedHistory(Cli& cli, const std::string& name, const state::v1::Aggregate& a, bool wide, bool all) {
  StatusOr<store::Projection*> p = cli.S().ForRead();
  if (!p.ok()) return Fail(p.status());
  std::vector<store::HistoryRow> rows;
  if (all) {
    StatusOr<std::vector<store::HistoryRow>> r =
        store::QueryHistoryAll((*p)->db(), a.deployment().metadata().namespace_(), name, a.uid());
    if (!r.ok()) return Fail(r.status());
    rows = std::move(*r);
  } else {
    for (const auto& rs : a.replica_sets()) rows.push_back({rs, std::nullopt});
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& x, const auto& y) { return x.rs.revision() < y.rs.revision(); });
  if (rows.empty()) {
    fmt::print("{} No rollout history found.\n", DeploymentRef(name));
    return 0;
  }
  std::string text = "REVISION";
  if (wide) text += "\tCREATED\tACTOR\tIMAGES";
  text += "\tCHANGE-CAUSE";
  if (all) text += "\tPRUNED";
  text += "\n";
  for (const auto& row : rows) {
    const std::string cause = ChangeCause(row.rs);
    text += std::to_string(row.rs.revision());
    if (wide) {
      const RevisionOrigin o = OriginOf((*p)->db(), a, row.rs.revision());
      text += fmt::format("\t{}\t{}\t{}", Rfc3339(o.time_ms != 0 ? o.time_ms : row.rs.created_unix_ms()),
                          o.actor.empty() ? "<unknown>" : o.actor, store::ImagesOf(row.rs.template_json()));
    }
    text += "\t" + (cause.empty() ? std::string("<none>") : cause);
    if (all) text += "\t" + (row.pruned_ms ? Rfc3339(*row.pruned_ms) : std::string("-"));
    text += "\n";
  }
  fmt::print("{} \n{}\n", DeploymentRef(name), render::AlignTabs(text, render::kDescribeTabs));
  return 0;
}

int Run(Cli& cli, const HistoryOptions& o) {
  if (o.revision < 0)
    return Fail(InvalidArgument(fmt::format("revision must be a positive integer: {}", o.revision)));
  if (!o.output.empty() && o.output != "json" && o.output != "yaml" && o.output != "name" &&
      o.output != "wide") {
    return Fail(
        InvalidArgument(fmt::format("unable to match a printer suitable for the output format \"{}\", "
                                    "allowed formats are: json,name,wide,yaml",
                                    o.output)));
  }
  if (o.all && o.revision > 0)
    return Fail(InvalidArgument("--all lists every revision; it cannot be combined with --revision"));
  if (o.all && !o.output.empty() && o.output != "wide") {
    return Fail(InvalidArgument("--all prints a table; it can be combined with -o wide only"));
  }
  StatusOr<std::string> name = DeploymentName(o.args);
  if (!name.ok()) return Fail(name.status());
  StatusOr<state::v1::Aggregate> agg = LoadForRead(cli, *name, o.at);
  if (!agg.ok()) return Fail(agg.status());
  const state::v1::Aggregate& a = *agg;
  std::vector<const state::v1::ReplicaSet*> rss;
  for (const auto& rs : a.replica_sets()) rss.push_back(&rs);
  std::sort(rss.begin(), rss.end(), [](auto* x, auto* y) { return x->revision() < y->revision(); });

  if ((o.output == "wide" || o.all) && o.revision == 0)
    return ExtendedHistory(cli, *name, a, o.output == "wide", o.all);
  if (!o.output.empty() && o.output != "wide") {
    nlohmann::json items = nlohmann::json::array();
    for (const auto* rs : rss) {
      if (o.revision > 0 && rs->revision() != o.revision) continue;
      items.push_back(ReplicaSetObject(a, *rs));
    }
    if (o.revision > 0 && items.empty())
      return Fail(InvalidArgument("unable to find the specified revision"));
    if (o.output == "name") {
      for (const auto& it : items)
        fmt::print("replicaset.apps/{}\n", it["metadata"]["name"].get<std::string>());
    } else {
      const nlohmann::json doc = items.size() == 1 ? items[0] : ListObject(items);
      fmt::print("{}", o.output == "json" ? ToJson(doc) : ToYaml(doc));
    }
    return 0;
  }
  if (rss.empty()) {
    fmt::print("{} No rollout history found.\n", DeploymentRef(*name));
    return 0;
  }
  if (o.revision > 0) {
    auto it = std::find_if(rss.begin(), rss.end(), [&](auto* rs) { return rs->revision() == o.revision; });
    if (it == rss.end()) return Fail(InvalidArgument("unable to find the specified revision"));
    fmt::print("{} with revision #{}\n{}\n", DeploymentRef(*name), o.revision,
               render::DescribePodTemplate(ReplicaSetTemplate(**it), ChangeCause(**it)));
    return 0;
  }
  fmt::print("{} \n{}\n", DeploymentRef(*name), HistoryTable(rss));
  return 0;
}
}  // namespace

std::string HistoryTable(const std::vector<const state::v1::ReplicaSet*>& by_revision) {
  std::string text = "REVISION\tCHANGE-CAUSE\n";
  for (const auto* rs : by_revision) {
    const std::string cause = ChangeCause(*rs);
    text += fmt::format("{}\t{}\n", rs->revision(), cause.empty() ? "<none>" : cause);
  }
  return render::AlignTabs(text, render::kDescribeTabs);
}

void RegisterRolloutHistory(CLI::App& rollout, Cli& cli) {
  auto o = std::make_shared<HistoryOptions>();
  CLI::App* cmd = rollout.add_subcommand("history", "View the revision history of a Deployment");
  cmd->add_option("resource", o->args, "deployment/NAME");
  cmd->add_option("--revision", o->revision, "show the pod template of this revision");
  cmd->add_option("-o,--output", o->output,
                  "json|yaml|name: print the ReplicaSets; wide: add CREATED, ACTOR, IMAGES");
  cmd->add_flag("--all", o->all, "also list revisions that revisionHistoryLimit pruned (PRUNED column)");
  AddAtFlags(cmd, o->at);
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
