#include "bench/dump.h"

#include <fmt/format.h>

#include <fstream>

namespace rollbook::bench {

namespace {

void PutU32(std::ostream& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 24)};
  out.write(b, 4);
}

bool GetU32(std::istream& in, uint32_t* v) {
  unsigned char b[4];
  if (!in.read(reinterpret_cast<char*>(b), 4)) return false;
  *v = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  return true;
}

}  // namespace

void WriteDumpMessage(std::ostream& out, std::string_view key, std::string_view value) {
  PutU32(out, static_cast<uint32_t>(key.size()));
  out.write(key.data(), static_cast<std::streamsize>(key.size()));
  PutU32(out, static_cast<uint32_t>(value.size()));
  out.write(value.data(), static_cast<std::streamsize>(value.size()));
}

StatusOr<std::vector<DumpMessage>> ReadDump(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(fmt::format("cannot open dump {}", path));
  std::vector<DumpMessage> out;
  uint32_t klen = 0, vlen = 0;
  while ((limit == 0 || out.size() < limit) && GetU32(in, &klen)) {
    DumpMessage m;
    m.key.resize(klen);
    if (!in.read(m.key.data(), klen) || !GetU32(in, &vlen)) {
      return DataLoss(fmt::format("{}: truncated after {} messages", path, out.size()));
    }
    m.value.resize(vlen);
    if (!in.read(m.value.data(), vlen))
      return DataLoss(fmt::format("{}: truncated after {} messages", path, out.size()));
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace rollbook::bench
