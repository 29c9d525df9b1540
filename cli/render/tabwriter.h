// Tabwriter: an emulation of Go's text/tabwriter for kubectl-identical text.
//
// kubectl builds its human-readable output as tab-separated text and pipes it
// through Go's text/tabwriter. AlignTabs reproduces that aligner byte for byte
// for the configurations kubectl uses (pad character ' ', no flags):
//
//  * A cell is text terminated by '\t' (or '\v'); a line ends at '\n' (or '\f',
//    which also forces a flush and is written out as '\n'). The text after the
//    last tab of a line is not a cell: it is never padded.
//  * Column k forms a block over a maximal run of consecutive lines that all
//    have a tab-terminated cell k; a line with fewer cells ends the block.
//    Every cell of a block is padded with spaces to max(min_width, widest cell
//    + padding). Columns to the right are computed recursively inside the
//    enclosing block.
//  * Widths count UTF-8 code points (invalid bytes count one each), not bytes.
//  * Text between a pair of 0xFF bytes is passed through as-is (Go's Escape).
//  * Output keeps the input's line structure; a final line without '\n' is
//    written without one.
//
// Each call is self-contained ("flushed"): callers that must align chunks
// independently (kubectl's describe flushes before the events table) call
// AlignTabs once per chunk and concatenate. Pure function, never fails.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rollbook::render {

struct TabwriterConfig {
  int min_width = 0;  // minimal padded cell width
  int tab_width = 8;  // only meaningful for tab padding; kept for fidelity
  int padding = 2;    // added to the widest cell of a column block
};

// kubectl describe / rollout history: tabwriter.Init(out, 0, 8, 2, ' ', 0).
inline constexpr TabwriterConfig kDescribeTabs{0, 8, 2};
// kubectl get printers: tabwriter.NewWriter(out, 6, 4, 3, ' ', 0).
inline constexpr TabwriterConfig kGetTabs{6, 4, 3};

// Aligns `text` as Go's tabwriter would after writing it and calling Flush.
std::string AlignTabs(std::string_view text, const TabwriterConfig& cfg);

// Number of UTF-8 code points in `s` as Go's utf8.RuneCount counts them
// (each byte of an invalid sequence counts as one).
std::size_t RuneCount(std::string_view s);

}  // namespace rollbook::render
