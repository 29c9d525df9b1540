// rollbook rollout history deployment/NAME [--revision=N] [-o json|yaml|name]
//                          [--at TIME | --at-offset PARTITION:OFFSET]
#include <algorithm>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/objects.h"
#include "cli/point_in_time.h"
#include "cli/render/pod_template.h"
#include "cli/render/tabwriter.h"
#include "cli/rollout.h"
#include "store/fold/fold.h"

namespace rollbook::cli {

namespace {
struct HistoryOptions {
  std::vector<std::string> args;
  int64_t revision = 0;
  std::string output;
  AtFlags at;  // the revision list as it was then
};

std::string ChangeCause(const state::v1::ReplicaSet& rs) {
  auto it = rs.annotations().find(fold::kChangeCauseAnnotation);
  return it == rs.annotations().end() ? "" : it->second;
}

int Run(Cli& cli, const HistoryOptions& o) {
  if (o.revision < 0) return Fail(InvalidArgument(fmt::format("revision must be a positive integer: {}", o.revision)));
  if (!o.output.empty() && o.output != "json" && o.output != "yaml" && o.output != "name") {
    return Fail(InvalidArgument(fmt::format(
        "unable to match a printer suitable for the output format \"{}\", allowed formats are: json,name,yaml",
        o.output)));
  }
  StatusOr<std::string> name = DeploymentName(o.args);
  if (!name.ok()) return Fail(name.status());
  StatusOr<state::v1::Aggregate> agg = LoadForRead(cli, *name, o.at);
  if (!agg.ok()) return Fail(agg.status());
  const state::v1::Aggregate& a = *agg;
  std::vector<const state::v1::ReplicaSet*> rss;
  for (const auto& rs : a.replica_sets()) rss.push_back(&rs);
  std::sort(rss.begin(), rss.end(), [](auto* x, auto* y) { return x->revision() < y->revision(); });

  if (!o.output.empty()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto* rs : rss) {
      if (o.revision > 0 && rs->revision() != o.revision) continue;
      items.push_back(ReplicaSetObject(a, *rs));
    }
    if (o.revision > 0 && items.empty()) return Fail(InvalidArgument("unable to find the specified revision"));
    if (o.output == "name") {
      for (const auto& it : items) fmt::print("replicaset.apps/{}\n", it["metadata"]["name"].get<std::string>());
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
  cmd->add_option("-o,--output", o->output, "json|yaml|name: print the ReplicaSets");
  AddAtFlags(cmd, o->at);
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
