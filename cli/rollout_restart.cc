// rollbook rollout restart deployment/NAME
#include <ctime>

#include <fmt/format.h>

#include "cli/rollout.h"

namespace rollbook::cli {

namespace {
// kubectl writes local time in RFC 3339 ("Z" for UTC, otherwise +hh:mm).
std::string LocalRfc3339(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char base[32];
  std::strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
  const long off = tm.tm_gmtoff;
  if (off == 0) return std::string(base) + "Z";
  const long a = off < 0 ? -off : off;
  return fmt::format("{}{}{:02}:{:02}", base, off < 0 ? '-' : '+', a / 3600, (a % 3600) / 60);
}
}  // namespace

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
                                  rec.mutable_restart()->set_restarted_at(LocalRfc3339(Session::NowMs()));
                                  return Status::Ok();
                                });
  });
}

}  // namespace rollbook::cli
