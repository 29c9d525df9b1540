#include "store/fold/manifest.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "base/utf8.h"
#include "store/fold/labels.h"

namespace rollbook::fold {

namespace {

using nlohmann::json;

std::string Dump(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// Go's json.Marshal escapes <, > and & inside strings; these bytes can only
// occur inside strings of a compact dump.
std::string GoJson(const json& v) {
  std::string s = Dump(v);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

// ============================================================================
// YAML scalars, resolved like go-yaml v2 (which sigs.k8s.io/yaml uses).
// ============================================================================

bool GoParseUint(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  int base = 10;
  if (s[0] == '0') {
    const char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
    if (p == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (p == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    if (d >= base) return false;
    if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) return false;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

bool GoParseInt(std::string_view s, int64_t* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t u;
  if (!GoParseUint(s, &u)) return false;
  if (!neg && u > static_cast<uint64_t>(INT64_MAX)) return false;
  if (neg && u > static_cast<uint64_t>(INT64_MAX) + 1) return false;
  *out = neg ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
  return true;
}

// ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlStyleFloat(std::string_view s) {
  size_t i = 0;
  auto digits = [&]() {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

enum class Resolved { kValue, kUnsupportedFloat };

Resolved ResolvePlainScalar(const std::string& s, json* out, std::string* unsupported) {
  static const std::set<std::string> kTrue = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                              "True", "TRUE", "on",  "On",  "ON"};
  static const std::set<std::string> kFalse = {"n",     "N",     "no",  "No",  "NO", "false",
                                               "False", "FALSE", "off", "Off", "OFF"};
  static const std::set<std::string> kNull = {"", "~", "null", "Null", "NULL"};
  if (kTrue.count(s)) {
    *out = true;
    return Resolved::kValue;
  }
  if (kFalse.count(s)) {
    *out = false;
    return Resolved::kValue;
  }
  if (kNull.count(s)) {
    *out = nullptr;
    return Resolved::kValue;
  }
  static const std::set<std::string> kPosInf = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
  static const std::set<std::string> kNegInf = {"-.inf", "-.Inf", "-.INF"};
  static const std::set<std::string> kNaN = {".nan", ".NaN", ".NAN"};
  if (kPosInf.count(s)) {
    *unsupported = "+Inf";
    return Resolved::kUnsupportedFloat;
  }
  if (kNegInf.count(s)) {
    *unsupported = "-Inf";
    return Resolved::kUnsupportedFloat;
  }
  if (kNaN.count(s)) {
    *unsupported = "NaN";
    return Resolved::kUnsupportedFloat;
  }
  const char c = s[0];
  if (c == '.') {
    if (IsYamlStyleFloat(s)) {
      *out = std::strtod(s.c_str(), nullptr);
      return Resolved::kValue;
    }
  } else if ((c >= '0' && c <= '9') || c == '+' || c == '-') {
    std::string plain;
    for (char ch : s)
      if (ch != '_') plain += ch;
    int64_t i;
    if (GoParseInt(plain, &i)) {
      *out = i;
      return Resolved::kValue;
    }
    uint64_t u;
    if (GoParseUint(plain, &u)) {
      *out = u;
      return Resolved::kValue;
    }
    if (IsYamlStyleFloat(plain)) {
      double d = std::strtod(plain.c_str(), nullptr);
      if (std::isinf(d)) {
        *unsupported = d > 0 ? "+Inf" : "-Inf";
        return Resolved::kUnsupportedFloat;
      }
      *out = d;
      return Resolved::kValue;
    }
  }
  *out = s;
  return Resolved::kValue;
}

// ============================================================================
// YAML nodes to JSON.
// ============================================================================

constexpr int kMaxDepth = 1000;
// yaml-cpp shares an anchored node between its aliases, but the JSON copy
// expands every alias, so a few hundred bytes of nested aliases ("billion
// laughs") would expand to gigabytes. Without aliases a text has at most about
// one node per byte; beyond that we allow this many expanded nodes (go-yaml, and
// so kubectl, likewise accepts up to ~400,000 alias-driven nodes).
constexpr size_t kMaxAliasExpandedNodes = 400'000;

// Converts the documents of one manifest text, sharing one node budget.
class YamlToJson {
 public:
  explicit YamlToJson(size_t text_bytes) : max_nodes_(text_bytes + kMaxAliasExpandedNodes) {}

  // On failure returns the text after "error converting YAML to JSON: ".
  bool Convert(const YAML::Node& node, json* out, std::string* err, int depth = 0) {
    if (++nodes_ > max_nodes_) {
      *err = "yaml: document contains excessive aliasing";
      return false;
    }
    if (depth > kMaxDepth) {
      *err = "yaml: exceeded max depth of " + std::to_string(kMaxDepth);
      return false;
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        *out = nullptr;
        return true;
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, out, err);
      case YAML::NodeType::Sequence: {
        *out = json::array();
        for (const auto& item : node) {
          json v;
          if (!Convert(item, &v, err, depth + 1)) return false;
          out->push_back(std::move(v));
        }
        return true;
      }
      case YAML::NodeType::Map:
        return ConvertMap(node, out, err, depth);
    }
    *out = nullptr;
    return true;
  }

 private:
  static int Line(const YAML::Node& n) { return n.Mark().line + 1; }

  bool ConvertScalar(const YAML::Node& node, json* out, std::string* err) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "?") {
      std::string unsupported;
      if (ResolvePlainScalar(text, out, &unsupported) == Resolved::kUnsupportedFloat) {
        *err = "json: unsupported value: " + unsupported;
        return false;
      }
      return true;
    }
    if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
        tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
      std::string unsupported;
      if (ResolvePlainScalar(text, out, &unsupported) == Resolved::kUnsupportedFloat) {
        *err = "json: unsupported value: " + unsupported;
        return false;
      }
      return true;
    }
    // "!" (quoted or block scalars), !!str and unknown tags: the text.
    *out = text;
    return true;
  }

  bool KeyText(const YAML::Node& key, std::string* text, std::string* err) {
    if (key.IsNull()) {
      *text = "null";
      return true;
    }
    if (!key.IsScalar()) {
      *err = "yaml: line " + std::to_string(Line(key)) + ": invalid map key";
      return false;
    }
    *text = key.Scalar();
    return true;
  }

  bool ConvertMap(const YAML::Node& node, json* out, std::string* err, int depth) {
    *out = json::object();
    std::map<std::string, int> first_line;
    std::vector<json> merges;
    for (const auto& kv : node) {
      const YAML::Node& key = kv.first;
      if (key.IsScalar() && key.Tag() == "?" && key.Scalar() == "<<") {
        json merged;
        if (!Convert(kv.second, &merged, err, depth + 1)) return false;
        if (merged.is_object()) {
          merges.push_back(std::move(merged));
        } else if (merged.is_array()) {
          for (auto& m : merged) {
            if (!m.is_object()) {
              *err = "yaml: map merge requires map or sequence of maps as the value";
              return false;
            }
            merges.push_back(std::move(m));
          }
        } else {
          *err = "yaml: map merge requires map or sequence of maps as the value";
          return false;
        }
        continue;
      }
      std::string k;
      if (!KeyText(key, &k, err)) return false;
      auto [it, inserted] = first_line.emplace(k, Line(key));
      if (!inserted) {
        *err = "yaml: unmarshal errors:\n  line " + std::to_string(Line(key)) + ": mapping key \"" + k +
               "\" already defined at line " + std::to_string(it->second);
        return false;
      }
      json v;
      if (!Convert(kv.second, &v, err, depth + 1)) return false;
      (*out)[k] = std::move(v);
    }
    for (auto& m : merges) {
      for (auto& [k, v] : m.items()) {
        if (!out->contains(k)) (*out)[k] = v;
      }
    }
    return true;
  }

  const size_t max_nodes_;
  size_t nodes_ = 0;
};

// yaml-cpp 0.7 (Debian 12) loops forever in LoadAll, adding an empty document
// per turn until memory runs out, when a token after a document's root neither
// ends that document nor starts a new one (`"",`, `[] ]`; yaml-cpp issue
// #1040). This first pass over the parser's events stops at the first document
// that starts where the previous one did, and returns its line (0 when the
// stream is fine). Syntax errors throw YAML::Exception as in LoadAll.
int StuckDocumentLine(const std::string& text) {
  class DocumentStarts : public YAML::EventHandler {
   public:
    YAML::Mark start;
    void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  };
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts events;
  int previous_pos = -1;
  while (parser.HandleNextDocument(events)) {
    if (events.start.pos == previous_pos) return events.start.line + 1;
    previous_pos = events.start.pos;
  }
  return 0;
}

std::string ParseError(std::string_view source, const std::string& what) {
  return "error parsing " + std::string(source) + ": error converting YAML to JSON: " + what;
}

std::string JsonTypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    default:
      return "null";
  }
}

Status CheckKindAndVersion(const json& obj, std::string_view source) {
  auto kind = obj.find("kind");
  if (kind == obj.end() || !kind->is_string() || kind->get_ref<const std::string&>().empty())
    return InvalidArgument("unable to decode \"" + std::string(source) + "\": Object 'Kind' is missing in '" +
                           GoJson(obj) + "'");
  auto version = obj.find("apiVersion");
  if (version == obj.end() || !version->is_string() || version->get_ref<const std::string&>().empty())
    return InvalidArgument("unable to decode \"" + std::string(source) +
                           "\": Object 'apiVersion' is missing in '" + GoJson(obj) + "'");
  return Status::Ok();
}

// Appends `obj` (expanding *List objects) to `docs`.
Status AddObject(json obj, int index, std::string_view source, std::vector<ManifestDocument>* docs) {
  if (!obj.is_object()) {
    return InvalidArgument("unable to decode \"" + std::string(source) + "\": json: cannot unmarshal " +
                           JsonTypeName(obj) + " into Go value of type map[string]interface {}");
  }
  RB_RETURN_IF_ERROR(CheckKindAndVersion(obj, source));
  const std::string& kind = obj["kind"].get_ref<const std::string&>();
  auto items = obj.find("items");
  if (kind.size() >= 4 && kind.compare(kind.size() - 4, 4, "List") == 0 && items != obj.end() &&
      (items->is_array() || items->is_null())) {
    const std::string item_kind = kind.substr(0, kind.size() - 4);
    const json api_version = obj["apiVersion"];
    if (items->is_null()) return Status::Ok();
    for (json item : *items) {
      if (item.is_object() && !item_kind.empty()) {
        if (!item.contains("kind") || item["kind"].is_null()) item["kind"] = item_kind;
        if (!item.contains("apiVersion") || item["apiVersion"].is_null()) item["apiVersion"] = api_version;
      }
      RB_RETURN_IF_ERROR(AddObject(std::move(item), index, source, docs));
    }
    return Status::Ok();
  }
  docs->push_back(ManifestDocument{index, std::move(obj)});
  return Status::Ok();
}

// ============================================================================
// Typed reads with Go's encoding/json error wording.
// ============================================================================

Status TypeError(const std::string& value_desc, const std::string& strct, const std::string& path,
                 const std::string& go_type) {
  return InvalidArgument("json: cannot unmarshal " + value_desc + " into Go struct field " + strct + "." +
                         path + " of type " + go_type);
}

const json* Field(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status ReadString(const json& obj, const char* key, const std::string& strct, const std::string& path,
                  std::string* out, const std::string& go_type = "string") {
  const json* v = Field(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return TypeError(JsonTypeName(*v), strct, path, go_type);
  *out = v->get<std::string>();
  return Status::Ok();
}

// Integral numbers within [lo, hi] (Go decodes 3.0 into an int; JSON from YAML
// floats keeps the integral value).
bool IntegralValue(const json& v, int64_t lo, int64_t hi, int64_t* out) {
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    int64_t i = v.get<int64_t>();
    if (i < lo || i > hi) return false;
    *out = i;
    return true;
  }
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) != d || d < static_cast<double>(lo) || d > static_cast<double>(hi)) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

Status ReadInt32(const json& obj, const char* key, const std::string& strct, const std::string& path,
                 std::optional<int32_t>* out) {
  const json* v = Field(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number()) return TypeError(JsonTypeName(*v), strct, path, "int32");
  int64_t i;
  if (!IntegralValue(*v, INT32_MIN, INT32_MAX, &i))
    return TypeError("number " + Dump(*v), strct, path, "int32");
  *out = static_cast<int32_t>(i);
  return Status::Ok();
}

Status ReadBool(const json& obj, const char* key, const std::string& strct, const std::string& path,
                bool* out) {
  const json* v = Field(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_boolean()) return TypeError(JsonTypeName(*v), strct, path, "bool");
  *out = v->get<bool>();
  return Status::Ok();
}

Status ReadObject(const json& obj, const char* key, const std::string& strct, const std::string& path,
                  const std::string& go_type, const json** out) {
  const json* v = Field(obj, key);
  *out = nullptr;
  if (v == nullptr) return Status::Ok();
  if (!v->is_object()) return TypeError(JsonTypeName(*v), strct, path, go_type);
  *out = v;
  return Status::Ok();
}

Status ReadArray(const json& obj, const char* key, const std::string& strct, const std::string& path,
                 const std::string& go_type, const json** out) {
  const json* v = Field(obj, key);
  *out = nullptr;
  if (v == nullptr) return Status::Ok();
  if (!v->is_array()) return TypeError(JsonTypeName(*v), strct, path, go_type);
  *out = v;
  return Status::Ok();
}

// map[string]string; a null value decodes as "".
Status ReadStringMap(const json& obj, const char* key, const std::string& strct, const std::string& path,
                     LabelMap* out) {
  const json* v = Field(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_object()) return TypeError(JsonTypeName(*v), strct, path, "map[string]string");
  for (const auto& [k, val] : v->items()) {
    if (val.is_null()) {
      (*out)[k] = "";
    } else if (val.is_string()) {
      (*out)[k] = val.get<std::string>();
    } else {
      return TypeError(JsonTypeName(val), strct, path, "string");
    }
  }
  return Status::Ok();
}

template <typename MapT>
void CopyMap(const LabelMap& from, MapT* to) {
  for (const auto& [k, v] : from) (*to)[k] = v;
}

// Kubernetes IntOrString: a JSON string is a string, a number an int32.
Status ReadIntOrString(const json& obj, const char* key, rollbook::v1::IntOrString* out, bool* present) {
  const json* v = Field(obj, key);
  *present = v != nullptr;
  if (v == nullptr) return Status::Ok();
  if (v->is_string()) {
    out->set_str_value(v->get<std::string>());
    return Status::Ok();
  }
  int64_t i;
  if (v->is_number() && IntegralValue(*v, INT32_MIN, INT32_MAX, &i)) {
    out->set_int_value(static_cast<int32_t>(i));
    return Status::Ok();
  }
  const std::string desc = v->is_number() ? "number " + Dump(*v) : JsonTypeName(*v);
  return InvalidArgument("json: cannot unmarshal " + desc + " into Go value of type int32");
}

// ---- strict decoding: unknown fields ----------------------------------------

const std::set<std::string>& ObjectMetaFields() {
  static const std::set<std::string> kFields = {
      "name",
      "generateName",
      "namespace",
      "selfLink",
      "uid",
      "resourceVersion",
      "generation",
      "creationTimestamp",
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
      "labels",
      "annotations",
      "ownerReferences",
      "finalizers",
      "managedFields",
  };
  return kFields;
}

void CheckKnown(const json& obj, const std::string& prefix, const std::set<std::string>& known,
                std::vector<std::string>* unknown) {
  for (const auto& [k, v] : obj.items()) {
    if (!known.count(k)) unknown->push_back(prefix.empty() ? k : prefix + "." + k);
  }
}

// ============================================================================
// Quantities (resource.Quantity canonical form).
// ============================================================================

using u128 = unsigned __int128;

bool MulOverflow(u128 a, u128 b, u128* out) {
  if (a != 0 && b > (~static_cast<u128>(0)) / a) return true;
  *out = a * b;
  return false;
}

bool Pow10(int n, u128* out) {
  u128 v = 1;
  for (int i = 0; i < n; ++i)
    if (MulOverflow(v, 10, &v)) return false;
  *out = v;
  return true;
}

std::string U128ToString(u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v > 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

enum class QuantityFormat { kDecimalSI, kBinarySI, kDecimalExponent };

std::string FormatDecimal(u128 nano, QuantityFormat format) {
  if (nano == 0) return "0";
  static const std::pair<int, const char*> kSuffixes[] = {{18, "E"}, {15, "P"}, {12, "T"}, {9, "G"},
                                                          {6, "M"},  {3, "k"},  {0, ""},   {-3, "m"},
                                                          {-6, "u"}, {-9, "n"}};
  for (const auto& [exp, suffix] : kSuffixes) {
    u128 div;
    if (!Pow10(exp + 9, &div)) continue;
    if (nano % div != 0) continue;
    std::string mantissa = U128ToString(nano / div);
    if (format == QuantityFormat::kDecimalExponent)
      return exp == 0 ? mantissa : mantissa + "e" + std::to_string(exp);
    return mantissa + suffix;
  }
  return U128ToString(nano) + "n";
}

// Parses and canonicalizes; `force_decimal_si` for JSON numbers, which
// Kubernetes reads in Go's plain decimal notation.
std::optional<std::string> CanonicalQuantityImpl(std::string_view s, bool force_decimal_si) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    negative = s[i] == '-';
    ++i;
  }
  std::string digits;
  int frac_len = 0;
  bool seen_dot = false;
  bool any_digit = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      any_digit = true;
      if (seen_dot) ++frac_len;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      break;
    }
  }
  if (!any_digit) return std::nullopt;
  std::string_view suffix = s.substr(i);
  int exp10 = 0;
  int exp2 = 0;
  QuantityFormat format = QuantityFormat::kDecimalSI;
  static const std::map<std::string_view, int> kDecimal = {{"", 0},   {"n", -9}, {"u", -6}, {"m", -3},
                                                           {"k", 3},  {"M", 6},  {"G", 9},  {"T", 12},
                                                           {"P", 15}, {"E", 18}};
  static const std::map<std::string_view, int> kBinary = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                                          {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  if (auto it = kDecimal.find(suffix); it != kDecimal.end()) {
    exp10 = it->second;
  } else if (auto bit = kBinary.find(suffix); bit != kBinary.end()) {
    exp2 = bit->second;
    format = QuantityFormat::kBinarySI;
  } else if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::string_view e = suffix.substr(1);
    bool eneg = false;
    if (!e.empty() && (e[0] == '+' || e[0] == '-')) {
      eneg = e[0] == '-';
      e.remove_prefix(1);
    }
    if (e.empty() || e.size() > 4) return std::nullopt;
    int v = 0;
    for (char c : e) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    exp10 = eneg ? -v : v;
    format = QuantityFormat::kDecimalExponent;
  } else {
    return std::nullopt;
  }
  if (force_decimal_si) format = QuantityFormat::kDecimalSI;

  // Mantissa as an integer (leading zeros dropped).
  size_t first = digits.find_first_not_of('0');
  std::string mant = first == std::string::npos ? "0" : digits.substr(first);
  if (mant.size() > 36) return std::nullopt;
  u128 m = 0;
  for (char c : mant) m = m * 10 + static_cast<u128>(c - '0');

  // Value in nano units, rounded away from zero below 1n.
  const int p = 9 - frac_len + exp10;
  u128 nano;
  if (p >= 0) {
    u128 scale;
    if (!Pow10(p, &scale) || MulOverflow(m, scale, &nano)) return std::nullopt;
  } else {
    u128 scale;
    if (!Pow10(-p, &scale)) {
      nano = m == 0 ? 0 : 1;
    } else {
      nano = m / scale + (m % scale != 0 ? 1 : 0);
    }
  }
  if (exp2 > 0) {
    if (MulOverflow(nano, static_cast<u128>(1) << exp2, &nano)) return std::nullopt;
  }

  std::string out;
  static const u128 kNanoPerUnit = 1'000'000'000;
  if (format == QuantityFormat::kBinarySI) {
    if (nano % kNanoPerUnit != 0 || nano < 1024 * kNanoPerUnit) {
      out = FormatDecimal(nano, QuantityFormat::kDecimalSI);
    } else {
      u128 bytes = nano / kNanoPerUnit;
      static const char* kBinSuffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
      int unit = 0;
      while (unit < 6 && bytes % 1024 == 0) {
        bytes /= 1024;
        ++unit;
      }
      out = U128ToString(bytes) + kBinSuffix[unit];
    }
  } else {
    out = FormatDecimal(nano, format);
  }
  if (negative && out != "0") out = "-" + out;
  return out;
}

// Go's encoding/json text for a number (no exponent for 1e-6 <= |x| < 1e21).
std::string GoNumberText(const json& v) {
  if (!v.is_number_float()) return Dump(v);
  const double d = v.get<double>();
  const double a = std::fabs(d);
  std::string s = Dump(v);  // shortest round-trip digits
  if (a != 0 && (a < 1e-6 || a >= 1e21)) return s;
  // Expand an exponent form produced by the shortest printer.
  size_t e = s.find_first_of("eE");
  if (e == std::string::npos) return s;
  std::string mant = s.substr(0, e);
  int exp = std::atoi(s.c_str() + e + 1);
  bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant.erase(0, 1);
  size_t dot = mant.find('.');
  std::string digits = mant;
  int point = static_cast<int>(mant.size());
  if (dot != std::string::npos) {
    digits = mant.substr(0, dot) + mant.substr(dot + 1);
    point = static_cast<int>(dot);
  }
  point += exp;
  std::string out;
  if (point <= 0) {
    out = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (point >= static_cast<int>(digits.size())) {
    out = digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
  }
  return neg ? "-" + out : out;
}

void CanonicalizeQuantityValue(json& v) {
  if (v.is_string()) {
    if (auto c = CanonicalQuantityImpl(v.get_ref<const std::string&>(), false)) v = *c;
  } else if (v.is_number()) {
    if (auto c = CanonicalQuantityImpl(GoNumberText(v), true)) v = *c;
  }
}

void CanonicalizeQuantityMap(json* obj, const char* key) {
  if (!obj->is_object()) return;
  auto it = obj->find(key);
  if (it == obj->end() || !it->is_object()) return;
  for (auto& [k, v] : it->items()) CanonicalizeQuantityValue(v);
}

void CanonicalizeResources(json& holder) {
  if (!holder.is_object()) return;
  auto res = holder.find("resources");
  if (res == holder.end()) return;
  CanonicalizeQuantityMap(&*res, "limits");
  CanonicalizeQuantityMap(&*res, "requests");
}

// ============================================================================
// Template canonical form.
// ============================================================================

bool KeepEmpty(const std::string& key) {
  return key == "emptyDir" || key == "labelSelector" || key == "namespaceSelector";
}

void Clean(json& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end();) {
      if (it->is_null()) {
        it = v.erase(it);
        continue;
      }
      Clean(*it);
      if ((it->is_object() || it->is_array()) && it->empty() && !(it->is_object() && KeepEmpty(it.key()))) {
        it = v.erase(it);
        continue;
      }
      ++it;
    }
  } else if (v.is_array()) {
    for (auto& e : v) Clean(e);
  }
}

bool AbsentOrEmptyString(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty());
}

void SetDefault(json& obj, const char* key, json value) {
  if (AbsentOrEmptyString(obj, key)) obj[key] = std::move(value);
}

bool HasUpper(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Kubernetes: Always when the reference's tag is "latest" (which a reference
// without tag and digest gets), IfNotPresent otherwise, including references
// that do not parse.
std::string DefaultPullPolicy(std::string_view image) {
  if (image.empty()) return "IfNotPresent";
  size_t at = image.find('@');
  const bool has_digest = at != std::string_view::npos;
  std::string_view name = image.substr(0, at);
  size_t slash = name.rfind('/');
  std::string_view last = slash == std::string_view::npos ? name : name.substr(slash + 1);
  // The repository path (without a registry host) must be lowercase.
  std::string_view path = name;
  size_t first_slash = name.find('/');
  if (first_slash != std::string_view::npos) {
    std::string_view host = name.substr(0, first_slash);
    if (host.find('.') != std::string_view::npos || host.find(':') != std::string_view::npos ||
        host == "localhost")
      path = name.substr(first_slash + 1);
  }
  size_t colons = std::count(last.begin(), last.end(), ':');
  if (colons > 1) return "IfNotPresent";
  std::string_view tag;
  std::string_view repo_path = path;
  if (colons == 1) {
    size_t colon = last.find(':');
    tag = last.substr(colon + 1);
    repo_path = path.substr(0, path.size() - (last.size() - colon));
    if (tag.empty()) return "IfNotPresent";
  }
  if (HasUpper(repo_path) || name.empty()) return "IfNotPresent";
  if (tag.empty()) return has_digest ? "IfNotPresent" : "Always";
  return tag == "latest" ? "Always" : "IfNotPresent";
}

void DefaultHttpGet(json& handler) {
  if (!handler.is_object()) return;
  auto http = handler.find("httpGet");
  if (http == handler.end() || !http->is_object()) return;
  SetDefault(*http, "path", "/");
  SetDefault(*http, "scheme", "HTTP");
}

void DefaultProbe(json& container, const char* key) {
  auto probe = container.find(key);
  if (probe == container.end() || !probe->is_object()) return;
  if (!probe->contains("timeoutSeconds")) (*probe)["timeoutSeconds"] = 1;
  if (!probe->contains("periodSeconds")) (*probe)["periodSeconds"] = 10;
  if (!probe->contains("successThreshold")) (*probe)["successThreshold"] = 1;
  if (!probe->contains("failureThreshold")) (*probe)["failureThreshold"] = 3;
  DefaultHttpGet(*probe);
}

void DefaultFieldRef(json& holder) {
  if (!holder.is_object()) return;
  auto ref = holder.find("fieldRef");
  if (ref == holder.end() || !ref->is_object()) return;
  SetDefault(*ref, "apiVersion", "v1");
}

void DefaultContainer(json& c) {
  if (!c.is_object()) return;
  if (AbsentOrEmptyString(c, "imagePullPolicy")) {
    auto image = c.find("image");
    c["imagePullPolicy"] =
        DefaultPullPolicy(image != c.end() && image->is_string() ? image->get_ref<const std::string&>() : "");
  }
  SetDefault(c, "terminationMessagePath", "/dev/termination-log");
  SetDefault(c, "terminationMessagePolicy", "File");
  if (auto ports = c.find("ports"); ports != c.end() && ports->is_array()) {
    for (auto& p : *ports)
      if (p.is_object()) SetDefault(p, "protocol", "TCP");
  }
  DefaultProbe(c, "livenessProbe");
  DefaultProbe(c, "readinessProbe");
  DefaultProbe(c, "startupProbe");
  if (auto lc = c.find("lifecycle"); lc != c.end() && lc->is_object()) {
    if (auto h = lc->find("postStart"); h != lc->end()) DefaultHttpGet(*h);
    if (auto h = lc->find("preStop"); h != lc->end()) DefaultHttpGet(*h);
  }
  if (auto env = c.find("env"); env != c.end() && env->is_array()) {
    for (auto& e : *env) {
      if (!e.is_object()) continue;
      if (auto vf = e.find("valueFrom"); vf != e.end()) DefaultFieldRef(*vf);
    }
  }
}

void DefaultVolume(json& vol) {
  if (!vol.is_object()) return;
  bool has_source = false;
  for (const auto& [k, v] : vol.items())
    if (k != "name") has_source = true;
  if (!has_source) vol["emptyDir"] = json::object();
  for (const char* key : {"configMap", "secret", "downwardAPI", "projected"}) {
    auto src = vol.find(key);
    if (src == vol.end() || !src->is_object()) continue;
    if (!src->contains("defaultMode")) (*src)["defaultMode"] = 420;
  }
  if (auto dapi = vol.find("downwardAPI"); dapi != vol.end() && dapi->is_object()) {
    if (auto items = dapi->find("items"); items != dapi->end() && items->is_array())
      for (auto& item : *items) DefaultFieldRef(item);
  }
  if (auto ed = vol.find("emptyDir"); ed != vol.end() && ed->is_object()) {
    if (auto sl = ed->find("sizeLimit"); sl != ed->end()) CanonicalizeQuantityValue(*sl);
  }
}

void DefaultPodSpec(json& spec) {
  for (const char* list : {"containers", "initContainers"}) {
    auto it = spec.find(list);
    if (it == spec.end() || !it->is_array()) continue;
    for (auto& c : *it) {
      CanonicalizeResources(c);
      DefaultContainer(c);
    }
  }
  CanonicalizeResources(spec);
  CanonicalizeQuantityMap(&spec, "overhead");
  if (auto vols = spec.find("volumes"); vols != spec.end() && vols->is_array()) {
    for (auto& v : *vols) DefaultVolume(v);
  }
  SetDefault(spec, "restartPolicy", "Always");
  SetDefault(spec, "dnsPolicy", "ClusterFirst");
  SetDefault(spec, "schedulerName", "default-scheduler");
  if (!spec.contains("terminationGracePeriodSeconds")) spec["terminationGracePeriodSeconds"] = 30;
}

// Type checks of the template parts that defaulting and validation read.
Status CheckTemplateTypes(const json& tmpl, LabelMap* labels, LabelMap* annotations) {
  const json* meta = nullptr;
  RB_RETURN_IF_ERROR(
      ReadObject(tmpl, "metadata", "PodTemplateSpec", "spec.template.metadata", "v1.ObjectMeta", &meta));
  if (meta != nullptr) {
    RB_RETURN_IF_ERROR(ReadStringMap(*meta, "labels", "ObjectMeta", "spec.template.metadata.labels", labels));
    RB_RETURN_IF_ERROR(
        ReadStringMap(*meta, "annotations", "ObjectMeta", "spec.template.metadata.annotations", annotations));
  }
  const json* spec = nullptr;
  RB_RETURN_IF_ERROR(ReadObject(tmpl, "spec", "PodTemplateSpec", "spec.template.spec", "v1.PodSpec", &spec));
  if (spec == nullptr) return Status::Ok();
  for (const char* list : {"containers", "initContainers"}) {
    const std::string path = std::string("spec.template.spec.") + list;
    const json* arr = nullptr;
    RB_RETURN_IF_ERROR(ReadArray(*spec, list, "PodSpec", path, "[]v1.Container", &arr));
    if (arr == nullptr) continue;
    for (const auto& c : *arr) {
      if (c.is_null()) continue;
      if (!c.is_object()) return TypeError(JsonTypeName(c), "PodSpec", path, "v1.Container");
      std::string ignored;
      RB_RETURN_IF_ERROR(ReadString(c, "name", "Container", path + ".name", &ignored));
      RB_RETURN_IF_ERROR(ReadString(c, "image", "Container", path + ".image", &ignored));
      RB_RETURN_IF_ERROR(ReadString(c, "imagePullPolicy", "Container", path + ".imagePullPolicy", &ignored,
                                    "v1.PullPolicy"));
    }
  }
  std::string ignored;
  RB_RETURN_IF_ERROR(ReadString(*spec, "restartPolicy", "PodSpec", "spec.template.spec.restartPolicy",
                                &ignored, "v1.RestartPolicy"));
  const json* ads = Field(*spec, "activeDeadlineSeconds");
  if (ads != nullptr && !ads->is_number())
    return TypeError(JsonTypeName(*ads), "PodSpec", "spec.template.spec.activeDeadlineSeconds", "int64");
  return Status::Ok();
}

StatusOr<std::string> CanonicalTemplate(const json& template_object, LabelMap* labels,
                                        LabelMap* annotations) {
  json t = template_object.is_null() ? json::object() : template_object;
  if (!t.is_object())
    return TypeError(JsonTypeName(t), "DeploymentSpec", "spec.template", "v1.PodTemplateSpec");
  RB_RETURN_IF_ERROR(CheckTemplateTypes(t, labels, annotations));
  // Null label/annotation values decode as "" (and are then real entries).
  if (auto meta = t.find("metadata"); meta != t.end() && meta->is_object()) {
    for (const char* key : {"labels", "annotations"}) {
      auto m = meta->find(key);
      if (m == meta->end() || !m->is_object()) continue;
      for (auto& [k, v] : m->items())
        if (v.is_null()) v = "";
    }
  }
  Clean(t);
  if (!t.contains("spec")) t["spec"] = json::object();
  DefaultPodSpec(t["spec"]);
  Clean(t);
  return Dump(t);
}

// ============================================================================
// Defaults per apiVersion (spec §5.1).
// ============================================================================

struct VersionDefaults {
  bool selector_from_template;
  int32_t surge_unavailable_int;  // 0 = use 25%
  int32_t revision_history_limit;
  int32_t progress_deadline_seconds;
  bool legacy_rollback;
};

std::optional<VersionDefaults> DefaultsFor(std::string_view api_version) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  if (api_version == "apps/v1" || api_version == "apps/v1beta2")
    return VersionDefaults{false, 0, 10, 600, false};
  if (api_version == "apps/v1beta1") return VersionDefaults{true, 0, 2, 600, true};
  if (api_version == "extensions/v1beta1") return VersionDefaults{true, 1, kMax, kMax, true};
  return std::nullopt;
}

void SetIntOrStringJson(const rollbook::v1::IntOrString& v, json* out, const char* key) {
  if (v.value_case() == rollbook::v1::IntOrString::kIntValue) {
    (*out)[key] = v.int_value();
  } else if (v.value_case() == rollbook::v1::IntOrString::kStrValue) {
    (*out)[key] = v.str_value();
  }
}

}  // namespace

// ============================================================================
// Public functions.
// ============================================================================

StatusOr<std::vector<ManifestDocument>> ParseManifestText(std::string_view text,
                                                          std::string_view source_name) {
  // kubectl's YAML reader refuses bytes that are not UTF-8 too; letting them
  // through would make nlohmann's dump replace them with U+FFFD, so a stored
  // template would not read back as itself.
  if (const size_t bad = FirstInvalidUtf8(text); bad != std::string_view::npos) {
    const std::string_view before = text.substr(0, bad);
    const size_t line = 1 + std::count(before.begin(), before.end(), '\n');
    const size_t line_start = before.rfind('\n');
    const size_t column = bad - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
    char byte[8];
    std::snprintf(byte, sizeof(byte), "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(text[bad])));
    return InvalidArgument(ParseError(
        source_name, "yaml: line " + std::to_string(line) + ": invalid UTF-8 (byte " + byte + " at column " +
                         std::to_string(column) + "); manifests must be UTF-8 text"));
  }
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<ManifestDocument> docs;
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return InvalidArgument("no objects passed to create");

  if (text[first] == '{' || text[first] == '[') {
    json parsed = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) {
      if (!parsed.is_null()) RB_RETURN_IF_ERROR(AddObject(std::move(parsed), 0, source_name, &docs));
      if (docs.empty()) return InvalidArgument("no objects passed to create");
      return docs;
    }
  }

  std::vector<YAML::Node> nodes;
  try {
    const std::string yaml(text);
    if (int line = StuckDocumentLine(yaml); line > 0) {
      return InvalidArgument(ParseError(
          source_name, "yaml: line " + std::to_string(line) + ": did not find expected <document start>"));
    }
    nodes = YAML::LoadAll(yaml);
  } catch (const YAML::Exception& e) {
    std::string what = "yaml: ";
    if (e.mark.line >= 0) what += "line " + std::to_string(e.mark.line + 1) + ": ";
    what += e.msg;
    return InvalidArgument(ParseError(source_name, what));
  } catch (const std::exception& e) {
    return InvalidArgument(ParseError(source_name, std::string("yaml: ") + e.what()));
  }
  YamlToJson converter(text.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    json obj;
    std::string err;
    bool ok = false;
    try {
      ok = converter.Convert(nodes[i], &obj, &err);
    } catch (const std::exception& e) {
      err = std::string("yaml: ") + e.what();
    }
    if (!ok) return InvalidArgument(ParseError(source_name, err));
    if (obj.is_null()) continue;  // empty document
    RB_RETURN_IF_ERROR(AddObject(std::move(obj), static_cast<int>(i), source_name, &docs));
  }
  if (docs.empty()) return InvalidArgument("no objects passed to create");
  return docs;
}

bool IsDeployment(const nlohmann::json& object) {
  if (!object.is_object()) return false;
  auto kind = object.find("kind");
  return kind != object.end() && kind->is_string() && kind->get_ref<const std::string&>() == "Deployment";
}

bool IsServedDeploymentApiVersion(std::string_view api_version) {
  return DefaultsFor(api_version).has_value();
}

std::string CanonicalQuantity(std::string_view quantity) {
  auto c = CanonicalQuantityImpl(quantity, false);
  return c ? *c : std::string(quantity);
}

StatusOr<std::string> CanonicalTemplateJson(const nlohmann::json& template_object) {
  LabelMap labels, annotations;
  return CanonicalTemplate(template_object, &labels, &annotations);
}

StatusOr<rollbook::v1::Deployment> DeploymentFromManifest(const nlohmann::json& object,
                                                          std::string_view default_namespace) {
  if (!object.is_object()) {
    return InvalidArgument("json: cannot unmarshal " + JsonTypeName(object) +
                           " into Go value of type map[string]interface {}");
  }
  auto kind = object.find("kind");
  if (kind == object.end() || !kind->is_string() || kind->get_ref<const std::string&>().empty())
    return InvalidArgument("Object 'Kind' is missing in '" + GoJson(object) + "'");
  auto version = object.find("apiVersion");
  if (version == object.end() || !version->is_string() || version->get_ref<const std::string&>().empty())
    return InvalidArgument("Object 'apiVersion' is missing in '" + GoJson(object) + "'");
  const std::string& kind_s = kind->get_ref<const std::string&>();
  const std::string& api_version = version->get_ref<const std::string&>();
  if (kind_s != "Deployment") {
    std::string where = "unnamed object";
    if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
      if (auto n = meta->find("name"); n != meta->end() && n->is_string())
        where = "object " + GoQuote(n->get_ref<const std::string&>());
    }
    return InvalidArgument("rollbook only manages Deployments: kind " + GoQuote(kind_s) + " in " + where);
  }
  const std::optional<VersionDefaults> defaults = DefaultsFor(api_version);
  if (!defaults) {
    return InvalidArgument("no matches for kind \"Deployment\" in version " + GoQuote(api_version));
  }

  std::vector<std::string> unknown;
  CheckKnown(object, "", {"apiVersion", "kind", "metadata", "spec", "status"}, &unknown);

  rollbook::v1::Deployment d;
  d.set_api_version(api_version);

  // ---- metadata
  const json* meta = nullptr;
  RB_RETURN_IF_ERROR(ReadObject(object, "metadata", "Deployment", "metadata", "v1.ObjectMeta", &meta));
  LabelMap labels, annotations;
  std::string name, ns;
  if (meta != nullptr) {
    CheckKnown(*meta, "metadata", ObjectMetaFields(), &unknown);
    RB_RETURN_IF_ERROR(ReadString(*meta, "name", "ObjectMeta", "metadata.name", &name));
    RB_RETURN_IF_ERROR(ReadString(*meta, "namespace", "ObjectMeta", "metadata.namespace", &ns));
    RB_RETURN_IF_ERROR(ReadStringMap(*meta, "labels", "ObjectMeta", "metadata.labels", &labels));
    RB_RETURN_IF_ERROR(
        ReadStringMap(*meta, "annotations", "ObjectMeta", "metadata.annotations", &annotations));
  }

  // ---- spec
  const json empty_object = json::object();
  const json* spec = nullptr;
  RB_RETURN_IF_ERROR(ReadObject(object, "spec", "Deployment", "spec", "v1.DeploymentSpec", &spec));
  if (spec == nullptr) spec = &empty_object;
  std::set<std::string> spec_fields = {"replicas",        "selector",
                                       "template",        "strategy",
                                       "minReadySeconds", "revisionHistoryLimit",
                                       "paused",          "progressDeadlineSeconds"};
  if (defaults->legacy_rollback) spec_fields.insert("rollbackTo");
  CheckKnown(*spec, "spec", spec_fields, &unknown);
  rollbook::v1::DeploymentSpec* out = d.mutable_spec();

  std::optional<int32_t> replicas, min_ready, history, deadline;
  RB_RETURN_IF_ERROR(ReadInt32(*spec, "replicas", "DeploymentSpec", "spec.replicas", &replicas));

  // selector
  const json* selector = nullptr;
  RB_RETURN_IF_ERROR(
      ReadObject(*spec, "selector", "DeploymentSpec", "spec.selector", "v1.LabelSelector", &selector));
  if (selector != nullptr) {
    CheckKnown(*selector, "spec.selector", {"matchLabels", "matchExpressions"}, &unknown);
    rollbook::v1::LabelSelector* sel = out->mutable_selector();
    LabelMap match_labels;
    RB_RETURN_IF_ERROR(
        ReadStringMap(*selector, "matchLabels", "LabelSelector", "spec.selector.matchLabels", &match_labels));
    CopyMap(match_labels, sel->mutable_match_labels());
    const json* exprs = nullptr;
    const std::string exprs_path = "spec.selector.matchExpressions";
    RB_RETURN_IF_ERROR(ReadArray(*selector, "matchExpressions", "LabelSelector", exprs_path,
                                 "[]v1.LabelSelectorRequirement", &exprs));
    if (exprs != nullptr) {
      for (size_t i = 0; i < exprs->size(); ++i) {
        const json& e = (*exprs)[i];
        rollbook::v1::LabelSelectorRequirement* r = sel->add_match_expressions();
        if (e.is_null()) continue;
        if (!e.is_object())
          return TypeError(JsonTypeName(e), "LabelSelector", exprs_path, "v1.LabelSelectorRequirement");
        CheckKnown(e, exprs_path + "[" + std::to_string(i) + "]", {"key", "operator", "values"}, &unknown);
        std::string key, op;
        RB_RETURN_IF_ERROR(ReadString(e, "key", "LabelSelectorRequirement", exprs_path + ".key", &key));
        RB_RETURN_IF_ERROR(ReadString(e, "operator", "LabelSelectorRequirement", exprs_path + ".operator",
                                      &op, "v1.LabelSelectorOperator"));
        r->set_key(key);
        r->set_operator_(op);
        const json* values = nullptr;
        RB_RETURN_IF_ERROR(
            ReadArray(e, "values", "LabelSelectorRequirement", exprs_path + ".values", "[]string", &values));
        if (values != nullptr) {
          for (const auto& v : *values) {
            if (v.is_null()) {
              r->add_values("");
            } else if (v.is_string()) {
              r->add_values(v.get<std::string>());
            } else {
              return TypeError(JsonTypeName(v), "LabelSelectorRequirement", exprs_path + ".values", "string");
            }
          }
        }
      }
    }
  }

  // template
  const json* tmpl = nullptr;
  RB_RETURN_IF_ERROR(
      ReadObject(*spec, "template", "DeploymentSpec", "spec.template", "v1.PodTemplateSpec", &tmpl));
  LabelMap template_labels, template_annotations;
  std::string template_json;
  {
    if (tmpl != nullptr) {
      CheckKnown(*tmpl, "spec.template", {"metadata", "spec"}, &unknown);
      if (auto tm = tmpl->find("metadata"); tm != tmpl->end() && tm->is_object())
        CheckKnown(*tm, "spec.template.metadata", ObjectMetaFields(), &unknown);
    }
    RB_ASSIGN_OR_RETURN(template_json, CanonicalTemplate(tmpl != nullptr ? *tmpl : empty_object,
                                                         &template_labels, &template_annotations));
  }
  out->set_template_json(template_json);

  // strategy
  const json* strategy = nullptr;
  RB_RETURN_IF_ERROR(
      ReadObject(*spec, "strategy", "DeploymentSpec", "spec.strategy", "v1.DeploymentStrategy", &strategy));
  std::string strategy_type;
  const json* rolling = nullptr;
  if (strategy != nullptr) {
    CheckKnown(*strategy, "spec.strategy", {"type", "rollingUpdate"}, &unknown);
    RB_RETURN_IF_ERROR(ReadString(*strategy, "type", "DeploymentStrategy", "spec.strategy.type",
                                  &strategy_type, "v1.DeploymentStrategyType"));
    RB_RETURN_IF_ERROR(ReadObject(*strategy, "rollingUpdate", "DeploymentStrategy",
                                  "spec.strategy.rollingUpdate", "v1.RollingUpdateDeployment", &rolling));
  }
  if (strategy_type.empty()) strategy_type = "RollingUpdate";
  out->mutable_strategy()->set_type(strategy_type);
  bool has_unavailable = false, has_surge = false;
  if (rolling != nullptr) {
    CheckKnown(*rolling, "spec.strategy.rollingUpdate", {"maxUnavailable", "maxSurge"}, &unknown);
    auto* ru = out->mutable_strategy()->mutable_rolling_update();
    RB_RETURN_IF_ERROR(
        ReadIntOrString(*rolling, "maxUnavailable", ru->mutable_max_unavailable(), &has_unavailable));
    RB_RETURN_IF_ERROR(ReadIntOrString(*rolling, "maxSurge", ru->mutable_max_surge(), &has_surge));
    if (!has_unavailable) ru->clear_max_unavailable();
    if (!has_surge) ru->clear_max_surge();
  }
  if (strategy_type == "RollingUpdate") {
    auto* ru = out->mutable_strategy()->mutable_rolling_update();
    auto set_default = [&](rollbook::v1::IntOrString* v) {
      if (defaults->surge_unavailable_int > 0) {
        v->set_int_value(defaults->surge_unavailable_int);
      } else {
        v->set_str_value("25%");
      }
    };
    if (!has_unavailable) set_default(ru->mutable_max_unavailable());
    if (!has_surge) set_default(ru->mutable_max_surge());
  }

  RB_RETURN_IF_ERROR(
      ReadInt32(*spec, "minReadySeconds", "DeploymentSpec", "spec.minReadySeconds", &min_ready));
  RB_RETURN_IF_ERROR(
      ReadInt32(*spec, "revisionHistoryLimit", "DeploymentSpec", "spec.revisionHistoryLimit", &history));
  bool paused = false;
  RB_RETURN_IF_ERROR(ReadBool(*spec, "paused", "DeploymentSpec", "spec.paused", &paused));
  RB_RETURN_IF_ERROR(ReadInt32(*spec, "progressDeadlineSeconds", "DeploymentSpec",
                               "spec.progressDeadlineSeconds", &deadline));

  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    std::string msg = "strict decoding error: ";
    for (size_t i = 0; i < unknown.size(); ++i) {
      if (i > 0) msg += ", ";
      msg += "unknown field " + GoQuote(unknown[i]);
    }
    return InvalidArgument(msg);
  }

  // Legacy groups default the selector and the Deployment's labels from the
  // template labels.
  if (defaults->selector_from_template && !template_labels.empty()) {
    if (selector == nullptr) CopyMap(template_labels, out->mutable_selector()->mutable_match_labels());
    if (labels.empty()) labels = template_labels;
  }

  auto* m = d.mutable_metadata();
  m->set_name(name);
  m->set_namespace_(ns.empty() ? std::string(default_namespace) : ns);
  CopyMap(labels, m->mutable_labels());
  CopyMap(annotations, m->mutable_annotations());

  out->set_replicas(replicas.value_or(1));
  out->set_min_ready_seconds(min_ready.value_or(0));
  out->set_revision_history_limit(history.value_or(defaults->revision_history_limit));
  out->set_progress_deadline_seconds(deadline.value_or(defaults->progress_deadline_seconds));
  out->set_paused(paused);
  return d;
}

nlohmann::json DeploymentToJson(const rollbook::v1::Deployment& d) {
  json out = json::object();
  out["apiVersion"] = "apps/v1";
  out["kind"] = "Deployment";
  json meta = json::object();
  if (!d.metadata().name().empty()) meta["name"] = d.metadata().name();
  if (!d.metadata().namespace_().empty()) meta["namespace"] = d.metadata().namespace_();
  if (!d.metadata().labels().empty()) {
    json labels = json::object();
    for (const auto& [k, v] : d.metadata().labels()) labels[k] = v;
    meta["labels"] = labels;
  }
  if (!d.metadata().annotations().empty()) {
    json annotations = json::object();
    for (const auto& [k, v] : d.metadata().annotations()) annotations[k] = v;
    meta["annotations"] = annotations;
  }
  out["metadata"] = meta;

  const auto& s = d.spec();
  json spec = json::object();
  spec["replicas"] = s.replicas();
  if (s.has_selector()) {
    json sel = json::object();
    if (!s.selector().match_labels().empty()) {
      json ml = json::object();
      for (const auto& [k, v] : s.selector().match_labels()) ml[k] = v;
      sel["matchLabels"] = ml;
    }
    if (s.selector().match_expressions_size() > 0) {
      json exprs = json::array();
      for (const auto& e : s.selector().match_expressions()) {
        json je = json::object();
        je["key"] = e.key();
        je["operator"] = e.operator_();
        if (e.values_size() > 0) {
          json values = json::array();
          for (const auto& v : e.values()) values.push_back(v);
          je["values"] = values;
        }
        exprs.push_back(je);
      }
      sel["matchExpressions"] = exprs;
    }
    spec["selector"] = sel;
  }
  json tmpl = json::parse(s.template_json(), nullptr, /*allow_exceptions=*/false);
  spec["template"] = tmpl.is_object() ? tmpl : json::object();
  json strategy = json::object();
  if (!s.strategy().type().empty()) strategy["type"] = s.strategy().type();
  if (s.strategy().has_rolling_update()) {
    json ru = json::object();
    SetIntOrStringJson(s.strategy().rolling_update().max_unavailable(), &ru, "maxUnavailable");
    SetIntOrStringJson(s.strategy().rolling_update().max_surge(), &ru, "maxSurge");
    strategy["rollingUpdate"] = ru;
  }
  spec["strategy"] = strategy;
  if (s.min_ready_seconds() != 0) spec["minReadySeconds"] = s.min_ready_seconds();
  spec["revisionHistoryLimit"] = s.revision_history_limit();
  spec["progressDeadlineSeconds"] = s.progress_deadline_seconds();
  if (s.paused()) spec["paused"] = true;
  out["spec"] = spec;
  return out;
}

}  // namespace rollbook::fold
