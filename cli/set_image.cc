// rollbook set image deployment/NAME CONTAINER=IMAGE [...] [--record]
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"

namespace rollbook::cli {

namespace {
struct SetImageOptions {
  std::vector<std::string> args;
  bool record = false;
};

bool HasContainer(const std::string& template_json, const std::string& name) {
  nlohmann::json t = nlohmann::json::parse(template_json, nullptr, false);
  if (!t.is_object() || !t.contains("spec")) return false;
  for (const char* list : {"initContainers", "containers"}) {
    auto it = t["spec"].find(list);
    if (it == t["spec"].end() || !it->is_array()) continue;
    for (const auto& c : *it)
      if (c.is_object() && c.value("name", "") == name) return true;
  }
  return false;
}
}  // namespace

void RegisterSet(CLI::App& app, Cli& cli) {
  CLI::App* set = app.add_subcommand("set", "Set specific features on a Deployment");
  set->require_subcommand(1);
  auto o = std::make_shared<SetImageOptions>();
  CLI::App* cmd = set->add_subcommand("image", "Update the image of containers of a Deployment");
  cmd->add_option("args", o->args, "deployment/NAME CONTAINER=IMAGE ...")->required();
  cmd->add_flag("--record", o->record, "record the command line as the change-cause");
  cmd->callback([&cli, o] {
    std::vector<std::string> resource;
    std::vector<std::pair<std::string, std::string>> images;
    for (const auto& a : o->args) {
      if (auto eq = a.find('='); eq != std::string::npos) {
        images.emplace_back(a.substr(0, eq), a.substr(eq + 1));
      } else {
        resource.push_back(a);
      }
    }
    if (images.empty()) {
      cli.exit_code = Fail(InvalidArgument("at least one image update is required"));
      return;
    }
    for (const auto& [c, img] : images) {
      if (c.empty() || img.empty()) {
        cli.exit_code = Fail(InvalidArgument(fmt::format("invalid image update \"{}={}\": use CONTAINER=IMAGE", c, img)));
        return;
      }
    }
    cli.exit_code = WriteChange(cli, resource, v1::CHANGE_KIND_SET_IMAGE, o->record,
                                [&](const state::v1::Aggregate& agg, v1::ChangeRecord& rec) -> Status {
                                  for (const auto& [c, img] : images) {
                                    if (c != "*" && !HasContainer(agg.deployment().spec().template_json(), c)) {
                                      return FailedPrecondition(fmt::format("unable to find container named \"{}\"", c));
                                    }
                                    auto* ci = rec.mutable_set_image()->add_images();
                                    ci->set_container(c);
                                    ci->set_image(img);
                                  }
                                  return Status::Ok();
                                });
  });
}

}  // namespace rollbook::cli
