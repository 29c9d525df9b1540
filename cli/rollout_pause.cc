// rollbook rollout pause|resume deployment/NAME
#include <fmt/format.h>

#include "cli/rollout.h"

namespace rollbook::cli {

void RegisterRolloutPauseResume(CLI::App& rollout, Cli& cli) {
  for (bool pause : {true, false}) {
    auto args = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = rollout.add_subcommand(pause ? "pause" : "resume",
                                           pause ? "Pause a rollout (template edits wait for resume)"
                                                 : "Resume a paused rollout");
    cmd->add_option("resource", *args, "deployment/NAME");
    cmd->callback([&cli, args, pause] {
      cli.exit_code = WriteChange(
          cli, *args, pause ? v1::CHANGE_KIND_PAUSE : v1::CHANGE_KIND_RESUME, false,
          [pause](const state::v1::Aggregate& agg, v1::ChangeRecord& rec) -> Status {
            if (agg.deployment().spec().paused() == pause) {
              return FailedPrecondition(fmt::format("deployments.apps \"{}\" is {}", agg.deployment().metadata().name(),
                                                    pause ? "already paused" : "not paused"));
            }
            if (pause) {
              rec.mutable_pause();
            } else {
              rec.mutable_resume();
            }
            return Status::Ok();
          });
    });
  }
}

}  // namespace rollbook::cli
