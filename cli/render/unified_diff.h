// Unified diff of two texts, line by line, in the format of `diff -u`
// (and `kubectl diff`): "--- A" / "+++ B" headers, then hunks
// "@@ -l,s +l,s @@" with `context` unchanged lines around each change.
//
// The shortest edit script comes from DTL (Debian libdtl-dev, Wu's O(NP)
// algorithm); grouping into hunks, line numbering and colours are done here so
// the output matches GNU diff's conventions (a one-line range prints without
// ",1"; an empty range names the line before it; within a change, removed lines
// come before added ones). With `color`, headers are bold, hunk headers cyan,
// removed lines red and added lines green (ANSI SGR, as git colours them).
// Pure; never fails.
#pragma once

#include <string>
#include <string_view>

namespace rollbook::render {

struct DiffOptions {
  int context = 3;
  bool color = false;
};

// Empty when the texts are equal.
std::string UnifiedDiff(std::string_view a, std::string_view b, std::string_view a_label,
                        std::string_view b_label, const DiffOptions& options = {});

}  // namespace rollbook::render
