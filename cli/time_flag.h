// Values of time flags such as `audit --since/--until`: a point in time in
// Unix milliseconds, given either relative to now or absolutely.
//
// Accepted forms (anything else is an error that lists them):
//   * a duration back from now: one or more <integer><unit> with unit
//     ms, s, m, h or d ("90s", "15m", "2h", "1h30m", "7d");
//   * an RFC 3339 time with a zone: "2026-11-20T03:00:00Z",
//     "2026-11-20T04:00:00.250+01:00" (fraction optional, 't'/' ' accepted
//     for 'T', 'z' for 'Z');
//   * a date, meaning midnight UTC: "2026-11-20".
// Pure functions: `now_ms` is the caller's clock (Session::NowMs()).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace rollbook::cli {

// `flag` names the flag in error messages ("--since").
StatusOr<int64_t> ParseTimeFlag(std::string_view flag, std::string_view text, int64_t now_ms);

// Only the duration form; milliseconds.
StatusOr<int64_t> ParseLongDuration(std::string_view text);

// Only the RFC 3339 / date forms.
StatusOr<int64_t> ParseRfc3339(std::string_view text);

}  // namespace rollbook::cli
