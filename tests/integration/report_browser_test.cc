// The HTML report in a real browser: `rollbook report` against the broker,
// then headless Chromium loads the file with the network off and we check
// the rendered DOM (after the page's script ran) and take a screenshot.
//
// Skips only when no Chromium is installed and CI is not set; under CI
// (CI=true, as .ci/run sets it) a missing browser is a failure, because
// scripts/install-deps installs the Debian package `chromium`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "events/codec.h"
#include "events/kafka_log.h"
#include "tests/support/cli_runner.h"

namespace rollbook::testing {
namespace {

const char* kShop = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: {app: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - name: shop
        image: shop:1.0
)";

// Appends a scale written against version 0 of shop: a stale writer, which
// the fold rejects as a conflict (the CLI's own checks never let one through).
void AppendStaleScale(const CliEnv& env) {
  v1::ChangeRecord r;
  r.set_schema_version(events::kSchemaVersion);
  r.set_id("00000000-0000-4000-8000-000000000001");
  r.set_namespace_("default");
  r.set_name("shop");
  r.set_kind(v1::CHANGE_KIND_SCALE);
  r.set_expected_version(0);
  r.set_actor("mallory");
  r.set_host("elsewhere");
  r.mutable_scale()->set_replicas(1);
  r.mutable_scale()->set_current_replicas(-1);
  events::KafkaConfig config;
  config.brokers = CliEnv::Brokers();
  config.topic = env.topic();
  auto producer = events::KafkaProducer::Create(config, events::KafkaProducer::Mode::kInteractive);
  ASSERT_TRUE(producer.ok()) << producer.status().message();
  auto pos = (*producer)->Append(events::RecordKey("default", "shop"), events::EncodeRecord(r));
  ASSERT_TRUE(pos.ok()) << pos.status().message();
}

std::string FindChromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    const std::string probe = std::string("command -v ") + name + " >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return name;
  }
  return "";
}

bool UnderCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string(ci) != "false";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

// Chromium as the task asks for it: headless, no sandbox (root in CI), no GPU,
// no network side channels, a fresh profile.
std::string ChromiumCommand(const std::string& browser, const std::string& profile,
                            const std::string& extra) {
  return "timeout 180 " + browser +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking "
         "--disable-component-update --disable-sync --user-data-dir=" +
         profile + " " + extra;
}

TEST(ReportInBrowser, chart_markers_and_change_rows_render_offline) {
  ROLLBOOK_REQUIRE_BROKER();
  const std::string browser = FindChromium();
  if (browser.empty()) {
    if (UnderCi())
      FAIL() << "chromium is not installed but CI must run this test (scripts/install-deps installs it)";
    GTEST_SKIP() << "chromium is not installed (Debian package chromium)";
  }
  CliEnv env("report");
  ASSERT_EQ(env.Rollbook({"create", "-f", "-", "--record", "--as", "alice"}, kShop).exit_code, 0);
  ASSERT_EQ(env.Rollbook({"scale", "deployment/shop", "--replicas=6", "--as", "bob"}).exit_code, 0);
  ASSERT_EQ(env.Rollbook({"set", "image", "deployment/shop", "shop=shop:1.1", "--record", "--as", "carol"})
                .exit_code,
            0);
  AppendStaleScale(env);  // rejected: conflict
  ASSERT_EQ(env.Rollbook({"set", "image", "deployment/shop", "shop=shop:1.2", "--as", "<dave>"}).exit_code,
            0);
  ASSERT_EQ(env.Rollbook({"rollout", "undo", "deployment/shop", "--as", "erin"}).exit_code, 0);

  const std::string html_path = env.dir() + "/report.html";
  RunResult r = env.Rollbook({"report", "deployment/shop", "-o", html_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("6 change records) written to " + html_path), std::string::npos) << r.err;
  const std::string html = ReadFile(html_path);
  // Self-contained: nothing to fetch (the SVG namespace URI is a name, not a fetch).
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)\s*=)")))
      << "external reference in the report";
  EXPECT_EQ(Count(html, "http"), Count(html, "http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("<dave>"), std::string::npos) << "actor names must be escaped";

  const std::string profile = env.dir() + "/chromium-profile";
  RunResult dom = env.Shell(ChromiumCommand(browser, profile, "--dump-dom file://" + html_path));
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  const std::string& d = dom.out;
  EXPECT_NE(d.find("data-report-ready=\"yes\""), std::string::npos) << "the page's script did not run";
  EXPECT_NE(d.find("<svg id=\"timeline\""), std::string::npos);
  EXPECT_EQ(Count(d, "class=\"rs-line\""), 3u) << "one line per ReplicaSet (shop:1.0, 1.1, 1.2)";
  EXPECT_EQ(Count(d, "class=\"marker revision\""), 3u) << "revisions 1, 2, 3";
  EXPECT_EQ(Count(d, "class=\"marker rollback\""), 1u);
  EXPECT_EQ(Count(d, "class=\"marker change\""), 1u) << "the scale";
  EXPECT_EQ(Count(d, "<tr id=\"rec-"), 6u) << "every change record has a row";
  EXPECT_EQ(Count(d, "class=\"change rejected\""), 1u);
  EXPECT_EQ(Count(d, "class=\"change applied rollback new-revision\""), 1u);
  EXPECT_NE(d.find("6 change records</span>"), std::string::npos) << "the script's row count";
  EXPECT_NE(d.find("&lt;dave&gt;"), std::string::npos);
  for (const char* actor : {"alice", "bob", "carol", "mallory", "erin"}) {
    EXPECT_NE(d.find(std::string("<td>") + actor + "</td>"), std::string::npos) << actor;
  }

  const std::string shot = env.dir() + "/report.png";
  RunResult s = env.Shell(ChromiumCommand(
      browser, profile,
      "--hide-scrollbars --window-size=1280,1100 --screenshot=" + shot + " file://" + html_path));
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const std::string png = ReadFile(shot);
  ASSERT_GT(png.size(), 20'000u) << "a blank page compresses to far less";
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
}

}  // namespace
}  // namespace rollbook::testing
