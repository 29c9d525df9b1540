// Inputs the fuzzers of tests/fuzz found to crash, hang or exhaust memory,
// each replayed as a unit test named for the guarantee it broke (so the
// default gcc build checks them too, not only the asan/fuzz tree).
#include <gtest/gtest.h>

#include <string>

#include "store/fold/manifest.h"

namespace rollbook::fold {
namespace {

std::string ParseErrorOf(const std::string& text) {
  auto docs = ParseManifestText(text, "fuzz.yaml");
  if (docs.ok()) return "(parsed " + std::to_string(docs->size()) + " objects)";
  return docs.status().message();
}

// manifest_fuzzer, out of memory: yaml-cpp 0.7's LoadAll loops forever, adding
// an empty document per turn, when a token follows a document's root without
// `---` (the fuzzer's input closed a flow mapping early, then met a ',').
TEST(ManifestFuzzRegression, junk_after_a_top_level_flow_node_is_a_syntax_error_not_an_endless_loop) {
  const std::string kPrefix = "error parsing fuzz.yaml: error converting YAML to JSON: yaml: line ";
  EXPECT_EQ(ParseErrorOf("\"\","), kPrefix + "1: did not find expected <document start>");
  EXPECT_EQ(ParseErrorOf("[],"), kPrefix + "1: did not find expected <document start>");
  EXPECT_EQ(ParseErrorOf("{}, {}"), kPrefix + "1: did not find expected <document start>");
  EXPECT_EQ(
      ParseErrorOf("{\n  apiVersion: \"apps/v1\",\n  kind: \"Deployment\",\n  metadata: {name: web},\n},\n"),
      kPrefix + "5: did not find expected <document start>");
  EXPECT_EQ(ParseErrorOf("kind: List\n---\n'x' ,\n"), kPrefix + "3: did not find expected <document start>");
}

// The check for that loop must not reject what yaml-cpp reads fine: empty
// documents, repeated `---`, `...` ends and a plain scalar with a comma.
TEST(ManifestFuzzRegression, document_separators_and_empty_documents_still_parse) {
  const std::string kDeployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";
  auto docs = ParseManifestText("---\n---\n" + kDeployment + "...\n---\n\n---\n" + kDeployment, "fuzz.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].index, 1);
  EXPECT_EQ((*docs)[1].index, 3);
  EXPECT_EQ(ParseErrorOf("a,"),
            "unable to decode \"fuzz.yaml\": json: cannot unmarshal string into Go value of type "
            "map[string]interface {}");
}

// A "billion laughs" text: `levels` levels of 10 aliases expand to 10^levels
// nodes.
std::string NestedAliases(int levels) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < levels; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  return text + "kind: Deployment\napiVersion: apps/v1\n";
}

// manifest_fuzzer, out of memory: the JSON copy expanded every alias, so a few
// hundred bytes could demand gigabytes (the old limit of 5 million nodes took
// half a minute and 900 MB under ASan to reach).
TEST(ManifestFuzzRegression, alias_expansion_past_the_node_budget_is_rejected_as_excessive_aliasing) {
  EXPECT_EQ(
      ParseErrorOf(NestedAliases(6)),
      "error parsing fuzz.yaml: error converting YAML to JSON: yaml: document contains excessive aliasing");
  // Modest alias use (10^4 expanded nodes) is fine, as it is for kubectl.
  auto docs = ParseManifestText(NestedAliases(4), "fuzz.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0].object["a3"][9][9][9][9], "x");
}

// The budget is per file: spreading the expansion over many documents (each
// well under the budget) does not get around it.
TEST(ManifestFuzzRegression, alias_budget_covers_all_documents_of_a_file) {
  const std::string one = NestedAliases(5);  // 10^5 nodes
  auto docs = ParseManifestText(one + "---\n" + one + "---\n" + one, "fuzz.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  EXPECT_EQ(docs->size(), 3u);
  std::string many;
  for (int i = 0; i < 6; ++i) many += (i ? "---\n" : "") + one;
  EXPECT_EQ(
      ParseErrorOf(many),
      "error parsing fuzz.yaml: error converting YAML to JSON: yaml: document contains excessive aliasing");
}

// manifest_fuzzer, property violated: a label key with invalid UTF-8 was
// stored after nlohmann's dump replaced the bytes with U+FFFD, so the stored
// template did not canonicalize to itself. Such text is refused up front, as
// kubectl's YAML reader does, with where it is.
TEST(ManifestFuzzRegression, invalid_utf8_is_refused_with_its_line_and_column) {
  const std::string kPrefix = "error parsing fuzz.yaml: error converting YAML to JSON: yaml: line ";
  EXPECT_EQ(ParseErrorOf("metadata:\n  labels:\n    \xE0\x9F\x9F" "app: nginx\n"),
            kPrefix + "3: invalid UTF-8 (byte 0xE0 at column 5); manifests must be UTF-8 text");
  EXPECT_EQ(ParseErrorOf("{\"kind\": \"\xC0\xAF\"}"),  // overlong '/'
            kPrefix + "1: invalid UTF-8 (byte 0xC0 at column 11); manifests must be UTF-8 text");
  EXPECT_EQ(ParseErrorOf("kind: \xED\xA0\x80\n"),  // a surrogate
            kPrefix + "1: invalid UTF-8 (byte 0xED at column 7); manifests must be UTF-8 text");
  EXPECT_EQ(ParseErrorOf("kind: Deployment\nx: \xF0\x9F\x98"),  // cut short
            kPrefix + "2: invalid UTF-8 (byte 0xF0 at column 4); manifests must be UTF-8 text");
  // Valid multi-byte text still parses: the check is not an ASCII filter.
  auto docs = ParseManifestText(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations: {note: \"caf\xC3\xA9 "
      "\xF0\x9F\x9A\x80\"}\n",
      "fuzz.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status().message();
  EXPECT_EQ(docs->size(), 1u);
}

}  // namespace
}  // namespace rollbook::fold
