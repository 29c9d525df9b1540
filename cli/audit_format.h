// Formatting of audit rows (`rollbook audit`, `audit --rejected`) in the
// output formats table, wide, json, jsonl and csv. Pure functions.
//
// Clocks: TIME / "time" is the broker's LogAppendTime of the record (the
// clock that orders the log); CLIENT-TIME / "client_time" is the writer's own
// clock, shown in wide, json, jsonl and csv. Times are RFC 3339 in UTC (table
// to the second, structured formats to the millisecond); AGE is kubectl's
// HumanDuration of now − TIME.
//
// Table cells show "A → B" when a value changed and just the value when it
// did not (a create shows the values it created, a delete the values it
// deleted); control characters in cells become spaces so a row stays a line.
// json is one array of objects; jsonl and csv have one object / line per row
// with the same fields in the same order (csv: RFC 4180, header line first).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/projection/audit_query.h"
#include "store/projection/projection.h"

namespace rollbook::cli {

enum class AuditFormat { kTable, kWide, kJson, kJsonl, kCsv };

// "" means table. Errors list the allowed formats.
StatusOr<AuditFormat> ParseAuditFormat(const std::string& text);

// "2026-11-20T03:00:00.123Z"
std::string Rfc3339Millis(int64_t unix_ms);

// Cell for a value before and after a change; `existed_*` says whether the
// Deployment existed on that side (a missing side shows the other's value).
std::string BeforeAfter(const std::string& before, const std::string& after, bool existed_before,
                        bool existed_after);

struct TableLayout {
  bool wide = false;
  bool all_namespaces = false;  // adds NAMESPACE
};

std::vector<std::string> ChangeHeaders(const TableLayout& layout);
std::vector<std::string> ChangeCells(const store::ChangeRow& row, int64_t now_ms, const TableLayout& layout);
nlohmann::ordered_json ChangeJson(const store::ChangeRow& row);

std::vector<std::string> QuarantineHeaders(bool wide);
std::vector<std::string> QuarantineCells(const store::QuarantineRow& row, int64_t now_ms, bool wide);
nlohmann::ordered_json QuarantineJson(const store::QuarantineRow& row);

// Printable form of raw key bytes: printable ASCII as is, backslash and
// other bytes as \\ and \xNN.
std::string EscapeBytes(const std::string& bytes);

// One CSV record: RFC 4180 quoting (fields with a comma, quote, CR or LF are
// quoted, quotes doubled), ending in "\n" as Unix tools expect.
std::string CsvLine(const std::vector<std::string>& fields);
// The keys and the values of a flat JSON object as CSV header / record fields.
std::vector<std::string> CsvHeader(const nlohmann::ordered_json& object);
std::vector<std::string> CsvFields(const nlohmann::ordered_json& object);

// Compact / pretty JSON that never throws (invalid UTF-8 is replaced).
std::string JsonLine(const nlohmann::ordered_json& j);
std::string JsonPretty(const nlohmann::ordered_json& j);

// An aligned table printed in pieces: for long outputs (printed row by row
// after a measuring pass, so memory stays flat) and for output that grows
// (audit -w). Columns are padded as kubectl's get printer pads them
// (tabwriter minwidth 6, padding 3; the last column is not padded), using
// the widest cell measured or rendered so far: measuring every row and then
// rendering them, in one call or many, gives exactly render::RenderGetTable's
// text; later rows line up unless they are wider than everything before.
class GrowingTable {
 public:
  explicit GrowingTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  // Widens the columns for `cells` without printing.
  void Measure(const std::vector<std::string>& cells);
  // The header (first call only) and `rows`.
  std::string Render(const std::vector<std::vector<std::string>>& rows);

 private:
  std::vector<std::string> headers_;
  std::vector<size_t> widths_;
  bool header_done_ = false;
};

}  // namespace rollbook::cli
