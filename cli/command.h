// Shared plumbing of the rollbook CLI: one Cli object per invocation, each verb
// registers itself from its own file (cli/<verb>.cc), and the helpers every
// verb needs to name a Deployment and to print results the way kubectl does.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/status.h"
#include "cli/session.h"
#include "store/projection/projection.h"

namespace rollbook::cli {

struct Cli {
  GlobalOptions globals;
  // --retry-on-conflict: a write the fold rejects as a conflict is rebuilt
  // from the new state and appended again (see AppendChange).
  bool retry_on_conflict = false;
  std::unique_ptr<Session> session;
  int exit_code = 0;

  Session& S() {
    if (!session) session = std::make_unique<Session>(globals);
    return *session;
  }
};

// Verb registration, one per file.
void RegisterCreate(CLI::App& app, Cli& cli);
void RegisterApply(CLI::App& app, Cli& cli);
void RegisterGet(CLI::App& app, Cli& cli);
void RegisterDescribe(CLI::App& app, Cli& cli);
void RegisterDelete(CLI::App& app, Cli& cli);
void RegisterScale(CLI::App& app, Cli& cli);
void RegisterSet(CLI::App& app, Cli& cli);
void RegisterAnnotate(CLI::App& app, Cli& cli);
void RegisterEdit(CLI::App& app, Cli& cli);
void RegisterRollout(CLI::App& app, Cli& cli);
void RegisterAdmin(CLI::App& app, Cli& cli);
void RegisterVerify(CLI::App& app, Cli& cli);
void RegisterAudit(CLI::App& app, Cli& cli);

// Checks the global flags before any verb runs: --timeout is a positive
// duration, --brokers is not empty, --topic is a legal Kafka topic name, and
// --db names a file (not a directory) in a directory that exists — only the
// built-in default location (`db_chosen` false) has its directory created.
Status CheckGlobalOptions(const GlobalOptions& globals, bool db_chosen);
void RegisterDiff(CLI::App& app, Cli& cli);
void RegisterBlame(CLI::App& app, Cli& cli);

// Resolves "deployment/NAME" (also deployments/, deploy/, deployment.apps/)
// or the two-word form "deployment NAME" to NAME.
StatusOr<std::string> DeploymentName(const std::vector<std::string>& args);

// "deployment.apps/NAME"
std::string DeploymentRef(const std::string& name);

// A create or apply record carrying the whole Deployment `d`.
v1::ChangeRecord DeploymentRecord(v1::ChangeKind kind, const v1::Deployment& d, uint64_t expected_version,
                                  const std::string& change_cause);

// Prints an error the way kubectl does and returns exit code 1. Messages that
// already carry kubectl's server prefix ("Error from server (...)", "The
// Deployment ... is invalid") are printed as they are, others get "error: ".
int Fail(const Status& status);

// Prints the outcome the fold recorded for a write: "deployment.apps/NAME
// <operation>" on stdout (exit 0), or the kubectl-formatted error (exit 1).
int ReportOutcome(const store::ChangeRow& row, const std::string& error_context = "");

}  // namespace rollbook::cli

namespace rollbook::cli {

// With --retry-on-conflict a write makes at most kConflictAttempts attempts,
// all within --timeout of the first. Between attempts it sleeps a random time
// in [0, min(kConflictBackoffCapMs, kConflictBackoffBaseMs * 2^(attempt-1))]
// ms, so that writers that collided do not collide again in lockstep; the cap
// is small because a long pause only hands the Deployment to writers that are
// not backing off.
inline constexpr int kConflictAttempts = 100;
inline constexpr int kConflictBackoffBaseMs = 10;
inline constexpr int kConflictBackoffCapMs = 80;

// Decides, from the current state of one Deployment (nullopt when the log has
// never mentioned it), which record to append. An error is a client-side
// check that failed (nothing is written; the caller prints it with Fail).
// nullopt means there is nothing to write (e.g. "unchanged", a dry run); the
// verb prints its own result. It may run more than once (see AppendChange),
// so it must derive everything from `current` and reset what it reports.
using BuildRecord = std::function<StatusOr<std::optional<v1::ChangeRecord>>(
    const std::optional<state::v1::Aggregate>& current)>;

struct Appended {
  Status refused;                       // what `build` refused with; nothing written
  std::optional<store::ChangeRow> row;  // the fold's outcome of the last record written
};

// The one write path of every write verb: load ns/name (catching up with the
// log), build the record, append it and return the outcome the fold recorded
// for it. When the fold rejects it as a Conflict (another writer's record for
// the same Deployment landed first) and --retry-on-conflict is set, the state
// is loaded again — the conflicting record is already applied by then — and
// `build` runs again, so every client-side check sees the new state (see
// kConflictAttempts for the bounds). A conflict that outlasts them is returned
// as the last attempt's row (its message says so). The Status is a failure of
// the projection or the brokers.
StatusOr<Appended> AppendChange(Cli& cli, const std::string& ns, const std::string& name,
                                const BuildRecord& build);

// The common write path of the single-Deployment verbs: load NAME (NotFound
// when absent, exactly as kubectl prints it), let `validate` run kubectl's
// client-side checks against the current state, fill the payload, append,
// and print the outcome. When `skip` returns true after `build`, nothing is
// written and 0 is returned (the verb prints its own result, e.g. dry runs).
// Built on AppendChange, so --retry-on-conflict applies.
int WriteChange(Cli& cli, const std::vector<std::string>& resource_args, v1::ChangeKind kind, bool record,
                const std::function<Status(const state::v1::Aggregate&, v1::ChangeRecord&)>& build,
                const std::function<bool()>& skip = nullptr);

}  // namespace rollbook::cli
