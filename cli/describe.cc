// rollbook describe deployment/NAME [--at TIME | --at-offset PARTITION:OFFSET]
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/objects.h"
#include "cli/point_in_time.h"
#include "cli/render/describe_deployment.h"
#include "cli/render/human_duration.h"
#include "store/fold/labels.h"

namespace rollbook::cli {

namespace {

std::string Raw(const v1::IntOrString& v) {
  return v.value_case() == v1::IntOrString::kIntValue ? std::to_string(v.int_value()) : v.str_value();
}

}  // namespace

StatusOr<std::string> DescribeDeploymentText(const state::v1::Aggregate& agg,
                                             const std::vector<store::EventRow>& events, int64_t now_ms) {
  const v1::Deployment& d = agg.deployment();
  render::DeploymentDescription desc;
  desc.name = d.metadata().name();
  desc.namespace_ = d.metadata().namespace_();
  desc.creation_timestamp = Rfc1123Local(agg.created_unix_ms());
  desc.labels = std::map<std::string, std::string>(d.metadata().labels().begin(), d.metadata().labels().end());
  desc.annotations =
      std::map<std::string, std::string>(d.metadata().annotations().begin(), d.metadata().annotations().end());
  StatusOr<fold::Selector> sel = fold::SelectorFromLabelSelector(d.spec().selector());
  desc.selector = sel.ok() ? sel->String() : "";
  const auto& s = agg.status();
  desc.replicas = d.spec().replicas();
  desc.updated = s.updated_replicas();
  desc.total = s.replicas();
  desc.available = s.available_replicas();
  desc.unavailable = s.unavailable_replicas();
  desc.strategy_type = d.spec().strategy().type();
  desc.min_ready_seconds = d.spec().min_ready_seconds();
  if (d.spec().strategy().type() == "RollingUpdate") {
    desc.rolling_update = render::RollingUpdateParams{Raw(d.spec().strategy().rolling_update().max_unavailable()),
                                                      Raw(d.spec().strategy().rolling_update().max_surge())};
  }
  desc.pod_template = nlohmann::json::parse(d.spec().template_json(), nullptr, false);
  for (const auto& c : s.conditions()) desc.conditions.push_back({c.type(), c.status(), c.reason()});
  std::vector<const state::v1::ReplicaSet*> olds;
  for (const auto& rs : agg.replica_sets()) {
    const render::ReplicaSetSummary entry{rs.name(), rs.replicas(), rs.replicas()};
    if (rs.template_json() == d.spec().template_json() && !desc.new_replica_set) {
      desc.new_replica_set = entry;
    } else {
      olds.push_back(&rs);
    }
  }
  std::sort(olds.begin(), olds.end(), [](auto* a, auto* b) { return a->creation_seq() < b->creation_seq(); });
  for (const auto* rs : olds) desc.old_replica_sets.push_back({rs->name(), rs->replicas(), rs->replicas()});
  for (const auto& e : events) {
    desc.events.push_back({e.type, e.reason, render::HumanDuration(now_ms - e.time_ms), "deployment-controller",
                           e.message, e.time_ms});
  }
  return render::DescribeDeployment(desc);
}

namespace {

int RunDescribe(Cli& cli, const std::vector<std::string>& args, const AtFlags& at) {
  StatusOr<std::string> name = DeploymentName(args);
  if (!name.ok()) return Fail(name.status());
  std::optional<Point> point;
  std::optional<store::PastState> past;
  StatusOr<state::v1::Aggregate> agg = LoadForRead(cli, *name, at, &point, &past);
  if (!agg.ok()) return Fail(agg.status());
  StatusOr<store::Projection*> p = cli.S().ForRead();
  if (!p.ok()) return Fail(p.status());
  // In the past, the events are those emitted until then and ages count from then.
  StatusOr<std::vector<store::EventRow>> events =
      past && past->last_record
          ? store::EventsUpTo((*p)->query_db(), cli.globals.ns, *name, agg->uid(), *past->last_record)
          : (*p)->Events(cli.globals.ns, *name, agg->uid());
  if (!events.ok()) return Fail(events.status());
  const int64_t now = point ? point->time_ms : Session::NowMs();
  StatusOr<std::string> text = DescribeDeploymentText(*agg, *events, now);
  if (!text.ok()) return Fail(text.status());
  fmt::print("{}", *text);
  return 0;
}

}  // namespace

void RegisterDescribe(CLI::App& app, Cli& cli) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto at = std::make_shared<AtFlags>();
  CLI::App* cmd = app.add_subcommand("describe", "Show a Deployment in detail, with its events");
  cmd->add_option("resource", *args, "deployment/NAME or deployment NAME");
  AddAtFlags(cmd, *at);
  cmd->callback([&cli, args, at] { cli.exit_code = RunDescribe(cli, *args, *at); });
}

}  // namespace rollbook::cli
