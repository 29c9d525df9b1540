// HumanDuration: the short elapsed-time form kubectl prints (AGE columns,
// describe event ages), equivalent to apimachinery's duration.HumanDuration.
//
// Input is a signed duration in milliseconds; whole seconds are taken by
// truncation toward zero, as Go's int(d.Seconds()) does. Thresholds:
//   < -1s "<invalid>"; < 0 "0s"; < 2m "Ns"; < 10m "Mm" or "MmSs";
//   < 3h "Mm"; < 8h "Hh" or "HhMm"; < 48h "Hh"; < 8d "Dd" or "DdHh";
//   < 2y "Dd"; < 8y "Yy" or "YyDd"; otherwise "Yy"
// (a year is 365 days; a zero second/minute/hour/day part is omitted).
// Pure function, never fails.
#pragma once

#include <cstdint>
#include <string>

namespace rollbook::render {

std::string HumanDuration(int64_t milliseconds);

}  // namespace rollbook::render
