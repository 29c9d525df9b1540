#include "cli/command.h"

#include <fmt/format.h>

namespace rollbook::cli {

StatusOr<std::string> DeploymentName(const std::vector<std::string>& args) {
  if (args.empty()) return InvalidArgument("required resource not specified");
  static const std::vector<std::string> kTypes = {"deployment", "deployments", "deploy", "deployment.apps",
                                                  "deployments.apps"};
  auto is_type = [](const std::string& t) { return std::find(kTypes.begin(), kTypes.end(), t) != kTypes.end(); };
  std::string type, name;
  if (auto slash = args[0].find('/'); slash != std::string::npos) {
    if (args.size() > 1) return InvalidArgument("rollbook takes one deployment per command");
    type = args[0].substr(0, slash);
    name = args[0].substr(slash + 1);
  } else {
    type = args[0];
    if (args.size() < 2) {
      if (is_type(type)) return InvalidArgument("resource(s) were provided, but no name was specified");
      return InvalidArgument(fmt::format("the server doesn't have a resource type \"{}\"", type));
    }
    if (args.size() > 2) return InvalidArgument("rollbook takes one deployment per command");
    name = args[1];
  }
  if (!is_type(type)) {
    return InvalidArgument(fmt::format("the server doesn't have a resource type \"{}\" (rollbook manages deployments)", type));
  }
  if (name.empty()) return InvalidArgument("resource name may not be empty");
  return name;
}

std::string DeploymentRef(const std::string& name) { return "deployment.apps/" + name; }

v1::ChangeRecord DeploymentRecord(v1::ChangeKind kind, const v1::Deployment& d, uint64_t expected_version,
                                  const std::string& change_cause) {
  v1::ChangeRecord rec;
  rec.set_namespace_(d.metadata().namespace_());
  rec.set_name(d.metadata().name());
  rec.set_kind(kind);
  rec.set_expected_version(expected_version);
  rec.set_change_cause(change_cause);
  if (kind == v1::CHANGE_KIND_CREATE) {
    *rec.mutable_create()->mutable_deployment() = d;
  } else {
    *rec.mutable_apply()->mutable_deployment() = d;
  }
  return rec;
}

int Fail(const Status& status) {
  const std::string& m = status.message();
  if (m.rfind("Error from server", 0) == 0 || m.rfind("The Deployment", 0) == 0 || m.rfind("error:", 0) == 0) {
    fmt::print(stderr, "{}\n", m);
  } else {
    fmt::print(stderr, "error: {}\n", m);
  }
  return 1;
}

int ReportOutcome(const store::ChangeRow& row, const std::string& error_context) {
  if (row.outcome == "applied") {
    if (row.message == "deleted") {
      fmt::print("deployment.apps \"{}\" deleted\n", row.name);
    } else {
      fmt::print("{} {}\n", DeploymentRef(row.name), row.message);
    }
    return 0;
  }
  if (row.reason == "Conflict" || row.reason == "NotFound" || row.reason == "AlreadyExists") {
    fmt::print(stderr, "Error from server ({}): {}{}\n", row.reason, error_context, row.message);
  } else if (row.reason == "Invalid") {
    fmt::print(stderr, "{}\n", row.message);
  } else {
    fmt::print(stderr, "error: {}\n", row.message);
  }
  return 1;
}

}  // namespace rollbook::cli

#include "cli/record_flag.h"

namespace rollbook::cli {

int WriteChange(Cli& cli, const std::vector<std::string>& resource_args, v1::ChangeKind kind, bool record,
                const std::function<Status(const state::v1::Aggregate&, v1::ChangeRecord&)>& build,
                const std::function<bool()>& skip) {
  StatusOr<std::string> name = DeploymentName(resource_args);
  if (!name.ok()) return Fail(name.status());
  const std::string& ns = cli.globals.ns;
  StatusOr<std::optional<state::v1::Aggregate>> agg = cli.S().Load(ns, *name);
  if (!agg.ok()) return Fail(agg.status());
  if (!agg->has_value() || !(*agg)->exists()) {
    fmt::print(stderr, "Error from server (NotFound): deployments.apps \"{}\" not found\n", *name);
    return 1;
  }
  v1::ChangeRecord rec;
  rec.set_namespace_(ns);
  rec.set_name(*name);
  rec.set_kind(kind);
  rec.set_expected_version((*agg)->version());
  if (record) rec.set_change_cause(ChangeCauseFor(cli.globals.argv));
  Status built = build(**agg, rec);
  if (!built.ok()) return Fail(built);
  if (skip && skip()) return 0;
  StatusOr<store::ChangeRow> row = cli.S().Write(std::move(rec));
  if (!row.ok()) return Fail(row.status());
  return ReportOutcome(*row);
}

}  // namespace rollbook::cli
