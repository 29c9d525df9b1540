#include "cli/time_flag.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <string>

namespace rollbook::cli {

namespace {

constexpr const char* kAccepted =
    "use a duration back from now (e.g. 90s, 15m, 2h, 1h30m, 7d), an RFC 3339 time with a zone "
    "(e.g. 2026-11-20T03:00:00Z or 2026-11-20T04:00:00+01:00) or a UTC date (2026-11-20)";

bool Digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool LooksLikeDuration(std::string_view s) {
  return !s.empty() && std::isdigit(static_cast<unsigned char>(s[0])) &&
         (s.size() < 5 || s[4] != '-');  // "2026-..." is a date
}

}  // namespace

StatusOr<int64_t> ParseLongDuration(std::string_view text) {
  if (text.empty()) return InvalidArgument("empty duration");
  constexpr int64_t kMaxMs = int64_t{100} * 365 * 24 * 3600 * 1000;  // 100 years is plenty
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (n > kMaxMs)
        return InvalidArgument(fmt::format("duration \"{}\" is too long (at most 100 years)", text));
      ++i;
    }
    if (i == start) {
      return InvalidArgument(
          fmt::format("duration \"{}\": expected a number at \"{}\"", text, text.substr(start)));
    }
    int64_t unit = 0;
    if (text.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (i < text.size()) {
      switch (text[i]) {
        case 's':
          unit = 1000;
          break;
        case 'm':
          unit = 60'000;
          break;
        case 'h':
          unit = 3'600'000;
          break;
        case 'd':
          unit = 86'400'000;
          break;
        default:
          break;
      }
      if (unit != 0) ++i;
    }
    if (unit == 0) {
      return InvalidArgument(
          fmt::format("duration \"{}\": every number needs a unit (ms, s, m, h or d)", text));
    }
    total += n * unit;
    if (total > kMaxMs)
      return InvalidArgument(fmt::format("duration \"{}\" is too long (at most 100 years)", text));
  }
  return total;
}

StatusOr<int64_t> ParseRfc3339(std::string_view s) {
  int year = 0, month = 0, day = 0;
  if (!Digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, month) || s[7] != '-' ||
      !Digits(s, 8, 2, day)) {
    return InvalidArgument(fmt::format("\"{}\" is not a time: expected YYYY-MM-DD at the start", s));
  }
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok())
    return InvalidArgument(
        fmt::format("\"{}\": {:04}-{:02}-{:02} is not a calendar date", s, year, month, day));
  const int64_t days = std::chrono::sys_days(ymd).time_since_epoch().count();
  if (s.size() == 10) return days * 86'400'000;

  int hour = 0, minute = 0, second = 0;
  const char sep = s[10];
  if ((sep != 'T' && sep != 't' && sep != ' ') || !Digits(s, 11, 2, hour) || s.size() < 19 || s[13] != ':' ||
      !Digits(s, 14, 2, minute) || s[16] != ':' || !Digits(s, 17, 2, second)) {
    return InvalidArgument(
        fmt::format("\"{}\" is not a time: expected YYYY-MM-DDTHH:MM:SS followed by a zone", s));
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return InvalidArgument(
        fmt::format("\"{}\": {:02}:{:02}:{:02} is not a time of day", s, hour, minute, second));
  }
  size_t i = 19;
  int64_t millis = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t start = i;
    int scale = 100;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      millis += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return InvalidArgument(fmt::format("\"{}\": expected digits after the decimal point", s));
  }
  int64_t offset_minutes = 0;
  const std::string_view zone = s.substr(i);
  if (zone == "Z" || zone == "z") {
    offset_minutes = 0;
  } else if (zone.empty()) {
    return InvalidArgument(fmt::format("\"{}\" has no zone: add Z for UTC or an offset such as +01:00", s));
  } else {
    int zh = 0, zm = 0;
    if ((zone[0] != '+' && zone[0] != '-') || zone.size() != 6 || !Digits(zone, 1, 2, zh) || zone[3] != ':' ||
        !Digits(zone, 4, 2, zm) || zh > 23 || zm > 59) {
      return InvalidArgument(fmt::format("\"{}\": zone \"{}\" must be Z or +hh:mm / -hh:mm", s, zone));
    }
    offset_minutes = (zone[0] == '-' ? -1 : 1) * (zh * 60 + zm);
  }
  const int64_t local_ms = days * 86'400'000 + (hour * 3600 + minute * 60 + second) * int64_t{1000} + millis;
  return local_ms - offset_minutes * 60'000;
}

StatusOr<int64_t> ParseTimeFlag(std::string_view flag, std::string_view text, int64_t now_ms) {
  if (text.empty()) return InvalidArgument(fmt::format("{} needs a value: {}", flag, kAccepted));
  StatusOr<int64_t> parsed = LooksLikeDuration(text) ? ParseLongDuration(text) : ParseRfc3339(text);
  if (!parsed.ok()) {
    return InvalidArgument(
        fmt::format("invalid {} \"{}\": {}; {}", flag, text, parsed.status().message(), kAccepted));
  }
  return LooksLikeDuration(text) ? now_ms - *parsed : *parsed;
}

}  // namespace rollbook::cli
