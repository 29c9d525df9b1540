// JsonDoc (store/fold/json_view.h) must read every text exactly as
// nlohmann::json::parse does: the fold's results were defined with nlohmann,
// and a log replayed by a newer rollbook must give the same projection.
#include "store/fold/json_view.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/fold/manifest.h"
#include "store/fold/template.h"
#include "store/fold/validation.h"

namespace rollbook::fold {
namespace {

// What nlohmann would hold for `ref`: objects rebuilt field by field in text
// order, so that a later duplicate replaces an earlier one as in nlohmann.
nlohmann::json ToNlohmann(JsonRef ref) {
  if (ref.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    ref.ForEachField([&out](std::string_view k, JsonRef v) { out[std::string(k)] = ToNlohmann(v); });
    return out;
  }
  if (ref.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    ref.ForEachElement([&out](JsonRef v) { out.push_back(ToNlohmann(v)); });
    return out;
  }
  if (ref.is_string()) return std::string(ref.String());
  if (ref.is_number()) return nlohmann::json::parse(ref.DumpNumber());
  if (ref.is_null()) return nullptr;
  // The one kind left is a boolean, which JsonRef does not read: tell them apart by text.
  return nullptr;
}

// Reads `text` with both parsers and checks they agree on it.
void ExpectSameAsNlohmann(const std::string& text) {
  SCOPED_TRACE(text.substr(0, 200));
  const nlohmann::json expected = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  const std::optional<JsonDoc> doc = JsonDoc::Parse(text);
  ASSERT_EQ(doc.has_value(), !expected.is_discarded());
  if (!doc) return;
  // Booleans aside (JsonRef has no reader for them), the whole document is the same.
  const std::string booleans_as_null =
      nlohmann::json::parse(text, [](int, nlohmann::json::parse_event_t, nlohmann::json& j) {
        if (j.is_boolean()) j = nullptr;
        return true;
      }).dump();
  EXPECT_EQ(ToNlohmann(doc->root()).dump(), booleans_as_null);
}

TEST(JsonView, invalid_text_is_no_document_as_in_nlohmann) {
  for (const char* text :
       {"", "{", "{\"a\":1} x", "{\"a\":\"\\ud800\"}", "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}", "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":1e400}", "{\"a\":tru}", "[1,]"}) {
    EXPECT_FALSE(JsonDoc::Parse(text).has_value()) << text;
    EXPECT_TRUE(nlohmann::json::parse(text, nullptr, false).is_discarded()) << text;
  }
}

TEST(JsonView, text_only_nlohmann_accepts_is_read_through_the_fallback) {
  // simdjson refuses integers past 64 bits and a byte-order mark; nlohmann does not.
  for (const std::string& text :
       {std::string(R"({"a":123456789012345678901234567890,"b":"x"})"),
        std::string(R"({"a":18446744073709551616})"), std::string(R"({"a":-9223372036854775809})"),
        std::string("\xef\xbb\xbf{\"a\":1}")}) {
    std::optional<JsonDoc> doc = JsonDoc::Parse(text);
    ASSERT_TRUE(doc.has_value()) << text;
    std::optional<JsonRef> a = doc->root().Find("a");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->DumpNumber(), nlohmann::json::parse(text)["a"].dump());
    ExpectSameAsNlohmann(text);
  }
}

TEST(JsonView, the_last_of_duplicate_keys_wins_as_in_nlohmann) {
  const std::string text = R"({"a":1,"b":{"x":"1"},"a":"two","b":{"y":"2"}})";
  std::optional<JsonDoc> doc = JsonDoc::Parse(text);
  ASSERT_TRUE(doc.has_value());
  std::optional<JsonRef> a = doc->root().Find("a");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->String(), "two");
  std::optional<JsonRef> b = doc->root().Find("b");
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(b->Find("x").has_value());
  EXPECT_TRUE(b->Find("y").has_value());
  ExpectSameAsNlohmann(text);
}

TEST(JsonView, numbers_print_as_nlohmann_prints_them) {
  for (const char* number : {"0", "-0", "7", "-7", "18446744073709551615", "-9223372036854775808", "1.5",
                             "-0.0", "1E2", "1e-7", "123456789.125", "2.5e+300"}) {
    const std::string text = std::string("{\"n\":") + number + "}";
    std::optional<JsonDoc> doc = JsonDoc::Parse(text);
    ASSERT_TRUE(doc.has_value()) << number;
    std::optional<JsonRef> n = doc->root().Find("n");
    ASSERT_TRUE(n.has_value());
    const nlohmann::json expected = nlohmann::json::parse(text)["n"];
    EXPECT_EQ(n->DumpNumber(), expected.dump()) << number;
    EXPECT_EQ(n->Double(), expected.get<double>()) << number;
  }
}

TEST(JsonView, reading_a_non_container_finds_nothing) {
  std::optional<JsonDoc> doc = JsonDoc::Parse(R"({"s":"text","n":3,"z":null,"l":[1,2]})");
  ASSERT_TRUE(doc.has_value());
  const JsonRef root = doc->root();
  EXPECT_FALSE(root.Find("s")->Find("x").has_value());
  EXPECT_EQ(root.Find("n")->String(), "");
  EXPECT_EQ(root.Find("s")->DumpNumber(), "");
  EXPECT_TRUE(root.Find("z")->is_null());
  EXPECT_EQ(root.Find("l")->ArraySize(), 2u);
  EXPECT_EQ(root.Find("s")->ArraySize(), 0u);
  EXPECT_FALSE(root.Find("missing").has_value());
}

TEST(JsonView, documents_alive_at_once_keep_their_own_values) {
  std::optional<JsonDoc> first = JsonDoc::Parse(R"({"k":"first"})");
  std::optional<JsonDoc> second = JsonDoc::Parse(R"({"k":"second"})");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->root().Find("k")->String(), "first");
  EXPECT_EQ(second->root().Find("k")->String(), "second");
  JsonDoc moved = std::move(*first);
  EXPECT_EQ(moved.root().Find("k")->String(), "first");
}

// Every JSON text of the real manifests, in several layouts.
std::vector<std::string> RealManifestTexts() {
  std::vector<std::string> texts;
  const std::string dir = std::string(ROLLBOOK_SHARED_DIR) + "/testdata/real-manifests";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto docs = ParseManifestText(text.str(), entry.path().filename().string());
    if (!docs.ok()) continue;  // some files are meant to be refused; their JSON is not the point
    for (const auto& d : *docs) {
      texts.push_back(d.object.dump());
      texts.push_back(d.object.dump(2));
    }
  }
  return texts;
}

TEST(JsonView, every_real_manifest_reads_as_in_nlohmann) {
  const std::vector<std::string> texts = RealManifestTexts();
  EXPECT_GT(texts.size(), 20u);
  for (const std::string& text : texts) ExpectSameAsNlohmann(text);
}

// The validation reads the template through JsonDoc: a duplicated key must
// count with its last value, as when nlohmann parsed it.
TEST(JsonView, validation_reads_a_duplicated_template_key_by_its_last_value) {
  v1::Deployment d;
  d.mutable_metadata()->set_name("web");
  d.mutable_metadata()->set_namespace_("default");
  auto* spec = d.mutable_spec();
  spec->set_replicas(1);
  (*spec->mutable_selector()->mutable_match_labels())["app"] = "web";
  spec->mutable_strategy()->set_type("Recreate");
  spec->set_revision_history_limit(10);
  spec->set_progress_deadline_seconds(600);
  const std::string containers = R"("containers":[{"image":"nginx","name":"nginx"}])";
  const std::string head = R"({"metadata":{"labels":{"app":"web"}},"spec":{)";
  const std::string tail = R"(,"restartPolicy":"Always"}})";

  spec->set_template_json(head + containers + tail);
  EXPECT_TRUE(ValidateDeployment(d).empty());

  spec->set_template_json(head + containers + R"(,"containers":[])" + tail);  // the empty list is last
  FieldErrors errors = ValidateDeployment(d);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(), "spec.template.spec.containers: Required value");

  spec->set_template_json(head + R"("containers":[],)" + containers + tail);  // the full list is last
  EXPECT_TRUE(ValidateDeployment(d).empty());
}

std::string Canonical(const std::string& text) {
  std::optional<JsonDoc> doc = JsonDoc::Parse(text);
  EXPECT_TRUE(doc.has_value()) << text;
  std::string out;
  if (doc) AppendCanonical(doc->root(), &out);
  return out;
}

TEST(JsonView, canonical_output_is_what_nlohmann_dumps) {
  std::vector<std::string> texts = RealManifestTexts();
  ASSERT_GT(texts.size(), 20u);
  std::string every_byte = "{\"s\":\"";
  for (int c = 0; c < 0x80; ++c) {
    if (c < 0x20 || c == '"' || c == '\\') {
      every_byte += fmt::format("\\u{:04x}", c);
    } else {
      every_byte += static_cast<char>(c);
    }
  }
  every_byte += "\u00e9\u4e2d\U0001F600\",\"k\\n\":1}";
  texts.insert(
      texts.end(),
      {every_byte, R"({"b":true,"a":false,"n":null,"z":[true,null,{}],"e":{},"l":[]})",
       R"({"dup":{"x":1},"a":2,"dup":[3],"dup":"last"})", R"({"\u00e9":1,"e":2,"E":3,"":4,"ab":5,"a":6})",
       R"({"n":[0,-0,7,-7,1.5,-0.0,1E2,1e-7,2.5e+300,18446744073709551615,-9223372036854775808]})",
       R"({"big":123456789012345678901234567890,"s":"x"})", "\xef\xbb\xbf{\"a\":[1,2]}", R"("text")", "[]",
       "3"});
  for (const std::string& text : texts) {
    EXPECT_EQ(Canonical(text), nlohmann::json::parse(text).dump()) << text.substr(0, 200);
  }
}

// `kubectl set image` as the fold did it before JsonDoc: parse into
// nlohmann's DOM, set the fields, dump. The reference for SetContainerImages.
int ReferenceSetImages(const std::string& text,
                       const std::vector<std::pair<std::string, std::string>>& images, std::string* out) {
  nlohmann::json tmpl = nlohmann::json::parse(text);
  for (size_t k = 0; k < images.size(); ++k) {
    const auto& [container, image] = images[k];
    int matched = 0;
    for (const char* list : {"initContainers", "containers"}) {
      auto spec = tmpl.find("spec");
      if (spec == tmpl.end() || !spec->is_object()) continue;
      auto cs = spec->find(list);
      if (cs == spec->end() || !cs->is_array()) continue;
      for (auto& c : *cs) {
        if (!c.is_object()) continue;
        if (container != "*") {
          // The fold used c.value("name", ""), which throws for a name that is
          // not a string (ValidateDeployment keeps such templates out of the
          // state); SetContainerImages names such a container only by "*".
          auto name = c.find("name");
          if (name != c.end() && !name->is_string()) continue;
          if ((name == c.end() ? std::string() : name->get<std::string>()) != container) continue;
        }
        c["image"] = image;
        ++matched;
      }
    }
    if (matched == 0 && container != "*") return static_cast<int>(k);
  }
  *out = tmpl.dump();
  return -1;
}

void ExpectSetImagesAsReference(const std::string& text,
                                const std::vector<std::pair<std::string, std::string>>& images) {
  SCOPED_TRACE(text.substr(0, 300));
  google::protobuf::RepeatedPtrField<v1::ContainerImage> entries;
  std::string names;
  for (const auto& [container, image] : images) {
    v1::ContainerImage* e = entries.Add();
    e->set_container(container);
    e->set_image(image);
    names += container + "=" + image + " ";
  }
  SCOPED_TRACE(names);
  std::string expected;
  const int expected_unmatched = ReferenceSetImages(text, images, &expected);
  std::optional<JsonDoc> doc = JsonDoc::Parse(text);
  ASSERT_TRUE(doc.has_value());
  std::string got;
  ASSERT_EQ(SetContainerImages(doc->root(), entries, &got), expected_unmatched);
  if (expected_unmatched < 0) {
    EXPECT_EQ(got, expected);
  }
}

TEST(JsonView, set_image_writes_what_nlohmann_parse_modify_dump_wrote) {
  int templates = 0;
  for (const std::string& text : RealManifestTexts()) {
    const nlohmann::json doc = nlohmann::json::parse(text);
    if (!doc.contains("spec") || !doc["spec"].contains("template")) continue;
    const std::string tmpl = doc["spec"]["template"].dump();
    std::vector<std::string> names;
    for (const char* list : {"initContainers", "containers"}) {
      const nlohmann::json& spec = doc["spec"]["template"]["spec"];
      if (!spec.contains(list)) continue;
      for (const auto& c : spec[list]) names.push_back(c.value("name", ""));
    }
    ASSERT_FALSE(names.empty());
    ExpectSetImagesAsReference(tmpl, {{names.front(), "registry.example/app:2"}});
    ExpectSetImagesAsReference(tmpl, {{"*", "busybox:1.36"}});
    ExpectSetImagesAsReference(
        tmpl, {{names.back(), "a\"quoted\\image\u00e9"}, {"*", "x:1"}, {names.front(), "y:2"}});
    ExpectSetImagesAsReference(tmpl, {{"no-such-container", "x:1"}});
    ExpectSetImagesAsReference(tmpl, {{names.front(), "x:1"}, {"no-such-container", "y:1"}});
    ++templates;
  }
  EXPECT_GT(templates, 10);
  // Shapes the CLI never writes but a record from elsewhere may hold.
  for (
      const std::string text : {
          R"({"spec":{"containers":[{"name":"a"},{"image":"old","name":"b","imagePullPolicy":"x"}]}})",
          R"({"spec":{"containers":[{"name":"a","image":"1","image":"2"}],"containers":[{"name":"b"}]}})",
          R"({"spec":{"initContainers":[{"name":"i"},3,"s",null],"containers":[{}]},"spec":{"containers":[{"name":"a"}]}})",
          R"({"spec":{"initContainers":[{"name":"i","zz":1,"aa":[{"image":"not me"}]}],"containers":[{"name":"a"}]}})",
          R"({"spec":"not an object","metadata":{"labels":{"b":"1","a":"2"}}})",
          R"({"spec":{"containers":{"name":"a"}}})",
          R"({"spec":{"initContainers":[3,{"name":"i"},"s",null],"containers":[null,{"name":"a"},[]]}})",
          R"({"spec":{"containers":[{"name":7},{"name":null},{"name":"a"}]}})",
          R"({"spec":{"containers":[{"name":"","image":"e"},{"name":"a","env":[{"name":"a","value":"v"}]}]}})",
      }) {
    for (const auto& images :
         std::vector<std::vector<std::pair<std::string, std::string>>>{{{"a", "new:1"}},
                                                                       {{"*", "all:1"}},
                                                                       {{"b", "b:1"}, {"a", "a:1"}},
                                                                       {{"i", "i:1"}},
                                                                       {{"", "empty:1"}}}) {
      ExpectSetImagesAsReference(text, images);
    }
  }
}

}  // namespace
}  // namespace rollbook::fold
