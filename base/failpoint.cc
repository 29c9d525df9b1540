#include "base/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

namespace rollbook {

namespace {

struct Armed {
  std::mutex mu;
  std::map<std::string, long, std::less<>> remaining;  // name -> passes left before the crash
};

// Parsed once; empty (and FailPoint a map lookup) when the variable is unset.
Armed& Points() {
  static Armed* armed = [] {
    auto* a = new Armed;
    const char* env = std::getenv("ROLLBOOK_FAILPOINTS");
    std::string spec = env != nullptr ? env : "";
    size_t start = 0;
    while (start < spec.size()) {
      size_t end = spec.find(',', start);
      if (end == std::string::npos) end = spec.size();
      const std::string item = spec.substr(start, end - start);
      const size_t colon = item.find(':');
      const long n = colon == std::string::npos ? 1 : std::strtol(item.c_str() + colon + 1, nullptr, 10);
      if (!item.empty()) a->remaining[item.substr(0, colon)] = n < 1 ? 1 : n;
      start = end + 1;
    }
    return a;
  }();
  return *armed;
}

}  // namespace

void FailPoint(std::string_view name) {
  Armed& a = Points();
  std::lock_guard<std::mutex> lock(a.mu);
  if (a.remaining.empty()) return;
  auto it = a.remaining.find(name);
  if (it == a.remaining.end()) return;
  if (--it->second == 0) ::kill(::getpid(), SIGKILL);
}

}  // namespace rollbook
