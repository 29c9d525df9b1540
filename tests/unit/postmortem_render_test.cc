// Tests for the pure pieces behind diff, blame and --at: the unified diff
// (cli/render/unified_diff.h), flattening and blame (cli/render/blame.h) and
// the parsing of times and positions (cli/time_arg.h).

#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/render/blame.h"
#include "cli/render/unified_diff.h"
#include "cli/time_arg.h"

namespace rollbook {
namespace {

using render::DiffOptions;
using render::UnifiedDiff;

// ---- unified diff: golden ----------------------------------------------------------

TEST(UnifiedDiff, equal_texts_give_no_output) { EXPECT_EQ(UnifiedDiff("a\nb\n", "a\nb\n", "A", "B"), ""); }

TEST(UnifiedDiff, one_changed_line_has_three_lines_of_context_like_diff_u) {
  EXPECT_EQ(UnifiedDiff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n", "A", "B"),
            "--- A\n+++ B\n"
            "@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}

TEST(UnifiedDiff, changes_at_most_six_common_lines_apart_share_a_hunk) {
  const std::string a = "a\n1\n2\n3\n4\n5\n6\nb\n";
  const std::string b = "A\n1\n2\n3\n4\n5\n6\nB\n";
  EXPECT_EQ(UnifiedDiff(a, b, "x", "y"),
            "--- x\n+++ y\n@@ -1,8 +1,8 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n-b\n+B\n");
}

TEST(UnifiedDiff, changes_seven_common_lines_apart_get_two_hunks) {
  const std::string a = "a\n1\n2\n3\n4\n5\n6\n7\nb\n";
  const std::string b = "A\n1\n2\n3\n4\n5\n6\n7\nB\n";
  EXPECT_EQ(UnifiedDiff(a, b, "x", "y"),
            "--- x\n+++ y\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -6,4 +6,4 @@\n 5\n 6\n 7\n-b\n+B\n");
}

TEST(UnifiedDiff, an_empty_side_range_names_the_line_before_it) {
  EXPECT_EQ(UnifiedDiff("", "new\n", "x", "y"), "--- x\n+++ y\n@@ -0,0 +1 @@\n+new\n");
  EXPECT_EQ(UnifiedDiff("a\nb\n", "a\n", "x", "y"), "--- x\n+++ y\n@@ -1,2 +1 @@\n a\n-b\n");
}

TEST(UnifiedDiff, within_a_change_removed_lines_come_first) {
  EXPECT_EQ(UnifiedDiff("k\nold1\nold2\nk2\n", "k\nnew1\nnew2\nk2\n", "x", "y", {.context = 0}),
            "--- x\n+++ y\n@@ -2,2 +2,2 @@\n-old1\n-old2\n+new1\n+new2\n");
}

TEST(UnifiedDiff, a_missing_final_newline_is_marked_as_diff_marks_it) {
  EXPECT_EQ(UnifiedDiff("a\nb", "a\nc", "x", "y"),
            "--- x\n+++ y\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n");
}

TEST(UnifiedDiff, colour_marks_headers_hunks_removals_and_additions) {
  EXPECT_EQ(UnifiedDiff("a\n", "b\n", "x", "y", {.context = 3, .color = true}),
            "\033[1m--- x\033[m\n\033[1m+++ y\033[m\n\033[36m@@ -1 +1 @@\033[m\n\033[31m-a\033[m\n\033[32m+b\033[m\n");
}

// ---- unified diff: property (checked with GNU patch and GNU diff) --------------------

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rollbook-diff-XXXXXX").string();
    if (char* made = mkdtemp(tmpl.data()); made != nullptr) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string Read(const std::string& name) const {
    std::ifstream in(path_ + "/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string RandomText(std::mt19937& rng, const std::vector<std::string>& base) {
  std::string out;
  for (const auto& line : base) {
    const int dice = std::uniform_int_distribution<int>(0, 9)(rng);
    if (dice == 0) continue;                            // delete
    if (dice == 1) out += "ins" + std::to_string(rng() % 5) + "\n";  // insert before
    out += dice == 2 ? "chg" + std::to_string(rng() % 3) + "\n" : line + "\n";
  }
  return out;
}

int CountChanged(const std::string& diff) {
  int n = 0;
  std::istringstream in(diff);
  std::string line;
  while (std::getline(in, line)) {
    if ((line[0] == '+' && line.rfind("+++", 0) != 0) || (line[0] == '-' && line.rfind("---", 0) != 0)) ++n;
  }
  return n;
}

TEST(UnifiedDiffProperty, patch_turns_a_into_b_with_a_minimal_number_of_changed_lines) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::mt19937 rng(5);
  for (int round = 0; round < 60; ++round) {
    std::vector<std::string> base;
    const int lines = std::uniform_int_distribution<int>(0, 40)(rng);
    for (int i = 0; i < lines; ++i) base.push_back("line" + std::to_string(rng() % 12));
    const std::string a = RandomText(rng, base), b = RandomText(rng, base);
    const int context = round % 4;
    const std::string diff = UnifiedDiff(a, b, "a.txt", "b.txt", {.context = context});
    if (a == b) {
      EXPECT_EQ(diff, "");
      continue;
    }
    const std::string a_path = dir.Write("a.txt", a), patch_path = dir.Write("p.diff", diff);
    const std::string cmd = "patch --quiet --force -o " + dir.path() + "/out.txt " + a_path + " " + patch_path +
                            " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "patch refused:\n" << diff;
    EXPECT_EQ(dir.Read("out.txt"), b) << diff;
    // GNU diff --minimal changes the same number of lines (edit scripts may
    // differ, their length may not).
    dir.Write("b.txt", b);
    const std::string gnu = "cd " + dir.path() + " && diff --minimal -U" + std::to_string(context) +
                            " a.txt b.txt > gnu.diff; true";
    ASSERT_EQ(std::system(gnu.c_str()), 0);
    EXPECT_EQ(CountChanged(diff), CountChanged(dir.Read("gnu.diff"))) << diff << "\nGNU:\n" << dir.Read("gnu.diff");
    if (HasFailure()) return;
  }
}

// ---- flatten and blame --------------------------------------------------------------

TEST(Flatten, paths_use_dots_for_identifiers_brackets_for_map_keys_and_names_for_list_items) {
  const nlohmann::json doc = nlohmann::json::parse(R"({
    "metadata": {"annotations": {"kubernetes.io/change-cause": "v2", "team": "web"}, "labels": {"app": "web"}},
    "spec": {"replicas": 3, "paused": false, "template": {"spec": {
      "containers": [{"name": "web", "image": "nginx:1.27", "args": ["-g", "x"]}, {"name": "side", "image": "envoy"}],
      "volumes": [], "tolerations": [{"key": "a"}, {"key": "b"}]}}}})");
  std::vector<std::string> got;
  for (const auto& f : render::Flatten(doc)) got.push_back(f.path + " = " + f.value);
  EXPECT_EQ(got, (std::vector<std::string>{
                     "metadata.annotations[kubernetes.io/change-cause] = v2",
                     "metadata.annotations[team] = web",
                     "metadata.labels[app] = web",
                     "spec.paused = false",
                     "spec.replicas = 3",
                     "spec.template.spec.containers[name=web].args[0] = -g",
                     "spec.template.spec.containers[name=web].args[1] = x",
                     "spec.template.spec.containers[name=web].image = nginx:1.27",
                     "spec.template.spec.containers[name=web].name = web",
                     "spec.template.spec.containers[name=side].image = envoy",
                     "spec.template.spec.containers[name=side].name = side",
                     "spec.template.spec.tolerations[0].key = a",
                     "spec.template.spec.tolerations[1].key = b",
                     "spec.template.spec.volumes = []",
                 }));
}

TEST(Flatten, list_items_with_a_duplicate_name_are_addressed_by_index) {
  const nlohmann::json doc = nlohmann::json::parse(R"({"m": [{"name": "x", "p": 1}, {"name": "x", "p": 2}]})");
  std::vector<std::string> got;
  for (const auto& f : render::Flatten(doc)) got.push_back(f.path);
  EXPECT_EQ(got, (std::vector<std::string>{"m[0].name", "m[0].p", "m[1].name", "m[1].p"}));
}

render::ChangeRef Ref(int64_t offset, const std::string& actor, const std::string& kind) {
  return render::ChangeRef{1'790'000'000'000 + offset * 1000, actor, kind, "", 0, offset, "id"};
}

std::string Blamed(const std::vector<render::BlameLine>& lines, const std::string& path) {
  for (const auto& l : lines) {
    if (l.path == path) return l.change.actor + "/" + l.change.kind + "@" + std::to_string(l.change.offset);
  }
  return "<absent>";
}

TEST(Blame, each_field_is_blamed_on_the_change_that_last_gave_it_a_new_value) {
  render::BlameTracker t;
  auto doc = [](int replicas, const std::string& image) {
    return nlohmann::json{{"spec", {{"replicas", replicas}, {"image", image}}}};
  };
  t.Step(doc(3, "v1"), Ref(0, "alice", "create"));
  t.Step(doc(5, "v1"), Ref(1, "bob", "scale"));
  t.Step(doc(5, "v2"), Ref(2, "carol", "set-image"));
  t.Step(doc(5, "v2"), Ref(3, "dave", "apply"));  // writes the same values: blames nothing
  const auto lines = t.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Blamed(lines, "spec.replicas"), "bob/scale@1");
  EXPECT_EQ(Blamed(lines, "spec.image"), "carol/set-image@2");
}

TEST(Blame, a_field_that_comes_back_is_blamed_on_the_change_that_brought_it_back) {
  render::BlameTracker t;
  t.Step({{"a", {{"k", "v"}}}}, Ref(0, "alice", "create"));
  t.Step({{"a", {{"other", "w"}}}}, Ref(1, "bob", "apply"));
  t.Step({{"a", {{"k", "v"}, {"other", "w"}}}}, Ref(2, "carol", "apply"));
  const auto lines = t.Lines();
  EXPECT_EQ(Blamed(lines, "a.k"), "carol/apply@2");
  EXPECT_EQ(Blamed(lines, "a.other"), "bob/apply@1");
}

TEST(Blame, after_delete_and_re_create_everything_is_blamed_on_the_new_create) {
  render::BlameTracker t;
  t.Step({{"spec", {{"replicas", 3}}}}, Ref(0, "alice", "create"));
  t.Step(nlohmann::json::object(), Ref(1, "bob", "delete"));
  t.Step({{"spec", {{"replicas", 3}}}}, Ref(2, "carol", "create"));
  EXPECT_EQ(Blamed(t.Lines(), "spec.replicas"), "carol/create@2");
}

TEST(Blame, table_golden) {
  render::BlameTracker t;
  render::ChangeRef create = Ref(0, "alice", "create");
  create.change_cause = "initial release";
  t.Step({{"spec", {{"replicas", 3}, {"image", "nginx:1.25"}}}}, create);
  t.Step({{"spec", {{"replicas", 5}, {"image", "nginx:1.25"}}}}, Ref(7, "bob", "scale"));
  EXPECT_EQ(render::BlameTable(t.Lines()),
            "FIELD           VALUE        LAST CHANGED (BROKER TIME)   ACTOR   KIND     CHANGE-CAUSE      RECORD\n"
            "spec.image      nginx:1.25   2026-09-21T14:13:20Z         alice   create   initial release   0:0\n"
            "spec.replicas   5            2026-09-21T14:13:27Z         bob     scale    <none>            0:7\n");
}

// ---- times and positions -------------------------------------------------------------

TEST(TimeArg, rfc3339_with_zone_offset_and_fraction) {
  EXPECT_EQ(*cli::ParseRfc3339("2026-11-20T03:14:00Z"), 1'795'144'440'000);
  EXPECT_EQ(*cli::ParseRfc3339("2026-11-20T04:14:00.250+01:00"), 1'795'144'440'250);
  EXPECT_EQ(*cli::ParseRfc3339("2026-11-19T22:14:00.123456-05:00"), 1'795'144'440'123);
}

TEST(TimeArg, durations_count_back_from_now) {
  const int64_t now = 1'795'144'440'000;
  EXPECT_EQ(*cli::ParseTimeArg("--at", "2h", now), now - 7'200'000);
  EXPECT_EQ(*cli::ParseTimeArg("--at", "1h30m", now), now - 5'400'000);
  EXPECT_EQ(*cli::ParseTimeArg("--at", "3d", now), now - 3 * 86'400'000LL);
  EXPECT_EQ(*cli::ParseTimeArg("--at", "500ms", now), now - 500);
  EXPECT_EQ(*cli::ParseTimeArg("--at", "0s", now), now);
}

TEST(TimeArg, bad_input_says_what_is_wrong_and_what_is_accepted) {
  const int64_t now = 1'795'144'440'000;
  struct Case {
    std::string text, message;
  };
  for (const Case& c : std::vector<Case>{
           {"yesterday", "--at: invalid duration \"yesterday\": expected a number at \"yesterday\"; use RFC 3339"},
           {"2h5", "--at: invalid duration \"2h5\": a unit is required after 5 (ms, s, m, h or d)"},
           {"5w", "--at: invalid duration \"5w\": unknown unit \"w\" (ms, s, m, h or d)"},
           {"2026-11-20", "expected the time of day as THH:MM:SS after the date"},
           {"2026-11-20T03:14:00", "a zone is required (Z for UTC, or +hh:mm / -hh:mm)"},
           {"2026-02-30T03:14:00Z", "no such date or time of day"},
           {"2026-11-20T03:14:00Zjunk", "unexpected text after the zone"},
           {"2026-11-21T03:14:00Z", "--at 2026-11-21T03:14:00Z is in the future (this machine's clock says "
                                    "2026-11-20T03:14:00Z); time travel only goes back"},
       }) {
    StatusOr<int64_t> t = cli::ParseTimeArg("--at", c.text, now);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find(c.message), std::string::npos) << t.status().message();
  }
}

TEST(TimeArg, positions_are_partition_colon_offset) {
  auto p = cli::ParseLogPosition("--at-offset", "2:17");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->partition, 2);
  EXPECT_EQ(p->offset, 17);
  for (const std::string bad : {"17", "2:", ":3", "a:b", "-1:3", "2:3:4", "2:-1"}) {
    auto q = cli::ParseLogPosition("--at-offset", bad);
    ASSERT_FALSE(q.ok()) << bad;
    EXPECT_NE(q.status().message().find("expected PARTITION:OFFSET"), std::string::npos);
  }
}

TEST(TimeArg, rfc3339_output_shows_milliseconds_only_when_there_are_some) {
  EXPECT_EQ(cli::Rfc3339Ms(1'795'144'440'000), "2026-11-20T03:14:00Z");
  EXPECT_EQ(cli::Rfc3339Ms(1'795'144'440'250), "2026-11-20T03:14:00.250Z");
}

}  // namespace
}  // namespace rollbook
