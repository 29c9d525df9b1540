#include "cli/render/describe_deployment.h"

#include <fmt/format.h>

#include <algorithm>

#include "cli/render/human_duration.h"
#include "cli/render/pod_template.h"
#include "cli/render/tabwriter.h"

namespace rollbook::render {
namespace {

// Go's strings.TrimSpace for the ASCII whitespace set.
std::string TrimSpace(const std::string& s) {
  constexpr const char* kSpace = " \t\n\v\f\r";
  const std::size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string::npos) return "";
  const std::size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

// Appends a LEVEL-indented, terminal-escaped write.
void Write(std::string& out, int level, const std::string& text) {
  out += EscapeTerminal(std::string(static_cast<std::size_t>(level) * 2, ' ') + text);
}

}  // namespace

std::string EventAge(int64_t since_first_ms, int64_t since_last_ms, int32_t count) {
  if (count > 1) {
    return fmt::format("{} (x{} over {})", HumanDuration(since_last_ms), count,
                       HumanDuration(since_first_ms));
  }
  return HumanDuration(since_first_ms);
}

std::string ReplicaSetList(const std::vector<ReplicaSetSummary>& sets) {
  std::string out;
  for (const ReplicaSetSummary& rs : sets) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({}/{} replicas created)", rs.name, rs.replicas, rs.desired);
  }
  return out.empty() ? "<none>" : out;
}

std::string DescribeDeployment(const DeploymentDescription& d) {
  std::string doc;
  Write(doc, 0, fmt::format("Name:\t{}\n", d.name));
  Write(doc, 0, fmt::format("Namespace:\t{}\n", d.namespace_));
  Write(doc, 0, fmt::format("CreationTimestamp:\t{}\n", d.creation_timestamp));
  doc += LabelsMultiline("Labels", d.labels);
  doc += AnnotationsMultiline("Annotations", d.annotations);
  Write(doc, 0, fmt::format("Selector:\t{}\n", d.selector));
  Write(doc, 0,
        fmt::format("Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
                    d.replicas, d.updated, d.total, d.available, d.unavailable));
  Write(doc, 0, fmt::format("StrategyType:\t{}\n", d.strategy_type));
  Write(doc, 0, fmt::format("MinReadySeconds:\t{}\n", d.min_ready_seconds));
  if (d.rolling_update) {
    Write(doc, 0,
          fmt::format("RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
                      d.rolling_update->max_unavailable, d.rolling_update->max_surge));
  }
  // A Deployment's template is a value, never nil: treat "no JSON" as empty.
  doc += DescribePodTemplate(d.pod_template.is_null() ? nlohmann::json::object() : d.pod_template);
  if (!d.conditions.empty()) {
    Write(doc, 0, "Conditions:\n  Type\tStatus\tReason\n");
    Write(doc, 1, "----\t------\t------\n");
    for (const DescribeCondition& c : d.conditions) {
      Write(doc, 1, fmt::format("{} \t{}\t{}\n", c.type, c.status, c.reason));
    }
  }
  if (!d.old_replica_sets.empty() || d.new_replica_set) {
    Write(doc, 0, fmt::format("OldReplicaSets:\t{}\n", ReplicaSetList(d.old_replica_sets)));
    std::vector<ReplicaSetSummary> new_sets;
    if (d.new_replica_set) new_sets.push_back(*d.new_replica_set);
    Write(doc, 0, fmt::format("NewReplicaSet:\t{}\n", ReplicaSetList(new_sets)));
  }
  if (!d.show_events) return AlignTabs(doc, kDescribeTabs);
  if (d.events.empty()) {
    // No flush: this line joins the column block above it.
    Write(doc, 0, "Events:\t<none>\n");
    return AlignTabs(doc, kDescribeTabs);
  }

  // kubectl flushes the aligner before the table, so it is aligned alone.
  std::vector<const DescribeEvent*> events;
  for (const DescribeEvent& e : d.events) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(), [](const DescribeEvent* a, const DescribeEvent* b) {
    return a->last_seen_unix_ms < b->last_seen_unix_ms;
  });
  std::string table;
  Write(table, 0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
  Write(table, 1, "----\t------\t----\t----\t-------\n");
  for (const DescribeEvent* e : events) {
    Write(table, 1,
          fmt::format("{}\t{}\t{}\t{}\t{}\n", e->type, e->reason, e->age, e->from, TrimSpace(e->message)));
  }
  return AlignTabs(doc, kDescribeTabs) + AlignTabs(table, kDescribeTabs);
}

}  // namespace rollbook::render
