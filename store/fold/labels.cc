#include "store/fold/labels.h"

#include <algorithm>
#include <cstdint>
#include <set>

namespace rollbook::fold {

namespace {

// ---- character classes and the regexes of apimachinery, hand-written -------

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesQualifiedNamePart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s)
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool MatchesDns1123Label(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s)
    if (!IsLowerAlnum(c) && c != '-') return false;
  return true;
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*
bool MatchesDns1123Subdomain(std::string_view s) {
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!MatchesDns1123Label(part)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

constexpr char kQualifiedNameFmt[] = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr char kQualifiedNameErrMsg[] =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character";
constexpr char kLabelValueFmt[] = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr char kLabelValueErrMsg[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character";
constexpr char kDns1123LabelFmt[] = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr char kDns1123LabelErrMsg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character";
constexpr char kDns1123SubdomainFmt[] = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr char kDns1123SubdomainErrMsg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character";
constexpr char kPercentFmt[] = "[0-9]+%";
constexpr char kPercentErrMsg[] = "a valid percent string must be a numeric string followed by an ending '%'";

constexpr size_t kQualifiedNameMaxLength = 63;
constexpr size_t kLabelValueMaxLength = 63;
constexpr size_t kDns1123LabelMaxLength = 63;
constexpr size_t kDns1123SubdomainMaxLength = 253;

// apimachinery's RegexError: examples are each followed by "', " and joined
// with " or ", hence the double space quirk.
std::string RegexError(const std::string& msg, const std::string& fmt, std::initializer_list<const char*> examples) {
  std::string out = msg;
  if (examples.size() == 0) return out + " (regex used for validation is '" + fmt + "')";
  out += " (e.g. ";
  bool first = true;
  for (const char* e : examples) {
    if (!first) out += " or ";
    first = false;
    out += "'";
    out += e;
    out += "', ";
  }
  out += "regex used for validation is '" + fmt + "')";
  return out;
}

std::string MaxLenBytes(size_t n) { return "must be no more than " + std::to_string(n) + " bytes"; }
std::string MaxLenChars(size_t n) { return "must be no more than " + std::to_string(n) + " characters"; }

// ---- Go strconv.ParseInt(s, 10, 64) ----------------------------------------

bool ParseInt64Base10(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (!neg && v > static_cast<uint64_t>(INT64_MAX)) return false;
  if (neg && v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

// ---- field.Error rendering (apimachinery field/errors.go) ------------------

std::string InvalidBody(const std::string& rendered_value, const std::string& detail) {
  return "Invalid value: " + rendered_value + ": " + detail;
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  if (values.empty()) return "null";  // a nil []string
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ",";
    out += GoQuote(values[i]);
  }
  return out + "]";
}

// utilerrors.Aggregate's Error(): one message as is, several de-duplicated,
// comma-joined and bracketed.
std::string AggregateMessage(const std::vector<std::string>& msgs) {
  if (msgs.size() == 1) return msgs[0];
  std::vector<std::string> seen;
  for (const auto& m : msgs)
    if (std::find(seen.begin(), seen.end(), m) == seen.end()) seen.push_back(m);
  if (seen.size() == 1) return seen[0];
  std::string out = "[";
  for (size_t i = 0; i < seen.size(); ++i) {
    if (i > 0) out += ", ";
    out += seen[i];
  }
  return out + "]";
}

std::string JoinMessages(const std::vector<std::string>& msgs, const char* sep) {
  std::string out;
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (i > 0) out += sep;
    out += msgs[i];
  }
  return out;
}

// labels.NewRequirement's checks. `path` is the field path prefix ("" for the
// string parser and LabelSelectorAsSelector, which pass none). Returns the
// error strings ("field: body").
std::vector<std::string> RequirementErrors(const Requirement& r, bool check_key) {
  std::vector<std::string> errs;
  if (check_key) {
    auto key_errs = ValidateQualifiedName(r.key);
    if (!key_errs.empty()) errs.push_back("key: " + InvalidBody(GoQuote(r.key), JoinMessages(key_errs, "; ")));
  }
  const auto& vals = r.values;
  switch (r.op) {
    case SelectorOp::kIn:
    case SelectorOp::kNotIn:
      if (vals.empty())
        errs.push_back("values: " +
                       InvalidBody(JsonStringArray(vals), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case SelectorOp::kEquals:
    case SelectorOp::kDoubleEquals:
    case SelectorOp::kNotEquals:
      if (vals.size() != 1)
        errs.push_back("values: " +
                       InvalidBody(JsonStringArray(vals), "exact-match compatibility requires one single value"));
      break;
    case SelectorOp::kExists:
    case SelectorOp::kDoesNotExist:
      if (!vals.empty())
        errs.push_back("values: " + InvalidBody(JsonStringArray(vals),
                                                "values set must be empty for exists and does not exist"));
      break;
    case SelectorOp::kGreaterThan:
    case SelectorOp::kLessThan:
      if (vals.size() != 1)
        errs.push_back("values: " + InvalidBody(JsonStringArray(vals),
                                                "for 'Gt', 'Lt' operators, exactly one value is required"));
      for (size_t i = 0; i < vals.size(); ++i) {
        int64_t ignored;
        if (!ParseInt64Base10(vals[i], &ignored))
          errs.push_back("values[" + std::to_string(i) + "]: " +
                         InvalidBody(GoQuote(vals[i]), "for 'Gt', 'Lt' operators, the value must be an integer"));
      }
      break;
  }
  for (size_t i = 0; i < vals.size(); ++i) {
    auto value_errs = ValidateLabelValue(vals[i]);
    if (!value_errs.empty())
      errs.push_back("values[" + std::to_string(i) + "][" + r.key + "]: " +
                     InvalidBody(GoQuote(vals[i]), JoinMessages(value_errs, "; ")));
  }
  return errs;
}

void SortByKey(std::vector<Requirement>& reqs) {
  std::stable_sort(reqs.begin(), reqs.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
}

// ---- the §9.2 lexer and parser ----------------------------------------------

enum class Tok {
  kError,
  kEnd,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Tok tok;
  std::string lit;
};

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsSpecialSymbol(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

bool LookupToken(std::string_view s, Tok* tok) {
  static const std::map<std::string_view, Tok> kTokens = {
      {")", Tok::kClosedPar}, {",", Tok::kComma},       {"!", Tok::kDoesNotExist}, {"==", Tok::kDoubleEquals},
      {"=", Tok::kEquals},    {">", Tok::kGreaterThan}, {"in", Tok::kIn},          {"<", Tok::kLessThan},
      {"!=", Tok::kNotEquals}, {"notin", Tok::kNotIn},  {"(", Tok::kOpenPar},
  };
  auto it = kTokens.find(s);
  if (it == kTokens.end()) return false;
  *tok = it->second;
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Item Lex() {
    while (pos_ < s_.size() && IsWhitespace(s_[pos_])) ++pos_;
    // Go's lexer reads a 0 byte as end of input.
    if (pos_ >= s_.size() || s_[pos_] == '\0') return {Tok::kEnd, ""};
    if (IsSpecialSymbol(s_[pos_])) return ScanSpecialSymbol();
    return ScanIdOrKeyword();
  }

 private:
  Item ScanSpecialSymbol() {
    std::string buffer;
    Item last{Tok::kError, ""};
    bool have = false;
    while (pos_ < s_.size() && IsSpecialSymbol(s_[pos_])) {
      buffer.push_back(s_[pos_]);
      Tok tok;
      if (LookupToken(buffer, &tok)) {
        last = {tok, buffer};
        have = true;
        ++pos_;
      } else if (have) {
        break;
      } else {
        ++pos_;
      }
    }
    if (!have) return {Tok::kError, "error expected: keyword found '" + buffer + "'"};
    return last;
  }

  Item ScanIdOrKeyword() {
    std::string buffer;
    while (pos_ < s_.size() && s_[pos_] != '\0' && !IsSpecialSymbol(s_[pos_]) && !IsWhitespace(s_[pos_])) {
      buffer.push_back(s_[pos_++]);
    }
    Tok tok;
    if (LookupToken(buffer, &tok)) return {tok, buffer};
    return {Tok::kIdentifier, buffer};
  }

  std::string_view s_;
  size_t pos_ = 0;
};

enum class Ctx { kKeyAndOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view s) {
    Lexer lexer(s);
    while (true) {
      Item it = lexer.Lex();
      items_.push_back(it);
      if (it.tok == Tok::kEnd) break;
    }
  }

  // Returns the requirements, or sets *err (the full message).
  bool Parse(std::vector<Requirement>* out, std::string* err) {
    while (true) {
      Item it = Lookahead(Ctx::kValues);
      switch (it.tok) {
        case Tok::kIdentifier:
        case Tok::kDoesNotExist: {
          Requirement r;
          std::string req_err;
          if (!ParseRequirement(&r, &req_err)) {
            *err = "unable to parse requirement: " + req_err;
            return false;
          }
          out->push_back(std::move(r));
          Item next = Consume(Ctx::kValues);
          if (next.tok == Tok::kEnd) return true;
          if (next.tok == Tok::kComma) {
            Item after = Lookahead(Ctx::kValues);
            if (after.tok != Tok::kIdentifier && after.tok != Tok::kDoesNotExist) {
              *err = "found '" + after.lit + "', expected: identifier after ','";
              return false;
            }
            break;
          }
          *err = "found '" + next.lit + "', expected: ',' or 'end of string'";
          return false;
        }
        case Tok::kEnd:
          return true;
        default:
          *err = "found '" + it.lit + "', expected: !, identifier, or 'end of string'";
          return false;
      }
    }
  }

 private:
  Item Lookahead(Ctx ctx) const {
    Item it = items_[pos_];
    if (ctx == Ctx::kValues && (it.tok == Tok::kIn || it.tok == Tok::kNotIn)) it.tok = Tok::kIdentifier;
    return it;
  }
  Item Consume(Ctx ctx) {
    Item it = Lookahead(ctx);
    if (pos_ + 1 < items_.size()) ++pos_;
    return it;
  }

  bool ParseRequirement(Requirement* r, std::string* err) {
    // parseKeyAndInferOperator
    bool does_not_exist = false;
    bool exists = false;
    Item it = Consume(Ctx::kValues);
    if (it.tok == Tok::kDoesNotExist) {
      does_not_exist = true;
      it = Consume(Ctx::kValues);
    }
    if (it.tok != Tok::kIdentifier) {
      *err = "found '" + it.lit + "', expected: identifier";
      return false;
    }
    auto key_errs = ValidateQualifiedName(it.lit);
    if (!key_errs.empty()) {
      *err = "<nil>: " + InvalidBody(GoQuote(it.lit), JoinMessages(key_errs, "; "));
      return false;
    }
    r->key = it.lit;
    Tok next = Lookahead(Ctx::kValues).tok;
    if ((next == Tok::kEnd || next == Tok::kComma) && !does_not_exist) exists = true;
    if (does_not_exist || exists) {
      r->op = does_not_exist ? SelectorOp::kDoesNotExist : SelectorOp::kExists;
      return true;
    }
    // parseOperator
    Item op = Consume(Ctx::kKeyAndOperator);
    switch (op.tok) {
      case Tok::kIn: r->op = SelectorOp::kIn; break;
      case Tok::kEquals: r->op = SelectorOp::kEquals; break;
      case Tok::kDoubleEquals: r->op = SelectorOp::kDoubleEquals; break;
      case Tok::kGreaterThan: r->op = SelectorOp::kGreaterThan; break;
      case Tok::kLessThan: r->op = SelectorOp::kLessThan; break;
      case Tok::kNotIn: r->op = SelectorOp::kNotIn; break;
      case Tok::kNotEquals: r->op = SelectorOp::kNotEquals; break;
      default:
        *err = "found '" + op.lit + "', expected: in, notin, =, ==, !=, gt, lt";
        return false;
    }
    std::set<std::string> values;
    if (r->op == SelectorOp::kIn || r->op == SelectorOp::kNotIn) {
      if (!ParseValues(&values, err)) return false;
    } else {
      if (!ParseExactValue(&values, err)) return false;
    }
    r->values.assign(values.begin(), values.end());
    auto errs = RequirementErrors(*r, /*check_key=*/false);
    if (!errs.empty()) {
      *err = AggregateMessage(errs);
      return false;
    }
    return true;
  }

  bool ParseValues(std::set<std::string>* values, std::string* err) {
    Item it = Consume(Ctx::kValues);
    if (it.tok != Tok::kOpenPar) {
      *err = "found '" + it.lit + "' expected: '('";
      return false;
    }
    Item la = Lookahead(Ctx::kValues);
    switch (la.tok) {
      case Tok::kIdentifier:
      case Tok::kComma: {
        if (!ParseIdentifiersList(values, err)) return false;
        if (Consume(Ctx::kValues).tok != Tok::kClosedPar) {
          *err = "found '" + la.lit + "', expected: ')'";
          return false;
        }
        return true;
      }
      case Tok::kClosedPar:
        Consume(Ctx::kValues);
        values->insert("");
        return true;
      default:
        *err = "found '" + la.lit + "', expected: ',', ')' or identifier";
        return false;
    }
  }

  bool ParseIdentifiersList(std::set<std::string>* values, std::string* err) {
    while (true) {
      Item it = Consume(Ctx::kValues);
      switch (it.tok) {
        case Tok::kIdentifier: {
          values->insert(it.lit);
          Item la = Lookahead(Ctx::kValues);
          if (la.tok == Tok::kComma) continue;
          if (la.tok == Tok::kClosedPar) return true;
          *err = "found '" + la.lit + "', expected: ',' or ')'";
          return false;
        }
        case Tok::kComma: {
          if (values->empty()) values->insert("");
          Item la = Lookahead(Ctx::kValues);
          if (la.tok == Tok::kClosedPar) {
            values->insert("");
            return true;
          }
          if (la.tok == Tok::kComma) {
            Consume(Ctx::kValues);
            values->insert("");
          }
          break;
        }
        default:
          *err = "found '" + it.lit + "', expected: ',', or identifier";
          return false;
      }
    }
  }

  bool ParseExactValue(std::set<std::string>* values, std::string* err) {
    Item la = Lookahead(Ctx::kValues);
    if (la.tok == Tok::kEnd || la.tok == Tok::kComma) {
      values->insert("");
      return true;
    }
    Item it = Consume(Ctx::kValues);
    if (it.tok == Tok::kIdentifier) {
      values->insert(it.lit);
      return true;
    }
    *err = "found '" + it.lit + "', expected: identifier";
    return false;
  }

  std::vector<Item> items_;
  size_t pos_ = 0;
};

}  // namespace

// ---- names -------------------------------------------------------------------

std::vector<std::string> ValidateQualifiedName(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name;
  size_t slashes = std::count(value.begin(), value.end(), '/');
  if (slashes == 0) {
    name = value;
  } else if (slashes == 1) {
    size_t slash = value.find('/');
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const auto& m : ValidateDns1123Subdomain(prefix)) errs.push_back("prefix part " + m);
    }
  } else {
    errs.push_back("a qualified name " +
                   RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
                   " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return errs;
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back("name part " + MaxLenBytes(kQualifiedNameMaxLength));
  }
  if (!MatchesQualifiedNamePart(name)) {
    errs.push_back("name part " +
                   RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> ValidateLabelValue(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelValueMaxLength) errs.push_back(MaxLenBytes(kLabelValueMaxLength));
  if (!value.empty() && !MatchesQualifiedNamePart(value))
    errs.push_back(RegexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  return errs;
}

std::vector<std::string> ValidateDns1123Subdomain(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123SubdomainMaxLength) errs.push_back(MaxLenChars(kDns1123SubdomainMaxLength));
  if (!MatchesDns1123Subdomain(value))
    errs.push_back(RegexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  return errs;
}

std::vector<std::string> ValidateDns1123Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123LabelMaxLength) errs.push_back(MaxLenChars(kDns1123LabelMaxLength));
  if (!MatchesDns1123Label(value)) {
    if (MatchesDns1123Subdomain(value)) {
      errs.push_back("must not contain dots");
    } else {
      errs.push_back(RegexError(kDns1123LabelErrMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
    }
  }
  return errs;
}

std::vector<std::string> ValidatePercent(std::string_view value) {
  bool ok = value.size() >= 2 && value.back() == '%';
  for (size_t i = 0; ok && i + 1 < value.size(); ++i) ok = value[i] >= '0' && value[i] <= '9';
  if (ok) return {};
  return {RegexError(kPercentErrMsg, kPercentFmt, {"1%", "93%"})};
}

std::string GoQuote(std::string_view value) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

FieldErrors ValidateLabels(const LabelMap& labels, const std::string& field_path) {
  FieldErrors errs;
  for (const auto& [k, v] : labels) {
    for (const auto& m : ValidateQualifiedName(k)) errs.push_back({field_path, InvalidBody(GoQuote(k), m)});
    for (const auto& m : ValidateLabelValue(v)) errs.push_back({field_path, InvalidBody(GoQuote(v), m)});
  }
  return errs;
}

// ---- Requirement -------------------------------------------------------------

bool Requirement::Matches(const LabelMap& labels) const {
  auto it = labels.find(key);
  return MatchesValue(it == labels.end() ? std::nullopt : std::optional<std::string_view>(it->second));
}

bool Requirement::MatchesValue(std::optional<std::string_view> value) const {
  const bool has = value.has_value();
  auto has_value = [&](std::string_view v) {
    return std::find(values.begin(), values.end(), v) != values.end();
  };
  switch (op) {
    case SelectorOp::kIn:
    case SelectorOp::kEquals:
    case SelectorOp::kDoubleEquals:
      return has && has_value(*value);
    case SelectorOp::kNotIn:
    case SelectorOp::kNotEquals:
      return !has || !has_value(*value);
    case SelectorOp::kExists:
      return has;
    case SelectorOp::kDoesNotExist:
      return !has;
    case SelectorOp::kGreaterThan:
    case SelectorOp::kLessThan: {
      if (!has || values.size() != 1) return false;
      int64_t label_value, wanted;
      if (!ParseInt64Base10(*value, &label_value) || !ParseInt64Base10(values[0], &wanted)) return false;
      return op == SelectorOp::kGreaterThan ? label_value > wanted : label_value < wanted;
    }
  }
  return false;
}

std::string Requirement::String() const {
  std::string out;
  if (op == SelectorOp::kDoesNotExist) out += "!";
  out += key;
  switch (op) {
    case SelectorOp::kEquals: out += "="; break;
    case SelectorOp::kDoubleEquals: out += "=="; break;
    case SelectorOp::kNotEquals: out += "!="; break;
    case SelectorOp::kIn: out += " in "; break;
    case SelectorOp::kNotIn: out += " notin "; break;
    case SelectorOp::kGreaterThan: out += ">"; break;
    case SelectorOp::kLessThan: out += "<"; break;
    case SelectorOp::kExists:
    case SelectorOp::kDoesNotExist:
      return out;
  }
  const bool set_op = op == SelectorOp::kIn || op == SelectorOp::kNotIn;
  if (set_op) out += "(";
  if (values.size() == 1) {
    out += values[0];
  } else {
    std::vector<std::string> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    out += JoinMessages(sorted, ",");
  }
  if (set_op) out += ")";
  return out;
}

// ---- Selector ----------------------------------------------------------------

Selector::Selector(std::vector<Requirement> requirements) : requirements_(std::move(requirements)) {
  SortByKey(requirements_);
}

Selector Selector::Nothing() {
  Selector s;
  s.nothing_ = true;
  return s;
}

StatusOr<Selector> Selector::Parse(std::string_view text) {
  Parser parser(text);
  std::vector<Requirement> reqs;
  std::string err;
  if (!parser.Parse(&reqs, &err)) return InvalidArgument(err);
  return Selector(std::move(reqs));
}

bool Selector::Matches(const LabelMap& labels) const {
  if (nothing_) return false;
  for (const auto& r : requirements_)
    if (!r.Matches(labels)) return false;
  return true;
}

std::string Selector::String() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0) out += ",";
    out += requirements_[i].String();
  }
  return out;
}

StatusOr<Selector> SelectorFromLabelSelector(const rollbook::v1::LabelSelector& selector) {
  std::vector<Requirement> reqs;
  const LabelMap match_labels(selector.match_labels().begin(), selector.match_labels().end());
  for (const auto& [k, v] : match_labels) {
    Requirement r{k, SelectorOp::kEquals, {v}};
    auto errs = RequirementErrors(r, /*check_key=*/true);
    if (!errs.empty()) return InvalidArgument(AggregateMessage(errs));
    reqs.push_back(std::move(r));
  }
  for (const auto& expr : selector.match_expressions()) {
    Requirement r;
    r.key = expr.key();
    if (expr.operator_() == "In") {
      r.op = SelectorOp::kIn;
    } else if (expr.operator_() == "NotIn") {
      r.op = SelectorOp::kNotIn;
    } else if (expr.operator_() == "Exists") {
      r.op = SelectorOp::kExists;
    } else if (expr.operator_() == "DoesNotExist") {
      r.op = SelectorOp::kDoesNotExist;
    } else {
      return InvalidArgument(GoQuote(expr.operator_()) + " is not a valid label selector operator");
    }
    r.values.assign(expr.values().begin(), expr.values().end());
    auto errs = RequirementErrors(r, /*check_key=*/true);
    if (!errs.empty()) return InvalidArgument(AggregateMessage(errs));
    reqs.push_back(std::move(r));
  }
  return Selector(std::move(reqs));
}

FieldErrors ValidateLabelSelector(const rollbook::v1::LabelSelector& selector, const std::string& field_path) {
  const LabelMap match_labels(selector.match_labels().begin(), selector.match_labels().end());
  FieldErrors errs = ValidateLabels(match_labels, field_path + ".matchLabels");
  for (int i = 0; i < selector.match_expressions_size(); ++i) {
    const auto& expr = selector.match_expressions(i);
    const std::string path = field_path + ".matchExpressions[" + std::to_string(i) + "]";
    const std::string& op = expr.operator_();
    if (op == "In" || op == "NotIn") {
      if (expr.values_size() == 0)
        errs.push_back({path + ".values", "Required value: must be specified when `operator` is 'In' or 'NotIn'"});
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (expr.values_size() > 0)
        errs.push_back(
            {path + ".values", "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"});
    } else {
      errs.push_back({path + ".operator", InvalidBody(GoQuote(op), "not a valid selector operator")});
    }
    for (const auto& m : ValidateQualifiedName(expr.key()))
      errs.push_back({path + ".key", InvalidBody(GoQuote(expr.key()), m)});
    for (int j = 0; j < expr.values_size(); ++j) {
      for (const auto& m : ValidateLabelValue(expr.values(j)))
        errs.push_back({path + ".values[" + std::to_string(j) + "]", InvalidBody(GoQuote(expr.values(j)), m)});
    }
  }
  return errs;
}

}  // namespace rollbook::fold
