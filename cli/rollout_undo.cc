// rollbook rollout undo deployment/NAME [--to-revision=N] [--dry-run=client]
#include <fmt/format.h>

#include "cli/objects.h"
#include "cli/render/pod_template.h"
#include "cli/rollout.h"
#include "store/fold/fold.h"

namespace rollbook::cli {

namespace {
struct UndoOptions {
  std::vector<std::string> args;
  int64_t to_revision = 0;
  std::string dry_run = "none";
};

int Run(Cli& cli, const UndoOptions& o) {
  if (o.dry_run != "none" && o.dry_run != "client" && o.dry_run != "server") {
    return Fail(InvalidArgument(fmt::format(
        "Invalid dry-run value ({}). Must be \"none\", \"server\", or \"client\".", o.dry_run)));
  }
  if (o.to_revision < 0) {
    return Fail(InvalidArgument(fmt::format("unable to find specified revision {} in history", o.to_revision)));
  }
  bool skipped = false;
  std::string skipped_text;
  bool dry = o.dry_run != "none";
  int code = WriteChange(cli, o.args, v1::CHANGE_KIND_ROLLBACK, false,
                         [&](const state::v1::Aggregate& agg, v1::ChangeRecord& rec) -> Status {
                           std::string error;
                           const state::v1::ReplicaSet* target = fold::FindRollbackTarget(agg, o.to_revision, &error);
                           if (target == nullptr) return FailedPrecondition(error);
                           if (o.dry_run == "client") {
                             skipped = true;
                             skipped_text = fmt::format("{} {} (dry run)\n", DeploymentRef(agg.deployment().metadata().name()),
                                                        render::DescribePodTemplate(ReplicaSetTemplate(*target)));
                             return Status(StatusCode::kOk, "");
                           }
                           if (agg.deployment().spec().paused()) {
                             return FailedPrecondition(
                                 "you cannot rollback a paused deployment; resume it first with 'kubectl rollout "
                                 "resume' and try again");
                           }
                           if (target->template_json() == agg.deployment().spec().template_json()) {
                             skipped = true;
                             skipped_text = fmt::format(
                                 "{} skipped rollback (current template already matches revision {})\n",
                                 DeploymentRef(agg.deployment().metadata().name()), o.to_revision);
                             return Status::Ok();
                           }
                           if (dry) {  // server dry run: validated, nothing written
                             skipped = true;
                             skipped_text = fmt::format("{} rolled back (server dry run)\n",
                                                        DeploymentRef(agg.deployment().metadata().name()));
                             return Status::Ok();
                           }
                           rec.mutable_rollback()->set_to_revision(o.to_revision);
                           return Status::Ok();
                         },
                         [&] { return skipped; });
  if (skipped && code == 0) fmt::print("{}", skipped_text);
  return code;
}
}  // namespace

void RegisterRolloutUndo(CLI::App& rollout, Cli& cli) {
  auto o = std::make_shared<UndoOptions>();
  CLI::App* cmd = rollout.add_subcommand("undo", "Roll back to a previous revision");
  cmd->add_option("resource", o->args, "deployment/NAME");
  cmd->add_option("--to-revision", o->to_revision, "revision to roll back to (default: the previous one)");
  cmd->add_option("--dry-run", o->dry_run, "none|client|server: show what would happen, write nothing");
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
