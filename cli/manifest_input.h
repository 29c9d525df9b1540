// Reading -f arguments: files, directories (every .yaml/.yml/.json in name
// order) and "-" (stdin) into validated, defaulted Deployments.
//
// Problems with one document (invalid fields, namespace mismatch) are reported
// per document in ManifestDeployment::error so the other documents can still
// go ahead, as kubectl does; problems that make the input unusable (a missing
// file, broken YAML, empty input) fail the whole call.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "cli/session.h"
#include "rollbook/v1/change_record.pb.h"

namespace rollbook::cli {

struct ManifestDeployment {
  std::string source;  // the file name as given, "STDIN" for -
  v1::Deployment deployment;
  std::string error;   // kubectl-formatted error line(s); empty when valid
};

// `verb` is used in kubectl's "no objects passed to <verb>" message.
StatusOr<std::vector<ManifestDeployment>> LoadDeployments(const std::vector<std::string>& paths,
                                                          const GlobalOptions& globals,
                                                          const std::string& verb = "create");

}  // namespace rollbook::cli
