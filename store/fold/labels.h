// Labels, names and label selectors with Kubernetes' rules and wording
// (spec §9).
//
// Contract:
//   * The Validate* name functions return the list of Kubernetes messages for a
//     value, byte-for-byte as apimachinery words them (including the double
//     space after each example comma); an empty list means valid. Length
//     wording: label key name parts and label values say "must be no more than
//     63 bytes" (the >=1.35 wording); DNS names (subdomains, labels, and the
//     DNS prefix of a label key) say "must be no more than N characters".
//   * Selector::Parse implements the string grammar of §9.2 (`-l`); a parse
//     error is a kInvalidArgument Status whose message is the exact server text
//     of §9.5 ("unable to parse requirement: ..."). Requirements are kept
//     sorted by key (stable, so equal keys keep their written order), which
//     makes String() the canonical form of §9.4.
//   * Matching (§9.2): `=`,`==`,`in` need the key and a listed value; `!=` and
//     `notin` also match when the key is absent; `>`/`<` compare base-10 int64s
//     and never match a missing or non-integer value.
//   * SelectorFromLabelSelector converts a Deployment's `spec.selector`
//     (matchLabels become `k=v`); ValidateLabelSelector reports the API
//     server's field errors for it (paths under the given field path).
// Pure functions; no I/O, no exceptions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "rollbook/v1/change_record.pb.h"
#include "store/fold/field_error.h"

namespace rollbook::fold {

// ---- names, label keys and values (§9.1, §9.6) -----------------------------

// Label/annotation key: optional DNS-subdomain prefix + '/' + name (1-63).
std::vector<std::string> ValidateQualifiedName(std::string_view value);
// Label value: empty, or 1-63 of [A-Za-z0-9-_.] starting/ending alphanumeric.
std::vector<std::string> ValidateLabelValue(std::string_view value);
// Object names (Deployments, ReplicaSets): lowercase RFC 1123 subdomain.
std::vector<std::string> ValidateDns1123Subdomain(std::string_view value);
// Container names, namespaces: lowercase RFC 1123 label ("must not contain
// dots" when the value is a valid subdomain).
std::vector<std::string> ValidateDns1123Label(std::string_view value);
// Percent strings of maxSurge/maxUnavailable ("25%").
std::vector<std::string> ValidatePercent(std::string_view value);

// Go's %q rendering of a string, as used in "Invalid value: \"x\"".
std::string GoQuote(std::string_view value);

using LabelMap = std::map<std::string, std::string>;

// The API server's ValidateLabels: one FieldError per message, all on
// `field_path` (e.g. "metadata.labels"): `Invalid value: "KEY": msg` for keys,
// `Invalid value: "VALUE": msg` for values. Keys are visited in sorted order.
FieldErrors ValidateLabels(const LabelMap& labels, const std::string& field_path);

// ---- selectors (§9.2-§9.5) --------------------------------------------------

enum class SelectorOp { kExists, kDoesNotExist, kEquals, kDoubleEquals, kNotEquals, kIn, kNotIn, kGreaterThan, kLessThan };

struct Requirement {
  std::string key;
  SelectorOp op = SelectorOp::kExists;
  // Parsed requirements hold a sorted, de-duplicated set; requirements built
  // from a LabelSelector keep the written order (String() sorts anyway).
  std::vector<std::string> values;

  bool Matches(const LabelMap& labels) const;
  // The same for a Deployment whose label `key` has `value` (nullopt: absent).
  bool MatchesValue(std::optional<std::string_view> value) const;
  // `!k`, `k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k>v`, `k<v`.
  std::string String() const;
  bool operator==(const Requirement&) const = default;
};

class Selector {
 public:
  // The empty selector: matches everything.
  Selector() = default;
  static Selector Everything() { return Selector(); }
  // The selector of a nil LabelSelector: matches nothing, String() is "".
  static Selector Nothing();

  // §9.2 grammar; errors carry the exact server message (§9.5).
  static StatusOr<Selector> Parse(std::string_view text);

  bool Matches(const LabelMap& labels) const;
  // Canonical form (§9.4): requirements sorted by key, joined by ",".
  std::string String() const;
  // True when the selector does not restrict anything (no requirements and not
  // Nothing()).
  bool Empty() const { return !nothing_ && requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  friend StatusOr<Selector> SelectorFromLabelSelector(const rollbook::v1::LabelSelector& selector);
  explicit Selector(std::vector<Requirement> requirements);

  std::vector<Requirement> requirements_;
  bool nothing_ = false;
};

// metav1.LabelSelectorAsSelector: an empty LabelSelector gives Everything().
// Errors (kInvalidArgument) use apimachinery's wording, e.g.
// `"Foo" is not a valid label selector operator` or
// `values[0][app]: Invalid value: "b/c": a valid label must be ...`.
StatusOr<Selector> SelectorFromLabelSelector(const rollbook::v1::LabelSelector& selector);

// The API server's ValidateLabelSelector (§9.3): matchLabels errors on
// `<path>.matchLabels`, per-expression errors on `<path>.matchExpressions[i]`
// `.operator` / `.values` / `.key` / `.values[j]`.
FieldErrors ValidateLabelSelector(const rollbook::v1::LabelSelector& selector, const std::string& field_path);

}  // namespace rollbook::fold
