#include "cli/render/pod_template.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace rollbook::render {
namespace {

using json = nlohmann::json;

// ---- Tolerant JSON access ------------------------------------------------------

// The member `key` of object `j`, or nullptr if `j` is not an object or the
// member is missing or null.
const json* Field(const json* j, const char* key) {
  if (j == nullptr || !j->is_object()) return nullptr;
  auto it = j->find(key);
  if (it == j->end() || it->is_null()) return nullptr;
  return &*it;
}

std::string ScalarText(const json* v) {
  if (v == nullptr) return "";
  if (v->is_string()) return v->get_ref<const std::string&>();
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_number()) return v->dump();
  return "";
}

std::string Str(const json* j, const char* key) { return ScalarText(Field(j, key)); }

int64_t Int(const json* j, const char* key, int64_t def = 0) {
  const json* v = Field(j, key);
  if (v == nullptr) return def;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_unsigned()) return static_cast<int64_t>(v->get<uint64_t>());
  if (v->is_number_float()) return static_cast<int64_t>(v->get<double>());
  return def;
}

// An int field the API server defaults when it is unset (or zero).
int64_t IntDefaulted(const json* j, const char* key, int64_t def) {
  const int64_t v = Int(j, key, 0);
  return v == 0 ? def : v;
}

bool Bool(const json* j, const char* key) {
  const json* v = Field(j, key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

const char* BoolText(bool b) { return b ? "true" : "false"; }

// Elements of the array member `key` (empty if absent or not an array).
std::vector<const json*> Items(const json* j, const char* key) {
  std::vector<const json*> out;
  const json* a = Field(j, key);
  if (a == nullptr || !a->is_array()) return out;
  for (const json& e : *a) out.push_back(&e);
  return out;
}

std::vector<std::string> Strings(const json* j, const char* key) {
  std::vector<std::string> out;
  for (const json* e : Items(j, key)) out.push_back(ScalarText(e));
  return out;
}

std::map<std::string, std::string> StringMap(const json* j) {
  std::map<std::string, std::string> out;
  if (j == nullptr || !j->is_object()) return out;
  for (auto it = j->begin(); it != j->end(); ++it) out[it.key()] = ScalarText(&it.value());
  return out;
}

// IntOrString.String(): an int prints in decimal, a string as itself.
std::string IntOrString(const json* j, const char* key) {
  const json* v = Field(j, key);
  if (v == nullptr) return "0";  // zero value is the int 0
  if (v->is_string()) return v->get_ref<const std::string&>();
  if (v->is_number()) return std::to_string(Int(j, key));
  return "0";
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

// Go's fmt %v of a []string: "[a b c]".
std::string GoSlice(const std::vector<std::string>& v) { return "[" + Join(v, " ") + "]"; }

// Go's strconv.Quote (%q) for the strings that can appear in a subPath.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '"':
        out += "\\\"";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      // Keep well-formed multi-byte sequences, hex-escape stray bytes.
      std::size_t len = (c >= 0xC2 && c <= 0xDF)   ? 2
                        : (c >= 0xE0 && c <= 0xEF) ? 3
                        : (c >= 0xF0 && c <= 0xF4) ? 4
                                                   : 0;
      bool ok = len != 0 && i + len <= s.size();
      for (std::size_t k = 1; ok && k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        ok = b >= 0x80 && b <= 0xBF;
      }
      if (ok) {
        out.append(s.substr(i, len));
        i += len - 1;
      } else {
        out += fmt::format("\\x{:02x}", c);
      }
    }
  }
  out += "\"";
  return out;
}

// ---- Quantities ---------------------------------------------------------------

using int128 = __int128;

enum class QuantityFormat { kDecimalSI, kBinarySI, kDecimalExponent };

struct Quantity {
  int128 nanos = 0;  // value in units of 1e-9, rounded away from zero
  QuantityFormat format = QuantityFormat::kDecimalSI;
};

constexpr int128 kNanosPerUnit = 1000000000;
const int128 kMaxNanos = static_cast<int128>(std::numeric_limits<int64_t>::max()) * kNanosPerUnit;

std::string Int128Text(int128 v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  std::string digits;
  while (v != 0) {
    int d = static_cast<int>(v % 10);
    digits.push_back(static_cast<char>('0' + (d < 0 ? -d : d)));
    v /= 10;
  }
  if (neg) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Parses a quantity string (sign, digits[.digits], suffix) like apimachinery's
// ParseQuantity: the value is rounded up to a multiple of 1e-9 and capped at
// the int64 range.
std::optional<Quantity> ParseQuantity(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  if (s.empty()) return std::nullopt;

  std::size_t pos = 0;
  bool negative = false;
  if (s[pos] == '+' || s[pos] == '-') {
    negative = s[pos] == '-';
    ++pos;
  }
  std::string whole, frac;
  while (pos < s.size() && IsDigit(s[pos])) whole.push_back(s[pos++]);
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && IsDigit(s[pos])) frac.push_back(s[pos++]);
  }
  if (whole.empty() && frac.empty()) return std::nullopt;

  const std::string_view suffix = s.substr(pos);
  Quantity q;
  int64_t exp10 = 0;
  int exp2 = 0;
  static const std::pair<std::string_view, int> kDecimal[] = {{"n", -9}, {"u", -6}, {"m", -3}, {"", 0},
                                                              {"k", 3},  {"M", 6},  {"G", 9},  {"T", 12},
                                                              {"P", 15}, {"E", 18}};
  static const std::pair<std::string_view, int> kBinary[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                                             {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  bool matched = false;
  for (const auto& [text, e] : kDecimal) {
    if (suffix == text) {
      exp10 = e;
      q.format = QuantityFormat::kDecimalSI;
      matched = true;
    }
  }
  for (const auto& [text, e] : kBinary) {
    if (suffix == text) {
      exp2 = e;
      q.format = QuantityFormat::kBinarySI;
      matched = true;
    }
  }
  if (!matched) {
    if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) return std::nullopt;
    std::size_t i = 1;
    bool exp_negative = false;
    if (suffix[i] == '+' || suffix[i] == '-') {
      exp_negative = suffix[i] == '-';
      ++i;
    }
    if (i >= suffix.size()) return std::nullopt;
    int64_t e = 0;
    for (; i < suffix.size(); ++i) {
      if (!IsDigit(suffix[i])) return std::nullopt;
      if (e < 100000) e = e * 10 + (suffix[i] - '0');
    }
    exp10 = exp_negative ? -e : e;
    q.format = QuantityFormat::kDecimalExponent;
  }

  // Significant digits of whole.frac, at most 20 of them (more cannot matter
  // at nano precision for any value below the int64 cap).
  std::string digits = whole + frac;
  int64_t exponent = exp10 - static_cast<int64_t>(frac.size()) + 9;  // in nanos
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return q;  // zero
  digits.erase(0, first);
  bool dropped_nonzero = false;
  if (digits.size() > 20) {
    const std::size_t drop = digits.size() - 20;
    dropped_nonzero = digits.find_first_not_of('0', 20) != std::string::npos;
    digits.resize(20);
    exponent += static_cast<int64_t>(drop);
  }
  int128 value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  value <<= exp2;  // < 10^20 * 2^60, fits
  bool capped = false;
  if (exponent < 0) {
    if (exponent < -38) {
      value = 1;
    } else {
      int128 div = 1;
      for (int64_t k = 0; k < -exponent; ++k) div *= 10;
      const bool inexact = (value % div) != 0 || dropped_nonzero;
      value = value / div + (inexact ? 1 : 0);
    }
  } else {
    for (int64_t k = 0; k < exponent; ++k) {
      if (value > kMaxNanos) {
        capped = true;
        break;
      }
      value *= 10;
    }
  }
  if (capped || value > kMaxNanos) value = kMaxNanos;
  q.nanos = negative ? -value : value;
  return q;
}

std::string QuantityString(const Quantity& q) {
  if (q.nanos == 0) return "0";
  const bool negative = q.nanos < 0;
  const int128 magnitude = negative ? -q.nanos : q.nanos;
  const std::string sign = negative ? "-" : "";

  QuantityFormat format = q.format;
  if (format == QuantityFormat::kBinarySI &&
      (magnitude < 1024 * kNanosPerUnit || magnitude % kNanosPerUnit != 0)) {
    format = QuantityFormat::kDecimalSI;  // small or fractional: no binary suffix
  }
  if (format == QuantityFormat::kBinarySI) {
    static const char* const kSuffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int128 units = magnitude / kNanosPerUnit;
    int e = 0;
    while (units % 1024 == 0 && e < 6) {
      units /= 1024;
      ++e;
    }
    return sign + Int128Text(units) + kSuffix[e];
  }

  int128 mantissa = magnitude;
  int exponent = -9;
  while (mantissa % 10 == 0) {
    mantissa /= 10;
    ++exponent;
  }
  switch (exponent % 3) {
    case 1:
    case -2:
      mantissa *= 10;
      exponent -= 1;
      break;
    case 2:
    case -1:
      mantissa *= 100;
      exponent -= 2;
      break;
    default:
      break;
  }
  std::string suffix;
  if (format == QuantityFormat::kDecimalExponent) {
    if (exponent != 0) suffix = fmt::format("e{}", exponent);
  } else {
    switch (exponent) {
      case -9:
        suffix = "n";
        break;
      case -6:
        suffix = "u";
        break;
      case -3:
        suffix = "m";
        break;
      case 0:
        break;
      case 3:
        suffix = "k";
        break;
      case 6:
        suffix = "M";
        break;
      case 9:
        suffix = "G";
        break;
      case 12:
        suffix = "T";
        break;
      case 15:
        suffix = "P";
        break;
      case 18:
        suffix = "E";
        break;
      default:
        suffix = fmt::format("e{}", exponent);
        break;
    }
  }
  return sign + Int128Text(mantissa) + suffix;
}

// ScaledValue rounding: smallest integer >= nanos / 10^(9+scale).
int64_t CeilScaled(int128 nanos, int scale_digits) {
  int128 div = 1;
  for (int k = 0; k < scale_digits; ++k) div *= 10;
  int128 q = nanos / div;
  if (nanos % div != 0 && nanos > 0) ++q;
  return static_cast<int64_t>(q);
}

// ---- Output -------------------------------------------------------------------

// kubectl's prefixWriter: every write is indented two spaces per level and
// terminal-escaped.
class PrefixWriter {
 public:
  void Write(int level, std::string_view text) {
    std::string s(static_cast<std::size_t>(level) * 2, ' ');
    s.append(text);
    out_ += EscapeTerminal(s);
  }
  void WriteLine(std::string_view text) {
    out_ += EscapeTerminal(text);
    out_ += '\n';
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

void PrintLabels(PrefixWriter& w, std::string_view title, const std::map<std::string, std::string>& labels) {
  w.Write(0, fmt::format("{}:\t", title));
  if (labels.empty()) {
    w.WriteLine("<none>");
    return;
  }
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) w.Write(0, "\t");
    first = false;
    w.Write(0, fmt::format("{}={}\n", key, value));
  }
}

constexpr std::size_t kMaxAnnotationLen = 140;

std::string Shorten(std::string_view s, std::size_t max_len) {
  if (s.size() > max_len) return std::string(s.substr(0, max_len)) + "...";
  return std::string(s);
}

void PrintAnnotations(PrefixWriter& w, std::string_view title,
                      const std::map<std::string, std::string>& annotations) {
  w.Write(0, fmt::format("{}:\t", title));
  bool first = true;
  for (const auto& [key, raw] : annotations) {
    if (key == kLastAppliedAnnotation) continue;
    if (!first) w.Write(0, "\t");
    first = false;
    std::string_view value = raw;
    if (!value.empty() && value.back() == '\n') value.remove_suffix(1);
    if (value.size() + key.size() + 2 > kMaxAnnotationLen || value.find('\n') != std::string_view::npos) {
      w.Write(0, fmt::format("{}:\n", key));
      for (const std::string& line : Split(value, '\n')) {
        w.Write(0, fmt::format("\t  {}\n", Shorten(line, kMaxAnnotationLen - 2)));
      }
    } else {
      w.Write(0, fmt::format("{}: {}\n", key, value));
    }
  }
  if (first) w.WriteLine("<none>");
}

void PrintTolerations(PrefixWriter& w, std::string_view title, const json* spec) {
  w.Write(0, fmt::format("{}:\t", title));
  std::vector<const json*> tolerations = Items(spec, "tolerations");
  if (tolerations.empty()) {
    w.WriteLine("<none>");
    return;
  }
  std::stable_sort(tolerations.begin(), tolerations.end(),
                   [](const json* a, const json* b) { return Str(a, "key") < Str(b, "key"); });
  bool first = true;
  for (const json* t : tolerations) {
    if (!first) w.Write(0, "\t");
    first = false;
    const std::string key = Str(t, "key");
    const std::string value = Str(t, "value");
    const std::string effect = Str(t, "effect");
    std::string line = key;
    if (!value.empty()) line += "=" + value;
    if (!effect.empty()) line += ":" + effect;
    if (Str(t, "operator") == "Exists" && value.empty()) {
      line += (!key.empty() || !effect.empty()) ? " op=Exists" : "op=Exists";
    }
    if (Field(t, "tolerationSeconds") != nullptr) {
      line += fmt::format(" for {}s", Int(t, "tolerationSeconds"));
    }
    w.Write(0, line + "\n");
  }
}

// metav1.FormatLabelSelector: the canonical selector string, "<none>" when
// it selects everything.
std::string FormatLabelSelector(const json* selector) {
  std::vector<std::pair<std::string, std::string>> reqs;  // key, rendering
  for (const auto& [k, v] : StringMap(Field(selector, "matchLabels"))) {
    reqs.emplace_back(k, k + "=" + v);
  }
  for (const json* e : Items(selector, "matchExpressions")) {
    const std::string key = Str(e, "key");
    const std::string op = Str(e, "operator");
    std::vector<std::string> values = Strings(e, "values");
    std::sort(values.begin(), values.end());
    if (op == "In") {
      reqs.emplace_back(key, key + " in (" + Join(values, ",") + ")");
    } else if (op == "NotIn") {
      reqs.emplace_back(key, key + " notin (" + Join(values, ",") + ")");
    } else if (op == "Exists") {
      reqs.emplace_back(key, key);
    } else if (op == "DoesNotExist") {
      reqs.emplace_back(key, "!" + key);
    } else {
      return "<error>";
    }
  }
  std::stable_sort(reqs.begin(), reqs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> parts;
  for (const auto& r : reqs) parts.push_back(r.second);
  const std::string s = Join(parts, ",");
  return s.empty() ? "<none>" : s;
}

// ---- Containers ---------------------------------------------------------------

std::string PortProtocol(const json* port) {
  std::string p = Str(port, "protocol");
  return p.empty() ? "TCP" : p;
}

std::string DescribeContainerPorts(const json* c) {
  std::vector<std::string> ports;
  for (const json* p : Items(c, "ports")) {
    std::string s = fmt::format("{}/{}", Int(p, "containerPort"), PortProtocol(p));
    const std::string name = Str(p, "name");
    if (!name.empty()) s += fmt::format(" ({})", name);
    ports.push_back(std::move(s));
  }
  return Join(ports, ", ");
}

std::string DescribeContainerHostPorts(const json* c) {
  std::vector<std::string> ports;
  for (const json* p : Items(c, "ports")) {
    ports.push_back(fmt::format("{}/{}", Int(p, "hostPort"), PortProtocol(p)));
  }
  return Join(ports, ", ");
}

std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }

void DescribeResources(PrefixWriter& w, const json* c) {
  const json* resources = Field(c, "resources");
  for (const char* kind : {"limits", "requests"}) {
    const auto list = StringMap(Field(resources, kind));
    if (list.empty()) continue;
    w.Write(2, std::string(kind[0] == 'l' ? "Limits" : "Requests") + ":\n");
    for (const auto& [name, quantity] : list) {
      w.Write(3, fmt::format("{}:\t{}\n", name, CanonicalQuantity(quantity)));
    }
  }
}

// url.URL{Scheme, Host, Path}.String() for an http-get probe.
std::string EscapeUrlPath(std::string_view path) {
  std::string out;
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~' || c == '$' || c == '&' || c == '+' ||
                      c == ',' || c == '/' || c == ':' || c == ';' || c == '=' || c == '@';
    if (keep) {
      out.push_back(ch);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string EscapeUrlHost(std::string_view host) {
  std::string out;
  for (const char ch : host) {
    const auto c = static_cast<unsigned char>(ch);
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view("-_.~!$&'()*+,;=:[]<>\"").find(ch) != std::string_view::npos;
    if (keep) {
      out.push_back(ch);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string ProbeUrl(const json* http_get) {
  std::string scheme = Str(http_get, "scheme");
  if (scheme.empty()) scheme = "HTTP";
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string path = Str(http_get, "path");
  if (path.empty()) path = "/";
  const std::string host = Str(http_get, "host");
  const std::string port = IntOrString(http_get, "port");
  std::string hostport = host;
  if (!port.empty()) {
    hostport = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  }
  std::string out;
  if (!scheme.empty()) out += scheme + ":";
  if (!scheme.empty() || !hostport.empty()) {
    if (!hostport.empty() || !path.empty()) out += "//";
    out += EscapeUrlHost(hostport);
  }
  const std::string escaped = path == "*" ? path : EscapeUrlPath(path);
  if (!escaped.empty() && escaped[0] != '/' && !hostport.empty()) out += "/";
  out += escaped;
  return out;
}

std::string DescribeProbe(const json* probe) {
  const std::string attrs = fmt::format(
      "delay={}s timeout={}s period={}s #success={} #failure={}", Int(probe, "initialDelaySeconds"),
      IntDefaulted(probe, "timeoutSeconds", 1), IntDefaulted(probe, "periodSeconds", 10),
      IntDefaulted(probe, "successThreshold", 1), IntDefaulted(probe, "failureThreshold", 3));
  if (const json* exec = Field(probe, "exec")) {
    return fmt::format("exec {} {}", GoSlice(Strings(exec, "command")), attrs);
  }
  if (const json* http = Field(probe, "httpGet")) {
    return fmt::format("http-get {} {}", ProbeUrl(http), attrs);
  }
  if (const json* tcp = Field(probe, "tcpSocket")) {
    return fmt::format("tcp-socket {}:{} {}", Str(tcp, "host"), IntOrString(tcp, "port"), attrs);
  }
  if (const json* grpc = Field(probe, "grpc")) {
    return fmt::format("grpc <pod>:{} {} {}", Int(grpc, "port"), Str(grpc, "service"), attrs);
  }
  return fmt::format("unknown {}", attrs);
}

// resourcehelper.ExtractContainerResourceValue for a downward-API env var.
std::string ContainerResourceValue(const json* ref, const json* container) {
  std::optional<Quantity> divisor;
  if (const json* d = Field(ref, "divisor")) divisor = ParseQuantity(ScalarText(d));
  if (!divisor || divisor->nanos == 0) divisor = ParseQuantity("1");
  if (!divisor || divisor->nanos <= 0) return "";

  const std::string resource = Str(ref, "resource");
  const std::size_t dot = resource.find('.');
  if (dot == std::string::npos) return "";
  const std::string kind = resource.substr(0, dot);
  const std::string name = resource.substr(dot + 1);
  if (kind != "limits" && kind != "requests") return "";
  const bool is_cpu = name == "cpu";
  if (!is_cpu && name != "memory" && name != "ephemeral-storage" && name.rfind("hugepages-", 0) != 0) {
    return "";
  }
  const auto list = StringMap(Field(Field(container, "resources"), kind.c_str()));
  Quantity amount;
  if (auto it = list.find(name); it != list.end()) {
    if (auto parsed = ParseQuantity(it->second)) amount = *parsed;
  }
  double result;
  if (is_cpu) {
    result = std::ceil(static_cast<double>(CeilScaled(amount.nanos, 6)) /
                       static_cast<double>(CeilScaled(divisor->nanos, 6)));
  } else {
    result = std::ceil(static_cast<double>(CeilScaled(amount.nanos, 9)) /
                       static_cast<double>(CeilScaled(divisor->nanos, 9)));
  }
  return std::to_string(static_cast<int64_t>(result));
}

void DescribeEnvFrom(PrefixWriter& w, const json* c) {
  const auto env_from = Items(c, "envFrom");
  w.Write(2, std::string("Environment Variables from:") + (env_from.empty() ? "\t<none>" : "") + "\n");
  for (const json* e : env_from) {
    std::string from, name;
    bool optional = false;
    if (const json* cm = Field(e, "configMapRef")) {
      from = "ConfigMap";
      name = Str(cm, "name");
      optional = Bool(cm, "optional");
    } else if (const json* secret = Field(e, "secretRef")) {
      from = "Secret";
      name = Str(secret, "name");
      optional = Bool(secret, "optional");
    }
    const std::string prefix = Str(e, "prefix");
    if (prefix.empty()) {
      w.Write(3, fmt::format("{}\t{}\tOptional: {}\n", name, from, BoolText(optional)));
    } else {
      w.Write(3,
              fmt::format("{}\t{} with prefix '{}'\tOptional: {}\n", name, from, prefix, BoolText(optional)));
    }
  }
}

void DescribeEnv(PrefixWriter& w, const json* c) {
  const auto env = Items(c, "env");
  w.Write(2, std::string("Environment:") + (env.empty() ? "\t<none>" : "") + "\n");
  for (const json* e : env) {
    const std::string name = Str(e, "name");
    const json* from = Field(e, "valueFrom");
    if (from == nullptr) {
      const auto lines = Split(Str(e, "value"), '\n');
      for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i == 0) {
          w.Write(3, fmt::format("{}:\t{}\n", name, lines[i]));
        } else {
          w.Write(3, fmt::format("\t{}\n", lines[i]));
        }
      }
      continue;
    }
    if (const json* ref = Field(from, "fieldRef")) {
      std::string api_version = Str(ref, "apiVersion");
      if (api_version.empty()) api_version = "v1";  // server default
      w.Write(3, fmt::format("{}:\t ({}:{})\n", name, api_version, Str(ref, "fieldPath")));
    } else if (const json* ref = Field(from, "resourceFieldRef")) {
      std::string value = ContainerResourceValue(ref, c);
      const std::string resource = Str(ref, "resource");
      if (value == "0" && (resource == "limits.cpu" || resource == "limits.memory")) {
        value = "node allocatable";
      }
      w.Write(3, fmt::format("{}:\t{} ({})\n", name, value, resource));
    } else if (const json* ref = Field(from, "secretKeyRef")) {
      w.Write(3, fmt::format("{}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n", name,
                             Str(ref, "key"), Str(ref, "name"), BoolText(Bool(ref, "optional"))));
    } else if (const json* ref = Field(from, "configMapKeyRef")) {
      w.Write(3, fmt::format("{}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n", name,
                             Str(ref, "key"), Str(ref, "name"), BoolText(Bool(ref, "optional"))));
    }
  }
}

void DescribeMounts(PrefixWriter& w, const json* c) {
  auto mounts = Items(c, "volumeMounts");
  const std::string none = mounts.empty() ? "\t<none>" : "";
  w.Write(2, "Mounts:" + none + "\n");
  std::stable_sort(mounts.begin(), mounts.end(),
                   [](const json* a, const json* b) { return Str(a, "mountPath") < Str(b, "mountPath"); });
  for (const json* m : mounts) {
    std::vector<std::string> flags = {Bool(m, "readOnly") ? "ro" : "rw"};
    const std::string sub_path = Str(m, "subPath");
    if (!sub_path.empty()) flags.push_back("path=" + GoQuote(sub_path));
    w.Write(3, fmt::format("{} from {} ({})\n", Str(m, "mountPath"), Str(m, "name"), Join(flags, ",")));
  }
  auto devices = Items(c, "volumeDevices");
  if (!devices.empty()) {
    w.Write(2, "Devices:" + none + "\n");
    std::stable_sort(devices.begin(), devices.end(), [](const json* a, const json* b) {
      return Str(a, "devicePath") < Str(b, "devicePath");
    });
    for (const json* d : devices) {
      w.Write(3, fmt::format("{} from {}\n", Str(d, "devicePath"), Str(d, "name")));
    }
  }
}

void DescribeContainers(PrefixWriter& w, std::string_view label, const std::vector<const json*>& containers) {
  w.Write(0, fmt::format("  {}:{}\n", label, containers.empty() ? " <none>" : ""));
  for (const json* c : containers) {
    w.Write(1, fmt::format(" {}:\n", Str(c, "name")));
    w.Write(2, fmt::format("Image:\t{}\n", Str(c, "image")));
    const std::string ports = DescribeContainerPorts(c);
    if (ports.find(',') != std::string::npos) {
      w.Write(2, fmt::format("Ports:\t{}\n", ports));
    } else {
      w.Write(2, fmt::format("Port:\t{}\n", OrNone(ports)));
    }
    const std::string host_ports = DescribeContainerHostPorts(c);
    if (host_ports.find(',') != std::string::npos) {
      w.Write(2, fmt::format("Host Ports:\t{}\n", host_ports));
    } else {
      w.Write(2, fmt::format("Host Port:\t{}\n", OrNone(host_ports)));
    }
    if (const json* seccomp = Field(Field(c, "securityContext"), "seccompProfile")) {
      const std::string type = Str(seccomp, "type");
      w.Write(2, fmt::format("SeccompProfile:\t{}\n", type));
      if (type == "Localhost") {
        w.Write(3, fmt::format("LocalhostProfile:\t{}\n", Str(seccomp, "localhostProfile")));
      }
    }
    for (const auto& [key, title] : {std::pair{"command", "Command"}, std::pair{"args", "Args"}}) {
      const auto parts = Strings(c, key);
      if (parts.empty()) continue;
      w.Write(2, fmt::format("{}:\n", title));
      for (const std::string& part : parts) {
        for (const std::string& line : Split(part, '\n')) w.Write(3, line + "\n");
      }
    }
    DescribeResources(w, c);
    for (const auto& [key, title] :
         {std::pair{"livenessProbe", "Liveness"}, std::pair{"readinessProbe", "Readiness"},
          std::pair{"startupProbe", "Startup"}}) {
      if (const json* probe = Field(c, key)) {
        w.Write(2, fmt::format("{}:\t{}\n", title, DescribeProbe(probe)));
      }
    }
    if (!Items(c, "envFrom").empty()) DescribeEnvFrom(w, c);
    DescribeEnv(w, c);
    DescribeMounts(w, c);
  }
}

// ---- Volumes ------------------------------------------------------------------

void DescribeVolume(PrefixWriter& w, const json* v) {
  if (const json* s = Field(v, "hostPath")) {
    // The server defaults an unset type to "" (HostPathUnset), so kubectl's
    // "<none>" for a nil type never shows for stored objects.
    const std::string type = Str(s, "type");
    w.Write(2, fmt::format("Type:\tHostPath (bare host directory volume)\n"
                           "    Path:\t{}\n"
                           "    HostPathType:\t{}\n",
                           Str(s, "path"), type));
  } else if (const json* s = Field(v, "emptyDir")) {
    std::string size_limit = "<unset>";
    if (const json* limit = Field(s, "sizeLimit")) {
      if (auto q = ParseQuantity(ScalarText(limit)); q && q->nanos > 0) {
        size_limit = QuantityString(*q);
      }
    }
    w.Write(2, fmt::format("Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                           "    Medium:\t{}\n"
                           "    SizeLimit:\t{}\n",
                           Str(s, "medium"), size_limit));
  } else if (const json* s = Field(v, "gitRepo")) {
    w.Write(2, fmt::format("Type:\tGitRepo (a volume that is pulled from git when the pod is created)\n"
                           "    Repository:\t{}\n"
                           "    Revision:\t{}\n",
                           Str(s, "repository"), Str(s, "revision")));
  } else if (const json* s = Field(v, "secret")) {
    w.Write(2, fmt::format("Type:\tSecret (a volume populated by a Secret)\n"
                           "    SecretName:\t{}\n"
                           "    Optional:\t{}\n",
                           Str(s, "secretName"), BoolText(Bool(s, "optional"))));
  } else if (const json* s = Field(v, "configMap")) {
    w.Write(2, fmt::format("Type:\tConfigMap (a volume populated by a ConfigMap)\n"
                           "    Name:\t{}\n"
                           "    Optional:\t{}\n",
                           Str(s, "name"), BoolText(Bool(s, "optional"))));
  } else if (const json* s = Field(v, "nfs")) {
    w.Write(2, fmt::format("Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n"
                           "    Server:\t{}\n"
                           "    Path:\t{}\n"
                           "    ReadOnly:\t{}\n",
                           Str(s, "server"), Str(s, "path"), BoolText(Bool(s, "readOnly"))));
  } else if (const json* s = Field(v, "persistentVolumeClaim")) {
    w.Write(2, fmt::format("Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in "
                           "the same namespace)\n"
                           "    ClaimName:\t{}\n"
                           "    ReadOnly:\t{}\n",
                           Str(s, "claimName"), BoolText(Bool(s, "readOnly"))));
  } else if (Field(v, "ephemeral") != nullptr) {
    w.Write(2,
            "Type:\tEphemeralVolume (an inline specification for a volume that gets created "
            "and deleted with the pod)\n");
  } else if (const json* s = Field(v, "downwardAPI")) {
    w.Write(2,
            "Type:\tDownwardAPI (a volume populated by information about the pod)\n"
            "    Items:\n");
    for (const json* item : Items(s, "items")) {
      if (const json* f = Field(item, "fieldRef")) {
        w.Write(3, fmt::format("{} -> {}\n", Str(f, "fieldPath"), Str(item, "path")));
      }
      if (const json* r = Field(item, "resourceFieldRef")) {
        w.Write(3, fmt::format("{} -> {}\n", Str(r, "resource"), Str(item, "path")));
      }
    }
  } else if (const json* s = Field(v, "projected")) {
    w.Write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
    for (const json* source : Items(s, "sources")) {
      if (const json* secret = Field(source, "secret")) {
        w.Write(2, fmt::format("SecretName:\t{}\n    Optional:\t{}\n", Str(secret, "name"),
                               BoolText(Bool(secret, "optional"))));
      } else if (Field(source, "downwardAPI") != nullptr) {
        w.Write(2, "DownwardAPI:\ttrue\n");
      } else if (const json* cm = Field(source, "configMap")) {
        w.Write(2, fmt::format("ConfigMapName:\t{}\n    Optional:\t{}\n", Str(cm, "name"),
                               BoolText(Bool(cm, "optional"))));
      } else if (const json* token = Field(source, "serviceAccountToken")) {
        w.Write(2,
                fmt::format("TokenExpirationSeconds:\t{}\n", IntDefaulted(token, "expirationSeconds", 3600)));
      }
    }
  } else if (const json* s = Field(v, "csi")) {
    w.Write(2, fmt::format("Type:\tCSI (a Container Storage Interface (CSI) volume source)\n"
                           "    Driver:\t{}\n"
                           "    FSType:\t{}\n"
                           "    ReadOnly:\t{}\n",
                           Str(s, "driver"), Str(s, "fsType"), BoolText(Bool(s, "readOnly"))));
    w.Write(2, "VolumeAttributes:\t");
    const auto attributes = StringMap(Field(s, "volumeAttributes"));
    if (attributes.empty()) {
      w.WriteLine("<none>");
    } else {
      bool first = true;
      for (const auto& [key, value] : attributes) {
        if (!first) {
          w.Write(2, "");
          w.Write(2, "\t");
        }
        first = false;
        const std::string line = key + "=" + value;
        if (line.size() > kMaxAnnotationLen) {
          w.Write(2, line.substr(0, kMaxAnnotationLen) + "...\n");
        } else {
          w.Write(2, line + "\n");
        }
      }
    }
  } else if (const json* s = Field(v, "image")) {
    w.Write(2, fmt::format("Type:\tImage (a container image or OCI artifact)\n"
                           "    Reference:\t{}\n"
                           "    PullPolicy:\t{}\n",
                           Str(s, "reference"), Str(s, "pullPolicy")));
  } else {
    // Any other volume source: name its kind (the first member besides the
    // volume name); no source at all is kubectl's "<unknown>".
    std::string kind;
    if (v != nullptr && v->is_object()) {
      for (auto it = v->begin(); it != v->end(); ++it) {
        if (it.key() != "name" && !it.value().is_null()) {
          kind = it.key();
          break;
        }
      }
    }
    if (kind.empty()) {
      w.Write(1, "<unknown>\n");
    } else {
      w.Write(2, fmt::format("Type:\t{}\n", kind));
    }
  }
}

void DescribeVolumes(PrefixWriter& w, const json* spec) {
  const auto volumes = Items(spec, "volumes");
  if (volumes.empty()) {
    w.Write(0, "  Volumes:\t<none>\n");
    return;
  }
  w.Write(0, "  Volumes:\n");
  for (const json* v : volumes) {
    w.Write(1, fmt::format(" {}:\n", Str(v, "name")));
    DescribeVolume(w, v);
  }
}

void DescribeTopologySpreadConstraints(PrefixWriter& w, const json* spec) {
  auto constraints = Items(spec, "topologySpreadConstraints");
  if (constraints.empty()) return;
  std::stable_sort(constraints.begin(), constraints.end(), [](const json* a, const json* b) {
    return Str(a, "topologyKey") < Str(b, "topologyKey");
  });
  w.Write(0, "  Topology Spread Constraints:\t");
  bool first = true;
  for (const json* c : constraints) {
    if (!first) {
      w.Write(0, "  ");
      w.Write(0, "\t");
    }
    first = false;
    std::string line = fmt::format("{}:{} when max skew {} is exceeded", Str(c, "topologyKey"),
                                   Str(c, "whenUnsatisfiable"), Int(c, "maxSkew"));
    if (const json* selector = Field(c, "labelSelector")) {
      line += " for selector " + FormatLabelSelector(selector);
    }
    w.Write(0, line + "\n");
  }
}

}  // namespace

std::string EscapeTerminal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '\x1b') {
      out += "^[";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string CanonicalQuantity(std::string_view quantity) {
  const auto q = ParseQuantity(quantity);
  if (!q) return std::string(quantity);
  return QuantityString(*q);
}

std::string LabelsMultiline(std::string_view title, const std::map<std::string, std::string>& labels) {
  PrefixWriter w;
  PrintLabels(w, title, labels);
  return w.Take();
}

std::string AnnotationsMultiline(std::string_view title,
                                 const std::map<std::string, std::string>& annotations) {
  PrefixWriter w;
  PrintAnnotations(w, title, annotations);
  return w.Take();
}

std::string DescribePodTemplate(const nlohmann::json& pod_template_spec, const std::string& change_cause) {
  PrefixWriter w;
  w.Write(0, "Pod Template:\n");
  const json* tmpl = &pod_template_spec;
  if (!tmpl->is_object()) {
    w.Write(1, "<unset>");
    return w.Take();
  }
  const json* metadata = Field(tmpl, "metadata");
  const json* spec = Field(tmpl, "spec");

  PrintLabels(w, "  Labels", StringMap(Field(metadata, "labels")));
  auto annotations = StringMap(Field(metadata, "annotations"));
  if (!change_cause.empty()) annotations[kChangeCauseAnnotation] = change_cause;
  if (!annotations.empty()) PrintAnnotations(w, "  Annotations", annotations);

  std::string service_account = Str(spec, "serviceAccountName");
  if (service_account.empty()) service_account = Str(spec, "serviceAccount");
  if (!service_account.empty()) w.Write(1, fmt::format("Service Account:\t{}\n", service_account));

  const auto init_containers = Items(spec, "initContainers");
  if (!init_containers.empty()) DescribeContainers(w, "Init Containers", init_containers);
  DescribeContainers(w, "Containers", Items(spec, "containers"));
  DescribeVolumes(w, spec);
  DescribeTopologySpreadConstraints(w, spec);
  const std::string priority_class = Str(spec, "priorityClassName");
  if (!priority_class.empty()) {
    w.Write(1, fmt::format("Priority Class Name:\t{}\n", priority_class));
  }
  PrintLabels(w, "  Node-Selectors", StringMap(Field(spec, "nodeSelector")));
  PrintTolerations(w, "  Tolerations", spec);
  return w.Take();
}

}  // namespace rollbook::render
