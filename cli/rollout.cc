// rollbook rollout history|undo|pause|resume|restart|status
#include "cli/rollout.h"

namespace rollbook::cli {

void RegisterRollout(CLI::App& app, Cli& cli) {
  CLI::App* rollout = app.add_subcommand("rollout", "Manage the rollout of a Deployment");
  rollout->require_subcommand(1);
  RegisterRolloutHistory(*rollout, cli);
  RegisterRolloutUndo(*rollout, cli);
  RegisterRolloutPauseResume(*rollout, cli);
  RegisterRolloutRestart(*rollout, cli);
  RegisterRolloutStatus(*rollout, cli);
}

}  // namespace rollbook::cli
