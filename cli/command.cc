#include "cli/command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include <fmt/format.h>

namespace rollbook::cli {

namespace {

bool IsKafkaTopicName(const std::string& t) {
  if (t.empty() || t.size() > 249 || t == "." || t == "..") return false;
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

Status BadFlag(const char* flag, const std::string& value, const std::string& why) {
  return InvalidArgument(fmt::format("invalid argument \"{}\" for \"{}\" flag: {}", value, flag, why));
}

}  // namespace

Status CheckGlobalOptions(const GlobalOptions& globals, bool db_chosen) {
  namespace fs = std::filesystem;
  StatusOr<int64_t> timeout = ParseDurationMs(globals.timeout);
  if (!timeout.ok()) return BadFlag("--timeout", globals.timeout, timeout.status().message());
  if (*timeout <= 0) return BadFlag("--timeout", globals.timeout, "must be greater than 0, e.g. 10s");
  if (globals.brokers.find_first_not_of(" ,") == std::string::npos) {
    return BadFlag("--brokers", globals.brokers, "give HOST:PORT[,HOST:PORT...] (or set ROLLBOOK_BROKERS)");
  }
  if (!IsKafkaTopicName(globals.topic)) {
    return BadFlag("--topic", globals.topic,
                   "a Kafka topic name has 1 to 249 characters from a-z, A-Z, 0-9, '.', '_' and '-'");
  }
  const std::string& db = globals.db;
  if (db.empty())
    return BadFlag("--db", db, "give the path of the projection database file (or set ROLLBOOK_DB)");
  std::error_code ec;
  const fs::file_status st = fs::status(db, ec);
  if (fs::is_directory(st)) {
    return BadFlag("--db", db,
                   "this is a directory; give the path of a database file in it, e.g. " +
                       (fs::path(db) / "rollbook.db").string());
  }
  if (fs::exists(st)) {
    if (access(db.c_str(), R_OK | W_OK) != 0) {
      return BadFlag("--db", db,
                     fmt::format("the file cannot be read and written: {}", std::strerror(errno)));
    }
    return Status::Ok();
  }
  if (!db_chosen) return Status::Ok();  // the default location: its directory is created on first use
  fs::path parent = fs::path(db).parent_path();
  if (parent.empty()) parent = ".";
  const fs::file_status pst = fs::status(parent, ec);
  if (!fs::exists(pst)) {
    return BadFlag(
        "--db", db,
        fmt::format("directory \"{}\" does not exist (create it, or choose another path)", parent.string()));
  }
  if (!fs::is_directory(pst))
    return BadFlag("--db", db, fmt::format("\"{}\" is not a directory", parent.string()));
  if (access(parent.c_str(), W_OK | X_OK) != 0) {
    return BadFlag(
        "--db", db,
        fmt::format("cannot create the file in \"{}\": {}", parent.string(), std::strerror(errno)));
  }
  return Status::Ok();
}

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
    if (name.find('/') != std::string::npos) {
      return InvalidArgument(
          fmt::format("arguments in resource/name form may not have more than one slash: \"{}\"", args[0]));
    }
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

StatusOr<Appended> AppendChange(Cli& cli, const std::string& ns, const std::string& name,
                                const BuildRecord& build) {
  const int attempts = cli.retry_on_conflict ? kConflictAttempts : 1;
  const auto start = std::chrono::steady_clock::now();
  StatusOr<int64_t> timeout_ms = ParseDurationMs(cli.globals.timeout);
  const auto deadline = start + std::chrono::milliseconds(timeout_ms.ok() ? *timeout_ms : 0);
  std::mt19937 rng(std::random_device{}());
  cli.S().PrepareWrite();
  for (int attempt = 1;; ++attempt) {
    RB_ASSIGN_OR_RETURN(std::optional<state::v1::Aggregate> current, cli.S().Load(ns, name));
    StatusOr<std::optional<v1::ChangeRecord>> record = build(current);
    if (!record.ok()) return Appended{record.status(), std::nullopt};
    if (!record->has_value()) return Appended{};
    RB_ASSIGN_OR_RETURN(store::ChangeRow row, cli.S().Write(std::move(**record)));
    const int cap = std::min(kConflictBackoffCapMs, kConflictBackoffBaseMs << std::min(attempt - 1, 10));
    const auto pause = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, cap)(rng));
    const bool retry =
        row.reason == "Conflict" && attempt < attempts && std::chrono::steady_clock::now() + pause < deadline;
    if (!retry) {
      if (row.reason == "Conflict" && attempts > 1) {
        row.message +=
            fmt::format(" (gave up after {} attempts in {:.1f}s with --retry-on-conflict)", attempt,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
      return Appended{Status::Ok(), std::move(row)};
    }
    std::this_thread::sleep_for(pause);
    cli.S().MarkStale();
  }
}

int WriteChange(Cli& cli, const std::vector<std::string>& resource_args, v1::ChangeKind kind, bool record,
                const std::function<Status(const state::v1::Aggregate&, v1::ChangeRecord&)>& build,
                const std::function<bool()>& skip) {
  StatusOr<std::string> name = DeploymentName(resource_args);
  if (!name.ok()) return Fail(name.status());
  const std::string& ns = cli.globals.ns;
  StatusOr<Appended> appended = AppendChange(
      cli, ns, *name,
      [&](const std::optional<state::v1::Aggregate>& agg) -> StatusOr<std::optional<v1::ChangeRecord>> {
        if (!agg.has_value() || !agg->exists()) {
          return NotFound(
              fmt::format("Error from server (NotFound): deployments.apps \"{}\" not found", *name));
        }
        v1::ChangeRecord rec;
        rec.set_namespace_(ns);
        rec.set_name(*name);
        rec.set_kind(kind);
        rec.set_expected_version(agg->version());
        if (record) rec.set_change_cause(ChangeCauseFor(cli.globals.argv));
        RB_RETURN_IF_ERROR(build(*agg, rec));
        if (skip && skip()) return std::optional<v1::ChangeRecord>();
        return std::optional<v1::ChangeRecord>(std::move(rec));
      });
  if (!appended.ok()) return Fail(appended.status());
  if (!appended->refused.ok()) return Fail(appended->refused);
  if (!appended->row.has_value()) return 0;
  return ReportOutcome(*appended->row);
}

}  // namespace rollbook::cli
