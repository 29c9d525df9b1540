#include "events/chain.h"

#include <openssl/evp.h>

#include <memory>

namespace rollbook::events {

namespace {

// OpenSSL 3 looks the algorithm up on every EVP_Digest(…, EVP_sha256(), …)
// call and allocates a context for it; at one hash per record that was half
// the cost of hashing a 600-byte record. The algorithm is fetched once per
// process and each thread keeps one context.
const EVP_MD* Sha256() {
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();  // fall back to the implicit fetch
  }();
  return md;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

EVP_MD_CTX* ThreadContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  return ctx.get();
}

}  // namespace

std::string RecordHash(std::string_view value) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_MD_CTX* ctx = ThreadContext();
  if (ctx == nullptr || EVP_DigestInit_ex2(ctx, Sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, value.data(), value.size()) != 1 || EVP_DigestFinal_ex(ctx, digest, &size) != 1) {
    // OpenSSL could not set up the context (out of memory): try the one-shot
    // form, and return an empty hash if that fails too, as it always did.
    if (EVP_Digest(value.data(), value.size(), digest, &size, EVP_sha256(), nullptr) != 1) return {};
  }
  return std::string(reinterpret_cast<const char*>(digest), size);
}

void LoadRecordHash() { (void)RecordHash({}); }

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
