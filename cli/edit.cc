// rollbook edit deployment/NAME: $EDITOR on the YAML, then apply the result.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/objects.h"
#include "cli/record_flag.h"
#include "store/fold/fold.h"
#include "store/fold/manifest.h"
#include "store/fold/validation.h"

namespace rollbook::cli {

namespace {
constexpr char kHeader[] =
    "# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
    "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
    "# reopened with the relevant failures.\n"
    "#\n";

struct EditOptions {
  std::vector<std::string> args;
  bool record = false;
};

// The RFC 7386 merge patch that turns `from` into `to`.
nlohmann::json MergePatchBetween(const nlohmann::json& from, const nlohmann::json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  nlohmann::json patch = nlohmann::json::object();
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (!to.contains(it.key())) patch[it.key()] = nullptr;
  }
  for (auto it = to.begin(); it != to.end(); ++it) {
    auto before = from.find(it.key());
    if (before == from.end()) {
      patch[it.key()] = it.value();
    } else if (*before != it.value()) {
      patch[it.key()] = MergePatchBetween(*before, it.value());
    }
  }
  return patch;
}

bool OnlyComments(const std::string& text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    const size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#') return false;
    pos = end + 1;
  }
  return true;
}

int Run(Cli& cli, const EditOptions& o) {
  StatusOr<std::string> name = DeploymentName(o.args);
  if (!name.ok()) return Fail(name.status());
  StatusOr<std::optional<state::v1::Aggregate>> agg = cli.S().Load(cli.globals.ns, *name);
  if (!agg.ok()) return Fail(agg.status());
  if (!agg->has_value() || !(*agg)->exists()) {
    return Fail(NotFound(fmt::format("Error from server (NotFound): deployments.apps \"{}\" not found", *name)));
  }
  nlohmann::json obj = DeploymentObject(**agg);
  const std::string original = std::string(kHeader) + ToYaml(obj);
  char path[] = "/tmp/rollbook-edit-XXXXXX.yaml";
  const int fd = mkstemps(path, 5);
  if (fd < 0) return Fail(Internal(fmt::format("cannot create a temporary file: {}", std::strerror(errno))));
  close(fd);
  {
    std::ofstream out(path);
    out << original;
  }
  const char* editor_env = std::getenv("KUBE_EDITOR");
  if (editor_env == nullptr || *editor_env == '\0') editor_env = std::getenv("EDITOR");
  const std::string editor = editor_env != nullptr && *editor_env != '\0' ? editor_env : "vi";
  const int rc = std::system(fmt::format("{} '{}'", editor, path).c_str());
  if (rc != 0) {
    unlink(path);
    return Fail(InvalidArgument(fmt::format("there was a problem with the editor \"{}\"", editor)));
  }
  std::ifstream in(path);
  const std::string edited((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (edited == original) {
    unlink(path);
    fmt::print(stderr, "Edit cancelled, no changes made.\n");
    return 0;
  }
  if (OnlyComments(edited)) {
    unlink(path);
    fmt::print(stderr, "Edit cancelled, saved file was empty.\n");
    return 0;
  }
  StatusOr<std::vector<fold::ManifestDocument>> docs = fold::ParseManifestText(edited, path);
  StatusOr<std::vector<fold::ManifestDocument>> shown = fold::ParseManifestText(original, path);
  if (docs.ok() && docs->size() != 1) docs = InvalidArgument("the edited file must hold exactly one object");
  if (!docs.ok() || !shown.ok() || shown->size() != 1) {
    fmt::print(stderr, "error: {}\nA copy of your changes has been stored to \"{}\"\n",
               docs.ok() ? "the object shown could not be read back" : docs.status().message(), path);
    return 1;
  }
  // The user's changes, as a JSON merge patch of what the editor showed; a
  // retry after a conflict applies them to the newer state instead of
  // writing back the stale fields the user did not touch.
  const nlohmann::json changes = MergePatchBetween((*shown)[0].object, (*docs)[0].object);
  const uint64_t shown_version = (*agg)->version();
  StatusOr<Appended> appended = AppendChange(
      cli, cli.globals.ns, *name,
      [&](const std::optional<state::v1::Aggregate>& current) -> StatusOr<std::optional<v1::ChangeRecord>> {
        if (!current.has_value() || !current->exists()) {
          return NotFound(
              fmt::format("Error from server (NotFound): deployments.apps \"{}\" not found", *name));
        }
        nlohmann::json object = (*docs)[0].object;
        if (current->version() != shown_version) {
          StatusOr<std::vector<fold::ManifestDocument>> latest =
              fold::ParseManifestText(ToYaml(DeploymentObject(*current)), path);
          if (!latest.ok() || latest->size() != 1) return Internal("cannot read back the current object");
          object = (*latest)[0].object;
          object.merge_patch(changes);
        }
        StatusOr<v1::Deployment> d = fold::DeploymentFromManifest(object, cli.globals.ns);
        if (!d.ok()) return d.status();
        fold::FieldErrors errors = fold::ValidateDeployment(*d);
        fold::FieldErrors update = fold::ValidateDeploymentUpdate(current->deployment(), *d);
        errors.insert(errors.end(), update.begin(), update.end());
        if (d->metadata().name() != *name) {
          errors.push_back(
              {"metadata.name", "Invalid value: \"" + d->metadata().name() + "\": field is immutable"});
        }
        if (!errors.empty()) return InvalidArgument(fold::FormatInvalid("Deployment", *name, errors));
        v1::ChangeRecord rec = DeploymentRecord(v1::CHANGE_KIND_APPLY, *d, current->version(),
                                                o.record ? ChangeCauseFor(cli.globals.argv) : "");
        rec.mutable_apply()->set_replace(true);
        return std::optional<v1::ChangeRecord>(std::move(rec));
      });
  if (!appended.ok()) return Fail(appended.status());
  if (!appended->refused.ok()) {
    if (appended->refused.code() == StatusCode::kNotFound) return Fail(appended->refused);
    fmt::print(stderr, "error: {}\nA copy of your changes has been stored to \"{}\"\n",
               appended->refused.message(), path);
    return 1;
  }
  unlink(path);
  std::optional<store::ChangeRow> row = std::move(appended->row);
  if (row->outcome == "applied" && row->message == "unchanged") {
    fmt::print(stderr, "Edit cancelled, no changes made.\n");
    return 0;
  }
  if (row->outcome == "applied") row->message = "edited";
  return ReportOutcome(*row);
}
}  // namespace

void RegisterEdit(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<EditOptions>();
  CLI::App* cmd = app.add_subcommand("edit", "Edit a Deployment in $KUBE_EDITOR / $EDITOR and apply the result");
  cmd->add_option("resource", o->args, "deployment/NAME");
  cmd->add_flag("--record", o->record, "record the command line as the change-cause");
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
