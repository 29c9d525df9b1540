// `--at TIME` / `--at-offset PARTITION:OFFSET` on the read verbs (get,
// describe, rollout history, diff, blame): the flags, resolving them against
// the projection, and loading a Deployment as it was then
// (store/projection/time_travel.h).
//
// Every answer about the past says which clock it refers to: the verbs print
// AsOfLine() on stderr, e.g.
//   as of 2026-11-20T03:14:00Z (broker time), after record partition 2 offset 17 (2026-11-20T03:13:58.120Z)
// so stdout keeps kubectl's layout.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "cli/command.h"
#include "store/projection/time_travel.h"

namespace rollbook::cli {

struct AtFlags {
  std::string at;         // TIME (cli/time_arg.h)
  std::string at_offset;  // PARTITION:OFFSET
  bool given() const { return !at.empty() || !at_offset.empty(); }
};

// Adds --at and --at-offset to `cmd`.
void AddAtFlags(CLI::App* cmd, AtFlags& flags);

// A resolved point of the log.
struct Point {
  bool by_offset = false;
  int64_t time_ms = 0;  // --at: the time; --at-offset: that record's broker time
  int32_t partition = 0;
  int64_t offset = 0;
  std::string ago;  // "2h" when TIME was a duration, else empty
};

// Parses the flags and checks them against the projection (a position must
// exist in the log). Requires flags.given().
StatusOr<Point> ResolvePoint(Cli& cli, const AtFlags& flags);

// ns/name as of `point`. A Deployment that did not exist then is a NotFound
// error in kubectl's words plus when it was created / deleted. Without
// `with_templates` its ReplicaSets may have only their template digests.
StatusOr<store::PastState> LoadAt(Cli& cli, const std::string& ns, const std::string& name,
                                  const Point& point, bool with_templates = true);

// "as of <time> (broker time[; 2h before this machine's clock])" and, when
// `past` is given, ", after record partition P offset O (<its time>)".
std::string AsOfLine(const Point& point, const store::PastState* past);

// The common read: the current Deployment (kubectl's NotFound when absent),
// or — with --at/--at-offset — the past one, printing AsOfLine on stderr.
// `point_out` receives the resolved point when one was given.
StatusOr<state::v1::Aggregate> LoadForRead(Cli& cli, const std::string& name, const AtFlags& flags,
                                           std::optional<Point>* point_out = nullptr,
                                           std::optional<store::PastState>* past_out = nullptr);

}  // namespace rollbook::cli
