// rollbook scale deployment/NAME --replicas=N [--current-replicas=M] [--record]
#include <fmt/format.h>

#include <limits>

#include "cli/command.h"

namespace rollbook::cli {

namespace {
struct ScaleOptions {
  std::vector<std::string> args;
  std::string replicas;
  int current_replicas = -1;
  bool record = false;
};
}  // namespace

void RegisterScale(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<ScaleOptions>();
  CLI::App* cmd = app.add_subcommand("scale", "Set a new size for a Deployment");
  cmd->add_option("resource", o->args, "deployment/NAME or deployment NAME");
  cmd->add_option("--replicas", o->replicas, "the new desired number of replicas");
  cmd->add_option("--current-replicas", o->current_replicas, "precondition: the current size must be this");
  cmd->add_flag("--record", o->record, "record the command line as the change-cause");
  cmd->callback([&cli, o] {
    // kubectl's message for a missing or negative count; a clearer one for
    // text that is not a count at all.
    const std::string& text = o->replicas;
    const bool negative = text.size() > 1 && text[0] == '-';
    const std::string digits = negative ? text.substr(1) : text;
    if (text.empty() || (negative && digits.find_first_not_of("0123456789") == std::string::npos)) {
      cli.exit_code = Fail(InvalidArgument(
          "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"));
      return;
    }
    if (digits.find_first_not_of("0123456789") != std::string::npos) {
      cli.exit_code = Fail(InvalidArgument(fmt::format(
          "invalid argument \"{}\" for \"--replicas\" flag: COUNT must be a whole number >= 0", text)));
      return;
    }
    if (digits.size() > 10 || std::stoll(digits) > std::numeric_limits<int32_t>::max()) {
      cli.exit_code = Fail(InvalidArgument(
          fmt::format("invalid argument \"{}\" for \"--replicas\" flag: COUNT must be at most {}", text,
                      std::numeric_limits<int32_t>::max())));
      return;
    }
    const int replicas = static_cast<int>(std::stoll(digits));
    cli.exit_code = WriteChange(cli, o->args, v1::CHANGE_KIND_SCALE, o->record,
                                [&](const state::v1::Aggregate& agg, v1::ChangeRecord& rec) -> Status {
                                  const int current = agg.deployment().spec().replicas();
                                  if (o->current_replicas >= 0 && o->current_replicas != current) {
                                    return FailedPrecondition(fmt::format("Expected replicas to be {}, was {}",
                                                                          o->current_replicas, current));
                                  }
                                  rec.mutable_scale()->set_replicas(replicas);
                                  rec.mutable_scale()->set_current_replicas(o->current_replicas);
                                  return Status::Ok();
                                });
  });
}

}  // namespace rollbook::cli
