// Object model: labels and selectors (spec §9), manifests and defaulting (§5.1,
// §10.3), validation and its presentation (§10.2), against hand-made inputs
// and every real-world manifest in /work/shared/testdata/real-manifests.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "store/fold/labels.h"
#include "store/fold/manifest.h"
#include "store/fold/validation.h"

namespace rollbook::fold {
namespace {

using nlohmann::json;
using rollbook::v1::Deployment;

// ---- message texts, as spec §9.5/§9.6/§10.2 write them ---------------------

const std::string kNamePartRegexMsg =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const std::string kLabelValueMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const std::string kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const std::string kDnsLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const std::string kPercentMsg =
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used "
    "for validation is '[0-9]+%')";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kSpecPath = std::string(ROLLBOOK_SHARED_DIR) + "/spec/kubernetes-semantics.md";
const std::string kManifestDir = std::string(ROLLBOOK_SHARED_DIR) + "/testdata/real-manifests/";

// ---- helpers ------------------------------------------------------------------

Deployment MustDeployment(const std::string& yaml, const std::string& ns = "default") {
  auto docs = ParseManifestText(yaml, "test.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status().message();
  if (!docs.ok() || docs->empty()) return Deployment();
  auto d = DeploymentFromManifest(docs->front().object, ns);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return d.ok() ? *d : Deployment();
}

Status DeploymentError(const std::string& yaml) {
  auto docs = ParseManifestText(yaml, "test.yaml");
  if (!docs.ok()) return docs.status();
  auto d = DeploymentFromManifest(docs->front().object, "default");
  return d.ok() ? Status::Ok() : d.status();
}

std::vector<std::string> Strings(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.ToString());
  return out;
}

std::vector<std::string> ErrorsOf(const std::string& yaml) { return Strings(ValidateDeployment(MustDeployment(yaml))); }

// A valid apps/v1 Deployment; tests replace one line at a time.
const std::string kBase = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

std::string SelectorError(const std::string& text) {
  auto s = Selector::Parse(text);
  EXPECT_FALSE(s.ok()) << text;
  if (s.ok()) return "";
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  return s.status().message();
}

std::string Canonical(const std::string& text) {
  auto s = Selector::Parse(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status().message();
  return s.ok() ? s->String() : "";
}

bool Match(const std::string& selector, const LabelMap& labels) {
  auto s = Selector::Parse(selector);
  EXPECT_TRUE(s.ok()) << selector << ": " << s.status().message();
  return s.ok() && s->Matches(labels);
}

// ============================================================================
// Names, label keys and values (§9.1, §9.6)
// ============================================================================

TEST(Names, spec_message_texts_used_here_appear_verbatim_in_the_spec) {
  const std::string spec = ReadFile(kSpecPath);
  ASSERT_FALSE(spec.empty());
  for (const std::string& m : {kNamePartRegexMsg, kLabelValueMsg, kSubdomainMsg, kDnsLabelMsg, kPercentMsg}) {
    EXPECT_NE(spec.find(m), std::string::npos) << m;
  }
}

TEST(Names, qualified_name_accepts_plain_and_prefixed_keys) {
  EXPECT_TRUE(ValidateQualifiedName("app").empty());
  EXPECT_TRUE(ValidateQualifiedName("app.kubernetes.io/name").empty());
  EXPECT_TRUE(ValidateQualifiedName("My_Key-1.x").empty());
  EXPECT_TRUE(ValidateQualifiedName(std::string(63, 'a')).empty());
}

TEST(Names, qualified_name_rejects_bad_name_part_with_regex_message) {
  EXPECT_EQ(ValidateQualifiedName("-ltier"), std::vector<std::string>{kNamePartRegexMsg});
  EXPECT_EQ(ValidateQualifiedName("a b"), std::vector<std::string>{kNamePartRegexMsg});
}

TEST(Names, qualified_name_empty_reports_non_empty_and_regex) {
  EXPECT_EQ(ValidateQualifiedName(""), (std::vector<std::string>{"name part must be non-empty", kNamePartRegexMsg}));
  EXPECT_EQ(ValidateQualifiedName("example.com/"),
            (std::vector<std::string>{"name part must be non-empty", kNamePartRegexMsg}));
}

TEST(Names, qualified_name_too_long_says_bytes) {
  EXPECT_EQ(ValidateQualifiedName(std::string(64, 'a')),
            std::vector<std::string>{"name part must be no more than 63 bytes"});
}

TEST(Names, qualified_name_checks_prefix_as_dns_subdomain) {
  EXPECT_EQ(ValidateQualifiedName("/a"), std::vector<std::string>{"prefix part must be non-empty"});
  EXPECT_EQ(ValidateQualifiedName("Example.com/a"), std::vector<std::string>{"prefix part " + kSubdomainMsg});
  EXPECT_EQ(ValidateQualifiedName(std::string(254, 'a') + "/a"),
            std::vector<std::string>{"prefix part must be no more than 253 characters"});
}

TEST(Names, qualified_name_with_two_slashes_is_one_message) {
  EXPECT_EQ(ValidateQualifiedName("a/b/c"),
            std::vector<std::string>{
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix "
                "and '/' (e.g. 'example.com/MyName')"});
}

TEST(Names, label_value_allows_empty_and_rejects_bad_characters) {
  EXPECT_TRUE(ValidateLabelValue("").empty());
  EXPECT_TRUE(ValidateLabelValue("v1.2_x-y").empty());
  EXPECT_EQ(ValidateLabelValue("b/c"), std::vector<std::string>{kLabelValueMsg});
  EXPECT_EQ(ValidateLabelValue("-x"), std::vector<std::string>{kLabelValueMsg});
}

TEST(Names, label_value_too_long_says_bytes) {
  EXPECT_EQ(ValidateLabelValue(std::string(64, 'v')), std::vector<std::string>{"must be no more than 63 bytes"});
  EXPECT_EQ(ValidateLabelValue(std::string(64, '-')),
            (std::vector<std::string>{"must be no more than 63 bytes", kLabelValueMsg}));
}

TEST(Names, dns_subdomain_rules_and_messages) {
  EXPECT_TRUE(ValidateDns1123Subdomain("nginx-deployment").empty());
  EXPECT_TRUE(ValidateDns1123Subdomain("a.b-c.d").empty());
  EXPECT_EQ(ValidateDns1123Subdomain("Web"), std::vector<std::string>{kSubdomainMsg});
  EXPECT_EQ(ValidateDns1123Subdomain(""), std::vector<std::string>{kSubdomainMsg});
  EXPECT_EQ(ValidateDns1123Subdomain("a..b"), std::vector<std::string>{kSubdomainMsg});
  EXPECT_EQ(ValidateDns1123Subdomain(std::string(254, 'a')),
            std::vector<std::string>{"must be no more than 253 characters"});
}

TEST(Names, dns_label_rules_and_messages) {
  EXPECT_TRUE(ValidateDns1123Label("nginx").empty());
  EXPECT_EQ(ValidateDns1123Label("my.name"), std::vector<std::string>{"must not contain dots"});
  EXPECT_EQ(ValidateDns1123Label("Nginx"), std::vector<std::string>{kDnsLabelMsg});
  EXPECT_EQ(ValidateDns1123Label("-a"), std::vector<std::string>{kDnsLabelMsg});
  EXPECT_EQ(ValidateDns1123Label(std::string(64, 'a')),
            std::vector<std::string>{"must be no more than 63 characters"});
}

TEST(Names, percent_strings) {
  EXPECT_TRUE(ValidatePercent("25%").empty());
  EXPECT_TRUE(ValidatePercent("0%").empty());
  EXPECT_EQ(ValidatePercent("25"), std::vector<std::string>{kPercentMsg});
  EXPECT_EQ(ValidatePercent("%"), std::vector<std::string>{kPercentMsg});
  EXPECT_EQ(ValidatePercent("2.5%"), std::vector<std::string>{kPercentMsg});
}

TEST(Names, go_quote_escapes_like_percent_q) {
  EXPECT_EQ(GoQuote("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\x01\"");
}

TEST(Names, validate_labels_reports_key_and_value_on_the_map_path) {
  LabelMap labels = {{"-bad", "ok"}, {"good", "b/c"}};
  EXPECT_EQ(Strings(ValidateLabels(labels, "metadata.labels")),
            (std::vector<std::string>{"metadata.labels: Invalid value: \"-bad\": " + kNamePartRegexMsg,
                                      "metadata.labels: Invalid value: \"b/c\": " + kLabelValueMsg}));
}

// ============================================================================
// Selector matching (§9.2)
// ============================================================================

TEST(Selector, equals_matches_only_present_equal_value) {
  EXPECT_TRUE(Match("app=web", {{"app", "web"}}));
  EXPECT_FALSE(Match("app=web", {{"app", "db"}}));
  EXPECT_FALSE(Match("app=web", {}));
}

TEST(Selector, double_equals_matches_like_equals) {
  EXPECT_TRUE(Match("app==web", {{"app", "web"}}));
  EXPECT_FALSE(Match("app==web", {{"app", "db"}}));
  EXPECT_FALSE(Match("app==web", {}));
}

TEST(Selector, not_equals_matches_other_value_or_absent_key) {
  EXPECT_TRUE(Match("app!=web", {{"app", "db"}}));
  EXPECT_TRUE(Match("app!=web", {}));
  EXPECT_FALSE(Match("app!=web", {{"app", "web"}}));
}

TEST(Selector, in_matches_listed_values_only) {
  EXPECT_TRUE(Match("tier in (cache,web)", {{"tier", "web"}}));
  EXPECT_FALSE(Match("tier in (cache,web)", {{"tier", "db"}}));
  EXPECT_FALSE(Match("tier in (cache,web)", {}));
}

TEST(Selector, notin_matches_unlisted_value_or_absent_key) {
  EXPECT_TRUE(Match("env notin (dev)", {{"env", "prod"}}));
  EXPECT_TRUE(Match("env notin (dev)", {}));
  EXPECT_FALSE(Match("env notin (dev)", {{"env", "dev"}}));
}

TEST(Selector, exists_and_does_not_exist_test_presence) {
  EXPECT_TRUE(Match("partition", {{"partition", ""}}));
  EXPECT_FALSE(Match("partition", {{"other", "x"}}));
  EXPECT_TRUE(Match("!partition", {{"other", "x"}}));
  EXPECT_FALSE(Match("!partition", {{"partition", "a"}}));
}

TEST(Selector, greater_and_less_than_compare_integers) {
  EXPECT_TRUE(Match("n>5", {{"n", "6"}}));
  EXPECT_FALSE(Match("n>5", {{"n", "5"}}));
  EXPECT_FALSE(Match("n>5", {{"n", "abc"}}));
  EXPECT_FALSE(Match("n>5", {}));
  EXPECT_TRUE(Match("n<5", {{"n", "-10"}}));
  EXPECT_FALSE(Match("n<5", {{"n", "5"}}));
  EXPECT_FALSE(Match("n<5", {}));
}

TEST(Selector, requirements_are_anded_and_empty_matches_everything) {
  EXPECT_TRUE(Match("app=web,tier in (fe)", {{"app", "web"}, {"tier", "fe"}}));
  EXPECT_FALSE(Match("app=web,tier in (fe)", {{"app", "web"}, {"tier", "be"}}));
  EXPECT_TRUE(Match("", {}));
  auto s = Selector::Parse("");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Empty());
  EXPECT_FALSE(Selector::Nothing().Matches({}));
  EXPECT_FALSE(Selector::Nothing().Empty());
}

TEST(Selector, missing_value_means_empty_string) {
  EXPECT_TRUE(Match("a=", {{"a", ""}}));
  EXPECT_TRUE(Match("a in ()", {{"a", ""}}));
  EXPECT_TRUE(Match("a in (,x)", {{"a", ""}}));
}

// ============================================================================
// Canonical string form (§9.4)
// ============================================================================

TEST(Selector, string_form_of_every_operator) {
  EXPECT_EQ(Canonical("!a"), "!a");
  EXPECT_EQ(Canonical("a"), "a");
  EXPECT_EQ(Canonical("a=b"), "a=b");
  EXPECT_EQ(Canonical("a==b"), "a==b");
  EXPECT_EQ(Canonical("a!=b"), "a!=b");
  EXPECT_EQ(Canonical("a in (z,b)"), "a in (b,z)");
  EXPECT_EQ(Canonical("a notin (z,b)"), "a notin (b,z)");
  EXPECT_EQ(Canonical("a>5"), "a>5");
  EXPECT_EQ(Canonical("a<5"), "a<5");
  EXPECT_EQ(Canonical(""), "");
}

TEST(Selector, string_form_sorts_by_key_and_drops_whitespace) {
  EXPECT_EQ(Canonical(" tier in ( web , cache ) , app = nginx "), "app=nginx,tier in (cache,web)");
  EXPECT_EQ(Canonical("b,!a,c!=x"), "!a,b,c!=x");
}

TEST(Selector, in_and_notin_are_identifiers_outside_operator_position) {
  EXPECT_EQ(Canonical("in=notin"), "in=notin");
  EXPECT_EQ(Canonical("a in (in,notin)"), "a in (in,notin)");
}

TEST(Selector, requirement_string_sorts_values_without_mutating) {
  Requirement r{"tier", SelectorOp::kIn, {"web", "cache"}};
  EXPECT_EQ(r.String(), "tier in (cache,web)");
  EXPECT_EQ(r.values, (std::vector<std::string>{"web", "cache"}));
}

// ============================================================================
// Parse errors: every row of §9.5, byte-exact
// ============================================================================

TEST(Selector, rejects_missing_operator_with_kubectl_message) {
  EXPECT_EQ(SelectorError("a b"), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
}

TEST(Selector, rejects_unclosed_value_list) {
  EXPECT_EQ(SelectorError("app in (a"), "unable to parse requirement: found '', expected: ',' or ')'");
}

TEST(Selector, rejects_value_list_without_parenthesis_sic_no_comma) {
  EXPECT_EQ(SelectorError("app in a"), "unable to parse requirement: found 'a' expected: '('");
}

TEST(Selector, rejects_trailing_operator_after_requirement) {
  EXPECT_EQ(SelectorError("a=b=c"), "found '=', expected: ',' or 'end of string'");
  EXPECT_EQ(SelectorError("!a=b"), "found '=', expected: ',' or 'end of string'");
}

TEST(Selector, rejects_missing_identifier_after_comma) {
  EXPECT_EQ(SelectorError("a,"), "found '', expected: identifier after ','");
  EXPECT_EQ(SelectorError("a,,b"), "found ',', expected: identifier after ','");
}

TEST(Selector, rejects_leading_operator) {
  EXPECT_EQ(SelectorError("=a"), "found '=', expected: !, identifier, or 'end of string'");
}

TEST(Selector, rejects_operator_where_value_expected) {
  EXPECT_EQ(SelectorError("a=>"), "unable to parse requirement: found '>', expected: identifier");
}

TEST(Selector, rejects_bad_key_with_nil_field_prefix) {
  EXPECT_EQ(SelectorError("-ltier=x"),
            "unable to parse requirement: <nil>: Invalid value: \"-ltier\": " + kNamePartRegexMsg);
}

TEST(Selector, rejects_bad_value_with_values_index_and_key_path) {
  EXPECT_EQ(SelectorError("a=b/c"),
            "unable to parse requirement: values[0][a]: Invalid value: \"b/c\": " + kLabelValueMsg);
}

TEST(Selector, every_section_9_5_message_appears_in_the_spec) {
  const std::string spec = ReadFile(kSpecPath);
  for (const char* input : {"a b", "app in (a", "app in a", "a=b=c", "a,", "a,,b", "=a", "a=>"}) {
    const std::string msg = SelectorError(input);
    EXPECT_NE(spec.find("`" + msg + "`"), std::string::npos) << input << " -> " << msg;
  }
  const std::string bad_key = SelectorError("-ltier=x");
  EXPECT_NE(spec.find(bad_key), std::string::npos) << bad_key;
  const std::string bad_value = SelectorError("a=b/c");
  EXPECT_NE(spec.find(bad_value), std::string::npos) << bad_value;
}

TEST(Selector, rejects_non_integer_for_gt_lt) {
  EXPECT_EQ(SelectorError("a>b"),
            "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value "
            "must be an integer");
}

TEST(Selector, rejects_bad_tokens_inside_value_lists) {
  EXPECT_EQ(SelectorError("a in (=)"), "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  EXPECT_EQ(SelectorError("a in (b c)"), "unable to parse requirement: found 'c', expected: ',' or ')'");
  EXPECT_EQ(SelectorError("a in (b,=)"), "unable to parse requirement: found '=', expected: ',', or identifier");
  EXPECT_EQ(SelectorError("a in ("), "unable to parse requirement: found '', expected: ',', ')' or identifier");
}

TEST(Selector, several_bad_values_are_bracketed_and_comma_joined) {
  EXPECT_EQ(SelectorError("a in (x/y,-z)"),
            "unable to parse requirement: [values[0][a]: Invalid value: \"-z\": " + kLabelValueMsg +
                ", values[1][a]: Invalid value: \"x/y\": " + kLabelValueMsg + "]");
}

// ============================================================================
// LabelSelector (§9.3)
// ============================================================================

rollbook::v1::LabelSelector MakeSelector(const LabelMap& match_labels,
                                         const std::vector<std::tuple<std::string, std::string, std::vector<std::string>>>& exprs) {
  rollbook::v1::LabelSelector s;
  for (const auto& [k, v] : match_labels) (*s.mutable_match_labels())[k] = v;
  for (const auto& [key, op, values] : exprs) {
    auto* e = s.add_match_expressions();
    e->set_key(key);
    e->set_operator_(op);
    for (const auto& v : values) e->add_values(v);
  }
  return s;
}

TEST(LabelSelector, converts_match_labels_and_expressions_to_sorted_requirements) {
  auto s = SelectorFromLabelSelector(MakeSelector(
      {{"app", "nginx"}},
      {{"tier", "In", {"cache"}}, {"environment", "NotIn", {"dev"}}, {"partition", "Exists", {}}, {"x", "DoesNotExist", {}}}));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->String(), "app=nginx,environment notin (dev),partition,tier in (cache),!x");
  EXPECT_TRUE(s->Matches({{"app", "nginx"}, {"tier", "cache"}, {"partition", "1"}}));
  EXPECT_FALSE(s->Matches({{"app", "nginx"}, {"tier", "cache"}, {"partition", "1"}, {"x", "y"}}));
  EXPECT_FALSE(s->Matches({{"app", "nginx"}, {"tier", "cache"}, {"partition", "1"}, {"environment", "dev"}}));
}

TEST(LabelSelector, empty_selector_matches_everything) {
  auto s = SelectorFromLabelSelector(rollbook::v1::LabelSelector());
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Empty());
  EXPECT_TRUE(s->Matches({{"a", "b"}}));
  EXPECT_EQ(s->String(), "");
}

TEST(LabelSelector, conversion_errors_use_apimachinery_wording) {
  auto bad_op = SelectorFromLabelSelector(MakeSelector({}, {{"tier", "Foo", {"a"}}}));
  ASSERT_FALSE(bad_op.ok());
  EXPECT_EQ(bad_op.status().message(), "\"Foo\" is not a valid label selector operator");
  auto empty_in = SelectorFromLabelSelector(MakeSelector({}, {{"tier", "In", {}}}));
  ASSERT_FALSE(empty_in.ok());
  EXPECT_EQ(empty_in.status().message(),
            "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty");
  auto bad_value = SelectorFromLabelSelector(MakeSelector({{"app", "b/c"}}, {}));
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(bad_value.status().message(), "values[0][app]: Invalid value: \"b/c\": " + kLabelValueMsg);
  auto bad_key = SelectorFromLabelSelector(MakeSelector({{"-app", "x"}}, {}));
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().message(), "key: Invalid value: \"-app\": " + kNamePartRegexMsg);
}

TEST(LabelSelector, validation_messages_and_paths_of_section_9_3) {
  auto s = MakeSelector({{"app", "b/c"}}, {{"tier", "In", {}},
                                           {"partition", "Exists", {"x"}},
                                           {"-k", "Foo", {"ok", "b/c"}}});
  EXPECT_EQ(Strings(ValidateLabelSelector(s, "spec.selector")),
            (std::vector<std::string>{
                "spec.selector.matchLabels: Invalid value: \"b/c\": " + kLabelValueMsg,
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is "
                "'In' or 'NotIn'",
                "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is "
                "'Exists' or 'DoesNotExist'",
                "spec.selector.matchExpressions[2].operator: Invalid value: \"Foo\": not a valid selector operator",
                "spec.selector.matchExpressions[2].key: Invalid value: \"-k\": " + kNamePartRegexMsg,
                "spec.selector.matchExpressions[2].values[1]: Invalid value: \"b/c\": " + kLabelValueMsg,
            }));
}

TEST(LabelSelector, json_rendering_follows_go_field_order) {
  EXPECT_EQ(LabelSelectorJson(MakeSelector({{"b", "2"}, {"a", "1"}}, {{"k", "In", {"x", "y"}}, {"e", "Exists", {}}})),
            "{\"matchLabels\":{\"a\":\"1\",\"b\":\"2\"},\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\","
            "\"values\":[\"x\",\"y\"]},{\"key\":\"e\",\"operator\":\"Exists\"}]}");
  EXPECT_EQ(LabelSelectorJson(rollbook::v1::LabelSelector()), "{}");
}

// ============================================================================
// Manifest text parsing
// ============================================================================

TEST(ManifestText, yaml_scalars_convert_to_typed_json) {
  auto docs = ParseManifestText(R"(apiVersion: v1
kind: Thing
int: 3
quoted_int: "3"
single_quoted: '80'
float: 0.5
exp: 1e3
bool_true: true
bool_false: false
yaml11_yes: yes
yaml11_off: off
quoted_yes: "yes"
null_word: null
tilde: ~
empty:
hex: 0x1F
octal: 012
underscore: 1_000
negative: -7
big: 18446744073709551615
date: 2001-12-14
version: 1.23.4
block: |
  line
text: hello
)", "scalars.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  const json& o = docs->at(0).object;
  EXPECT_TRUE(o["int"].is_number_integer());
  EXPECT_EQ(o["int"], 3);
  EXPECT_EQ(o["quoted_int"], "3");
  EXPECT_EQ(o["single_quoted"], "80");
  EXPECT_TRUE(o["float"].is_number_float());
  EXPECT_EQ(o["float"], 0.5);
  EXPECT_EQ(o["exp"], 1000.0);
  EXPECT_EQ(o["bool_true"], true);
  EXPECT_EQ(o["bool_false"], false);
  EXPECT_EQ(o["yaml11_yes"], true);
  EXPECT_EQ(o["yaml11_off"], false);
  EXPECT_EQ(o["quoted_yes"], "yes");
  EXPECT_TRUE(o["null_word"].is_null());
  EXPECT_TRUE(o["tilde"].is_null());
  EXPECT_TRUE(o["empty"].is_null());
  EXPECT_EQ(o["hex"], 31);
  EXPECT_EQ(o["octal"], 10);
  EXPECT_EQ(o["underscore"], 1000);
  EXPECT_EQ(o["negative"], -7);
  EXPECT_TRUE(o["big"].is_number_unsigned());
  EXPECT_EQ(o["date"], "2001-12-14");
  EXPECT_EQ(o["version"], "1.23.4");
  EXPECT_EQ(o["block"], "line\n");
  EXPECT_EQ(o["text"], "hello");
}

TEST(ManifestText, keys_are_always_strings) {
  auto docs = ParseManifestText("apiVersion: v1\nkind: Thing\n1: a\ntrue: b\nnull: c\n", "k.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  const json& o = docs->at(0).object;
  EXPECT_EQ(o["1"], "a");
  EXPECT_EQ(o["true"], "b");
  EXPECT_EQ(o["null"], "c");
}

TEST(ManifestText, multi_document_with_empty_documents_and_positions) {
  auto docs = ParseManifestText("---\n\n---\napiVersion: v1\nkind: A\n---\n# only a comment\n---\napiVersion: v1\nkind: B\n---\n",
                                "m.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ(docs->at(0).object["kind"], "A");
  EXPECT_EQ(docs->at(0).index, 1);
  EXPECT_EQ(docs->at(1).object["kind"], "B");
  EXPECT_EQ(docs->at(1).index, 3);
}

TEST(ManifestText, crlf_line_endings_do_not_leak_into_values) {
  auto d = MustDeployment(
      "apiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n  name: web\r\nspec:\r\n  selector:\r\n    matchLabels:\r\n"
      "      app: web\r\n  template:\r\n    metadata:\r\n      labels:\r\n        app: web\r\n    spec:\r\n"
      "      containers:\r\n      - name: c\r\n        image: nginx:1\r\n");
  EXPECT_EQ(d.metadata().name(), "web");
  EXPECT_EQ(d.spec().template_json().find('\r'), std::string::npos);
}

TEST(ManifestText, json_document_and_list_expansion) {
  auto docs = ParseManifestText(R"({"apiVersion":"v1","kind":"List","items":[
      {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"a"}},
      {"apiVersion":"v1","kind":"Service","metadata":{"name":"b"}}]})",
                                "list.json");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_TRUE(IsDeployment(docs->at(0).object));
  EXPECT_FALSE(IsDeployment(docs->at(1).object));
  EXPECT_EQ(docs->at(1).object["metadata"]["name"], "b");
  EXPECT_EQ(docs->at(0).index, 0);
  EXPECT_EQ(docs->at(1).index, 0);
}

TEST(ManifestText, deployment_list_items_inherit_kind_and_version) {
  auto docs = ParseManifestText(R"({"apiVersion":"apps/v1","kind":"DeploymentList","items":[{"metadata":{"name":"a"}}]})",
                                "dl.json");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ(docs->at(0).object["kind"], "Deployment");
  EXPECT_EQ(docs->at(0).object["apiVersion"], "apps/v1");
}

TEST(ManifestText, json_numbers_keep_their_types) {
  auto docs = ParseManifestText(R"({"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":3,"x":"3","cpu":0.5}})",
                                "d.json");
  ASSERT_TRUE(docs.ok());
  const json& spec = docs->at(0).object["spec"];
  EXPECT_TRUE(spec["replicas"].is_number_integer());
  EXPECT_TRUE(spec["x"].is_string());
  EXPECT_TRUE(spec["cpu"].is_number_float());
}

TEST(ManifestText, empty_input_is_no_objects_passed_to_create) {
  for (const std::string& text : {std::string(""), std::string("  \n\t\n"), std::string("# comment\n# more\n"),
                                  std::string("---\n---\n")}) {
    auto docs = ParseManifestText(text, "e.yaml");
    ASSERT_FALSE(docs.ok()) << text;
    EXPECT_EQ(docs.status().message(), "no objects passed to create");
  }
}

TEST(ManifestText, syntax_error_names_source_and_line) {
  auto docs = ParseManifestText("apiVersion: v1\nkind: A\nmetadata:\n  name: x\n labels: y\n", "bad.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(docs.status().message(),
            "error parsing bad.yaml: error converting YAML to JSON: yaml: line 5: end of map not found");
}

TEST(ManifestText, duplicate_key_is_rejected_with_both_lines) {
  auto docs = ParseManifestText("apiVersion: v1\nkind: A\nspec:\n  replicas: 3\n  replicas: 3\n", "dup.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().message(),
            "error parsing dup.yaml: error converting YAML to JSON: yaml: unmarshal errors:\n"
            "  line 5: mapping key \"replicas\" already defined at line 4");
}

TEST(ManifestText, missing_kind_or_api_version_is_rejected_like_kubectl) {
  auto no_kind = ParseManifestText("apiVersion: v1\nmetadata:\n  name: x\n", "k.yaml");
  ASSERT_FALSE(no_kind.ok());
  EXPECT_EQ(no_kind.status().message(),
            "unable to decode \"k.yaml\": Object 'Kind' is missing in '{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\"}}'");
  auto no_version = ParseManifestText("kind: Deployment\n", "v.yaml");
  ASSERT_FALSE(no_version.ok());
  EXPECT_EQ(no_version.status().message(),
            "unable to decode \"v.yaml\": Object 'apiVersion' is missing in '{\"kind\":\"Deployment\"}'");
}

TEST(ManifestText, scalar_document_is_not_an_object) {
  auto docs = ParseManifestText("hello\n", "s.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().message(),
            "unable to decode \"s.yaml\": json: cannot unmarshal string into Go value of type map[string]interface {}");
}

TEST(ManifestText, infinity_cannot_become_json) {
  auto docs = ParseManifestText("apiVersion: v1\nkind: A\nx: .inf\n", "inf.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.status().message(), "error parsing inf.yaml: error converting YAML to JSON: json: unsupported value: +Inf");
}

TEST(ManifestText, anchors_aliases_and_merge_keys) {
  auto docs = ParseManifestText(R"(apiVersion: v1
kind: A
base: &base {a: 1, b: 2}
copy: *base
merged:
  <<: *base
  b: 3
)", "anchors.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  const json& o = docs->at(0).object;
  EXPECT_EQ(o["copy"], json({{"a", 1}, {"b", 2}}));
  EXPECT_EQ(o["merged"], json({{"a", 1}, {"b", 3}}));
}

TEST(ManifestText, flow_style_with_trailing_commas_and_comments) {
  auto d = MustDeployment(R"(---
{ apiVersion: "apps/v1", kind: Deployment, # comment
  metadata: { name: flow, },
  spec: { selector: { matchLabels: { app: f, }, }, replicas: 2,
    template: { metadata: { labels: { app: f } }, spec: { containers: [ { name: c, image: "nginx:1", }, ], }, }, },
}
)");
  EXPECT_EQ(d.metadata().name(), "flow");
  EXPECT_EQ(d.spec().replicas(), 2);
}

// ============================================================================
// DeploymentFromManifest: kinds, versions, strict decoding, types
// ============================================================================

TEST(Manifest, is_deployment_checks_kind) {
  EXPECT_TRUE(IsDeployment(json{{"kind", "Deployment"}}));
  EXPECT_FALSE(IsDeployment(json{{"kind", "Service"}}));
  EXPECT_FALSE(IsDeployment(json{{"apiVersion", "apps/v1"}}));
  EXPECT_FALSE(IsDeployment(json::array()));
}

TEST(Manifest, missing_kind_message_embeds_the_object_json) {
  auto d = DeploymentFromManifest(json{{"apiVersion", "apps/v1"}, {"metadata", {{"name", "x"}}}}, "default");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(),
            "Object 'Kind' is missing in '{\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"x\"}}'");
  auto v = DeploymentFromManifest(json{{"kind", "Deployment"}}, "default");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "Object 'apiVersion' is missing in '{\"kind\":\"Deployment\"}'");
}

TEST(Manifest, other_kinds_are_refused) {
  auto d = DeploymentFromManifest(json{{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", "redis"}}}},
                                  "default");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(), "rollbook only manages Deployments: kind \"Service\" in object \"redis\"");
}

TEST(Manifest, unserved_api_version_has_no_matches) {
  auto err = DeploymentError(Replace(kBase, "apps/v1", "apps/v2"));
  EXPECT_EQ(err.message(), "no matches for kind \"Deployment\" in version \"apps/v2\"");
  EXPECT_TRUE(IsServedDeploymentApiVersion("extensions/v1beta1"));
  EXPECT_FALSE(IsServedDeploymentApiVersion("v1"));
}

TEST(Manifest, unknown_spec_fields_are_strict_decoding_errors_sorted) {
  auto err = DeploymentError(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  foo: bar\n  baz: baq\n"));
  EXPECT_EQ(err.message(), "strict decoding error: unknown field \"spec.baz\", unknown field \"spec.foo\"");
}

TEST(Manifest, unknown_fields_at_every_checked_level) {
  EXPECT_EQ(DeploymentError(kBase + "extra: 1\n").message(), "strict decoding error: unknown field \"extra\"");
  EXPECT_EQ(DeploymentError(Replace(kBase, "  name: web\n", "  name: web\n  clusterName: c\n")).message(),
            "strict decoding error: unknown field \"metadata.clusterName\"");
  EXPECT_EQ(DeploymentError(Replace(kBase, "  replicas: 3\n",
                                    "  replicas: 3\n  strategy:\n    kind: x\n    rollingUpdate:\n      maxSurges: 1\n"))
                .message(),
            "strict decoding error: unknown field \"spec.strategy.kind\", unknown field "
            "\"spec.strategy.rollingUpdate.maxSurges\"");
  EXPECT_EQ(DeploymentError(Replace(kBase, "      app: web\n  template:",
                                    "      app: web\n    matchExpressions:\n    - {key: a, operator: Exists, value: x}\n"
                                    "  template:"))
                .message(),
            "strict decoding error: unknown field \"spec.selector.matchExpressions[0].value\"");
  EXPECT_EQ(DeploymentError(Replace(kBase, "    metadata:\n      labels:", "    metdata: {}\n    metadata:\n      labels:"))
                .message(),
            "strict decoding error: unknown field \"spec.template.metdata\"");
}

TEST(Manifest, legacy_map_selector_is_an_unknown_field) {
  auto err = DeploymentError(R"(apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: old}
spec:
  selector:
    name: nginx
  template:
    metadata: {labels: {name: nginx}}
    spec: {containers: [{name: c, image: nginx}]}
)");
  EXPECT_EQ(err.message(), "strict decoding error: unknown field \"spec.selector.name\"");
}

TEST(Manifest, rollback_to_is_accepted_only_by_legacy_versions) {
  const std::string with_rollback = Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  rollbackTo: {revision: 1}\n");
  EXPECT_EQ(DeploymentError(with_rollback).message(), "strict decoding error: unknown field \"spec.rollbackTo\"");
  EXPECT_TRUE(DeploymentError(Replace(with_rollback, "apps/v1", "apps/v1beta1")).ok());
}

TEST(Manifest, wrongly_typed_fields_use_go_json_wording) {
  EXPECT_EQ(DeploymentError(Replace(kBase, "replicas: 3", "replicas: \"3\"")).message(),
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32");
  EXPECT_EQ(DeploymentError(Replace(kBase, "replicas: 3", "replicas: 1.5")).message(),
            "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32");
  EXPECT_EQ(DeploymentError(Replace(kBase, "replicas: 3", "replicas: 3000000000")).message(),
            "json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32");
  EXPECT_EQ(DeploymentError(Replace(kBase, "  labels:\n    app: web", "  labels:\n    app: 3")).message(),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string");
  EXPECT_EQ(DeploymentError(Replace(kBase, "        app: web", "        enabled: yes")).message(),
            "json: cannot unmarshal bool into Go struct field ObjectMeta.spec.template.metadata.labels of type string");
  EXPECT_EQ(DeploymentError(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  strategy: {rollingUpdate: {maxSurge: true}}\n"))
                .message(),
            "json: cannot unmarshal bool into Go value of type int32");
  EXPECT_EQ(DeploymentError(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  paused: \"yes\"\n")).message(),
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool");
  EXPECT_EQ(DeploymentError(Replace(kBase, "      containers:\n      - name: nginx\n        image: nginx:1.25\n",
                                    "      containers: {name: nginx}\n"))
                .message(),
            "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type "
            "[]v1.Container");
  EXPECT_EQ(DeploymentError(Replace(kBase, "name: web\n", "name: 5\n")).message(),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string");
}

TEST(Manifest, type_errors_win_over_unknown_fields) {
  auto err = DeploymentError(Replace(kBase, "  replicas: 3\n", "  replicas: x\n  foo: 1\n"));
  EXPECT_EQ(err.message(), "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32");
}

// ============================================================================
// Defaults per apiVersion (§5.1)
// ============================================================================

const std::string kMinimal = R"(apiVersion: VERSION
kind: Deployment
metadata:
  name: m
spec:
  template:
    metadata:
      labels:
        app: m
    spec:
      containers:
      - name: c
        image: nginx:1.25
)";

Deployment MinimalFor(const std::string& version) { return MustDeployment(Replace(kMinimal, "VERSION", version)); }

TEST(Defaults, apps_v1_fills_replicas_strategy_limits_and_keeps_selector_unset) {
  Deployment d = MinimalFor("apps/v1");
  EXPECT_EQ(d.api_version(), "apps/v1");
  EXPECT_EQ(d.metadata().namespace_(), "default");
  EXPECT_EQ(d.spec().replicas(), 1);
  EXPECT_EQ(d.spec().strategy().type(), "RollingUpdate");
  EXPECT_EQ(d.spec().strategy().rolling_update().max_unavailable().str_value(), "25%");
  EXPECT_EQ(d.spec().strategy().rolling_update().max_surge().str_value(), "25%");
  EXPECT_EQ(d.spec().revision_history_limit(), 10);
  EXPECT_EQ(d.spec().progress_deadline_seconds(), 600);
  EXPECT_EQ(d.spec().min_ready_seconds(), 0);
  EXPECT_FALSE(d.spec().paused());
  EXPECT_FALSE(d.spec().has_selector());
  EXPECT_TRUE(d.metadata().labels().empty());
}

TEST(Defaults, apps_v1beta2_defaults_like_apps_v1_without_selector_defaulting) {
  Deployment d = MinimalFor("apps/v1beta2");
  EXPECT_EQ(d.api_version(), "apps/v1beta2");
  EXPECT_EQ(d.spec().strategy().rolling_update().max_unavailable().str_value(), "25%");
  EXPECT_EQ(d.spec().strategy().rolling_update().max_surge().str_value(), "25%");
  EXPECT_EQ(d.spec().revision_history_limit(), 10);
  EXPECT_EQ(d.spec().progress_deadline_seconds(), 600);
  EXPECT_FALSE(d.spec().has_selector());
  EXPECT_TRUE(d.metadata().labels().empty());
}

TEST(Defaults, apps_v1beta1_keeps_two_revisions_and_defaults_selector_and_labels) {
  Deployment d = MinimalFor("apps/v1beta1");
  EXPECT_EQ(d.spec().revision_history_limit(), 2);
  EXPECT_EQ(d.spec().progress_deadline_seconds(), 600);
  EXPECT_EQ(d.spec().strategy().rolling_update().max_unavailable().str_value(), "25%");
  EXPECT_EQ(d.spec().strategy().rolling_update().max_surge().str_value(), "25%");
  ASSERT_TRUE(d.spec().has_selector());
  EXPECT_EQ(LabelSelectorJson(d.spec().selector()), "{\"matchLabels\":{\"app\":\"m\"}}");
  EXPECT_EQ(d.metadata().labels().at("app"), "m");
  EXPECT_TRUE(ValidateDeployment(d).empty());
}

TEST(Defaults, extensions_v1beta1_is_unlimited_with_one_one_surge) {
  Deployment d = MinimalFor("extensions/v1beta1");
  EXPECT_EQ(d.spec().revision_history_limit(), 2147483647);
  EXPECT_EQ(d.spec().progress_deadline_seconds(), 2147483647);
  EXPECT_EQ(d.spec().strategy().rolling_update().max_unavailable().int_value(), 1);
  EXPECT_EQ(d.spec().strategy().rolling_update().max_surge().int_value(), 1);
  EXPECT_EQ(d.spec().strategy().rolling_update().max_surge().value_case(), rollbook::v1::IntOrString::kIntValue);
  EXPECT_EQ(LabelSelectorJson(d.spec().selector()), "{\"matchLabels\":{\"app\":\"m\"}}");
  EXPECT_EQ(d.metadata().labels().at("app"), "m");
}

TEST(Defaults, legacy_label_defaulting_keeps_labels_that_are_given) {
  Deployment d = MustDeployment(Replace(Replace(kMinimal, "VERSION", "extensions/v1beta1"), "  name: m\n",
                                        "  name: m\n  labels: {team: x}\n"));
  EXPECT_EQ(d.metadata().labels().size(), 1u);
  EXPECT_EQ(d.metadata().labels().at("team"), "x");
}

TEST(Defaults, recreate_has_no_rolling_update_and_partial_rolling_update_is_completed) {
  Deployment recreate = MustDeployment(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  strategy: {type: Recreate}\n"));
  EXPECT_EQ(recreate.spec().strategy().type(), "Recreate");
  EXPECT_FALSE(recreate.spec().strategy().has_rolling_update());
  Deployment partial =
      MustDeployment(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  strategy: {rollingUpdate: {maxSurge: 30%}}\n"));
  EXPECT_EQ(partial.spec().strategy().type(), "RollingUpdate");
  EXPECT_EQ(partial.spec().strategy().rolling_update().max_surge().str_value(), "30%");
  EXPECT_EQ(partial.spec().strategy().rolling_update().max_unavailable().str_value(), "25%");
}

TEST(Defaults, explicit_values_and_namespace_win) {
  Deployment d = MustDeployment(
      Replace(Replace(kBase, "  name: web\n", "  name: web\n  namespace: prod\n"), "  replicas: 3\n",
              "  replicas: 0\n  minReadySeconds: 5\n  revisionHistoryLimit: 0\n  progressDeadlineSeconds: 30\n  paused: true\n"),
      "ignored");
  EXPECT_EQ(d.metadata().namespace_(), "prod");
  EXPECT_EQ(d.spec().replicas(), 0);
  EXPECT_EQ(d.spec().min_ready_seconds(), 5);
  EXPECT_EQ(d.spec().revision_history_limit(), 0);
  EXPECT_EQ(d.spec().progress_deadline_seconds(), 30);
  EXPECT_TRUE(d.spec().paused());
  EXPECT_EQ(MustDeployment(kBase, "team-a").metadata().namespace_(), "team-a");
}

TEST(Defaults, explicit_nulls_mean_absent) {
  Deployment d = MustDeployment(Replace(kBase, "  replicas: 3\n",
                                        "  replicas: null\n  strategy: null\n  revisionHistoryLimit: ~\n"));
  EXPECT_EQ(d.spec().replicas(), 1);
  EXPECT_EQ(d.spec().strategy().type(), "RollingUpdate");
  EXPECT_EQ(d.spec().revision_history_limit(), 10);
}

// ============================================================================
// Pod template canonical form (§8.2, §10.3)
// ============================================================================

std::string TemplateOf(const std::string& yaml) { return MustDeployment(yaml).spec().template_json(); }

TEST(Template, canonical_json_is_sorted_compact_and_defaulted) {
  EXPECT_EQ(TemplateOf(kBase),
            "{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\","
            "\"imagePullPolicy\":\"IfNotPresent\",\"name\":\"nginx\",\"terminationMessagePath\":\"/dev/termination-log\","
            "\"terminationMessagePolicy\":\"File\"}],\"dnsPolicy\":\"ClusterFirst\",\"restartPolicy\":\"Always\","
            "\"schedulerName\":\"default-scheduler\",\"terminationGracePeriodSeconds\":30}}");
}

TEST(Template, decimal_and_milli_cpu_compare_equal) {
  const std::string with_resources = Replace(kBase, "        image: nginx:1.25\n",
                                             "        image: nginx:1.25\n        resources:\n          limits:\n"
                                             "            cpu: CPU\n            memory: 1Gi\n");
  const std::string a = TemplateOf(Replace(with_resources, "CPU", "0.5"));
  EXPECT_EQ(a, TemplateOf(Replace(with_resources, "CPU", "500m")));
  EXPECT_EQ(a, TemplateOf(Replace(with_resources, "CPU", "\".5\"")));
  EXPECT_EQ(a, TemplateOf(Replace(with_resources, "CPU", "'0.5'")));
  EXPECT_NE(a.find("\"cpu\":\"500m\""), std::string::npos) << a;
  EXPECT_NE(TemplateOf(Replace(with_resources, "CPU", "1")).find("\"cpu\":\"1\""), std::string::npos);
  EXPECT_NE(TemplateOf(Replace(with_resources, "CPU", "2.5")).find("\"cpu\":\"2500m\""), std::string::npos);
}

TEST(Template, explicit_defaults_and_empties_equal_their_absence) {
  const std::string explicit_defaults = Replace(
      kBase, "      containers:\n      - name: nginx\n        image: nginx:1.25\n",
      "      restartPolicy: Always\n      dnsPolicy: ClusterFirst\n      schedulerName: default-scheduler\n"
      "      terminationGracePeriodSeconds: 30\n      securityContext: {}\n      volumes: []\n      nodeSelector: null\n"
      "      containers:\n      - name: nginx\n        image: nginx:1.25\n        imagePullPolicy: IfNotPresent\n"
      "        terminationMessagePath: /dev/termination-log\n        terminationMessagePolicy: File\n"
      "        resources: {}\n        args: null\n        env: []\n");
  EXPECT_EQ(TemplateOf(explicit_defaults), TemplateOf(kBase));
  EXPECT_EQ(TemplateOf(Replace(kBase, "    metadata:\n      labels:", "    metadata:\n      creationTimestamp: null\n      labels:")),
            TemplateOf(kBase));
}

TEST(Template, ports_probes_and_volumes_get_server_defaults) {
  const std::string t = TemplateOf(Replace(kBase, "        image: nginx:1.25\n",
                                           "        image: nginx:1.25\n        ports:\n        - containerPort: 80\n"
                                           "        livenessProbe:\n          httpGet: {port: 80}\n"
                                           "        env:\n        - name: POD\n          valueFrom: {fieldRef: {fieldPath: metadata.name}}\n"
                                           "      volumes:\n      - name: scratch\n      - name: cfg\n        configMap: {name: c}\n"));
  json j = json::parse(t);
  const json& c = j["spec"]["containers"][0];
  EXPECT_EQ(c["ports"][0], json({{"containerPort", 80}, {"protocol", "TCP"}}));
  EXPECT_EQ(c["livenessProbe"], json::parse(R"({"failureThreshold":3,"httpGet":{"path":"/","port":80,"scheme":"HTTP"},
                                                "periodSeconds":10,"successThreshold":1,"timeoutSeconds":1})"));
  EXPECT_EQ(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
  EXPECT_EQ(j["spec"]["volumes"][0], json::parse(R"({"emptyDir":{},"name":"scratch"})"));
  EXPECT_EQ(j["spec"]["volumes"][1]["configMap"]["defaultMode"], 420);
}

TEST(Template, image_pull_policy_follows_the_tag) {
  auto policy = [](const std::string& image) {
    json j = json::parse(TemplateOf(Replace(kBase, "image: nginx:1.25", "image: \"" + image + "\"")));
    return j["spec"]["containers"][0]["imagePullPolicy"].get<std::string>();
  };
  EXPECT_EQ(policy("nginx"), "Always");
  EXPECT_EQ(policy("nginx:latest"), "Always");
  EXPECT_EQ(policy("localhost:5000/team/nginx"), "Always");
  EXPECT_EQ(policy("nginx:1.25"), "IfNotPresent");
  EXPECT_EQ(policy("localhost:5000/nginx:1"), "IfNotPresent");
  EXPECT_EQ(policy("repo/app@sha256:05a31dc4185b042e91f4d2183689ac8a87bd845713d5c3f987563c5899878271"),
            "IfNotPresent");
  EXPECT_EQ(policy("gcr.io/x/redis:alpine:v0.3.6"), "IfNotPresent");  // not a valid reference
  json j = json::parse(TemplateOf(Replace(kBase, "image: nginx:1.25", "image: nginx\n        imagePullPolicy: Never")));
  EXPECT_EQ(j["spec"]["containers"][0]["imagePullPolicy"], "Never");
}

TEST(Template, init_containers_are_defaulted_too) {
  json j = json::parse(TemplateOf(Replace(kBase, "      containers:\n",
                                          "      initContainers:\n      - name: init\n        image: busybox\n      containers:\n")));
  EXPECT_EQ(j["spec"]["initContainers"][0]["imagePullPolicy"], "Always");
  EXPECT_EQ(j["spec"]["initContainers"][0]["terminationMessagePolicy"], "File");
}

TEST(Template, canonicalization_is_idempotent) {
  const std::string t = TemplateOf(Replace(kBase, "        image: nginx:1.25\n",
                                           "        image: nginx:1.25\n        resources: {requests: {cpu: 0.25}}\n"
                                           "      volumes: [{name: v, emptyDir: {}}]\n"));
  auto again = CanonicalTemplateJson(json::parse(t));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, t);
}

TEST(Template, quantities_take_kubernetes_canonical_form) {
  EXPECT_EQ(CanonicalQuantity("0.5"), "500m");
  EXPECT_EQ(CanonicalQuantity(".5"), "500m");
  EXPECT_EQ(CanonicalQuantity("1"), "1");
  EXPECT_EQ(CanonicalQuantity("2.5"), "2500m");
  EXPECT_EQ(CanonicalQuantity("2000m"), "2");
  EXPECT_EQ(CanonicalQuantity("1000"), "1k");
  EXPECT_EQ(CanonicalQuantity("1500"), "1500");
  EXPECT_EQ(CanonicalQuantity("100m"), "100m");
  EXPECT_EQ(CanonicalQuantity("0.1"), "100m");
  EXPECT_EQ(CanonicalQuantity("1024Mi"), "1Gi");
  EXPECT_EQ(CanonicalQuantity("1000Mi"), "1000Mi");
  EXPECT_EQ(CanonicalQuantity("1.5Gi"), "1536Mi");
  EXPECT_EQ(CanonicalQuantity("0.5Ki"), "512");
  EXPECT_EQ(CanonicalQuantity("1e3"), "1e3");
  EXPECT_EQ(CanonicalQuantity("0"), "0");
  EXPECT_EQ(CanonicalQuantity("0.0000000001"), "1n");
  EXPECT_EQ(CanonicalQuantity("1G"), "1G");
  EXPECT_EQ(CanonicalQuantity("abc"), "abc");
  EXPECT_EQ(CanonicalQuantity("5Zi"), "5Zi");
}

// ============================================================================
// Validation (§10.2): every rule with its field path and message
// ============================================================================

TEST(Validation, valid_base_has_no_errors) { EXPECT_TRUE(ErrorsOf(kBase).empty()); }

TEST(Validation, name_is_required) {
  Deployment d = MustDeployment(kBase);
  d.mutable_metadata()->set_name("");
  EXPECT_EQ(Strings(ValidateDeployment(d)),
            std::vector<std::string>{"metadata.name: Required value: name or generateName is required"});
}

TEST(Validation, name_must_be_a_dns_subdomain) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "name: web\n", "name: Web_1\n")),
            std::vector<std::string>{"metadata.name: Invalid value: \"Web_1\": " + kSubdomainMsg});
  const std::string long_name(254, 'a');
  EXPECT_EQ(ErrorsOf(Replace(kBase, "name: web\n", "name: " + long_name + "\n")),
            std::vector<std::string>{"metadata.name: Invalid value: \"" + long_name +
                                     "\": must be no more than 253 characters"});
}

TEST(Validation, namespace_must_be_a_dns_label) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "name: web\n", "name: web\n  namespace: Team_A\n")),
            std::vector<std::string>{"metadata.namespace: Invalid value: \"Team_A\": " + kDnsLabelMsg});
}

TEST(Validation, metadata_labels_and_annotations_keys_and_values) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "    app: web\nspec:", "    app: web\n    bad/key/x: ok\n    tier: b/c\nspec:")),
            (std::vector<std::string>{
                "metadata.labels: Invalid value: \"bad/key/x\": a qualified name must consist of alphanumeric "
                "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
                "or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "
                "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                "metadata.labels: Invalid value: \"b/c\": " + kLabelValueMsg}));
  EXPECT_EQ(ErrorsOf(Replace(kBase, "name: web\n", "name: web\n  annotations:\n    -bad: x\n    Upper.Case/Key: fine\n")),
            std::vector<std::string>{"metadata.annotations: Invalid value: \"-bad\": " + kNamePartRegexMsg});
}

TEST(Validation, annotations_total_size_is_limited) {
  Deployment d = MustDeployment(kBase);
  (*d.mutable_metadata()->mutable_annotations())["big"] = std::string(256 * 1024, 'x');
  EXPECT_EQ(Strings(ValidateDeployment(d)),
            std::vector<std::string>{"metadata.annotations: Too long: may not be more than 262144 bytes"});
}

TEST(Validation, replicas_must_not_be_negative) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "replicas: 3", "replicas: -1")),
            std::vector<std::string>{"spec.replicas: Invalid value: -1: must be greater than or equal to 0"});
}

TEST(Validation, missing_selector_is_required_and_mismatches_template) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "  selector:\n    matchLabels:\n      app: web\n", "")),
            (std::vector<std::string>{
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template "
                "`labels`"}));
}

TEST(Validation, empty_selector_is_invalid_for_deployment) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "  selector:\n    matchLabels:\n      app: web\n", "  selector: {}\n")),
            std::vector<std::string>{"spec.selector: Invalid value: {}: empty selector is invalid for deployment"});
}

TEST(Validation, selector_must_match_template_labels) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "    matchLabels:\n      app: web", "    matchLabels:\n      app: api")),
            std::vector<std::string>{"spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does "
                                     "not match template `labels`"});
  EXPECT_EQ(ErrorsOf(Replace(kBase, "    metadata:\n      labels:\n        app: web\n", "    metadata: {}\n")),
            std::vector<std::string>{"spec.template.metadata.labels: Invalid value: null: `selector` does not match "
                                     "template `labels`"});
}

TEST(Validation, malformed_selector_reports_field_and_invalid_label_selector) {
  const std::string bad_op =
      Replace(kBase, "      app: web\n  template:", "      app: web\n    matchExpressions:\n    - {key: tier, operator: Foo, values: [a]}\n  template:");
  EXPECT_EQ(ErrorsOf(bad_op),
            (std::vector<std::string>{
                "spec.selector.matchExpressions[0].operator: Invalid value: \"Foo\": not a valid selector operator",
                "spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"tier\","
                "\"operator\":\"Foo\",\"values\":[\"a\"]}]}: invalid label selector"}));
  const std::string in_without_values =
      Replace(kBase, "      app: web\n  template:", "      app: web\n    matchExpressions:\n    - {key: tier, operator: In}\n  template:");
  EXPECT_EQ(ErrorsOf(in_without_values),
            (std::vector<std::string>{
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or "
                "'NotIn'",
                "spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"tier\","
                "\"operator\":\"In\"}]}: invalid label selector"}));
  const std::string exists_with_values = Replace(
      kBase, "      app: web\n  template:", "      app: web\n    matchExpressions:\n    - {key: tier, operator: Exists, values: [x]}\n  template:");
  EXPECT_EQ(ErrorsOf(exists_with_values)[0],
            "spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or "
            "'DoesNotExist'");
  EXPECT_EQ(ErrorsOf(Replace(kBase, "    matchLabels:\n      app: web", "    matchLabels:\n      app: web\n      -x: z")),
            (std::vector<std::string>{
                "spec.selector.matchLabels: Invalid value: \"-x\": " + kNamePartRegexMsg,
                "spec.selector: Invalid value: {\"matchLabels\":{\"-x\":\"z\",\"app\":\"web\"}}: invalid label selector"}));
}

TEST(Validation, template_labels_are_validated) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "        app: web\n", "        app: web\n        v: b/c\n")),
            std::vector<std::string>{"spec.template.metadata.labels: Invalid value: \"b/c\": " + kLabelValueMsg});
}

TEST(Validation, containers_are_required) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "      containers:\n      - name: nginx\n        image: nginx:1.25\n",
                             "      containers: []\n")),
            std::vector<std::string>{"spec.template.spec.containers: Required value"});
}

TEST(Validation, container_name_required_dns_label_unique_and_image_required) {
  const std::string two = Replace(kBase, "      - name: nginx\n        image: nginx:1.25\n",
                                  "      - name: NGINX\n        image: nginx:1.25\n      - image: busybox\n"
                                  "      - name: side\n      - name: side\n        image: x\n");
  EXPECT_EQ(ErrorsOf(two), (std::vector<std::string>{
                               "spec.template.spec.containers[0].name: Invalid value: \"NGINX\": " + kDnsLabelMsg,
                               "spec.template.spec.containers[1].name: Required value",
                               "spec.template.spec.containers[2].image: Required value",
                               "spec.template.spec.containers[3].name: Duplicate value: \"side\"",
                           }));
}

TEST(Validation, init_container_names_must_differ_from_containers) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "      containers:\n",
                             "      initContainers:\n      - name: nginx\n        image: busybox\n      containers:\n")),
            std::vector<std::string>{"spec.template.spec.initContainers[0].name: Duplicate value: \"nginx\""});
}

TEST(Validation, restart_policy_must_be_always) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "      containers:\n", "      restartPolicy: Never\n      containers:\n")),
            std::vector<std::string>{
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""});
}

TEST(Validation, active_deadline_seconds_is_forbidden) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "      containers:\n", "      activeDeadlineSeconds: 30\n      containers:\n")),
            std::vector<std::string>{
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"});
}

std::string WithStrategy(const std::string& strategy) {
  return Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  strategy: " + strategy + "\n");
}

TEST(Validation, strategy_type_must_be_known) {
  EXPECT_EQ(ErrorsOf(WithStrategy("{type: Canary}")),
            std::vector<std::string>{
                "spec.strategy: Unsupported value: {\"type\":\"Canary\"}: supported values: \"Recreate\", \"RollingUpdate\""});
}

TEST(Validation, rolling_update_is_forbidden_with_recreate) {
  EXPECT_EQ(ErrorsOf(WithStrategy("{type: Recreate, rollingUpdate: {maxSurge: 1}}")),
            std::vector<std::string>{
                "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"});
}

TEST(Validation, max_surge_and_unavailable_formats) {
  EXPECT_EQ(ErrorsOf(WithStrategy("{rollingUpdate: {maxSurge: abc}}")),
            std::vector<std::string>{"spec.strategy.rollingUpdate.maxSurge: Invalid value: \"abc\": " + kPercentMsg});
  EXPECT_EQ(ErrorsOf(WithStrategy("{rollingUpdate: {maxUnavailable: \"1\"}}")),
            std::vector<std::string>{"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"1\": " + kPercentMsg});
  EXPECT_EQ(ErrorsOf(WithStrategy("{rollingUpdate: {maxSurge: -1}}")),
            std::vector<std::string>{
                "spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"});
}

TEST(Validation, surge_and_unavailable_may_not_both_be_zero) {
  EXPECT_EQ(ErrorsOf(WithStrategy("{rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}")),
            std::vector<std::string>{
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"});
  EXPECT_EQ(ErrorsOf(WithStrategy("{rollingUpdate: {maxSurge: 0%, maxUnavailable: 0%}}")),
            std::vector<std::string>{
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"0%\": may not be 0 when `maxSurge` is 0"});
  EXPECT_TRUE(ErrorsOf(WithStrategy("{rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}")).empty());
}

TEST(Validation, max_unavailable_may_not_exceed_100_percent_but_surge_may) {
  EXPECT_EQ(ErrorsOf(WithStrategy("{rollingUpdate: {maxUnavailable: 101%}}")),
            std::vector<std::string>{
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"101%\": must not be greater than 100%"});
  EXPECT_TRUE(ErrorsOf(WithStrategy("{rollingUpdate: {maxSurge: 200%}}")).empty());
}

TEST(Validation, min_ready_and_history_limit_must_not_be_negative) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  minReadySeconds: -1\n")),
            std::vector<std::string>{"spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0"});
  EXPECT_EQ(ErrorsOf(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  revisionHistoryLimit: -1\n")),
            std::vector<std::string>{"spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"});
  EXPECT_TRUE(ErrorsOf(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  revisionHistoryLimit: 0\n")).empty());
}

TEST(Validation, progress_deadline_must_exceed_min_ready_seconds) {
  EXPECT_EQ(ErrorsOf(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  minReadySeconds: 10\n  progressDeadlineSeconds: 5\n")),
            std::vector<std::string>{"spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds"});
  EXPECT_EQ(ErrorsOf(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  minReadySeconds: 10\n  progressDeadlineSeconds: 10\n")),
            std::vector<std::string>{"spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds"});
  EXPECT_EQ(ErrorsOf(Replace(kBase, "  replicas: 3\n", "  replicas: 3\n  progressDeadlineSeconds: -1\n")),
            (std::vector<std::string>{
                "spec.progressDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.progressDeadlineSeconds: Invalid value: -1: must be greater than minReadySeconds"}));
}

TEST(Validation, errors_come_in_server_order) {
  Deployment d = MustDeployment(WithStrategy("{rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}"));
  d.mutable_metadata()->set_name("Bad_Name");
  d.mutable_spec()->set_replicas(-2);
  d.mutable_spec()->set_min_ready_seconds(-1);
  EXPECT_EQ(Strings(ValidateDeployment(d)),
            (std::vector<std::string>{
                "metadata.name: Invalid value: \"Bad_Name\": " + kSubdomainMsg,
                "spec.replicas: Invalid value: -2: must be greater than or equal to 0",
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0",
                "spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0",
            }));
}

TEST(Validation, selector_is_immutable_for_apps_v1_and_v1beta2_only) {
  Deployment old_d = MustDeployment(kBase);
  Deployment new_d = old_d;
  (*new_d.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web2";
  EXPECT_EQ(Strings(ValidateDeploymentUpdate(old_d, new_d)),
            std::vector<std::string>{"spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web2\"}}: field is immutable"});
  new_d.set_api_version("apps/v1beta2");
  EXPECT_EQ(ValidateDeploymentUpdate(old_d, new_d).size(), 1u);
  new_d.set_api_version("extensions/v1beta1");
  EXPECT_TRUE(ValidateDeploymentUpdate(old_d, new_d).empty());
  new_d.set_api_version("apps/v1beta1");
  EXPECT_TRUE(ValidateDeploymentUpdate(old_d, new_d).empty());
  EXPECT_TRUE(ValidateDeploymentUpdate(old_d, old_d).empty());
  Deployment other_replicas = old_d;
  other_replicas.mutable_spec()->set_replicas(9);
  EXPECT_TRUE(ValidateDeploymentUpdate(old_d, other_replicas).empty());
}

TEST(Validation, format_invalid_single_cause_is_one_line) {
  EXPECT_EQ(FormatInvalid("Deployment", "web", {{"spec.replicas", "Invalid value: -1: must be greater than or equal to 0"}}),
            "The Deployment \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0");
}

TEST(Validation, format_invalid_several_causes_are_bulleted_and_deduplicated) {
  FieldErrors errs = {{"spec.selector", "Required value"},
                      {"spec.template.metadata.labels", "Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"},
                      {"spec.selector", "Required value"}};
  EXPECT_EQ(FormatInvalid("Deployment", "web", errs),
            "The Deployment \"web\" is invalid: \n* spec.selector: Required value\n"
            "* spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template "
            "`labels`");
}

// ============================================================================
// Round trips
// ============================================================================

TEST(RoundTrip, proto_to_json_to_proto_is_identity_for_apps_v1) {
  const std::string rich = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: rich
  namespace: prod
  labels: {app: rich, tier: fe}
  annotations: {kubernetes.io/change-cause: "deploy v2", note: "x"}
spec:
  replicas: 4
  paused: true
  minReadySeconds: 7
  revisionHistoryLimit: 3
  progressDeadlineSeconds: 120
  selector:
    matchLabels: {app: rich}
    matchExpressions:
    - {key: tier, operator: In, values: [fe, be]}
    - {key: canary, operator: DoesNotExist}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 2, maxUnavailable: 10%}
  template:
    metadata:
      labels: {app: rich, tier: fe}
      annotations: {a: b}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        resources: {limits: {cpu: 0.5, memory: 128Mi}}
        ports: [{containerPort: 8080, name: http}]
      volumes: [{name: tmp, emptyDir: {}}]
)";
  for (const std::string& yaml : {rich, kBase, WithStrategy("{type: Recreate}")}) {
    Deployment d1 = MustDeployment(yaml);
    json j = DeploymentToJson(d1);
    auto d2 = DeploymentFromManifest(j, "elsewhere");
    ASSERT_TRUE(d2.ok()) << d2.status().message();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(d1, *d2))
        << d1.DebugString() << "\nvs\n" << d2->DebugString();
    EXPECT_EQ(DeploymentToJson(*d2), j);
  }
}

TEST(RoundTrip, json_to_proto_to_json_reproduces_a_defaulted_object) {
  Deployment d = MustDeployment(kBase);
  json expected = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "web"}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
      {"spec",
       {{"replicas", 3},
        {"selector", {{"matchLabels", {{"app", "web"}}}}},
        {"template", json::parse(d.spec().template_json())},
        {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", "25%"}, {"maxSurge", "25%"}}}}},
        {"revisionHistoryLimit", 10},
        {"progressDeadlineSeconds", 600}}}};
  EXPECT_EQ(DeploymentToJson(d), expected);
  auto back = DeploymentFromManifest(expected, "default");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(DeploymentToJson(*back), expected);
}

TEST(RoundTrip, legacy_versions_come_back_as_apps_v1_with_their_defaults) {
  json j = DeploymentToJson(MinimalFor("extensions/v1beta1"));
  EXPECT_EQ(j["apiVersion"], "apps/v1");
  EXPECT_EQ(j["spec"]["revisionHistoryLimit"], 2147483647);
  EXPECT_EQ(j["spec"]["strategy"]["rollingUpdate"], json({{"maxUnavailable", 1}, {"maxSurge", 1}}));
  EXPECT_EQ(j["spec"]["selector"], json({{"matchLabels", {{"app", "m"}}}}));
}

// ============================================================================
// Real-world manifests: every file, with an explicit expectation
// ============================================================================

struct ExpectedDeployment {
  int index;
  std::string api_version;
  std::string ns;
  std::string name;
  int replicas;
  std::vector<std::string> images;  // init containers first, then containers
};

struct ExpectedFile {
  std::string file;
  size_t objects;  // 0 = ParseManifestText fails with `error`
  std::vector<ExpectedDeployment> deployments;
  std::string error = "";  // parse error, or (objects > 0) the DeploymentFromManifest error
};

const std::vector<ExpectedFile>& RealManifests() {
  static const std::vector<ExpectedFile> kFiles = {
      {"argocd-guestbook-ui-deployment.yaml", 1,
       {{0, "apps/v1", "default", "guestbook-ui", 3, {"gcr.io/heptio-images/ks-guestbook-demo:0.2"}}}},
      {"azure-vote-all-in-one-rollingupdate-hpa-no-eol.yaml", 5,
       {{0, "apps/v1", "default", "azure-vote-back", 1, {"natzkadevcontainerregistry.azurecr.io/azure-vote-back:latest"}},
        {2, "apps/v1", "default", "azure-vote-front", 1, {"natzkadevcontainerregistry.azurecr.io/azure-vote-front:latest"}}}},
      {"azure-vote-ilb-apps-v1beta1-no-selector.yaml", 4,
       {{0, "apps/v1beta1", "default", "azure-vote-back-ilb", 1, {"redis"}},
        {2, "apps/v1beta1", "default", "azure-vote-front-ilb", 3, {"microsoft/azure-vote-front:v1"}}}},
      {"coredns-deployment-affinity-matchexpressions.yaml", 6,
       {{4, "apps/v1", "kube-system", "coredns", 1, {"coredns/coredns:1.9.4"}}}},
      {"dashboard-1.6-extensions-v1beta1-null-args.yaml", 4,
       {{2, "extensions/v1beta1", "kube-system", "kubernetes-dashboard", 1,
         {"gcr.io/google_containers/kubernetes-dashboard-amd64:v1.6.0"}}}},
      {"dashboard-recommended-v1.10-apps-v1beta2.yaml", 6,
       {{4, "apps/v1beta2", "kube-system", "kubernetes-dashboard", 1, {"k8s.gcr.io/kubernetes-dashboard-amd64:v1.10.0"}}}},
      {"examples-guestbook-all-in-one.yaml", 6,
       {{1, "apps/v1", "default", "redis-master", 1, {"k8s.gcr.io/redis:e2e"}},
        {3, "apps/v1", "default", "redis-replica", 2, {"gcr.io/google_samples/gb-redisslave:v1"}},
        {5, "apps/v1", "default", "frontend", 3, {"gcr.io/google-samples/gb-frontend:v4"}}}},
      {"examples-guestbook-redis-master-apps-v1beta2.yaml", 1,
       {{0, "apps/v1beta2", "default", "redis-master", 1, {"gcr.io/google_containers/redis:e2e"}}}},
      {"examples-selenium-hub-probes-decimal-cpu.yaml", 1,
       {{0, "apps/v1", "default", "selenium-hub", 1, {"selenium/hub:4.0"}}}},
      {"examples-vllm-gpu-deployment.yaml", 1,
       {{0, "apps/v1", "default", "vllm-gemma-deployment", 1,
         {"vllm/vllm-openai@sha256:05a31dc4185b042e91f4d2183689ac8a87bd845713d5c3f987563c5899878271"}}}},
      {"ingress-nginx-default-backend-extensions-v1beta1.yaml", 2,
       {{0, "extensions/v1beta1", "ingress-nginx", "default-http-backend", 1,
         {"gcr.io/google_containers/defaultbackend:1.4"}}}},
      {"ingress-nginx-mandatory-multidoc.yaml", 11,
       {{9, "apps/v1", "ingress-nginx", "nginx-ingress-controller", 1,
         {"quay.io/kubernetes-ingress-controller/nginx-ingress-controller:master"}}}},
      {"istio-bookinfo-ratings-v2-trailing-separator.yaml", 2,
       {{1, "apps/v1", "default", "ratings-v2", 1, {"docker.io/istio/examples-bookinfo-ratings-v2:1.16.0"}}}},
      {"kthw-kube-dns-extensions-v1beta1-multicontainer.yaml", 4,
       {{3, "extensions/v1beta1", "kube-system", "kube-dns", 1,
         {"gcr.io/google_containers/k8s-dns-kube-dns-amd64:1.14.7", "gcr.io/google_containers/k8s-dns-dnsmasq-nanny-amd64:1.14.7",
          "gcr.io/google_containers/k8s-dns-sidecar-amd64:1.14.7"}}}},
      {"kubeguide-tomcat-extensions-v1beta1-matchexpressions.yaml", 1,
       {{0, "extensions/v1beta1", "default", "frontend", 1, {"tomcat"}}}},
      {"kubernetes-hack-deployment-explicit-nulls.yml", 1,
       {{0, "apps/v1", "default", "my-dep-null", 1, {"registry.k8s.io/nginx:1.7.9"}}}},
      {"kubernetes-hack-deployment-revision2-legacy-map-selector.yaml", 1, {},
       "strict decoding error: unknown field \"spec.selector.name\""},
      {"kubernetes-hack-invalid-deployment-unknown-and-duplicate-fields.yaml", 0, {},
       "error parsing kubernetes-hack-invalid-deployment-unknown-and-duplicate-fields.yaml: error converting YAML to "
       "JSON: yaml: unmarshal errors:\n  line 9: mapping key \"replicas\" already defined at line 8"},
      {"kubernetes-hack-nginx-broken-missing-kind.yaml", 0, {},
       "unable to decode \"kubernetes-hack-nginx-broken-missing-kind.yaml\": Object 'Kind' is missing in "
       "'{\"apiVersion\":\"apps/v1\",\"ind\":\"Deployment\",\"metadata\":{\"labels\":{\"app\":\"nginx2-deployment\"},"
       "\"name\":\"nginx2-deployment\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"nginx2\"}},"
       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"nginx2\"}},\"spec\":{\"containers\":[{\"image\":"
       "\"k8s.gcr.io/nginx:1.7.9\",\"name\":\"nginx\",\"ports\":[{\"containerPort\":80}]}]}}}}'"},
      {"kubernetes-zone-nginx-deploy-rollingupdate-percent.yaml", 1,
       {{0, "apps/v1", "default", "nginx-deploy", 3, {"nginx"}}}},
      {"kubernetesexam-tomcat-crlf-utf8-comments.yaml", 1,
       {{0, "apps/v1", "default", "sbtomcat-deployment", 2, {"adolphgirl/sbtomcat:v4"}}}},
      {"microservices-demo-cartservice.yaml", 2,
       {{0, "apps/v1", "default", "cartservice", 1, {"gcr.io/google-samples/microservices-demo/cartservice:v0.3.6"}}}},
      {"microservices-demo-frontend.yaml", 3, {{0, "apps/v1", "opentelemetry-demo", "frontend", 3, {"frontend"}}}},
      {"microservices-demo-loadgenerator-extensions-v1beta1.yaml", 1,
       {{0, "extensions/v1beta1", "default", "loadgenerator", 1, {"alpine:3.6", "gcr.io/istio-next/loadgenerator"}}}},
      {"microservices-demo-redis.yaml", 2,
       {{0, "apps/v1", "default", "redis-cart", 1, {"gcr.io/google-samples/microservices-demo/redis:alpine:v0.3.6"}}}},
      {"sockshop-carts-dep-extensions-v1beta1-probes.yaml", 1,
       {{0, "extensions/v1beta1", "sock-shop", "carts", 1, {"weaveworksdemos/carts:0.4.6"}}}},
      {"sockshop-complete-demo-extensions-v1beta1.yaml", 29,
       {{1, "extensions/v1beta1", "sock-shop", "cart-db", 1, {"mongo"}},
        {3, "extensions/v1beta1", "sock-shop", "cart", 1, {"weaveworksdemos/cart:0.3.0"}},
        {5, "extensions/v1beta1", "sock-shop", "catalogue-db", 1, {"weaveworksdemos/catalogue-db:0.3.0"}},
        {7, "extensions/v1beta1", "sock-shop", "catalogue", 1, {"weaveworksdemos/catalogue:0.3.0"}},
        {9, "extensions/v1beta1", "sock-shop", "front-end", 1, {"weaveworksdemos/front-end:0.2.0"}},
        {11, "extensions/v1beta1", "sock-shop", "orders-db", 1, {"mongo"}},
        {13, "extensions/v1beta1", "sock-shop", "orders", 1, {"weaveworksdemos/orders:0.3.0"}},
        {15, "extensions/v1beta1", "sock-shop", "payment", 1, {"weaveworksdemos/payment:0.3.0"}},
        {17, "extensions/v1beta1", "sock-shop", "queue-master", 1, {"weaveworksdemos/queue-master:0.3.0"}},
        {19, "extensions/v1beta1", "sock-shop", "rabbitmq", 1, {"rabbitmq:3"}},
        {21, "extensions/v1beta1", "sock-shop", "shipping", 1, {"weaveworksdemos/shipping:0.3.0"}},
        {23, "extensions/v1beta1", "sock-shop", "user-db", 1, {"weaveworksdemos/user-db:0.4.0"}},
        {25, "extensions/v1beta1", "sock-shop", "user", 1, {"weaveworksdemos/user:0.4.0"}},
        {27, "extensions/v1beta1", "sock-shop", "zipkin", 1, {"openzipkin/zipkin"}}}},
      {"website-application-deployment-update-flow-style.yaml", 1,
       {{0, "apps/v1", "default", "nginx-deployment", 2, {"nginx:1.16.1"}}}},
      {"website-application-deployment-update.yaml", 1,
       {{0, "apps/v1", "default", "nginx-deployment", 2, {"nginx:1.16.1"}}}},
      {"website-application-deployment.yaml", 1, {{0, "apps/v1", "default", "nginx-deployment", 2, {"nginx:1.14.2"}}}},
      {"website-canary-app-v1-deployment.yaml", 1,
       {{0, "apps/v1", "default", "rollout-demo-stable", 3, {"gcr.io/google-samples/hello-app:1.0"}}}},
      {"website-controllers-nginx-deployment.yaml", 1,
       {{0, "apps/v1", "default", "nginx-deployment", 3, {"nginx:1.14.2"}}}},
      {"website-deployment-retainkeys-maxsurge-percent.yaml", 1,
       {{0, "apps/v1", "default", "retainkeys-demo", 1, {"nginx"}}}},
      {"website-deployment-sidecar-initcontainer.yaml", 1,
       {{0, "apps/v1", "default", "myapp", 1, {"alpine:latest", "alpine:latest"}}}},
      {"website-dns-horizontal-autoscaler-kube-system.yaml", 4,
       {{3, "apps/v1", "kube-system", "kube-dns-autoscaler", 1,
         {"registry.k8s.io/cpa/cluster-proportional-autoscaler:1.8.4"}}}},
      {"website-guestbook-frontend-deployment.yaml", 1,
       {{0, "apps/v1", "default", "frontend", 3, {"docker.io/corelab/gb-frontend:v5"}}}},
      {"website-my-scheduler-multidoc-configmap.yaml", 5,
       {{4, "apps/v1", "kube-system", "my-scheduler", 1, {"gcr.io/my-gcp-project/my-kube-scheduler:1.0"}}}},
      {"website-old-deployment-patch-demo-apps-v1beta1.yaml", 1,
       {{0, "apps/v1beta1", "default", "patch-demo", 2, {"nginx"}}}},
      {"website-old-deployment-patch-demo-duplicate-selector-key.yaml", 0, {},
       "error parsing website-old-deployment-patch-demo-duplicate-selector-key.yaml: error converting YAML to JSON: "
       "yaml: unmarshal errors:\n  line 10: mapping key \"selector\" already defined at line 6"},
      {"website-old-mysql-extensions-v1beta1-recreate-multidoc.yaml", 3,
       {{2, "extensions/v1beta1", "default", "mysql", 1, {"mysql:5.6"}}}},
      {"website-wordpress-deployment-multidoc.yaml", 3,
       {{2, "apps/v1", "default", "wordpress", 1, {"wordpress:6.2.1-apache"}}}},
  };
  return kFiles;
}

TEST(RealManifests, table_covers_every_file_in_the_directory) {
  const std::string sources = ReadFile(kManifestDir + "SOURCES.md");
  ASSERT_FALSE(sources.empty());
  size_t rows = 0;
  for (const auto& f : RealManifests()) {
    EXPECT_FALSE(ReadFile(kManifestDir + f.file).empty()) << f.file;
    EXPECT_NE(sources.find("| " + f.file + " |"), std::string::npos) << f.file;
    ++rows;
  }
  EXPECT_EQ(rows, 41u);  // SOURCES.md: "41 YAML files"
}

TEST(RealManifests, every_file_parses_to_the_expected_deployments) {
  for (const auto& f : RealManifests()) {
    SCOPED_TRACE(f.file);
    auto docs = ParseManifestText(ReadFile(kManifestDir + f.file), f.file);
    if (f.objects == 0) {
      ASSERT_FALSE(docs.ok());
      EXPECT_EQ(docs.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(docs.status().message(), f.error);
      continue;
    }
    ASSERT_TRUE(docs.ok()) << docs.status().message();
    EXPECT_EQ(docs->size(), f.objects);
    std::vector<ExpectedDeployment> got;
    std::string error;
    for (const auto& doc : *docs) {
      if (!IsDeployment(doc.object)) continue;
      auto d = DeploymentFromManifest(doc.object, "default");
      if (!d.ok()) {
        error = d.status().message();
        continue;
      }
      EXPECT_TRUE(ValidateDeployment(*d).empty())
          << FormatInvalid("Deployment", d->metadata().name(), ValidateDeployment(*d));
      json t = json::parse(d->spec().template_json());
      std::vector<std::string> images;
      for (const char* list : {"initContainers", "containers"}) {
        if (!t["spec"].contains(list)) continue;
        for (const auto& c : t["spec"][list]) images.push_back(c["image"].get<std::string>());
      }
      got.push_back({doc.index, d->api_version(), d->metadata().namespace_(), d->metadata().name(), d->spec().replicas(),
                     images});
    }
    EXPECT_EQ(error, f.error);
    ASSERT_EQ(got.size(), f.deployments.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].index, f.deployments[i].index);
      EXPECT_EQ(got[i].api_version, f.deployments[i].api_version);
      EXPECT_EQ(got[i].ns, f.deployments[i].ns);
      EXPECT_EQ(got[i].name, f.deployments[i].name);
      EXPECT_EQ(got[i].replicas, f.deployments[i].replicas);
      EXPECT_EQ(got[i].images, f.deployments[i].images);
    }
  }
}

Deployment FromFile(const std::string& file, size_t deployment_index = 0) {
  auto docs = ParseManifestText(ReadFile(kManifestDir + file), file);
  EXPECT_TRUE(docs.ok()) << docs.status().message();
  size_t seen = 0;
  if (docs.ok()) {
    for (const auto& doc : *docs) {
      if (!IsDeployment(doc.object)) continue;
      if (seen++ != deployment_index) continue;
      auto d = DeploymentFromManifest(doc.object, "default");
      EXPECT_TRUE(d.ok()) << d.status().message();
      if (d.ok()) return *d;
    }
  }
  ADD_FAILURE() << "no deployment " << deployment_index << " in " << file;
  return Deployment();
}

TEST(RealManifests, strategies_as_written_with_version_defaults) {
  auto ru = [](const Deployment& d) {
    const auto& r = d.spec().strategy().rolling_update();
    auto text = [](const rollbook::v1::IntOrString& v) {
      return v.value_case() == rollbook::v1::IntOrString::kStrValue ? v.str_value() : std::to_string(v.int_value());
    };
    return text(r.max_surge()) + "/" + text(r.max_unavailable());
  };
  EXPECT_EQ(ru(FromFile("kubernetes-zone-nginx-deploy-rollingupdate-percent.yaml")), "25%/25%");
  EXPECT_EQ(FromFile("kubernetes-zone-nginx-deploy-rollingupdate-percent.yaml").spec().min_ready_seconds(), 1);
  EXPECT_EQ(ru(FromFile("website-deployment-retainkeys-maxsurge-percent.yaml")), "30%/25%");
  EXPECT_EQ(ru(FromFile("kthw-kube-dns-extensions-v1beta1-multicontainer.yaml")), "10%/0");
  EXPECT_EQ(ru(FromFile("coredns-deployment-affinity-matchexpressions.yaml")), "25%/1");
  EXPECT_EQ(ru(FromFile("azure-vote-all-in-one-rollingupdate-hpa-no-eol.yaml", 1)), "1/1");
  EXPECT_EQ(FromFile("azure-vote-all-in-one-rollingupdate-hpa-no-eol.yaml", 1).spec().min_ready_seconds(), 5);
  EXPECT_EQ(FromFile("website-wordpress-deployment-multidoc.yaml").spec().strategy().type(), "Recreate");
  EXPECT_EQ(FromFile("website-old-mysql-extensions-v1beta1-recreate-multidoc.yaml").spec().strategy().type(), "Recreate");
  EXPECT_EQ(FromFile("argocd-guestbook-ui-deployment.yaml").spec().revision_history_limit(), 3);
  EXPECT_EQ(FromFile("dashboard-1.6-extensions-v1beta1-null-args.yaml").spec().revision_history_limit(), 10);
  EXPECT_EQ(FromFile("sockshop-carts-dep-extensions-v1beta1-probes.yaml").spec().revision_history_limit(), 2147483647);
  EXPECT_EQ(FromFile("website-old-deployment-patch-demo-apps-v1beta1.yaml").spec().revision_history_limit(), 2);
}

TEST(RealManifests, selectors_defaulted_or_as_written) {
  EXPECT_EQ(LabelSelectorJson(FromFile("website-old-deployment-patch-demo-apps-v1beta1.yaml").spec().selector()),
            "{\"matchLabels\":{\"app\":\"nginx\"}}");
  EXPECT_EQ(LabelSelectorJson(FromFile("sockshop-carts-dep-extensions-v1beta1-probes.yaml").spec().selector()),
            "{\"matchLabels\":{\"name\":\"carts\"}}");
  auto kubeguide = FromFile("kubeguide-tomcat-extensions-v1beta1-matchexpressions.yaml");
  EXPECT_EQ(LabelSelectorJson(kubeguide.spec().selector()),
            "{\"matchLabels\":{\"tier\":\"frontend\"},\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\","
            "\"values\":[\"frontend\"]}]}");
  auto sel = SelectorFromLabelSelector(kubeguide.spec().selector());
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(sel->String(), "tier=frontend,tier in (frontend)");
}

TEST(RealManifests, edge_values_survive_parsing) {
  json nulls = json::parse(FromFile("kubernetes-hack-deployment-explicit-nulls.yml").spec().template_json());
  EXPECT_EQ(nulls["spec"]["containers"][0]["resources"], json::parse(R"({"requests":{"memory":"64Mi"}})"));
  EXPECT_EQ(nulls["spec"]["containers"][0]["terminationMessagePolicy"], "File");

  json selenium = json::parse(FromFile("examples-selenium-hub-probes-decimal-cpu.yaml").spec().template_json());
  EXPECT_EQ(selenium["spec"]["containers"][0]["resources"]["limits"], json::parse(R"({"cpu":"500m","memory":"1000Mi"})"));

  json dashboard = json::parse(FromFile("dashboard-1.6-extensions-v1beta1-null-args.yaml").spec().template_json());
  EXPECT_FALSE(dashboard["spec"]["containers"][0].contains("args"));

  json kthw = json::parse(FromFile("kthw-kube-dns-extensions-v1beta1-multicontainer.yaml").spec().template_json());
  EXPECT_EQ(kthw["spec"]["dnsPolicy"], "Default");
  EXPECT_EQ(kthw["metadata"]["annotations"]["scheduler.alpha.kubernetes.io/critical-pod"], "");
  bool hash_arg = false;
  for (const auto& c : kthw["spec"]["containers"])
    if (c.contains("args"))
      for (const auto& a : c["args"])
        if (a.get<std::string>().find("127.0.0.1#10053") != std::string::npos) hash_arg = true;
  EXPECT_TRUE(hash_arg);

  auto zone = FromFile("kubernetes-zone-nginx-deploy-rollingupdate-percent.yaml");
  json zt = json::parse(zone.spec().template_json());
  EXPECT_EQ(zt["metadata"]["labels"]["ver"], "1.23");

  auto argocd = FromFile("argocd-guestbook-ui-deployment.yaml");
  json at = json::parse(argocd.spec().template_json());
  EXPECT_EQ(at["spec"]["containers"][0]["resources"]["limits"]["memory"], "200m");

  auto crlf = FromFile("kubernetesexam-tomcat-crlf-utf8-comments.yaml");
  EXPECT_EQ(crlf.spec().template_json().find('\r'), std::string::npos);
  EXPECT_EQ(crlf.metadata().namespace_(), "default");
}

TEST(RealManifests, flow_style_and_block_style_versions_differ_only_in_labels) {
  auto flow = FromFile("website-application-deployment-update-flow-style.yaml");
  auto block = FromFile("website-application-deployment-update.yaml");
  EXPECT_EQ(flow.spec().replicas(), block.spec().replicas());
  json ft = json::parse(flow.spec().template_json());
  json bt = json::parse(block.spec().template_json());
  EXPECT_EQ(ft["spec"], bt["spec"]);
}

TEST(RealManifests, unknown_fields_fixture_without_duplicate_reports_both_unknowns) {
  std::string text = ReadFile(kManifestDir + "kubernetes-hack-invalid-deployment-unknown-and-duplicate-fields.yaml");
  text = Replace(text, "  replicas: 3\n", "");
  auto docs = ParseManifestText(text, "fixture.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  auto d = DeploymentFromManifest(docs->at(0).object, "default");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "strict decoding error: unknown field \"spec.baz\", unknown field \"spec.foo\"");
}

}  // namespace
}  // namespace rollbook::fold
