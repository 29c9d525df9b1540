// Command-line usage errors in kubectl's words.
//
// CLI11 describes a bad command line in its own terms ("A subcommand is
// required", "Could not convert: --to-revision = abc", "The following argument
// was not expected: --bogus"). DescribeUsageError() turns each into what was
// wrong, where and what is allowed, keeping kubectl's phrasing where kubectl
// has one (`unknown command "x" for "rollbook"`, `unknown flag: --bogus`,
// `invalid argument "abc" for "--to-revision" flag: ...`, `flag needs an
// argument: --filename`).
//
// NormalizeFlagValues() gives `--flag=` and `-f=value` the meaning they have
// in kubectl: CLI11 would take the NEXT argument as the value of `--flag=`
// (so `--as= scale ...` would swallow the verb) and "=value" as the value of
// `-f=value`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace rollbook::cli {

// Rewrites `--name=` into `--name` "" and `-x=value` into `-x` "value" for
// value-taking options; flags and everything after "--" are left alone.
std::vector<std::string> NormalizeFlagValues(const CLI::App& app, const std::vector<std::string>& args);

// The error text (without the "error: " prefix and without the usage hint).
std::string DescribeUsageError(const CLI::App& app, const CLI::ParseError& e);

// "rollbook rollout" — the deepest sub-command that was parsed.
std::string ParsedCommandPath(const CLI::App& app);

}  // namespace rollbook::cli
