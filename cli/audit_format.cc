#include "cli/audit_format.h"

#include <fmt/format.h>

#include "cli/objects.h"
#include "cli/render/human_duration.h"
#include "cli/render/tabwriter.h"
#include "events/chain.h"

namespace rollbook::cli {

namespace {

constexpr const char* kNone = "<none>";

// Keeps a cell on one line and inside its column.
std::string Cell(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return s.empty() ? kNone : s;
}

std::string RevisionText(int64_t revision) { return revision > 0 ? std::to_string(revision) : ""; }

std::string Outcome(const store::ChangeRow& r) {
  if (r.outcome == "rejected" && !r.reason.empty()) return fmt::format("rejected ({})", r.reason);
  return r.outcome;
}

}  // namespace

StatusOr<AuditFormat> ParseAuditFormat(const std::string& text) {
  if (text.empty() || text == "table") return AuditFormat::kTable;
  if (text == "wide") return AuditFormat::kWide;
  if (text == "json") return AuditFormat::kJson;
  if (text == "jsonl") return AuditFormat::kJsonl;
  if (text == "csv") return AuditFormat::kCsv;
  return InvalidArgument(
      fmt::format("unable to match a printer suitable for the output format \"{}\", allowed formats are: "
                  "csv,json,jsonl,table,wide",
                  text));
}

std::string Rfc3339Millis(int64_t unix_ms) {
  const int64_t ms = ((unix_ms % 1000) + 1000) % 1000;
  const std::string seconds = Rfc3339(unix_ms - ms);  // "...:SSZ"
  return fmt::format("{}.{:03}Z", seconds.substr(0, seconds.size() - 1), ms);
}

std::string BeforeAfter(const std::string& before, const std::string& after, bool existed_before,
                        bool existed_after) {
  if (!existed_before && !existed_after) return kNone;
  if (!existed_before) return Cell(after);
  if (!existed_after || before == after) return Cell(before);
  return fmt::format("{} → {}", Cell(before), Cell(after));
}

std::vector<std::string> ChangeHeaders(const TableLayout& layout) {
  std::vector<std::string> h = {"TIME"};
  if (layout.wide) h.push_back("CLIENT-TIME");
  h.push_back("AGE");
  if (layout.all_namespaces) h.push_back("NAMESPACE");
  h.insert(h.end(), {"DEPLOYMENT", "ACTOR"});
  if (layout.wide) h.push_back("HOST");
  h.insert(h.end(), {"KIND", "REVISION", "REPLICAS", "IMAGES", "OUTCOME"});
  if (layout.wide) h.insert(h.end(), {"POSITION", "MESSAGE", "COMMAND"});
  h.push_back("CHANGE-CAUSE");
  return h;
}

std::vector<std::string> ChangeCells(const store::ChangeRow& r, int64_t now_ms, const TableLayout& layout) {
  // A Deployment always has a container, so images tell whether it existed.
  const bool before = !r.images_before.empty(), after = !r.images_after.empty();
  std::vector<std::string> c = {Rfc3339(r.log_time_ms)};
  if (layout.wide) c.push_back(Rfc3339(r.client_time_ms));
  c.push_back(render::HumanDuration(now_ms - r.log_time_ms));
  if (layout.all_namespaces) c.push_back(Cell(r.ns));
  c.push_back(Cell(r.name));
  c.push_back(Cell(r.actor));
  if (layout.wide) c.push_back(Cell(r.host));
  c.push_back(Cell(r.kind));
  c.push_back(BeforeAfter(RevisionText(r.revision_before), RevisionText(r.revision_after), before, after));
  c.push_back(
      BeforeAfter(std::to_string(r.replicas_before), std::to_string(r.replicas_after), before, after));
  c.push_back(BeforeAfter(r.images_before, r.images_after, before, after));
  c.push_back(Cell(Outcome(r)));
  if (layout.wide) {
    c.push_back(fmt::format("{}:{}", r.partition, r.offset));
    c.push_back(Cell(r.message));
    c.push_back(Cell(r.command));
  }
  c.push_back(Cell(r.change_cause));
  return c;
}

nlohmann::ordered_json ChangeJson(const store::ChangeRow& r) {
  nlohmann::ordered_json j;
  j["time"] = Rfc3339Millis(r.log_time_ms);
  j["client_time"] = Rfc3339Millis(r.client_time_ms);
  j["log_time_ms"] = r.log_time_ms;
  j["client_time_ms"] = r.client_time_ms;
  j["partition"] = r.partition;
  j["offset"] = r.offset;
  j["record_id"] = r.record_id;
  j["namespace"] = r.ns;
  j["name"] = r.name;
  j["kind"] = r.kind;
  j["actor"] = r.actor;
  j["host"] = r.host;
  j["command"] = r.command;
  j["change_cause"] = r.change_cause;
  j["outcome"] = r.outcome;
  j["reason"] = r.reason;
  j["message"] = r.message;
  j["revision_before"] = r.revision_before;
  j["revision_after"] = r.revision_after;
  j["replicas_before"] = r.replicas_before;
  j["replicas_after"] = r.replicas_after;
  j["images_before"] = r.images_before;
  j["images_after"] = r.images_after;
  j["version_before"] = r.version_before;
  j["version_after"] = r.version_after;
  j["record_sha256"] = events::HexHash(r.record_hash);
  j["prev_record_sha256"] = events::HexHash(r.prev_hash);
  return j;
}

std::vector<std::string> QuarantineHeaders(bool wide) {
  std::vector<std::string> h = {"TIME", "AGE", "PARTITION", "OFFSET", "KEY", "SIZE"};
  if (wide) h.push_back("VALUE-SHA256");
  h.push_back("REASON");
  return h;
}

std::vector<std::string> QuarantineCells(const store::QuarantineRow& r, int64_t now_ms, bool wide) {
  std::vector<std::string> c = {
      Rfc3339(r.log_time_ms),   render::HumanDuration(now_ms - r.log_time_ms), std::to_string(r.partition),
      std::to_string(r.offset), r.key.empty() ? kNone : EscapeBytes(r.key),    std::to_string(r.size)};
  if (wide) c.push_back(Cell(events::HexHash(r.value_hash)));
  c.push_back(Cell(r.reason));
  return c;
}

nlohmann::ordered_json QuarantineJson(const store::QuarantineRow& r) {
  nlohmann::ordered_json j;
  j["time"] = Rfc3339Millis(r.log_time_ms);
  j["log_time_ms"] = r.log_time_ms;
  j["partition"] = r.partition;
  j["offset"] = r.offset;
  j["key"] = EscapeBytes(r.key);
  j["size"] = r.size;
  j["reason"] = r.reason;
  j["value_sha256"] = events::HexHash(r.value_hash);
  return j;
}

std::string EscapeBytes(const std::string& bytes) {
  std::string out;
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(ch);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out.push_back('"');
    for (const char c : f) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('\n');
  return out;
}

std::vector<std::string> CsvHeader(const nlohmann::ordered_json& object) {
  std::vector<std::string> out;
  for (const auto& item : object.items()) out.push_back(item.key());
  return out;
}

std::vector<std::string> CsvFields(const nlohmann::ordered_json& object) {
  std::vector<std::string> out;
  for (const auto& item : object.items()) {
    out.push_back(item.value().is_string() ? item.value().get<std::string>() : JsonLine(item.value()));
  }
  return out;
}

std::string JsonLine(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string JsonPretty(const nlohmann::ordered_json& j) {
  return j.dump(4, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void GrowingTable::Measure(const std::vector<std::string>& cells) {
  const render::TabwriterConfig& cfg = render::kGetTabs;
  if (widths_.size() < cells.size()) widths_.resize(cells.size(), static_cast<size_t>(cfg.min_width));
  for (size_t i = 0; i < cells.size(); ++i) {
    widths_[i] = std::max(widths_[i], render::RuneCount(cells[i]) + static_cast<size_t>(cfg.padding));
  }
}

std::string GrowingTable::Render(const std::vector<std::vector<std::string>>& rows) {
  if (!header_done_) Measure(headers_);
  for (const auto& r : rows) Measure(r);
  std::string out;
  auto line = [this, &out](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out.append(widths_[i] - render::RuneCount(cells[i]), ' ');
    }
    out.push_back('\n');
  };
  if (!header_done_) {
    line(headers_);
    header_done_ = true;
  }
  for (const auto& r : rows) line(r);
  return out;
}

}  // namespace rollbook::cli
