// rollbook blame deployment/NAME [--at TIME | --at-offset PARTITION:OFFSET] [-o table|json]
//
// For each field of the Deployment's desired state (cli/spec_document.h,
// flattened as cli/render/blame.h describes), the change record that last set
// it: broker time, actor, kind, change-cause and log position. Computed by
// replaying the Deployment's records from the log and comparing the fields
// record by record; with --at, as things stood then.
#include "cli/render/blame.h"

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/objects.h"
#include "cli/point_in_time.h"
#include "cli/spec_document.h"
#include "cli/time_arg.h"

namespace rollbook::cli {

namespace {

struct BlameOptions {
  std::vector<std::string> args;
  AtFlags at;
  std::string output = "table";
};

render::ChangeRef RefOf(const store::ChangeRow& row) {
  return render::ChangeRef{row.log_time_ms, row.actor,  row.kind,     row.change_cause,
                           row.partition,   row.offset, row.record_id};
}

int Run(Cli& cli, const BlameOptions& o) {
  if (o.output != "table" && o.output != "json") {
    return Fail(InvalidArgument(fmt::format("-o {}: expected table or json", o.output)));
  }
  StatusOr<std::string> name = DeploymentName(o.args);
  if (!name.ok()) return Fail(name.status());
  // The end of the replay: now, or the state --at names (which must exist).
  std::optional<Point> point;
  std::optional<store::PastState> until;
  StatusOr<state::v1::Aggregate> target = LoadForRead(cli, *name, o.at, &point, &until);
  if (!target.ok()) return Fail(target.status());
  StatusOr<store::Projection*> p = cli.S().ForRead();
  if (!p.ok()) return Fail(p.status());

  render::BlameTracker tracker;
  store::PastState state;  // from the first record
  store::ReplayLimit limit;
  if (until) limit.through = until->last_record;
  Status replayed = store::ReplayForward((*p)->query_db(), cli.globals.ns, *name, state, limit,
                                         [&](const store::ReplayStep& step) {
                                           if (step.result.outcome.applied) {
                                             tracker.Step(SpecDocument(step.after), RefOf(step.change));
                                           }
                                           return Status::Ok();
                                         });
  if (!replayed.ok()) return Fail(replayed);
  const std::vector<render::BlameLine> lines = tracker.Lines();
  if (o.output == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& l : lines) {
      out.push_back({{"field", l.path},
                     {"value", l.value},
                     {"time", Rfc3339Ms(l.change.log_time_ms)},
                     {"actor", l.change.actor},
                     {"kind", l.change.kind},
                     {"changeCause", l.change.change_cause},
                     {"partition", l.change.partition},
                     {"offset", l.change.offset},
                     {"recordId", l.change.record_id}});
    }
    fmt::print("{}", ToJson(out));
  } else {
    fmt::print("{}", render::BlameTable(lines));
  }
  return 0;
}

}  // namespace

void RegisterBlame(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<BlameOptions>();
  CLI::App* cmd = app.add_subcommand("blame", "Show which change last set each field of a Deployment");
  cmd->add_option("resource", o->args, "deployment/NAME");
  AddAtFlags(cmd, o->at);
  cmd->add_option("-o,--output", o->output, "table|json");
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
