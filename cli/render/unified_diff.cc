#include "cli/render/unified_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <dtl/dtl.hpp>
#include <vector>

namespace rollbook::render {

namespace {

// Lines without their terminators; a final line without '\n' is marked so the
// diff can say so, as diff does.
struct Lines {
  std::vector<std::string> lines;
  bool missing_final_newline = false;
};

Lines Split(std::string_view text) {
  Lines out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      out.lines.emplace_back(text.substr(start));
      out.missing_final_newline = true;
      break;
    }
    out.lines.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

enum class Op { kCommon, kDelete, kAdd };

struct Edit {
  Op op;
  const std::string* line;
  int a_line;  // 1-based line in a (0 for adds)
  int b_line;  // 1-based line in b (0 for deletes)
};

// The edit script, each run of changes ordered deletes first.
std::vector<Edit> EditScript(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  dtl::Diff<std::string, std::vector<std::string>> diff(a, b);
  diff.compose();
  std::vector<Edit> edits;
  int ai = 0, bi = 0;
  for (const auto& [line, info] : diff.getSes().getSequence()) {
    (void)line;
    if (info.type == dtl::SES_COMMON) {
      edits.push_back({Op::kCommon, &a[ai], ai + 1, bi + 1});
      ++ai;
      ++bi;
    } else if (info.type == dtl::SES_DELETE) {
      edits.push_back({Op::kDelete, &a[ai], ai + 1, 0});
      ++ai;
    } else {
      edits.push_back({Op::kAdd, &b[bi], 0, bi + 1});
      ++bi;
    }
  }
  for (size_t i = 0; i < edits.size();) {
    if (edits[i].op == Op::kCommon) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < edits.size() && edits[j].op != Op::kCommon) ++j;
    std::stable_partition(edits.begin() + i, edits.begin() + j,
                          [](const Edit& e) { return e.op == Op::kDelete; });
    i = j;
  }
  return edits;
}

// GNU's range: "start" for one line, "start,count" otherwise, and for an
// empty range the line before it.
std::string Range(int first, int count) {
  if (count == 1) return std::to_string(first);
  return fmt::format("{},{}", count == 0 ? first - 1 : first, count);
}

struct Palette {
  const char* header = "";
  const char* hunk = "";
  const char* del = "";
  const char* add = "";
  const char* reset = "";
};

}  // namespace

std::string UnifiedDiff(std::string_view a_text, std::string_view b_text, std::string_view a_label,
                        std::string_view b_label, const DiffOptions& options) {
  if (a_text == b_text) return "";
  const Lines a = Split(a_text), b = Split(b_text);
  const std::vector<Edit> edits = EditScript(a.lines, b.lines);
  Palette c;
  if (options.color) c = Palette{"\033[1m", "\033[36m", "\033[31m", "\033[32m", "\033[m"};
  const int context = std::max(0, options.context);

  std::string out =
      fmt::format("{}--- {}{}\n{}+++ {}{}\n", c.header, a_label, c.reset, c.header, b_label, c.reset);
  // Positions (1-based) where each edit would sit in a and b, for ranges that
  // start before any line of a side.
  const int n = static_cast<int>(edits.size());
  int i = 0;
  while (i < n) {
    while (i < n && edits[i].op == Op::kCommon) ++i;
    if (i == n) break;
    // A hunk: from `context` lines before this change to `context` lines after
    // the last change that is at most 2*context common lines from the next.
    const int start = std::max(0, i - context);
    int end = i;  // one past the last change of the hunk
    for (int k = i; k < n;) {
      if (edits[k].op != Op::kCommon) {
        end = ++k;
        continue;
      }
      int common = 0;
      while (k < n && edits[k].op == Op::kCommon) {
        ++k;
        ++common;
      }
      if (k == n || common > 2 * context) break;
    }
    const int stop = std::min(n, end + context);
    int a_first = 0, b_first = 0, a_count = 0, b_count = 0;
    // The first line numbers: of the first edit touching each side, or one
    // past the side's lines before the hunk.
    int a_before = 0, b_before = 0;
    for (int k = 0; k < start; ++k) {
      if (edits[k].op != Op::kAdd) ++a_before;
      if (edits[k].op != Op::kDelete) ++b_before;
    }
    a_first = a_before + 1;
    b_first = b_before + 1;
    for (int k = start; k < stop; ++k) {
      if (edits[k].op != Op::kAdd) ++a_count;
      if (edits[k].op != Op::kDelete) ++b_count;
    }
    out +=
        fmt::format("{}@@ -{} +{} @@{}\n", c.hunk, Range(a_first, a_count), Range(b_first, b_count), c.reset);
    for (int k = start; k < stop; ++k) {
      const Edit& e = edits[k];
      switch (e.op) {
        case Op::kCommon:
          out += fmt::format(" {}\n", *e.line);
          break;
        case Op::kDelete:
          out += fmt::format("{}-{}{}\n", c.del, *e.line, c.reset);
          break;
        case Op::kAdd:
          out += fmt::format("{}+{}{}\n", c.add, *e.line, c.reset);
          break;
      }
      // diff's marker for a last line that has no newline, after that line.
      const bool last_of_a = e.op != Op::kAdd && e.a_line == static_cast<int>(a.lines.size());
      const bool last_of_b = e.op != Op::kDelete && e.b_line == static_cast<int>(b.lines.size());
      if ((last_of_a && a.missing_final_newline) || (last_of_b && b.missing_final_newline)) {
        out += "\\ No newline at end of file\n";
      }
    }
    i = stop;
  }
  return out;
}

}  // namespace rollbook::render
