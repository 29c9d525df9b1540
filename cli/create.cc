// rollbook create -f FILE [--record]
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/manifest_input.h"
#include "cli/record_flag.h"
#include "store/fold/fold.h"

namespace rollbook::cli {

namespace {

struct CreateOptions {
  std::vector<std::string> files;
  bool record = false;
};

int RunCreate(Cli& cli, const CreateOptions& o) {
  StatusOr<std::vector<ManifestDeployment>> loaded = LoadDeployments(o.files, cli.globals);
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
    if (!cause.empty()) (*d.mutable_metadata()->mutable_annotations())[fold::kChangeCauseAnnotation] = cause;
    const std::string& ns = d.metadata().namespace_();
    const std::string& name = d.metadata().name();
    StatusOr<Appended> appended = AppendChange(
        cli, ns, name,
        [&](const std::optional<state::v1::Aggregate>& agg) -> StatusOr<std::optional<v1::ChangeRecord>> {
          if (agg.has_value() && agg->exists()) {
            return AlreadyExists(
                fmt::format("Error from server (AlreadyExists): error when creating \"{}\": deployments.apps "
                            "\"{}\" already exists",
                            m.source, name));
          }
          return std::optional<v1::ChangeRecord>(
              DeploymentRecord(v1::CHANGE_KIND_CREATE, d, agg.has_value() ? agg->version() : 0, cause));
        });
    if (!appended.ok()) return Fail(appended.status());
    if (!appended->refused.ok()) {
      exit_code = Fail(appended->refused);
      continue;
    }
    if (ReportOutcome(*appended->row, fmt::format("error when creating \"{}\": ", m.source)) != 0)
      exit_code = 1;
  }
  return exit_code;
}

}  // namespace

void RegisterCreate(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<CreateOptions>();
  CLI::App* cmd = app.add_subcommand("create", "Create Deployments from a file (YAML or JSON) or stdin");
  cmd->add_option("-f,--filename", o->files, "file, directory or - for stdin")->required();
  cmd->add_flag("--record", o->record, "record the command line as the kubernetes.io/change-cause annotation");
  cmd->callback([&cli, o] { cli.exit_code = RunCreate(cli, *o); });
}

}  // namespace rollbook::cli
