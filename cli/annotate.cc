// rollbook annotate deployment/NAME KEY=VALUE [KEY-] [--overwrite] [--record]
#include <fmt/format.h>

#include "cli/command.h"
#include "store/fold/fold.h"
#include "store/fold/labels.h"

namespace rollbook::cli {

namespace {
struct AnnotateOptions {
  std::vector<std::string> args;
  bool overwrite = false;
  bool record = false;
};
}  // namespace

void RegisterAnnotate(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<AnnotateOptions>();
  CLI::App* cmd = app.add_subcommand("annotate", "Update the annotations of a Deployment");
  cmd->add_option("args", o->args, "deployment/NAME KEY=VALUE ... KEY- ...")->required();
  cmd->add_flag("--overwrite", o->overwrite, "allow replacing existing values");
  cmd->add_flag("--record", o->record, "record the command line as the change-cause");
  cmd->callback([&cli, o] {
    std::vector<std::string> resource;
    std::map<std::string, std::string> set;
    std::vector<std::string> remove;
    for (const auto& a : o->args) {
      if (auto eq = a.find('='); eq != std::string::npos) {
        set[a.substr(0, eq)] = a.substr(eq + 1);
      } else if (!a.empty() && a.back() == '-' && resource.size() >= 1 && a.find('/') == std::string::npos) {
        remove.push_back(a.substr(0, a.size() - 1));
      } else {
        resource.push_back(a);
      }
    }
    if (set.empty() && remove.empty()) {
      cli.exit_code = Fail(InvalidArgument("at least one annotation update is required"));
      return;
    }
    for (const auto& [k, v] : set) {
      std::vector<std::string> errs = fold::ValidateQualifiedName(k);
      if (!errs.empty()) {
        cli.exit_code = Fail(InvalidArgument(fmt::format("invalid annotation format: {}: {}", k, errs[0])));
        return;
      }
    }
    cli.exit_code = WriteChange(cli, resource, v1::CHANGE_KIND_ANNOTATE, o->record,
                                [&](const state::v1::Aggregate& agg, v1::ChangeRecord& rec) -> Status {
                                  const auto& live = agg.deployment().metadata().annotations();
                                  if (!o->overwrite) {
                                    for (const auto& [k, v] : set) {
                                      auto it = live.find(k);
                                      if (it != live.end() && it->second != v && k != fold::kChangeCauseAnnotation) {
                                        return FailedPrecondition(fmt::format(
                                            "--overwrite is false but found the following declared annotation(s): "
                                            "'{}' already has a value ({})",
                                            k, it->second));
                                      }
                                    }
                                  }
                                  auto* p = rec.mutable_annotate();
                                  for (const auto& [k, v] : set) (*p->mutable_set())[k] = v;
                                  for (const auto& k : remove) p->add_remove(k);
                                  p->set_overwrite(o->overwrite);
                                  return Status::Ok();
                                });
  });
}

}  // namespace rollbook::cli
