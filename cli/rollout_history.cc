// rollbook rollout history deployment/NAME [--revision=N] [--all] [-o wide|json|yaml|name]
//                          [--at TIME | --at-offset PARTITION:OFFSET]
//
// Without -o wide and --all the output is kubectl's, byte for byte. -o wide
// adds when each revision got its number (broker time of the change record
// that gave it, and its age), who made that change, its kind and the images;
// --all also lists the revisions revisionHistoryLimit pruned, with the time
// they were pruned (these come from the replica_sets table, which keeps
// pruned rows; store/projection/audit_query.h).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "cli/command.h"
#include "cli/objects.h"
#include "cli/point_in_time.h"
#include "cli/render/human_duration.h"
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

// Images of a template as kubectl get -o wide lists them: "img1,img2".
std::string Images(const std::string& template_json) {
  std::string out;
  const std::string named = store::ImagesOf(template_json);  // "c1=img1,c2=img2"
  size_t at = 0;
  while (at < named.size()) {
    size_t end = named.find(',', at);
    if (end == std::string::npos) end = named.size();
    const std::string item = named.substr(at, end - at);
    const size_t eq = item.find('=');
    out += (out.empty() ? "" : ",") + (eq == std::string::npos ? item : item.substr(eq + 1));
    at = end + 1;
  }
  return out;
}

// The table of -o wide and/or --all, from the replica_sets table.
// With --at, `as_of_ms` bounds the changes consulted and the rows are the
// aggregate's ReplicaSets as they were then (the table holds today's).
int RunExtended(Cli& cli, const HistoryOptions& o, const std::string& name, const state::v1::Aggregate& a,
                std::optional<int64_t> as_of_ms) {
  const bool wide = o.output == "wide";
  StatusOr<store::Projection*> p = cli.S().ForRead();
  if (!p.ok()) return Fail(p.status());
  store::Db& db = (*p)->query_db();
  StatusOr<std::vector<store::HistoryRow>> rows = std::vector<store::HistoryRow>();
  if (as_of_ms) {
    for (const auto& rs : a.replica_sets()) rows->push_back({rs, std::nullopt});
    std::sort(rows->begin(), rows->end(),
              [](const auto& x, const auto& y) { return x.rs.revision() < y.rs.revision(); });
  } else {
    rows = store::QueryHistory(db, store::HistoryQuery(cli.globals.ns, name, a.uid(), o.all));
  }
  if (!rows.ok()) return Fail(rows.status());
  if (rows->empty()) {
    fmt::print("{} No rollout history found.\n", DeploymentRef(name));
    return 0;
  }
  if (o.revision > 0) {  // --all --revision=N: the template of a revision even if pruned
    auto it = std::find_if(rows->begin(), rows->end(),
                           [&](const auto& h) { return h.rs.revision() == o.revision; });
    if (it == rows->end()) return Fail(InvalidArgument("unable to find the specified revision"));
    fmt::print("{} with revision #{}\n{}\n", DeploymentRef(name), o.revision,
               render::DescribePodTemplate(ReplicaSetTemplate(it->rs), ChangeCause(it->rs)));
    return 0;
  }
  // The last applied change that gave each revision its number.
  std::map<int64_t, store::ChangeRow> numbered_by;
  Status s = store::ForEachChange(db, store::RevisionChangesQuery(cli.globals.ns, name, a.created_unix_ms()),
                                  [&](const store::ChangeRow& r) {
                                    if (as_of_ms && r.log_time_ms > *as_of_ms) return Status::Ok();
                                    numbered_by[r.revision_after] = r;
                                    return Status::Ok();
                                  });
  if (!s.ok()) return Fail(s);
  const int64_t now = Session::NowMs();
  std::string text = "REVISION\t";
  if (wide) text += "CREATED\tAGE\tACTOR\tKIND\tIMAGES\t";
  if (o.all) text += "PRUNED\t";
  text += "CHANGE-CAUSE\n";
  for (const auto& h : *rows) {
    const std::string cause = ChangeCause(h.rs);
    text += fmt::format("{}\t", h.rs.revision());
    if (wide) {
      auto by = numbered_by.find(h.rs.revision());
      const bool known = by != numbered_by.end();
      const int64_t created = known ? by->second.log_time_ms : h.rs.created_unix_ms();
      text += fmt::format("{}\t{}\t{}\t{}\t{}\t", Rfc3339(created), render::HumanDuration(now - created),
                          known && !by->second.actor.empty() ? by->second.actor : "<unknown>",
                          known ? by->second.kind : "<unknown>", Images(h.rs.template_json()));
    }
    if (o.all) text += h.pruned_ms ? Rfc3339(*h.pruned_ms) + "\t" : "<none>\t";
    text += (cause.empty() ? "<none>" : cause) + "\n";
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
  if (o.all && !o.output.empty() && o.output != "wide") {
    return Fail(
        InvalidArgument(fmt::format("--all works with the table and -o wide only: pruned revisions "
                                    "no longer exist as ReplicaSet objects to print as {}",
                                    o.output)));
  }
  if (o.all && o.at.given()) {
    return Fail(InvalidArgument(
        "--all lists what revisionHistoryLimit has pruned up to now; it cannot be combined with --at or "
        "--at-offset (use -o wide --at TIME for the revisions live then)"));
  }
  if (o.output == "wide" && o.revision > 0) {
    return Fail(InvalidArgument(
        "-o wide lists revisions; --revision shows one revision's pod template, so use one or the other"));
  }
  StatusOr<std::string> name = DeploymentName(o.args);
  if (!name.ok()) return Fail(name.status());
  std::optional<Point> point;
  StatusOr<state::v1::Aggregate> agg = LoadForRead(cli, *name, o.at, &point);
  if (!agg.ok()) return Fail(agg.status());
  const state::v1::Aggregate& a = *agg;
  if (o.all || o.output == "wide")
    return RunExtended(cli, o, *name, a, point ? std::optional<int64_t>(point->time_ms) : std::nullopt);
  std::vector<const state::v1::ReplicaSet*> rss;
  for (const auto& rs : a.replica_sets()) rss.push_back(&rs);
  std::sort(rss.begin(), rss.end(), [](auto* x, auto* y) { return x->revision() < y->revision(); });

  if (!o.output.empty()) {
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
  cmd->add_option(
      "-o,--output", o->output,
      "wide: add when, by whom and how each revision was made, and its images; json|yaml|name: print the "
      "ReplicaSets");
  cmd->add_flag("--all", o->all, "also list the revisions revisionHistoryLimit pruned (PRUNED column)");
  AddAtFlags(cmd, o->at);
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
