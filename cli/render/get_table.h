// Get table: the human-readable table of `kubectl get` (default output).
//
// RenderGetTable prints the upper-cased headers and then one line per row,
// cells separated by TABs, aligned with kubectl's get tabwriter (minwidth 6,
// tabwidth 4, padding 3; see tabwriter.h). The last column is never padded.
// Rows shorter than the header simply have fewer cells (no padding is
// invented). An empty row list still prints the header; callers print
// NoResourcesFound instead when kubectl would (it writes that to stderr).
// Pure functions, never fail.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rollbook::render {

std::string RenderGetTable(const std::vector<std::string>& headers,
                           const std::vector<std::vector<std::string>>& rows);

// "No resources found in NS namespace.\n"; with an empty namespace (all
// namespaces) "No resources found\n".
std::string NoResourcesFound(std::string_view ns);

}  // namespace rollbook::render
