#include "cli/render/blame.h"

#include <fmt/format.h>

#include <ctime>
#include <set>

#include "cli/render/tabwriter.h"

namespace rollbook::render {

namespace {

bool IsIdentifier(const std::string& key) {
  if (key.empty() || !(std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_')) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

bool IsStringMap(const std::string& key) {
  return key == "labels" || key == "annotations" || key == "matchLabels" || key == "nodeSelector";
}

std::string Scalar(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void Walk(const nlohmann::json& node, const std::string& path, bool map_keys, std::vector<FlatField>& out) {
  if (node.is_object()) {
    if (node.empty()) {
      out.push_back({path, "{}"});
      return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string& key = it.key();
      std::string child;
      if (!map_keys && IsIdentifier(key)) {
        child = path.empty() ? key : path + "." + key;
      } else {
        child = path + "[" + key + "]";
      }
      Walk(it.value(), child, IsStringMap(key), out);
    }
  } else if (node.is_array()) {
    if (node.empty()) {
      out.push_back({path, "[]"});
      return;
    }
    std::map<std::string, int> names;
    for (const auto& item : node) {
      if (item.is_object() && item.contains("name") && item["name"].is_string()) ++names[item["name"]];
    }
    for (size_t i = 0; i < node.size(); ++i) {
      const auto& item = node[i];
      const bool by_name =
          item.is_object() && item.contains("name") && item["name"].is_string() && names[item["name"]] == 1;
      const std::string child = by_name ? fmt::format("{}[name={}]", path, item["name"].get<std::string>())
                                        : fmt::format("{}[{}]", path, i);
      Walk(item, child, false, out);
    }
  } else {
    out.push_back({path, Scalar(node)});
  }
}

std::string Time(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// One table cell: no tabs or newlines (they would break the alignment).
std::string Cell(std::string s, size_t max) {
  for (char& c : s) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  if (s.empty()) return "\"\"";
  if (max > 3 && s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

}  // namespace

std::vector<FlatField> Flatten(const nlohmann::json& doc) {
  std::vector<FlatField> out;
  if (doc.is_object() && doc.empty()) return out;
  Walk(doc, "", false, out);
  return out;
}

void BlameTracker::Step(const nlohmann::json& doc_after, const ChangeRef& change) {
  std::vector<FlatField> now = Flatten(doc_after);
  std::set<std::string> present;
  for (const auto& f : now) {
    present.insert(f.path);
    auto it = blame_.find(f.path);
    if (it == blame_.end() || it->second.first != f.value) blame_[f.path] = {f.value, change};
  }
  std::erase_if(blame_, [&](const auto& entry) { return !present.count(entry.first); });
  last_ = std::move(now);
}

std::vector<BlameLine> BlameTracker::Lines() const {
  std::vector<BlameLine> out;
  for (const auto& f : last_) out.push_back({f.path, f.value, blame_.at(f.path).second});
  return out;
}

std::string BlameTable(const std::vector<BlameLine>& lines, size_t max_value) {
  std::string text = "FIELD\tVALUE\tLAST CHANGED (BROKER TIME)\tACTOR\tKIND\tCHANGE-CAUSE\tRECORD\n";
  for (const auto& l : lines) {
    const ChangeRef& c = l.change;
    text += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}:{}\n", Cell(l.path, 0), Cell(l.value, max_value),
                        Time(c.log_time_ms), Cell(c.actor, 0), c.kind,
                        c.change_cause.empty() ? "<none>" : Cell(c.change_cause, max_value), c.partition,
                        c.offset);
  }
  return AlignTabs(text, kGetTabs);
}

}  // namespace rollbook::render
