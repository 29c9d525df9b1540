// rollbook apply -f FILE|DIR|- [--record]
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/manifest_input.h"
#include "cli/record_flag.h"
#include "store/fold/fold.h"
#include "store/fold/manifest.h"
#include "store/fold/validation.h"

namespace rollbook::cli {

namespace {
struct ApplyOptions {
  std::vector<std::string> files;
  bool record = false;
};

int RunApply(Cli& cli, const ApplyOptions& o) {
  StatusOr<std::vector<ManifestDeployment>> loaded = LoadDeployments(o.files, cli.globals, "apply");
  if (!loaded.ok()) return Fail(loaded.status());
  const std::string cause = o.record ? ChangeCauseFor(cli.globals.argv) : "";
  int exit_code = 0;
  for (ManifestDeployment& m : *loaded) {
    if (!m.error.empty()) {
      fmt::print(stderr, "{}\n", m.error);
      exit_code = 1;
      continue;
    }
    v1::Deployment& d = m.deployment;
    auto* ann = d.mutable_metadata()->mutable_annotations();
    if (!cause.empty()) (*ann)[fold::kChangeCauseAnnotation] = cause;
    // kubectl apply stores what was applied, for the next three-way merge.
    nlohmann::json applied = fold::DeploymentToJson(d);
    applied["apiVersion"] = d.api_version();
    (*ann)[fold::kLastAppliedAnnotation] = applied.dump() + "\n";

    const std::string& ns = d.metadata().namespace_();
    const std::string& name = d.metadata().name();
    bool unchanged = false;
    StatusOr<Appended> appended = AppendChange(
        cli, ns, name,
        [&](const std::optional<state::v1::Aggregate>& agg) -> StatusOr<std::optional<v1::ChangeRecord>> {
          unchanged = false;
          if (agg.has_value() && agg->exists()) {
            fold::FieldErrors errors = fold::ValidateDeploymentUpdate(agg->deployment(), d);
            if (!errors.empty()) return InvalidArgument(fold::FormatInvalid("Deployment", name, errors));
            // Nothing to change: kubectl sends no patch and says "unchanged".
            state::v1::Aggregate probe = *agg;
            fold::FoldResult r =
                fold::ApplyRecord(probe, DeploymentRecord(v1::CHANGE_KIND_APPLY, d, probe.version(), ""), 0);
            if (r.outcome.applied && r.outcome.message == "unchanged") {
              unchanged = true;
              return std::optional<v1::ChangeRecord>();
            }
          }
          return std::optional<v1::ChangeRecord>(
              DeploymentRecord(v1::CHANGE_KIND_APPLY, d, agg.has_value() ? agg->version() : 0, cause));
        });
    if (!appended.ok()) return Fail(appended.status());
    if (!appended->refused.ok()) {
      exit_code = Fail(appended->refused);
      continue;
    }
    if (unchanged) {
      fmt::print("{} unchanged\n", DeploymentRef(name));
      continue;
    }
    if (ReportOutcome(*appended->row) != 0) exit_code = 1;
  }
  return exit_code;
}
}  // namespace

void RegisterApply(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<ApplyOptions>();
  CLI::App* cmd = app.add_subcommand("apply", "Create or update Deployments from files, a directory or stdin");
  cmd->add_option("-f,--filename", o->files, "file, directory or - for stdin")->required();
  cmd->add_flag("--record", o->record, "record the command line as the kubernetes.io/change-cause annotation");
  cmd->callback([&cli, o] { cli.exit_code = RunApply(cli, *o); });
}

}  // namespace rollbook::cli
