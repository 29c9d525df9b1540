#include "store/fold/template.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

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

// Read through JsonDoc and written with AppendCanonicalObject: parsing into
// nlohmann's DOM, setting the fields and dumping it was 7-10% of a rebuild's
// folding thread.
int SetContainerImages(JsonRef tmpl, const google::protobuf::RepeatedPtrField<v1::ContainerImage>& images,
                       std::string* out) {
  // The container objects of initContainers, then containers (nlohmann's
  // reading: the last "spec", the last list of each name).
  std::vector<std::optional<std::string_view>> names;  // nullopt: a name that is not a string
  size_t init_count = 0;
  const std::optional<JsonRef> spec = tmpl.Find("spec");
  for (const char* list : {"initContainers", "containers"}) {
    const std::optional<JsonRef> containers = spec ? spec->Find(list) : std::nullopt;
    if (containers && containers->is_array()) {
      containers->ForEachElement([&names](JsonRef c) {
        if (!c.is_object()) return;
        const std::optional<JsonRef> name = c.Find("name");
        names.push_back(!name               ? std::optional<std::string_view>("")
                        : name->is_string() ? std::optional<std::string_view>(name->String())
                                            : std::nullopt);
      });
    }
    if (list[0] == 'i') init_count = names.size();
  }
  std::vector<int> image_of(names.size(), -1);
  for (int k = 0; k < images.size(); ++k) {
    const std::string& wanted = images[k].container();
    int matched = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      if (wanted == "*" || names[i] == std::string_view(wanted)) {
        image_of[i] = k;
        ++matched;
      }
    }
    if (matched == 0 && wanted != "*") return k;
  }
  auto plain = [](std::string_view, JsonRef v, std::string* o) { AppendCanonical(v, o); };
  auto write_list = [&](std::string_view key, JsonRef list, std::string* o) {
    if (!list.is_array() || (key != "containers" && key != "initContainers")) return AppendCanonical(list, o);
    size_t i = key == "containers" ? init_count : 0;
    o->push_back('[');
    bool first = true;
    list.ForEachElement([&](JsonRef c) {
      if (!first) o->push_back(',');
      first = false;
      if (!c.is_object()) return AppendCanonical(c, o);
      const int k = image_of[i++];
      if (k < 0) return AppendCanonical(c, o);
      AppendCanonicalObject(c, o, plain,
                            std::pair<std::string_view, std::string_view>("image", images[k].image()));
    });
    o->push_back(']');
  };
  AppendCanonicalObject(tmpl, out, [&](std::string_view key, JsonRef v, std::string* o) {
    if (key == "spec" && v.is_object()) return AppendCanonicalObject(v, o, write_list);
    AppendCanonical(v, o);
  });
  return -1;
}

std::string WithHashLabel(std::string_view canonical_template_json, const std::string& hash) {
  nlohmann::json t = nlohmann::json::parse(canonical_template_json, nullptr, /*allow_exceptions=*/false);
  if (!t.is_object()) t = nlohmann::json::object();
  t["metadata"]["labels"][kPodTemplateHashLabel] = hash;
  return t.dump();
}

}  // namespace rollbook::fold
