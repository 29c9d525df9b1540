// rollbook delete deployment/NAME
#include "cli/command.h"

namespace rollbook::cli {

void RegisterDelete(CLI::App& app, Cli& cli) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("delete", "Delete a Deployment (its history stays in the log)");
  cmd->add_option("resource", *args, "deployment/NAME or deployment NAME");
  cmd->callback([&cli, args] {
    cli.exit_code = WriteChange(cli, *args, v1::CHANGE_KIND_DELETE, false,
                                [](const state::v1::Aggregate&, v1::ChangeRecord& rec) -> Status {
                                  rec.mutable_delete_();
                                  return Status::Ok();
                                });
  });
}

}  // namespace rollbook::cli
