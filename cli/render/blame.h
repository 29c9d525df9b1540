// Blame: for each field of a document, the change that last set it.
//
// Flatten() turns a JSON document into leaf fields with stable paths:
//   spec.replicas                                   3
//   spec.template.spec.containers[name=web].image  nginx:1.27
//   metadata.annotations[kubernetes.io/change-cause]
// Object keys print as ".key" when they are plain identifiers and as "[key]"
// otherwise and always inside labels/annotations/matchLabels/nodeSelector
// maps; list items are addressed by their "name" when they have a unique one
// ("[name=web]"), else by index ("[0]"). Empty objects and lists are leaves
// ("{}", "[]") so that clearing a field is attributed too.
//
// BlameTracker is fed the document after every applied change, oldest first;
// a field is attributed to the change after which its value first differed
// from the value before (or after which it appeared). A change that writes a
// value that was already there does not take the blame, as in git blame. A
// field that disappears loses its history: if it comes back, the change that
// brought it back is blamed. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rollbook::render {

struct FlatField {
  std::string path;
  std::string value;
};

// Leaf fields in document order (keys sorted, list order kept).
std::vector<FlatField> Flatten(const nlohmann::json& doc);

// Who made a change, as the audit index records it.
struct ChangeRef {
  int64_t log_time_ms = 0;
  std::string actor;
  std::string kind;          // "scale", "set-image", ...
  std::string change_cause;  // the record's --record text, may be empty
  int32_t partition = 0;
  int64_t offset = 0;
  std::string record_id;
};

struct BlameLine {
  std::string path;
  std::string value;
  ChangeRef change;
};

class BlameTracker {
 public:
  void Step(const nlohmann::json& doc_after, const ChangeRef& change);
  // The fields of the last document, in its order, with their blame.
  std::vector<BlameLine> Lines() const;

 private:
  std::vector<FlatField> last_;
  std::map<std::string, std::pair<std::string, ChangeRef>> blame_;  // path -> (value, change)
};

// The table `rollbook blame` prints (kubectl get's alignment):
// FIELD VALUE LAST CHANGED (BROKER TIME) ACTOR KIND CHANGE-CAUSE RECORD.
// Values longer than `max_value` characters are cut with "...".
std::string BlameTable(const std::vector<BlameLine>& lines, size_t max_value = 48);

}  // namespace rollbook::render
