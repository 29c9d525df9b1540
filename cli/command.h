// Shared plumbing of the rollbook CLI: one Cli object per invocation, each verb
// registers itself from its own file (cli/<verb>.cc), and the helpers every
// verb needs to name a Deployment and to print results the way kubectl does.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/status.h"
#include "cli/session.h"
#include "store/projection/projection.h"

namespace rollbook::cli {

struct Cli {
  GlobalOptions globals;
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

// The common write path of the single-Deployment verbs: load NAME (NotFound
// when absent, exactly as kubectl prints it), let `validate` run kubectl's
// client-side checks against the current state, fill the payload, append,
// and print the outcome. When `skip` returns true after `build`, nothing is
// written and 0 is returned (the verb prints its own result, e.g. dry runs).
int WriteChange(Cli& cli, const std::vector<std::string>& resource_args, v1::ChangeKind kind, bool record,
                const std::function<Status(const state::v1::Aggregate&, v1::ChangeRecord&)>& build,
                const std::function<bool()>& skip = nullptr);

}  // namespace rollbook::cli
