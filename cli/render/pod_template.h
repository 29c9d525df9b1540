// Pod template description: the text kubectl's DescribePodTemplate writes.
//
// DescribePodTemplate renders a Kubernetes PodTemplateSpec (JSON, as stored by
// rollbook: {"metadata":{"labels","annotations"},"spec":{...}}) into the block
// that starts with "Pod Template:\n". The result keeps raw TAB characters and
// is NOT aligned: `rollout history --revision` and `undo --dry-run=client`
// print it as-is, and `describe deployment` embeds it in its tabbed document
// before aligning the whole (see tabwriter.h).
//
// Contract (spec §3.3): labels sorted `k=v` with bare-TAB continuation lines;
// annotations sorted `key: value` (last-applied-configuration hidden, long or
// multi-line values folded); Service Account; Init Containers; Containers
// (Image, Port(s), Host Port(s), Command/Args, Limits/Requests, probes,
// Environment Variables from, Environment, Mounts/Devices); Volumes; Topology
// Spread Constraints; Priority Class Name; Node-Selectors; Tolerations.
// API-server defaults that may be absent from the JSON are applied the way the
// server would (port protocol TCP, probe timeout 1/period 10/success 1/
// failure 3, httpGet scheme HTTP and path "/", fieldRef apiVersion v1).
// Fields kubectl does not print (imagePullPolicy, terminationMessagePath, ...)
// are ignored. Resource quantities are printed in canonical form ("0.5" ->
// "500m", "1024Mi" -> "1Gi"). ESC and CR in values are escaped ("^[", "\r")
// like kubectl's terminal-safe writer. Malformed JSON never throws: missing or
// mistyped fields read as empty.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace rollbook::render {

// The annotation `rollout history --revision` injects from the RS.
inline constexpr char kChangeCauseAnnotation[] = "kubernetes.io/change-cause";
// Never shown by describe.
inline constexpr char kLastAppliedAnnotation[] = "kubectl.kubernetes.io/last-applied-configuration";

// The §3.3 body, starting with "Pod Template:\n", raw TABs. If change_cause is
// non-empty it is set as annotation kubernetes.io/change-cause first.
std::string DescribePodTemplate(const nlohmann::json& pod_template_spec,
                                const std::string& change_cause = "");

// "TITLE:\tk=v\n" then "\tk=v\n" per further label (sorted), or
// "TITLE:\t<none>\n". TITLE carries its own indentation ("  Labels").
std::string LabelsMultiline(std::string_view title, const std::map<std::string, std::string>& labels);

// "TITLE:\tkey: value\n" then "\tkey: value\n" ... (sorted, last-applied
// hidden, values over 140 chars or multi-line folded as "key:\n\t  line\n"
// with lines cut to 138 bytes + "..."), or "TITLE:\t<none>\n".
std::string AnnotationsMultiline(std::string_view title,
                                 const std::map<std::string, std::string>& annotations);

// kubectl's terminal escaping: ESC -> "^[", CR -> "\r" (two characters).
std::string EscapeTerminal(std::string_view s);

// Canonical Kubernetes quantity text ("0.5" -> "500m", "2048Ki" -> "2Mi",
// "1000" -> "1k", "1e3" -> "1e3"). Unparsable input is returned unchanged.
std::string CanonicalQuantity(std::string_view quantity);

}  // namespace rollbook::render
