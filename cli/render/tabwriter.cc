#include "cli/render/tabwriter.h"

#include <cstdint>
#include <vector>

namespace rollbook::render {
namespace {

constexpr unsigned char kEscape = 0xFF;

struct Cell {
  std::size_t begin = 0;  // byte range of the cell text in the input
  std::size_t end = 0;
  int width = 0;  // display width in runes
};

// A line's cells are cells_[first, first + count): one vector for all lines,
// not one per line (a listing of ten thousand rows allocated per line).
struct Line {
  std::size_t first = 0, count = 0;
  bool terminated = false;   // ended by '\n' or '\f' (a newline is written)
  bool flush_after = false;  // ended by '\f': no block spans past this line
};

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid.
std::size_t ValidSequenceLength(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // accepted range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + need > s.size()) return 0;
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  for (std::size_t k = 2; k < need; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < 0x80 || b > 0xBF) return 0;
  }
  return need;
}

class Aligner {
 public:
  Aligner(std::string_view text, const TabwriterConfig& cfg) : text_(text), cfg_(cfg) {}

  std::string Run() {
    Parse();
    out_.reserve(text_.size() + text_.size() / 2);
    std::size_t begin = 0;
    for (std::size_t i = 0; i < lines_.size(); ++i) {
      if (lines_[i].flush_after || i + 1 == lines_.size()) {
        std::vector<int> widths;
        Format(widths, begin, i + 1);
        begin = i + 1;
      }
    }
    return std::move(out_);
  }

 private:
  void Parse() {
    Line line;
    std::size_t cell_begin = 0;  // start of the current cell
    std::size_t seg_begin = 0;   // start of the not yet measured text
    int width = 0;
    bool in_escape = false;

    auto terminate_cell = [&](std::size_t at) {
      width += static_cast<int>(RuneCount(text_.substr(seg_begin, at - seg_begin)));
      cells_.push_back(Cell{cell_begin, at, width});
      ++line.count;
      cell_begin = seg_begin = at + 1;
      width = 0;
    };

    for (std::size_t i = 0; i < text_.size(); ++i) {
      const auto ch = static_cast<unsigned char>(text_[i]);
      if (in_escape) {
        if (ch == kEscape) {
          // The escaped segment, both Escape bytes included, minus the two.
          width += static_cast<int>(RuneCount(text_.substr(seg_begin, i + 1 - seg_begin))) - 2;
          seg_begin = i + 1;
          in_escape = false;
        }
        continue;
      }
      switch (ch) {
        case '\t':
        case '\v':
          terminate_cell(i);
          break;
        case '\n':
        case '\f':
          terminate_cell(i);
          line.terminated = true;
          line.flush_after = (ch == '\f');
          lines_.push_back(line);
          line = Line{cells_.size()};
          break;
        case kEscape:
          width += static_cast<int>(RuneCount(text_.substr(seg_begin, i - seg_begin)));
          seg_begin = i;  // the Escape byte stays in the cell text
          in_escape = true;
          break;
        default:
          break;
      }
    }
    // Flush: an unfinished escape is closed, and the trailing text becomes the
    // last cell of the last line only if it is non-empty.
    if (text_.size() > cell_begin) {
      if (in_escape) {
        width += static_cast<int>(RuneCount(text_.substr(seg_begin))) - 2;
      } else {
        width += static_cast<int>(RuneCount(text_.substr(seg_begin)));
      }
      cells_.push_back(Cell{cell_begin, text_.size(), width});
      ++line.count;
    }
    lines_.push_back(line);
  }

  // True if line `l` has a tab-terminated cell at index `column`.
  bool HasColumn(std::size_t l, std::size_t column) const { return column + 1 < lines_[l].count; }
  const Cell& CellAt(std::size_t l, std::size_t column) const { return cells_[lines_[l].first + column]; }

  void Format(std::vector<int>& widths, std::size_t line0, std::size_t line1) {
    const std::size_t column = widths.size();
    for (std::size_t cur = line0; cur < line1; ++cur) {
      if (!HasColumn(cur, column)) continue;
      // A block of column `column` starts here; print the lines before it.
      WriteLines(widths, line0, cur);
      line0 = cur;
      int width = cfg_.min_width;
      for (; cur < line1 && HasColumn(cur, column); ++cur) {
        const int w = CellAt(cur, column).width + cfg_.padding;
        if (w > width) width = w;
      }
      widths.push_back(width);
      Format(widths, line0, cur);
      widths.pop_back();
      line0 = cur;
      if (cur == line1) break;
    }
    WriteLines(widths, line0, line1);
  }

  void WriteLines(const std::vector<int>& widths, std::size_t line0, std::size_t line1) {
    for (std::size_t l = line0; l < line1; ++l) {
      const Line& line = lines_[l];
      for (std::size_t j = 0; j < line.count; ++j) {
        const Cell& c = cells_[line.first + j];
        out_.append(text_.substr(c.begin, c.end - c.begin));
        if (j < widths.size() && widths[j] > c.width) {
          out_.append(static_cast<std::size_t>(widths[j] - c.width), ' ');
        }
      }
      if (line.terminated) out_.push_back('\n');
    }
  }

  std::string_view text_;
  TabwriterConfig cfg_;
  std::vector<Line> lines_;
  std::vector<Cell> cells_;
  std::string out_;
};

}  // namespace

std::size_t RuneCount(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t len = ValidSequenceLength(s, i);
    i += (len == 0) ? 1 : len;
  }
  return n;
}

std::string AlignTabs(std::string_view text, const TabwriterConfig& cfg) { return Aligner(text, cfg).Run(); }

}  // namespace rollbook::render
