#include "cli/time_arg.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <limits>
#include <optional>

namespace rollbook::cli {

namespace {

constexpr char kTimeHelp[] =
    "use RFC 3339 (2026-11-20T03:14:00Z, 2026-11-20T04:14:00.5+01:00) or a duration before now (90s, 15m, "
    "2h, "
    "1h30m, 3d)";

// Reads exactly `n` digits at `pos`.
bool Digits(const std::string& s, size_t& pos, int n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool Expect(const std::string& s, size_t& pos, char c) {
  if (pos >= s.size() || std::toupper(static_cast<unsigned char>(s[pos])) != c) return false;
  ++pos;
  return true;
}

}  // namespace

bool LooksLikeRfc3339(const std::string& s) {
  return s.size() >= 5 && std::isdigit(static_cast<unsigned char>(s[0])) && s[4] == '-';
}

StatusOr<int64_t> ParseRfc3339(const std::string& text) {
  const std::string bad = fmt::format("invalid RFC 3339 time \"{}\"", text);
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!Digits(text, pos, 4, year) || !Expect(text, pos, '-') || !Digits(text, pos, 2, month) ||
      !Expect(text, pos, '-') || !Digits(text, pos, 2, day)) {
    return InvalidArgument(bad + ": expected a date YYYY-MM-DD");
  }
  if (!Expect(text, pos, 'T') || !Digits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !Digits(text, pos, 2, minute) || !Expect(text, pos, ':') || !Digits(text, pos, 2, second)) {
    return InvalidArgument(bad + ": expected the time of day as THH:MM:SS after the date");
  }
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int scale = 100, digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++digits;
    }
    if (digits == 0) return InvalidArgument(bad + ": expected digits after the decimal point");
  }
  int64_t offset_s = 0;
  if (pos < text.size() && std::toupper(static_cast<unsigned char>(text[pos])) == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh, om;
    if (!Digits(text, pos, 2, oh) || !Expect(text, pos, ':') || !Digits(text, pos, 2, om) || oh > 23 ||
        om > 59) {
      return InvalidArgument(bad + ": expected a zone offset +hh:mm or -hh:mm");
    }
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return InvalidArgument(bad + ": a zone is required (Z for UTC, or +hh:mm / -hh:mm)");
  }
  if (pos != text.size()) return InvalidArgument(bad + ": unexpected text after the zone");
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] || (month == 2 && day == 29 && !leap) ||
      hour > 23 || minute > 59 || second > 60) {
    return InvalidArgument(bad + ": no such date or time of day");
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const int64_t utc_s = static_cast<int64_t>(timegm(&tm));
  return (utc_s - offset_s) * 1000 + millis;
}

StatusOr<int64_t> ParseDurationAgoMs(const std::string& text) {
  const std::string bad = fmt::format("invalid duration \"{}\"", text);
  if (text.empty()) return InvalidArgument(bad + ": it is empty");
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos == start) return InvalidArgument(bad + ": expected a number at \"" + text.substr(start) + "\"");
    if (pos - start > 12) return InvalidArgument(bad + ": the number is too large");
    const int64_t n = std::stoll(text.substr(start, pos - start));
    const size_t unit_start = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    const std::string unit = text.substr(unit_start, pos - unit_start);
    int64_t scale;
    if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "d") {
      scale = 86'400'000;
    } else if (unit.empty()) {
      return InvalidArgument(bad + ": a unit is required after " + std::to_string(n) + " (ms, s, m, h or d)");
    } else {
      return InvalidArgument(bad + ": unknown unit \"" + unit + "\" (ms, s, m, h or d)");
    }
    total += n * scale;
    if (total > 100LL * 365 * 86'400'000) return InvalidArgument(bad + ": more than 100 years");
  }
  return total;
}

StatusOr<int64_t> ParseTimeArg(const std::string& flag, const std::string& text, int64_t now_ms) {
  int64_t t;
  if (LooksLikeRfc3339(text)) {
    StatusOr<int64_t> at = ParseRfc3339(text);
    if (!at.ok()) return InvalidArgument(fmt::format("{}: {}; {}", flag, at.status().message(), kTimeHelp));
    t = *at;
  } else {
    StatusOr<int64_t> ago = ParseDurationAgoMs(text);
    if (!ago.ok()) return InvalidArgument(fmt::format("{}: {}; {}", flag, ago.status().message(), kTimeHelp));
    t = now_ms - *ago;
  }
  if (t > now_ms) {
    return InvalidArgument(
        fmt::format("{} {} is in the future (this machine's clock says {}); time travel only goes back", flag,
                    text, Rfc3339Ms(now_ms)));
  }
  return t;
}

StatusOr<LogPosition> ParseLogPosition(const std::string& flag, const std::string& text) {
  const auto colon = text.find(':');
  auto number = [](const std::string& s, int64_t max) -> std::optional<int64_t> {
    if (s.empty() || s.size() > 18) return std::nullopt;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    const int64_t v = std::stoll(s);
    if (v > max) return std::nullopt;
    return v;
  };
  if (colon != std::string::npos) {
    auto p = number(text.substr(0, colon), std::numeric_limits<int32_t>::max());
    auto o = number(text.substr(colon + 1), std::numeric_limits<int64_t>::max());
    if (p && o) return LogPosition{static_cast<int32_t>(*p), *o};
  }
  return InvalidArgument(
      fmt::format("{} \"{}\": expected PARTITION:OFFSET, two non-negative integers such as 0:17 (the "
                  "positions `rollbook audit` "
                  "and `rollbook blame` print)",
                  flag, text));
}

std::string Rfc3339Ms(int64_t unix_ms) {
  int64_t s = unix_ms / 1000, ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    s -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return ms == 0 ? fmt::format("{}Z", buf) : fmt::format("{}.{:03}Z", buf, ms);
}

}  // namespace rollbook::cli
