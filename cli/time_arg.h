// Points in the past as the user writes them: `--at TIME` and
// `--at-offset PARTITION:OFFSET`.
//
// TIME is RFC 3339 ("2026-11-20T03:14:00Z", "2026-11-20T04:14:00.250+01:00")
// or a duration before now ("90s", "15m", "2h", "1h30m", "3d", "500ms"), where
// now is this machine's clock (ROLLBOOK_NOW pins it). Either way the result is
// compared with broker times (Kafka LogAppendTime), the clock the log is
// ordered by. A time later than now is refused: time travel only goes back.
// Errors say what was wrong and what is accepted.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace rollbook::cli {

// Unix ms of an RFC 3339 timestamp (fractions below a millisecond dropped).
StatusOr<int64_t> ParseRfc3339(const std::string& text);

// A duration such as "1h30m": a sequence of <digits><unit>, unit one of ms,
// s, m, h, d.
StatusOr<int64_t> ParseDurationAgoMs(const std::string& text);

// True when `text` starts like a date (YYYY-...), i.e. is meant as RFC 3339.
bool LooksLikeRfc3339(const std::string& text);

// TIME for flag `flag` ("--at"): RFC 3339 or a duration before `now_ms`.
StatusOr<int64_t> ParseTimeArg(const std::string& flag, const std::string& text, int64_t now_ms);

struct LogPosition {
  int32_t partition = 0;
  int64_t offset = 0;
};
// "PARTITION:OFFSET", both non-negative integers.
StatusOr<LogPosition> ParseLogPosition(const std::string& flag, const std::string& text);

// RFC 3339 in UTC with milliseconds when they are not zero
// ("2026-11-20T03:14:00Z", "2026-11-20T03:14:00.250Z").
std::string Rfc3339Ms(int64_t unix_ms);

}  // namespace rollbook::cli
