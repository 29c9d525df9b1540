// Tests for the audit output (cli/audit_format.h) and the time flags
// (cli/time_flag.h): accepted and rejected time forms, cells, JSON/CSV rows
// and the growing table used by `audit -w`.
#include "cli/audit_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/render/get_table.h"
#include "cli/time_flag.h"

namespace rollbook::cli {
namespace {

constexpr int64_t kNow = 1'795'143'600'000;  // 2026-11-20T03:00:00Z

// ---- time flags ------------------------------------------------------------------

TEST(TimeFlag, durations_count_back_from_now) {
  EXPECT_EQ(*ParseTimeFlag("--since", "2h", kNow), kNow - 2 * 3'600'000);
  EXPECT_EQ(*ParseTimeFlag("--since", "90s", kNow), kNow - 90'000);
  EXPECT_EQ(*ParseTimeFlag("--since", "1h30m", kNow), kNow - 90 * 60'000);
  EXPECT_EQ(*ParseTimeFlag("--since", "7d", kNow), kNow - 7 * 86'400'000LL);
  EXPECT_EQ(*ParseTimeFlag("--since", "250ms", kNow), kNow - 250);
  EXPECT_EQ(*ParseTimeFlag("--since", "0s", kNow), kNow);
}

TEST(TimeFlag, rfc3339_times_and_dates_are_absolute) {
  EXPECT_EQ(*ParseTimeFlag("--since", "2026-11-20T03:00:00Z", 0), kNow);
  EXPECT_EQ(*ParseTimeFlag("--since", "2026-11-20T04:00:00+01:00", 0), kNow);
  EXPECT_EQ(*ParseTimeFlag("--since", "2026-11-19T22:30:00-04:30", 0), kNow);
  EXPECT_EQ(*ParseTimeFlag("--since", "2026-11-20t03:00:00.25z", 0), kNow + 250);
  EXPECT_EQ(*ParseTimeFlag("--since", "2026-11-20 03:00:00.123456Z", 0), kNow + 123);
  EXPECT_EQ(*ParseTimeFlag("--until", "2026-11-20", 0), kNow - 3 * 3'600'000);
  EXPECT_EQ(*ParseTimeFlag("--until", "1970-01-01T00:00:00Z", 5), 0);
}

TEST(TimeFlag, bad_values_name_the_flag_the_problem_and_the_accepted_forms) {
  struct Case {
    const char* text;
    const char* problem;
  };
  for (const Case& c : std::vector<Case>{
           {"yesterday", "expected YYYY-MM-DD"},
           {"2h30", "every number needs a unit"},
           {"5y", "every number needs a unit"},
           {"2026-11-20T03:00:00", "has no zone: add Z for UTC"},
           {"2026-13-01", "is not a calendar date"},
           {"2026-02-30T00:00:00Z", "is not a calendar date"},
           {"2026-11-20T25:00:00Z", "is not a time of day"},
           {"2026-11-20T03:00:00+0100", "must be Z or +hh:mm"},
           {"2026-11-20T03:00", "expected YYYY-MM-DDTHH:MM:SS"},
           {"2026-11-20T03:00:00.Z", "expected digits after the decimal point"},
       }) {
    auto r = ParseTimeFlag("--since", c.text, kNow);
    ASSERT_FALSE(r.ok()) << c.text;
    const std::string& m = r.status().message();
    EXPECT_EQ(m.rfind(std::string("invalid --since \"") + c.text + "\"", 0), 0u) << m;
    EXPECT_NE(m.find(c.problem), std::string::npos) << m;
    EXPECT_NE(m.find("e.g. 90s, 15m, 2h, 1h30m, 7d"), std::string::npos) << m;
    EXPECT_NE(m.find("2026-11-20T03:00:00Z"), std::string::npos) << m;
  }
  auto empty = ParseTimeFlag("--until", "", kNow);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message().rfind("--until needs a value", 0), 0u);
}

// ---- formats and cells -----------------------------------------------------------

TEST(AuditFormat, unknown_output_format_lists_the_allowed_ones) {
  EXPECT_EQ(*ParseAuditFormat(""), AuditFormat::kTable);
  EXPECT_EQ(*ParseAuditFormat("csv"), AuditFormat::kCsv);
  auto bad = ParseAuditFormat("yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unable to match a printer suitable for the output format \"yaml\", allowed formats are: "
            "csv,json,jsonl,table,wide");
}

TEST(AuditFormat, rfc3339_millis_keeps_milliseconds_in_utc) {
  EXPECT_EQ(Rfc3339Millis(kNow + 7), "2026-11-20T03:00:00.007Z");
  EXPECT_EQ(Rfc3339Millis(0), "1970-01-01T00:00:00.000Z");
}

TEST(AuditFormat, before_after_shows_an_arrow_only_for_a_change) {
  EXPECT_EQ(BeforeAfter("3", "5", true, true), "3 → 5");
  EXPECT_EQ(BeforeAfter("3", "3", true, true), "3");
  EXPECT_EQ(BeforeAfter("0", "3", false, true), "3");  // create: what it created
  EXPECT_EQ(BeforeAfter("3", "0", true, false), "3");  // delete: what it deleted
  EXPECT_EQ(BeforeAfter("", "", false, false), "<none>");
  EXPECT_EQ(BeforeAfter("", "2", true, true), "<none> → 2");
}

store::ChangeRow ScaleRow() {
  store::ChangeRow r;
  r.partition = 2;
  r.offset = 41;
  r.log_time_ms = kNow - 5 * 60'000;
  r.client_time_ms = kNow - 5 * 60'000 - 30;
  r.record_id = "rid";
  r.ns = "default";
  r.name = "web";
  r.kind = "scale";
  r.actor = "alice";
  r.host = "laptop";
  r.command = "rollbook scale deployment/web --replicas=5";
  r.outcome = "applied";
  r.message = "scaled";
  r.version_before = 2;
  r.version_after = 3;
  r.revision_before = r.revision_after = 1;
  r.replicas_before = 3;
  r.replicas_after = 5;
  r.images_before = r.images_after = "app=nginx:1.26";
  return r;
}

TEST(AuditFormat, table_cells_follow_the_headers) {
  const store::ChangeRow r = ScaleRow();
  const TableLayout table{false, false};
  EXPECT_EQ(ChangeHeaders(table),
            (std::vector<std::string>{"TIME", "AGE", "DEPLOYMENT", "ACTOR", "KIND", "REVISION", "REPLICAS",
                                      "IMAGES", "OUTCOME", "CHANGE-CAUSE"}));
  EXPECT_EQ(ChangeCells(r, kNow, table),
            (std::vector<std::string>{"2026-11-20T02:55:00Z", "5m", "web", "alice", "scale", "1", "3 → 5",
                                      "app=nginx:1.26", "applied", "<none>"}));
  const TableLayout wide{true, true};
  const auto headers = ChangeHeaders(wide);
  const auto cells = ChangeCells(r, kNow, wide);
  ASSERT_EQ(headers.size(), cells.size());
  EXPECT_EQ(headers, (std::vector<std::string>{"TIME", "CLIENT-TIME", "AGE", "NAMESPACE", "DEPLOYMENT",
                                               "ACTOR", "HOST", "KIND", "REVISION", "REPLICAS", "IMAGES",
                                               "OUTCOME", "POSITION", "MESSAGE", "COMMAND", "CHANGE-CAUSE"}));
  EXPECT_EQ(cells[1], "2026-11-20T02:54:59Z");
  EXPECT_EQ(cells[3], "default");
  EXPECT_EQ(cells[6], "laptop");
  EXPECT_EQ(cells[12], "2:41");
  EXPECT_EQ(cells[14], "rollbook scale deployment/web --replicas=5");
}

TEST(AuditFormat, rejected_rows_show_the_reason_and_cells_stay_on_one_line) {
  store::ChangeRow r = ScaleRow();
  r.outcome = "rejected";
  r.reason = "Invalid";
  r.message = "The Deployment \"web\" is invalid: \n* spec.replicas: bad";
  r.replicas_after = 3;
  r.change_cause = "tab\there";
  const auto cells = ChangeCells(r, kNow, {true, false});
  EXPECT_EQ(cells[10], "rejected (Invalid)");
  EXPECT_EQ(cells[8], "3");
  EXPECT_EQ(cells[12], "The Deployment \"web\" is invalid:  * spec.replicas: bad");
  EXPECT_EQ(cells.back(), "tab here");
}

TEST(AuditFormat, create_and_delete_rows_show_the_side_that_exists) {
  store::ChangeRow create = ScaleRow();
  create.kind = "create";
  create.revision_before = 0;
  create.replicas_before = 0;
  create.images_before = "";
  const auto c = ChangeCells(create, kNow, {});
  EXPECT_EQ(c[5], "1");
  EXPECT_EQ(c[6], "5");
  EXPECT_EQ(c[7], "app=nginx:1.26");
  store::ChangeRow del = ScaleRow();
  del.kind = "delete";
  del.revision_after = 0;
  del.replicas_after = 0;
  del.images_after = "";
  const auto d = ChangeCells(del, kNow, {});
  EXPECT_EQ(d[6], "3");
  EXPECT_EQ(d[7], "app=nginx:1.26");
}

TEST(AuditFormat, json_has_both_clocks_and_before_after_pairs) {
  store::ChangeRow r = ScaleRow();
  r.record_hash = std::string(32, '\x01');
  const auto j = ChangeJson(r);
  EXPECT_EQ(j["time"], "2026-11-20T02:55:00.000Z");
  EXPECT_EQ(j["client_time"], "2026-11-20T02:54:59.970Z");
  EXPECT_EQ(j["log_time_ms"], kNow - 300'000);
  EXPECT_EQ(j["replicas_before"], 3);
  EXPECT_EQ(j["replicas_after"], 5);
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "01";
  EXPECT_EQ(j["record_sha256"], hex);
  EXPECT_EQ(j["prev_record_sha256"], "");
  EXPECT_EQ(CsvHeader(j).front(), "time");
  EXPECT_EQ(CsvHeader(j), CsvHeader(ChangeJson(store::ChangeRow{})));  // csv header needs no row
  EXPECT_EQ(JsonLine(nlohmann::ordered_json{{"a", std::string("bad \xff utf8")}}),
            "{\"a\":\"bad \xef\xbf\xbd utf8\"}");
}

TEST(AuditFormat, csv_quotes_only_fields_that_need_it) {
  EXPECT_EQ(CsvLine({"a", "b c", "x,y", "say \"hi\"", "two\nlines", ""}),
            "a,b c,\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
  const auto fields = CsvFields(ChangeJson(ScaleRow()));
  EXPECT_EQ(fields[0], "2026-11-20T02:55:00.000Z");
  EXPECT_EQ(fields[4], "2");  // partition, as a number
}

TEST(AuditFormat, quarantine_keys_are_escaped_and_rows_have_the_header_shape) {
  EXPECT_EQ(EscapeBytes(std::string("ns/a\\b\x00\xff", 8)), "ns/a\\\\b\\x00\\xff");
  store::QuarantineRow q{
      1, 7, kNow - 2000, std::string("k\x01", 2), 12, "not a change record", std::string(32, 'a')};
  EXPECT_EQ(QuarantineCells(q, kNow, false),
            (std::vector<std::string>{"2026-11-20T02:59:58Z", "2s", "1", "7", "k\\x01", "12",
                                      "not a change record"}));
  EXPECT_EQ(QuarantineHeaders(true).size(), QuarantineCells(q, kNow, true).size());
  EXPECT_EQ(QuarantineJson(q)["key"], "k\\x01");
}

// ---- growing table ---------------------------------------------------------------

TEST(GrowingTable, one_render_equals_kubectls_get_table) {
  const std::vector<std::string> headers = {"TIME", "ACTOR", "CHANGE-CAUSE"};
  const std::vector<std::vector<std::string>> rows = {{"2026-11-20T03:00:00Z", "al", "x y"},
                                                      {"2026-11-20T03:00:01Z", "bartholomew", "→ z"}};
  GrowingTable t(headers);
  EXPECT_EQ(t.Render(rows), render::RenderGetTable(headers, rows));
}

TEST(GrowingTable, later_rows_line_up_and_widen_only_when_needed) {
  GrowingTable t({"A", "B"});
  // Column width = max(6, widest cell + 3), as kubectl's get printer pads.
  EXPECT_EQ(t.Render({{"x", "1"}}), "A" + std::string(5, ' ') + "B\nx" + std::string(5, ' ') + "1\n");
  EXPECT_EQ(t.Render({{"yy", "2"}}), "yy" + std::string(4, ' ') + "2\n");
  EXPECT_EQ(t.Render({{"zzzzzz", "3"}}), "zzzzzz" + std::string(3, ' ') + "3\n");
  EXPECT_EQ(t.Render({{"w", "4"}}), "w" + std::string(8, ' ') + "4\n");
  EXPECT_EQ(t.Render({}), "");
}

}  // namespace
}  // namespace rollbook::cli
