// rollbook rollout status deployment/NAME [--watch=false] [--revision=N] [--timeout=D]
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "cli/rollout.h"

namespace rollbook::cli {

namespace {
struct StatusOptions {
  std::vector<std::string> args;
  bool watch = true;
  int64_t revision = 0;
};

// DeploymentStatusViewer: the line to print and whether the rollout is done.
std::pair<std::string, bool> StatusLine(const state::v1::Aggregate& agg) {
  const std::string& name = agg.deployment().metadata().name();
  const auto& s = agg.status();
  const int32_t r = agg.deployment().spec().replicas();
  if (agg.generation() > s.observed_generation()) return {"Waiting for deployment spec update to be observed...\n", false};
  if (s.updated_replicas() < r) {
    return {fmt::format("Waiting for deployment \"{}\" rollout to finish: {} out of {} new replicas have been updated...\n",
                        name, s.updated_replicas(), r), false};
  }
  if (s.replicas() > s.updated_replicas()) {
    return {fmt::format("Waiting for deployment \"{}\" rollout to finish: {} old replicas are pending termination...\n",
                        name, s.replicas() - s.updated_replicas()), false};
  }
  if (s.available_replicas() < s.updated_replicas()) {
    return {fmt::format("Waiting for deployment \"{}\" rollout to finish: {} of {} updated replicas are available...\n",
                        name, s.available_replicas(), s.updated_replicas()), false};
  }
  return {fmt::format("deployment \"{}\" successfully rolled out\n", name), true};
}

int Run(Cli& cli, const StatusOptions& o) {
  StatusOr<std::string> name = DeploymentName(o.args);
  if (!name.ok()) return Fail(name.status());
  StatusOr<int64_t> timeout = ParseDurationMs(cli.globals.timeout);
  if (!timeout.ok()) return Fail(timeout.status());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(*timeout);
  std::string last;
  for (;;) {
    StatusOr<std::optional<state::v1::Aggregate>> agg = cli.S().Load(cli.globals.ns, *name);
    if (!agg.ok()) return Fail(agg.status());
    if (!agg->has_value() || !(*agg)->exists()) {
      if (!last.empty()) return Fail(InvalidArgument("object has been deleted"));
      return Fail(NotFound(fmt::format("Error from server (NotFound): deployments.apps \"{}\" not found", *name)));
    }
    if (o.revision > 0) {
      const auto& ann = (*agg)->deployment().metadata().annotations();
      auto it = ann.find("deployment.kubernetes.io/revision");
      const std::string running = it == ann.end() ? "0" : it->second;
      if (running != std::to_string(o.revision)) {
        return Fail(InvalidArgument(fmt::format("desired revision ({}) is different from the running revision ({})",
                                                o.revision, running)));
      }
    }
    auto [line, done] = StatusLine(**agg);
    if (line != last) fmt::print("{}", line);
    std::fflush(stdout);
    last = line;
    if (done || !o.watch) return 0;
    if (std::chrono::steady_clock::now() >= deadline) return Fail(DeadlineExceeded("timed out waiting for the condition"));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    cli.session.reset();  // next round catches up again
  }
}
}  // namespace

void RegisterRolloutStatus(CLI::App& rollout, Cli& cli) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* cmd = rollout.add_subcommand("status", "Show (and by default wait for) the rollout status");
  cmd->add_option("resource", o->args, "deployment/NAME");
  cmd->add_option("-w,--watch", o->watch, "keep watching until the rollout finishes (default true)");
  cmd->add_option("--revision", o->revision, "the revision that must be running");
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
