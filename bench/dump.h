// The framed message dump of the benchmark harness: the exact bytes of every
// workload message, so a later step can produce them again (bench/run's
// figure 2) or use their real sizes (the SQLite ceiling).
//
// Format: for each message, u32 little-endian key length, key bytes, u32
// little-endian value length, value bytes. No header; ends at end of file.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rollbook::bench {

struct DumpMessage {
  std::string key, value;
};

void WriteDumpMessage(std::ostream& out, std::string_view key, std::string_view value);

// Reads up to `limit` messages (0 = all) of the dump at `path`.
StatusOr<std::vector<DumpMessage>> ReadDump(const std::string& path, size_t limit = 0);

}  // namespace rollbook::bench
