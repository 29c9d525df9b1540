#include "store/fold/template.h"

#include <nlohmann/json.hpp>

#include "events/chain.h"

namespace rollbook::fold {

namespace {
constexpr uint32_t kFnvOffset = 2166136261u;
constexpr uint32_t kFnvPrime = 16777619u;

uint32_t Fnv1a(uint32_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}
}  // namespace

std::string TemplateDigest(std::string_view canonical_template_json) {
  return events::RecordHash(canonical_template_json);  // the same SHA-256 as the hash chain
}

std::string PodTemplateHash(std::string_view canonical_template_json,
                            std::optional<int32_t> collision_count) {
  uint32_t h = Fnv1a(kFnvOffset, canonical_template_json);
  if (collision_count) {
    const uint32_t c = static_cast<uint32_t>(*collision_count);
    const char bytes[8] = {static_cast<char>(c & 0xff),
                           static_cast<char>((c >> 8) & 0xff),
                           static_cast<char>((c >> 16) & 0xff),
                           static_cast<char>((c >> 24) & 0xff),
                           0,
                           0,
                           0,
                           0};
    h = Fnv1a(h, std::string_view(bytes, sizeof(bytes)));
  }
  static constexpr char kSafeDigits[] = "456789bcdf";  // '0'..'9' through the safe alphabet
  std::string out = std::to_string(h);
  for (char& ch : out) ch = kSafeDigits[ch - '0'];
  return out;
}

std::string WithHashLabel(std::string_view canonical_template_json, const std::string& hash) {
  nlohmann::json t = nlohmann::json::parse(canonical_template_json, nullptr, /*allow_exceptions=*/false);
  if (!t.is_object()) t = nlohmann::json::object();
  t["metadata"]["labels"][kPodTemplateHashLabel] = hash;
  return t.dump();
}

}  // namespace rollbook::fold
