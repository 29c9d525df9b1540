#include "events/chain.h"

#include <openssl/evp.h>

namespace rollbook::events {

std::string RecordHash(std::string_view value) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // One-shot EVP digest: no context to leak, thread-safe.
  EVP_Digest(value.data(), value.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

std::string HexHash(std::string_view hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(hash.size() * 2);
  for (unsigned char c : hash) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string ShortHash(std::string_view hash, size_t bytes) {
  if (hash.empty()) return "-";
  return HexHash(hash.substr(0, bytes));
}

}  // namespace rollbook::events
