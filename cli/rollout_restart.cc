// rollbook rollout restart deployment/NAME
#include <fmt/format.h>

#include "cli/objects.h"
#include "cli/rollout.h"

namespace rollbook::cli {

void RegisterRolloutRestart(CLI::App& rollout, Cli& cli) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = rollout.add_subcommand("restart", "Restart a Deployment's pods with a new rollout");
  cmd->add_option("resource", *args, "deployment/NAME");
  cmd->callback([&cli, args] {
    cli.exit_code = WriteChange(cli, *args, v1::CHANGE_KIND_RESTART, false,
                                [](const state::v1::Aggregate& agg, v1::ChangeRecord& rec) -> Status {
                                  if (agg.deployment().spec().paused()) {
                                    return FailedPrecondition(fmt::format(
                                        "deployments.apps \"{}\" can't restart paused deployment (run rollout resume first)",
                                        agg.deployment().metadata().name()));
                                  }
                                  rec.mutable_restart()->set_restarted_at(Rfc3339Local(Session::NowMs()));
                                  return Status::Ok();
                                });
  });
}

}  // namespace rollbook::cli
