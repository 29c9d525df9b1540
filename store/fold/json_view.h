// JsonDoc: a read-only JSON document for the fold's hot paths, parsed by
// simdjson and read with nlohmann's meaning.
//
// The fold's meaning of a JSON text is nlohmann::json::parse's: invalid text
// is "no document", and of duplicate object keys the last one wins. simdjson
// parses a template or a last-applied annotation several times faster and
// without a DOM of heap nodes, but it is stricter: it refuses integers beyond
// 64 bits, a byte-order mark and nesting past 1,024 levels, all of which
// nlohmann accepts. So a JsonDoc parses with simdjson first and, only when
// simdjson refuses, with nlohmann; either way JsonRef reads it the same way:
//   - Find(key) returns the LAST field of that name (nlohmann keeps the last);
//   - ForEachField visits every field in text order, duplicates included, so
//     a caller building a map must let later fields replace earlier ones;
//   - DumpNumber() prints a number exactly as nlohmann::json::dump() would,
//     and AppendCanonical() a whole value: what nlohmann's dump() prints for
//     the document nlohmann parsed, without building that document.
// tests/unit/json_view_test.cc checks both paths against nlohmann on edge
// inputs (duplicates, big integers, BOM, invalid UTF-8, lone surrogates).
//
// Not thread-safe per document; each thread has its own parsers. A JsonDoc
// must outlive every JsonRef taken from it.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rollbook::fold {

// One value of a JsonDoc: a simdjson element or an nlohmann node. Cheap to copy.
class JsonRef {
 public:
  bool is_object() const;
  bool is_array() const;
  bool is_string() const;
  bool is_number() const;
  bool is_null() const;
  bool is_bool() const;
  bool Bool() const;  // false for a non-boolean

  // The last field named `key` of an object; nullopt for a non-object or no such field.
  std::optional<JsonRef> Find(std::string_view key) const;
  // Calls fn(std::string_view key, JsonRef value) for every field of an
  // object in text order (nothing for a non-object).
  template <typename Fn>
  void ForEachField(Fn&& fn) const {
    if (node_ != nullptr) {
      if (!node_->is_object()) return;
      for (auto it = node_->begin(); it != node_->end(); ++it) fn(std::string_view(it.key()), JsonRef(&*it));
      return;
    }
    simdjson::dom::object obj;
    if (simd_.get(obj) != simdjson::SUCCESS) return;
    for (simdjson::dom::key_value_pair field : obj) fn(field.key, JsonRef(field.value));
  }
  // Calls fn(JsonRef element) for every element of an array in order
  // (nothing for a non-array).
  template <typename Fn>
  void ForEachElement(Fn&& fn) const {
    if (node_ != nullptr) {
      if (!node_->is_array()) return;
      for (const auto& e : *node_) fn(JsonRef(&e));
      return;
    }
    simdjson::dom::array arr;
    if (simd_.get(arr) != simdjson::SUCCESS) return;
    for (simdjson::dom::element e : arr) fn(JsonRef(e));
  }
  // Elements of an array, 0 for anything else.
  size_t ArraySize() const;

  // The text of a string ("" for a non-string); valid while the JsonDoc lives.
  std::string_view String() const;
  // A number as a double (0 for a non-number), as nlohmann's get<double>().
  double Double() const;
  // A number as nlohmann::json::dump() prints it ("" for a non-number).
  std::string DumpNumber() const;

 private:
  friend class JsonDoc;
  explicit JsonRef(simdjson::dom::element e) : simd_(e), node_(nullptr) {}
  explicit JsonRef(const nlohmann::json* n) : node_(n) {}
  simdjson::dom::element simd_;
  const nlohmann::json* node_;  // null: the simdjson element is the value
};

class JsonDoc {
 public:
  // Parses `text`; nullopt when it is not JSON to nlohmann either.
  static std::optional<JsonDoc> Parse(std::string_view text);

  JsonDoc(JsonDoc&&) noexcept;
  JsonDoc& operator=(JsonDoc&&) noexcept;
  ~JsonDoc();

  JsonRef root() const;

 private:
  JsonDoc() = default;
  std::unique_ptr<simdjson::dom::parser> parser_;  // returned to this thread's pool when done
  simdjson::dom::element root_;
  std::unique_ptr<nlohmann::json> fallback_;  // set when simdjson refused the text
};

// The fields of an object in the order nlohmann's dump() prints them: keys
// sorted bytewise, only the last of duplicate keys. Empty for a non-object.
std::vector<std::pair<std::string_view, JsonRef>> CanonicalFields(JsonRef object);

// Appends `s` as a JSON string, escaped as nlohmann's dump() escapes it
// (\b \f \n \r \t \" \\, other control bytes as \u00xx, the rest as is).
// `s` must be valid UTF-8 (every string of a JsonDoc is).
void AppendCanonicalString(std::string_view s, std::string* out);

// Appends `ref` exactly as nlohmann::json::parse(text).dump() prints it.
void AppendCanonical(JsonRef ref, std::string* out);

// Appends an object as AppendCanonical() would, with two changes: each
// field's value is written by write_value(key, value, out), and `extra`, when
// set, is one more string field that replaces a field of the same key (as
// nlohmann's `object[key] = value` does).
template <typename WriteValue>
void AppendCanonicalObject(
    JsonRef object, std::string* out, WriteValue&& write_value,
    std::optional<std::pair<std::string_view, std::string_view>> extra = std::nullopt) {
  out->push_back('{');
  bool first = true;
  auto separate = [&] {
    if (!first) out->push_back(',');
    first = false;
  };
  auto write_extra = [&] {
    separate();
    AppendCanonicalString(extra->first, out);
    out->push_back(':');
    AppendCanonicalString(extra->second, out);
    extra.reset();
  };
  for (const auto& [key, value] : CanonicalFields(object)) {
    if (extra && extra->first <= key) {
      const bool replaces = extra->first == key;
      write_extra();
      if (replaces) continue;
    }
    separate();
    AppendCanonicalString(key, out);
    out->push_back(':');
    write_value(key, value, out);
  }
  if (extra) write_extra();
  out->push_back('}');
}

}  // namespace rollbook::fold
