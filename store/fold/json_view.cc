#include "store/fold/json_view.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace rollbook::fold {

namespace {

using simdjson::dom::element_type;

// Parsers keep their buffers between documents; each thread reuses its own.
std::vector<std::unique_ptr<simdjson::dom::parser>>& ParserPool() {
  thread_local std::vector<std::unique_ptr<simdjson::dom::parser>> pool;
  return pool;
}

std::unique_ptr<simdjson::dom::parser> TakeParser() {
  auto& pool = ParserPool();
  if (pool.empty()) return std::make_unique<simdjson::dom::parser>();
  std::unique_ptr<simdjson::dom::parser> p = std::move(pool.back());
  pool.pop_back();
  return p;
}

}  // namespace

bool JsonRef::is_object() const { return node_ ? node_->is_object() : simd_.type() == element_type::OBJECT; }
bool JsonRef::is_array() const { return node_ ? node_->is_array() : simd_.type() == element_type::ARRAY; }
bool JsonRef::is_string() const { return node_ ? node_->is_string() : simd_.type() == element_type::STRING; }
bool JsonRef::is_null() const { return node_ ? node_->is_null() : simd_.type() == element_type::NULL_VALUE; }

bool JsonRef::is_bool() const { return node_ ? node_->is_boolean() : simd_.type() == element_type::BOOL; }

bool JsonRef::Bool() const {
  if (node_ != nullptr) return node_->is_boolean() && node_->get<bool>();
  bool b = false;
  return simd_.get(b) == simdjson::SUCCESS && b;
}

bool JsonRef::is_number() const {
  if (node_ != nullptr) return node_->is_number();
  const element_type t = simd_.type();
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

std::optional<JsonRef> JsonRef::Find(std::string_view key) const {
  if (node_ != nullptr) {
    if (!node_->is_object()) return std::nullopt;
    auto it = node_->find(key);
    if (it == node_->end()) return std::nullopt;
    return JsonRef(&*it);
  }
  std::optional<JsonRef> last;
  ForEachField([&](std::string_view k, JsonRef v) {
    if (k == key) last = v;
  });
  return last;
}

size_t JsonRef::ArraySize() const {
  if (node_ != nullptr) return node_->is_array() ? node_->size() : 0;
  simdjson::dom::array arr;
  return simd_.get(arr) == simdjson::SUCCESS ? arr.size() : 0;
}

std::string_view JsonRef::String() const {
  if (node_ != nullptr)
    return node_->is_string() ? std::string_view(node_->get_ref<const std::string&>()) : "";
  std::string_view s;
  return simd_.get(s) == simdjson::SUCCESS ? s : std::string_view();
}

double JsonRef::Double() const {
  if (node_ != nullptr) return node_->is_number() ? node_->get<double>() : 0;
  switch (simd_.type()) {
    case element_type::INT64:
      return static_cast<double>(int64_t(simd_));
    case element_type::UINT64:
      return static_cast<double>(uint64_t(simd_));
    case element_type::DOUBLE:
      return double(simd_);
    default:
      return 0;
  }
}

std::string JsonRef::DumpNumber() const {
  if (node_ != nullptr) return node_->is_number() ? node_->dump() : "";
  switch (simd_.type()) {
    case element_type::INT64:
      return nlohmann::json(int64_t(simd_)).dump();
    case element_type::UINT64:
      return nlohmann::json(uint64_t(simd_)).dump();
    case element_type::DOUBLE:
      return nlohmann::json(double(simd_)).dump();
    default:
      return "";
  }
}

std::vector<std::pair<std::string_view, JsonRef>> CanonicalFields(JsonRef object) {
  std::vector<std::pair<std::string_view, JsonRef>> fields;
  object.ForEachField([&fields](std::string_view k, JsonRef v) { fields.emplace_back(k, v); });
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // Of equal keys (now adjacent, in text order) the last one stays.
  size_t kept = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i + 1 < fields.size() && fields[i + 1].first == fields[i].first) continue;
    fields[kept++] = fields[i];
  }
  fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(kept), fields.end());
  return fields;
}

void AppendCanonicalString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t plain = 0;  // start of the run of bytes copied as they are
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
    }
  }
  out->append(s.data() + plain, s.size() - plain);
  out->push_back('"');
}

void AppendCanonical(JsonRef ref, std::string* out) {
  if (ref.is_object()) {
    AppendCanonicalObject(ref, out,
                          [](std::string_view, JsonRef v, std::string* o) { AppendCanonical(v, o); });
  } else if (ref.is_array()) {
    out->push_back('[');
    bool first = true;
    ref.ForEachElement([&](JsonRef v) {
      if (!first) out->push_back(',');
      first = false;
      AppendCanonical(v, out);
    });
    out->push_back(']');
  } else if (ref.is_string()) {
    AppendCanonicalString(ref.String(), out);
  } else if (ref.is_number()) {
    out->append(ref.DumpNumber());
  } else if (ref.is_bool()) {
    out->append(ref.Bool() ? "true" : "false");
  } else {
    out->append("null");
  }
}

std::optional<JsonDoc> JsonDoc::Parse(std::string_view text) {
  JsonDoc doc;
  doc.parser_ = TakeParser();
  if (doc.parser_->parse(text.data(), text.size()).get(doc.root_) == simdjson::SUCCESS) return doc;
  // What simdjson refuses, nlohmann may still accept (see the header).
  auto parsed =
      std::make_unique<nlohmann::json>(nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false));
  if (parsed->is_discarded()) return std::nullopt;
  doc.fallback_ = std::move(parsed);
  return doc;
}

JsonDoc::JsonDoc(JsonDoc&&) noexcept = default;
JsonDoc& JsonDoc::operator=(JsonDoc&&) noexcept = default;

JsonDoc::~JsonDoc() {
  if (parser_) ParserPool().push_back(std::move(parser_));
}

JsonRef JsonDoc::root() const { return fallback_ ? JsonRef(fallback_.get()) : JsonRef(root_); }

}  // namespace rollbook::fold
