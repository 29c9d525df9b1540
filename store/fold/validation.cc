#include "store/fold/validation.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string_view>

#include "store/fold/json_view.h"
#include "store/fold/labels.h"

namespace rollbook::fold {

namespace {

constexpr size_t kTotalAnnotationSizeLimit = 256 * 1024;

// A JSON string as Go's encoding/json writes it (HTML-safe escaping).
std::string JsonQuote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string MapJson(const LabelMap& m) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ",";
    first = false;
    out += JsonQuote(k) + ":" + JsonQuote(v);
  }
  return out + "}";
}

std::string IntOrStringJson(const rollbook::v1::IntOrString& v) {
  if (v.value_case() == rollbook::v1::IntOrString::kStrValue) return JsonQuote(v.str_value());
  return std::to_string(v.int_value());
}

std::string StrategyJson(const rollbook::v1::DeploymentStrategy& s) {
  std::string out = "{";
  bool first = true;
  if (!s.type().empty()) {
    out += "\"type\":" + JsonQuote(s.type());
    first = false;
  }
  if (s.has_rolling_update()) {
    if (!first) out += ",";
    out += "\"rollingUpdate\":{";
    const auto& ru = s.rolling_update();
    bool inner_first = true;
    if (ru.has_max_unavailable()) {
      out += "\"maxUnavailable\":" + IntOrStringJson(ru.max_unavailable());
      inner_first = false;
    }
    if (ru.has_max_surge()) {
      if (!inner_first) out += ",";
      out += "\"maxSurge\":" + IntOrStringJson(ru.max_surge());
    }
    out += "}";
  }
  return out + "}";
}

std::string Invalid(const std::string& rendered_value, const std::string& detail) {
  return "Invalid value: " + rendered_value + ": " + detail;
}

void ValidateNonNegative(int64_t value, const std::string& path, FieldErrors* errs) {
  if (value < 0) errs->push_back({path, Invalid(std::to_string(value), "must be greater than or equal to 0")});
}

void ValidateAnnotations(const LabelMap& annotations, const std::string& path, FieldErrors* errs) {
  size_t total = 0;
  for (const auto& [k, v] : annotations) {
    std::string lower = k;
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    for (const auto& m : ValidateQualifiedName(lower)) errs->push_back({path, Invalid(GoQuote(k), m)});
    total += k.size() + v.size();
  }
  if (total > kTotalAnnotationSizeLimit)
    errs->push_back({path, "Too long: may not be more than " + std::to_string(kTotalAnnotationSizeLimit) + " bytes"});
}

template <typename ProtoMap>
LabelMap ToLabelMap(const ProtoMap& m) {
  return LabelMap(m.begin(), m.end());
}

// A string-valued map field of an object; later duplicate keys replace
// earlier ones, and a key whose last value is not a string is absent
// (nlohmann's reading, json_view.h).
LabelMap JsonStringMap(const std::optional<JsonRef>& obj, const char* key) {
  LabelMap out;
  if (!obj) return out;
  std::optional<JsonRef> m = obj->Find(key);
  if (!m || !m->is_object()) return out;
  m->ForEachField([&out](std::string_view k, JsonRef v) {
    if (v.is_string()) {
      out[std::string(k)] = std::string(v.String());
    } else {
      out.erase(std::string(k));
    }
  });
  return out;
}

std::string JsonString(const std::optional<JsonRef>& obj, const char* key) {
  if (!obj) return "";
  std::optional<JsonRef> v = obj->Find(key);
  return v ? std::string(v->String()) : "";
}

// validateContainers / validateInitContainers: name, image, uniqueness.
void ValidateContainerList(const std::optional<JsonRef>& spec, const char* list, const std::string& path,
                           bool required, std::set<std::string>* all_names, FieldErrors* errs) {
  std::optional<JsonRef> containers = spec ? spec->Find(list) : std::nullopt;
  if (!containers || containers->ArraySize() == 0) {
    if (required) errs->push_back({path, "Required value"});
    return;
  }
  const bool init = !required;
  std::set<std::string> own_names;
  std::set<std::string>& names = init ? *all_names : own_names;
  size_t i = 0;
  containers->ForEachElement([&](JsonRef element) {
    const std::optional<JsonRef> c = element;
    const std::string cpath = path + "[" + std::to_string(i++) + "]";
    const std::string name = JsonString(c, "name");
    if (name.empty()) {
      errs->push_back({cpath + ".name", "Required value"});
    } else {
      for (const auto& m : ValidateDns1123Label(name)) errs->push_back({cpath + ".name", Invalid(GoQuote(name), m)});
    }
    if (JsonString(c, "image").empty()) errs->push_back({cpath + ".image", "Required value"});
    if (names.count(name)) {
      errs->push_back({cpath + ".name", "Duplicate value: " + GoQuote(name)});
    } else if (!init || !name.empty()) {
      names.insert(name);
    }
  });
  if (!init) all_names->insert(own_names.begin(), own_names.end());
}

bool SelectorsEqual(const rollbook::v1::Deployment& a, const rollbook::v1::Deployment& b) {
  if (a.spec().has_selector() != b.spec().has_selector()) return false;
  const auto& sa = a.spec().selector();
  const auto& sb = b.spec().selector();
  if (ToLabelMap(sa.match_labels()) != ToLabelMap(sb.match_labels())) return false;
  if (sa.match_expressions_size() != sb.match_expressions_size()) return false;
  for (int i = 0; i < sa.match_expressions_size(); ++i) {
    const auto& ea = sa.match_expressions(i);
    const auto& eb = sb.match_expressions(i);
    if (ea.key() != eb.key() || ea.operator_() != eb.operator_()) return false;
    if (ea.values_size() != eb.values_size()) return false;
    for (int j = 0; j < ea.values_size(); ++j)
      if (ea.values(j) != eb.values(j)) return false;
  }
  return true;
}

// getPercentValue / getIntOrPercentValue of apps validation.
bool PercentValue(const rollbook::v1::IntOrString& v, int64_t* out) {
  if (v.value_case() != rollbook::v1::IntOrString::kStrValue) return false;
  if (!ValidatePercent(v.str_value()).empty()) return false;
  const std::string& s = v.str_value();
  int64_t n = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    n = n * 10 + (s[i] - '0');
    if (n > std::numeric_limits<int32_t>::max()) break;
  }
  *out = n;
  return true;
}

int64_t IntOrPercentValue(const rollbook::v1::IntOrString& v) {
  int64_t p;
  if (PercentValue(v, &p)) return p;
  if (v.value_case() == rollbook::v1::IntOrString::kStrValue) {
    // intstr.IntValue(): strconv.Atoi, 0 when it fails.
    const std::string& s = v.str_value();
    size_t i = 0;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i == s.size()) return 0;
    int64_t n = 0;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return 0;
      n = n * 10 + (s[i] - '0');
      if (n > std::numeric_limits<int32_t>::max()) return 0;
    }
    return neg ? -n : n;
  }
  return v.int_value();
}

void ValidatePositiveIntOrPercent(const rollbook::v1::IntOrString& v, const std::string& path, FieldErrors* errs) {
  if (v.value_case() == rollbook::v1::IntOrString::kStrValue) {
    for (const auto& m : ValidatePercent(v.str_value())) errs->push_back({path, Invalid(JsonQuote(v.str_value()), m)});
  } else {
    ValidateNonNegative(v.int_value(), path, errs);
  }
}

void ValidateStrategy(const rollbook::v1::DeploymentStrategy& s, FieldErrors* errs) {
  const std::string path = "spec.strategy";
  if (s.type() == "Recreate") {
    if (s.has_rolling_update())
      errs->push_back({path + ".rollingUpdate", "Forbidden: may not be specified when strategy `type` is 'Recreate'"});
    return;
  }
  if (s.type() == "RollingUpdate") {
    if (!s.has_rolling_update()) {
      errs->push_back({path + ".rollingUpdate", "Required value: this should be defaulted and never be nil"});
      return;
    }
    const auto& ru = s.rolling_update();
    const std::string ru_path = path + ".rollingUpdate";
    ValidatePositiveIntOrPercent(ru.max_unavailable(), ru_path + ".maxUnavailable", errs);
    ValidatePositiveIntOrPercent(ru.max_surge(), ru_path + ".maxSurge", errs);
    if (IntOrPercentValue(ru.max_unavailable()) == 0 && IntOrPercentValue(ru.max_surge()) == 0) {
      errs->push_back({ru_path + ".maxUnavailable",
                       Invalid(IntOrStringJson(ru.max_unavailable()), "may not be 0 when `maxSurge` is 0")});
    }
    int64_t percent;
    if (PercentValue(ru.max_unavailable(), &percent) && percent > 100) {
      errs->push_back(
          {ru_path + ".maxUnavailable", Invalid(IntOrStringJson(ru.max_unavailable()), "must not be greater than 100%")});
    }
    return;
  }
  errs->push_back({path, "Unsupported value: " + StrategyJson(s) + ": supported values: \"Recreate\", \"RollingUpdate\""});
}

// `tmpl` is the parsed template, nullopt when it is not JSON (read as {}).
void ValidateTemplate(const std::optional<JsonRef>& tmpl, const Selector& selector, FieldErrors* errs) {
  const std::optional<JsonRef> meta = tmpl ? tmpl->Find("metadata") : std::nullopt;
  const std::optional<JsonRef> spec = tmpl ? tmpl->Find("spec") : std::nullopt;
  const LabelMap labels = JsonStringMap(meta, "labels");
  if (!selector.Empty() && !selector.Matches(labels)) {
    errs->push_back({"spec.template.metadata.labels",
                     Invalid(labels.empty() ? "null" : MapJson(labels), "`selector` does not match template `labels`")});
  }
  // ValidatePodTemplateSpec: metadata, then the pod spec.
  FieldErrors label_errs = ValidateLabels(labels, "spec.template.metadata.labels");
  errs->insert(errs->end(), label_errs.begin(), label_errs.end());
  ValidateAnnotations(JsonStringMap(meta, "annotations"), "spec.template.metadata.annotations", errs);

  std::set<std::string> names;
  ValidateContainerList(spec, "containers", "spec.template.spec.containers", /*required=*/true, &names, errs);
  ValidateContainerList(spec, "initContainers", "spec.template.spec.initContainers", /*required=*/false, &names,
                        errs);
  const std::string restart = JsonString(spec, "restartPolicy");
  const std::string restart_path = "spec.template.spec.restartPolicy";
  if (restart.empty()) {
    errs->push_back({restart_path, "Required value"});
  } else if (restart != "Always" && restart != "OnFailure" && restart != "Never") {
    errs->push_back({restart_path, "Unsupported value: " + JsonQuote(restart) +
                                       ": supported values: \"Always\", \"OnFailure\", \"Never\""});
  }
  std::optional<JsonRef> ads = spec ? spec->Find("activeDeadlineSeconds") : std::nullopt;
  if (ads && ads->is_null()) ads.reset();
  const std::string ads_path = "spec.template.spec.activeDeadlineSeconds";
  if (ads && ads->is_number()) {
    const double v = ads->Double();
    if (v < 1 || v > std::numeric_limits<int32_t>::max()) {
      errs->push_back({ads_path, Invalid(ads->DumpNumber(), "must be between 1 and 2147483647, inclusive")});
    }
  }
  // ValidatePodTemplateSpecForReplicaSet's own rules.
  if (restart != "Always")
    errs->push_back({restart_path, "Unsupported value: " + JsonQuote(restart) + ": supported values: \"Always\""});
  if (ads) errs->push_back({ads_path, "Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"});
}

}  // namespace

std::string LabelSelectorJson(const rollbook::v1::LabelSelector& selector) {
  std::string out = "{";
  bool first = true;
  if (!selector.match_labels().empty()) {
    out += "\"matchLabels\":" + MapJson(ToLabelMap(selector.match_labels()));
    first = false;
  }
  if (selector.match_expressions_size() > 0) {
    if (!first) out += ",";
    out += "\"matchExpressions\":[";
    for (int i = 0; i < selector.match_expressions_size(); ++i) {
      const auto& e = selector.match_expressions(i);
      if (i > 0) out += ",";
      out += "{\"key\":" + JsonQuote(e.key()) + ",\"operator\":" + JsonQuote(e.operator_());
      if (e.values_size() > 0) {
        out += ",\"values\":[";
        for (int j = 0; j < e.values_size(); ++j) {
          if (j > 0) out += ",";
          out += JsonQuote(e.values(j));
        }
        out += "]";
      }
      out += "}";
    }
    out += "]";
  }
  return out + "}";
}

FieldErrors ValidateDeployment(const rollbook::v1::Deployment& d) {
  FieldErrors errs;
  const auto& meta = d.metadata();
  // ---- ObjectMeta
  if (meta.name().empty()) {
    errs.push_back({"metadata.name", "Required value: name or generateName is required"});
  } else {
    for (const auto& m : ValidateDns1123Subdomain(meta.name()))
      errs.push_back({"metadata.name", Invalid(GoQuote(meta.name()), m)});
  }
  if (meta.namespace_().empty()) {
    errs.push_back({"metadata.namespace", "Required value"});
  } else {
    for (const auto& m : ValidateDns1123Label(meta.namespace_()))
      errs.push_back({"metadata.namespace", Invalid(GoQuote(meta.namespace_()), m)});
  }
  FieldErrors label_errs = ValidateLabels(ToLabelMap(meta.labels()), "metadata.labels");
  errs.insert(errs.end(), label_errs.begin(), label_errs.end());
  ValidateAnnotations(ToLabelMap(meta.annotations()), "metadata.annotations", &errs);

  // ---- DeploymentSpec
  const auto& spec = d.spec();
  ValidateNonNegative(spec.replicas(), "spec.replicas", &errs);
  if (!spec.has_selector()) {
    errs.push_back({"spec.selector", "Required value"});
  } else {
    FieldErrors sel_errs = ValidateLabelSelector(spec.selector(), "spec.selector");
    errs.insert(errs.end(), sel_errs.begin(), sel_errs.end());
    if (spec.selector().match_labels().empty() && spec.selector().match_expressions_size() == 0) {
      errs.push_back({"spec.selector", Invalid(LabelSelectorJson(spec.selector()), "empty selector is invalid for deployment")});
    }
  }
  Selector selector = Selector::Nothing();
  bool selector_ok = true;
  if (spec.has_selector()) {
    StatusOr<Selector> converted = SelectorFromLabelSelector(spec.selector());
    if (converted.ok()) {
      selector = *converted;
    } else {
      selector_ok = false;
      errs.push_back({"spec.selector", Invalid(LabelSelectorJson(spec.selector()), "invalid label selector")});
    }
  }
  if (selector_ok) {
    const std::optional<JsonDoc> tmpl = JsonDoc::Parse(spec.template_json());
    ValidateTemplate(tmpl ? std::optional<JsonRef>(tmpl->root()) : std::nullopt, selector, &errs);
  }
  ValidateStrategy(spec.strategy(), &errs);
  ValidateNonNegative(spec.min_ready_seconds(), "spec.minReadySeconds", &errs);
  ValidateNonNegative(spec.revision_history_limit(), "spec.revisionHistoryLimit", &errs);
  ValidateNonNegative(spec.progress_deadline_seconds(), "spec.progressDeadlineSeconds", &errs);
  if (spec.progress_deadline_seconds() <= spec.min_ready_seconds()) {
    errs.push_back({"spec.progressDeadlineSeconds",
                    Invalid(std::to_string(spec.progress_deadline_seconds()), "must be greater than minReadySeconds")});
  }
  return errs;
}

FieldErrors ValidateDeploymentUpdate(const rollbook::v1::Deployment& old_deployment,
                                     const rollbook::v1::Deployment& new_deployment) {
  FieldErrors errs;
  const std::string& v = new_deployment.api_version();
  const bool immutable_selector = v == "apps/v1" || v == "apps/v1beta2";
  if (immutable_selector && !SelectorsEqual(old_deployment, new_deployment)) {
    const std::string rendered =
        new_deployment.spec().has_selector() ? LabelSelectorJson(new_deployment.spec().selector()) : "null";
    errs.push_back({"spec.selector", Invalid(rendered, "field is immutable")});
  }
  return errs;
}

std::string FormatInvalid(const std::string& kind, const std::string& name, const FieldErrors& errors) {
  std::vector<std::string> lines;
  for (const auto& e : errors) {
    std::string s = e.ToString();
    if (std::find(lines.begin(), lines.end(), s) == lines.end()) lines.push_back(std::move(s));
  }
  std::string out = "The " + kind + " " + GoQuote(name) + " is invalid";
  if (lines.empty()) return out;
  out += ": ";
  if (lines.size() == 1) return out + lines[0];
  for (const auto& l : lines) out += "\n* " + l;
  return out;
}

}  // namespace rollbook::fold
