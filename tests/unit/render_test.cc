// Tests for cli/render: Go-tabwriter emulation, HumanDuration, the pod
// template description and `describe deployment`, and the get table.
// Golden strings are byte-exact copies of the samples in
// shared/spec/kubernetes-semantics.md (§3.2, §3.3, §7.3).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/render/describe_deployment.h"
#include "cli/render/get_table.h"
#include "cli/render/human_duration.h"
#include "cli/render/pod_template.h"
#include "cli/render/tabwriter.h"

namespace rollbook::render {
namespace {

using json = nlohmann::json;

std::string Describe(const std::string& text) { return AlignTabs(text, kDescribeTabs); }

// ---- Tabwriter ------------------------------------------------------------------

TEST(Tabwriter, text_after_last_tab_is_never_padded) {
  EXPECT_EQ(Describe("a\tb\naaaa\tbbbbbbbb\n"), "a     b\naaaa  bbbbbbbb\n");
}

TEST(Tabwriter, column_width_is_widest_cell_plus_padding) {
  EXPECT_EQ(Describe("x\t1\nlonger\t2\n"), "x       1\nlonger  2\n");
  EXPECT_EQ(AlignTabs("x\t1\nlonger\t2\n", TabwriterConfig{0, 8, 5}), "x          1\nlonger     2\n");
}

TEST(Tabwriter, line_without_tabs_ends_column_block) {
  EXPECT_EQ(Describe("a\t1\nbreak\nlonger\t2\n"), "a  1\nbreak\nlonger  2\n");
}

TEST(Tabwriter, empty_line_ends_column_block) {
  EXPECT_EQ(Describe("a\t1\n\nlonger\t2\n"), "a  1\n\nlonger  2\n");
}

TEST(Tabwriter, nested_columns_are_aligned_within_enclosing_block) {
  // Column 1 only spans the two lines that have a second tab.
  EXPECT_EQ(Describe("k\tv\nkey\tvalue\tx\nk\tv\ty\n"), "k    v\nkey  value  x\nk    v      y\n");
  // A line with one cell breaks column 1 but not column 0.
  EXPECT_EQ(Describe("a\tb\tc\nlong\tx\nz\tbbbb\tc\n"), "a     b  c\nlong  x\nz     bbbb  c\n");
}

TEST(Tabwriter, empty_cells_are_padded) {
  EXPECT_EQ(Describe("Labels:\ta=b\n\tc=d\n"), "Labels:  a=b\n         c=d\n");
}

TEST(Tabwriter, min_width_applies_to_padded_width) {
  EXPECT_EQ(AlignTabs("A\tB\nx\ty\n", kGetTabs), "A     B\nx     y\n");
  EXPECT_EQ(AlignTabs("NAME\tREADY\nweb\t3/3\n", kGetTabs), "NAME   READY\nweb    3/3\n");
}

TEST(Tabwriter, cells_are_measured_in_runes_not_bytes) {
  // "é" is two bytes, one rune; "日本" is six bytes, two runes.
  EXPECT_EQ(Describe("é\t1\nab\t2\n"), "é   1\nab  2\n");
  EXPECT_EQ(Describe("日本\tx\nabc\ty\n"), "日本   x\nabc  y\n");
  EXPECT_EQ(RuneCount("日本"), 2u);
  EXPECT_EQ(RuneCount("\xff\xfe"), 2u);      // invalid bytes count one each
  EXPECT_EQ(RuneCount("\xe6\x97"), 2u);      // truncated sequence
  EXPECT_EQ(RuneCount("\xed\xa0\x80"), 3u);  // surrogate encodings are invalid
}

TEST(Tabwriter, final_line_without_newline_is_kept_unterminated) {
  EXPECT_EQ(Describe("a\tb\nccc\td"), "a    b\nccc  d");
  EXPECT_EQ(Describe("no tabs at all"), "no tabs at all");
  EXPECT_EQ(Describe(""), "");
}

TEST(Tabwriter, trailing_tab_on_unterminated_last_line_is_not_a_cell_column) {
  // Go: at Flush an empty trailing cell is not added, so the last line's only
  // cell is not part of any column and the TAB itself is dropped.
  EXPECT_EQ(Describe("a\tb\nccc\t"), "a  b\nccc");
}

TEST(Tabwriter, formfeed_flushes_and_becomes_newline) {
  EXPECT_EQ(Describe("a\tb\f"
                     "longer\tc\n"),
            "a  b\nlonger  c\n");
  EXPECT_EQ(Describe("a\tb\n"
                     "longer\tc\n"),
            "a       b\nlonger  c\n");
}

TEST(Tabwriter, vertical_tab_terminates_a_cell) {
  EXPECT_EQ(Describe("a\vb\nlonger\vc\n"), "a       b\nlonger  c\n");
}

TEST(Tabwriter, escaped_text_keeps_tabs_and_escape_bytes_do_not_count) {
  EXPECT_EQ(Describe("\xff"
                     "a\tb"
                     "\xff"
                     "\tx\nlonger\ty\n"),
            "\xff"
            "a\tb"
            "\xff"
            "     x\nlonger  y\n");
}

TEST(Tabwriter, chunks_aligned_separately_are_independent) {
  EXPECT_EQ(Describe("a\t1\n") + Describe("longer\t2\n"), "a  1\nlonger  2\n");
}

TEST(Tabwriter, rollout_history_sample_matches_spec_3_2) {
  const std::string body = Describe(
      "REVISION\tCHANGE-CAUSE\n"
      "1\t<none>\n"
      "2\t<none>\n"
      "3\tkubectl set image deployment/nginx-deployment nginx=nginx:1.161 --record=true\n");
  // Name printer: "<kind>.<group>/<name> " + "\n" + body, then "\n".
  const std::string stdout_text = "deployment.apps/nginx-deployment " + std::string("\n") + body + "\n";
  EXPECT_EQ(stdout_text,
            "deployment.apps/nginx-deployment \n"
            "REVISION  CHANGE-CAUSE\n"
            "1         <none>\n"
            "2         <none>\n"
            "3         kubectl set image deployment/nginx-deployment nginx=nginx:1.161 --record=true\n"
            "\n");
}

// The §7.3 document exactly as kubectl hands it to the tabwriter.
const char kDescribeTabbedSource[] =
    "Name:\tnginx-deployment\n"
    "Namespace:\tdefault\n"
    "CreationTimestamp:\tThu, 30 Nov 2017 10:56:25 +0000\n"
    "Labels:\tapp=nginx\n"
    "Annotations:\tdeployment.kubernetes.io/revision: 2\n"
    "\tkubernetes.io/change-cause: image updated to 1.16.1\n"
    "Selector:\tapp=nginx\n"
    "Replicas:\t3 desired | 3 updated | 3 total | 3 available | 0 unavailable\n"
    "StrategyType:\tRollingUpdate\n"
    "MinReadySeconds:\t0\n"
    "RollingUpdateStrategy:\t25% max unavailable, 25% max surge\n"
    "Pod Template:\n"
    "  Labels:\tapp=nginx\n"
    "  Containers:\n"
    "   nginx:\n"
    "    Image:\tnginx:1.16.1\n"
    "    Port:\t80/TCP\n"
    "    Host Port:\t0/TCP\n"
    "    Environment:\t<none>\n"
    "    Mounts:\t<none>\n"
    "  Volumes:\t<none>\n"
    "  Node-Selectors:\t<none>\n"
    "  Tolerations:\t<none>\n"
    "Conditions:\n"
    "  Type\tStatus\tReason\n"
    "  ----\t------\t------\n"
    "  Available \tTrue\tMinimumReplicasAvailable\n"
    "  Progressing \tTrue\tNewReplicaSetAvailable\n"
    "OldReplicaSets:\tnginx-deployment-75675f5897 (0/0 replicas created)\n"
    "NewReplicaSet:\tnginx-deployment-c4747d96c (3/3 replicas created)\n";

const char kEventsTabbedSource[] =
    "Events:\n"
    "  Type\tReason\tAge\tFrom\tMessage\n"
    "  ----\t------\t----\t----\t-------\n"
    "  Normal\tScalingReplicaSet\t2m\tdeployment-controller\tScaled up replica set "
    "nginx-deployment-75675f5897 from 0 to 3\n"
    "  Normal\tScalingReplicaSet\t24s\tdeployment-controller\tScaled up replica set "
    "nginx-deployment-c4747d96c from 0 to 1\n"
    "  Normal\tScalingReplicaSet\t22s\tdeployment-controller\tScaled down replica set "
    "nginx-deployment-75675f5897 from 3 to 2\n"
    "  Normal\tScalingReplicaSet\t22s\tdeployment-controller\tScaled up replica set "
    "nginx-deployment-c4747d96c from 1 to 2\n"
    "  Normal\tScalingReplicaSet\t19s\tdeployment-controller\tScaled down replica set "
    "nginx-deployment-75675f5897 from 2 to 1\n"
    "  Normal\tScalingReplicaSet\t19s\tdeployment-controller\tScaled up replica set "
    "nginx-deployment-c4747d96c from 2 to 3\n"
    "  Normal\tScalingReplicaSet\t14s\tdeployment-controller\tScaled down replica set "
    "nginx-deployment-75675f5897 from 1 to 0\n";

// Spec §7.3, byte for byte.
const char kDescribeGolden[] =
    "Name:                   nginx-deployment\n"
    "Namespace:              default\n"
    "CreationTimestamp:      Thu, 30 Nov 2017 10:56:25 +0000\n"
    "Labels:                 app=nginx\n"
    "Annotations:            deployment.kubernetes.io/revision: 2\n"
    "                        kubernetes.io/change-cause: image updated to 1.16.1\n"
    "Selector:               app=nginx\n"
    "Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable\n"
    "StrategyType:           RollingUpdate\n"
    "MinReadySeconds:        0\n"
    "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n"
    "Pod Template:\n"
    "  Labels:  app=nginx\n"
    "  Containers:\n"
    "   nginx:\n"
    "    Image:         nginx:1.16.1\n"
    "    Port:          80/TCP\n"
    "    Host Port:     0/TCP\n"
    "    Environment:   <none>\n"
    "    Mounts:        <none>\n"
    "  Volumes:         <none>\n"
    "  Node-Selectors:  <none>\n"
    "  Tolerations:     <none>\n"
    "Conditions:\n"
    "  Type           Status  Reason\n"
    "  ----           ------  ------\n"
    "  Available      True    MinimumReplicasAvailable\n"
    "  Progressing    True    NewReplicaSetAvailable\n"
    "OldReplicaSets:  nginx-deployment-75675f5897 (0/0 replicas created)\n"
    "NewReplicaSet:   nginx-deployment-c4747d96c (3/3 replicas created)\n"
    "Events:\n"
    "  Type    Reason             Age   From                   Message\n"
    "  ----    ------             ----  ----                   -------\n"
    "  Normal  ScalingReplicaSet  2m    deployment-controller  Scaled up replica set "
    "nginx-deployment-75675f5897 from 0 to 3\n"
    "  Normal  ScalingReplicaSet  24s   deployment-controller  Scaled up replica set "
    "nginx-deployment-c4747d96c from 0 to 1\n"
    "  Normal  ScalingReplicaSet  22s   deployment-controller  Scaled down replica set "
    "nginx-deployment-75675f5897 from 3 to 2\n"
    "  Normal  ScalingReplicaSet  22s   deployment-controller  Scaled up replica set "
    "nginx-deployment-c4747d96c from 1 to 2\n"
    "  Normal  ScalingReplicaSet  19s   deployment-controller  Scaled down replica set "
    "nginx-deployment-75675f5897 from 2 to 1\n"
    "  Normal  ScalingReplicaSet  19s   deployment-controller  Scaled up replica set "
    "nginx-deployment-c4747d96c from 2 to 3\n"
    "  Normal  ScalingReplicaSet  14s   deployment-controller  Scaled down replica set "
    "nginx-deployment-75675f5897 from 1 to 0\n";

TEST(Tabwriter, describe_sample_matches_spec_7_3) {
  // As kubectl does it: flush before the events table.
  EXPECT_EQ(Describe(kDescribeTabbedSource) + Describe(kEventsTabbedSource), kDescribeGolden);
  // "Events:" has no TAB, so one single chunk aligns identically.
  EXPECT_EQ(Describe(std::string(kDescribeTabbedSource) + kEventsTabbedSource), kDescribeGolden);
}

// ---- HumanDuration --------------------------------------------------------------

TEST(HumanDuration, thresholds_match_apimachinery) {
  constexpr int64_t kS = 1000, kM = 60 * kS, kH = 60 * kM, kD = 24 * kH, kY = 365 * kD;
  const struct {
    int64_t ms;
    const char* want;
  } cases[] = {
      {0, "0s"},
      {999, "0s"},
      {1 * kS, "1s"},
      {59 * kS, "59s"},
      {60 * kS, "60s"},
      {2 * kM - 1, "119s"},
      {2 * kM, "2m"},
      {5 * kM + 3 * kS, "5m3s"},
      {5 * kM, "5m"},
      {10 * kM - kS, "9m59s"},
      {10 * kM, "10m"},
      {10 * kM + 30 * kS, "10m"},
      {3 * kH - kS, "179m"},
      {3 * kH, "3h"},
      {3 * kH + 30 * kM, "3h30m"},
      {8 * kH - kS, "7h59m"},
      {8 * kH, "8h"},
      {8 * kH + 59 * kM, "8h"},
      {48 * kH - kS, "47h"},
      {48 * kH, "2d"},
      {2 * kD + 5 * kH, "2d5h"},
      {8 * kD - kS, "7d23h"},
      {8 * kD, "8d"},
      {2 * kY - kS, "729d"},
      {2 * kY, "2y"},
      {2 * kY + 40 * kD, "2y40d"},
      {8 * kY - kS, "7y364d"},
      {8 * kY, "8y"},
      {100 * kY + 7 * kD, "100y"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(HumanDuration(c.ms), c.want) << "ms=" << c.ms;
  }
}

TEST(HumanDuration, small_negative_is_zero_and_below_minus_one_second_is_invalid) {
  EXPECT_EQ(HumanDuration(-1), "0s");
  EXPECT_EQ(HumanDuration(-1999), "0s");  // truncates to -1s
  EXPECT_EQ(HumanDuration(-2000), "<invalid>");
  EXPECT_EQ(HumanDuration(-86400000), "<invalid>");
}

// ---- Pod template ---------------------------------------------------------------

json NginxTemplate(bool with_hash) {
  json t = {{"metadata", {{"labels", {{"app", "nginx"}}}}},
            {"spec",
             {{"containers",
               {{{"name", "nginx"},
                 {"image", "nginx:1.16.1"},
                 {"imagePullPolicy", "IfNotPresent"},
                 {"terminationMessagePath", "/dev/termination-log"},
                 {"terminationMessagePolicy", "File"},
                 {"resources", json::object()},
                 {"ports", {{{"containerPort", 80}, {"protocol", "TCP"}}}}}}},
              {"restartPolicy", "Always"},
              {"dnsPolicy", "ClusterFirst"},
              {"schedulerName", "default-scheduler"},
              {"terminationGracePeriodSeconds", 30},
              {"securityContext", json::object()}}}};
  if (with_hash) t["metadata"]["labels"]["pod-template-hash"] = "c4747d96c";
  return t;
}

TEST(PodTemplate, history_revision_sample_matches_spec_3_3) {
  EXPECT_EQ(
      DescribePodTemplate(NginxTemplate(true),
                          "kubectl set image deployment/nginx-deployment nginx=nginx:1.16.1 --record=true"),
      "Pod Template:\n"
      "  Labels:\tapp=nginx\n"
      "\tpod-template-hash=c4747d96c\n"
      "  Annotations:\tkubernetes.io/change-cause: kubectl set image deployment/nginx-deployment "
      "nginx=nginx:1.16.1 --record=true\n"
      "  Containers:\n"
      "   nginx:\n"
      "    Image:\tnginx:1.16.1\n"
      "    Port:\t80/TCP\n"
      "    Host Port:\t0/TCP\n"
      "    Environment:\t<none>\n"
      "    Mounts:\t<none>\n"
      "  Volumes:\t<none>\n"
      "  Node-Selectors:\t<none>\n"
      "  Tolerations:\t<none>\n");
}

TEST(PodTemplate, no_annotations_means_no_annotations_line_and_empty_labels_print_none) {
  json t = NginxTemplate(false);
  t["metadata"].erase("labels");
  t["spec"]["containers"][0].erase("ports");
  EXPECT_EQ(DescribePodTemplate(t),
            "Pod Template:\n"
            "  Labels:\t<none>\n"
            "  Containers:\n"
            "   nginx:\n"
            "    Image:\tnginx:1.16.1\n"
            "    Port:\t<none>\n"
            "    Host Port:\t<none>\n"
            "    Environment:\t<none>\n"
            "    Mounts:\t<none>\n"
            "  Volumes:\t<none>\n"
            "  Node-Selectors:\t<none>\n"
            "  Tolerations:\t<none>\n");
}

TEST(PodTemplate, change_cause_overrides_template_annotation_and_annotations_are_sorted) {
  json t = NginxTemplate(false);
  t["metadata"]["annotations"] = {{"kubernetes.io/change-cause", "old"}, {"a/b", "1"}};
  const std::string out = DescribePodTemplate(t, "new cause");
  EXPECT_NE(out.find("  Annotations:\ta/b: 1\n\tkubernetes.io/change-cause: new cause\n"), std::string::npos)
      << out;
}

TEST(PodTemplate, last_applied_configuration_is_hidden) {
  json t = NginxTemplate(false);
  t["metadata"]["annotations"] = {{kLastAppliedAnnotation, "{\"big\":true}"}};
  EXPECT_NE(DescribePodTemplate(t).find("  Annotations:\t<none>\n"), std::string::npos);
  t["metadata"]["annotations"]["x"] = "y";
  EXPECT_NE(DescribePodTemplate(t).find("  Annotations:\tx: y\n  Containers:"), std::string::npos);
}

TEST(PodTemplate, long_and_multiline_annotation_values_are_folded) {
  std::map<std::string, std::string> a;
  a["multi"] = "line one\nline two\n";  // the trailing newline is dropped
  a["long"] = std::string(139, 'v');    // 4 + 139 + 2 > 140
  a["short"] = std::string(134, 's');   // 5 + 134 + 2 = 141 > 140
  a["fits"] = std::string(134, 'f');    // 4 + 134 + 2 = 140
  EXPECT_EQ(AnnotationsMultiline("Annotations", a), "Annotations:\tfits: " + std::string(134, 'f') + "\n" +
                                                        "\tlong:\n\t  " + std::string(138, 'v') + "...\n" +
                                                        "\tmulti:\n\t  line one\n\t  line two\n" +
                                                        "\tshort:\n\t  " + std::string(134, 's') + "\n");
  EXPECT_EQ(AnnotationsMultiline("Annotations", {}), "Annotations:\t<none>\n");
}

TEST(PodTemplate, labels_continuation_lines_start_with_a_bare_tab) {
  EXPECT_EQ(LabelsMultiline("Labels", {{"b", "2"}, {"a", "1"}, {"c", ""}}), "Labels:\ta=1\n\tb=2\n\tc=\n");
  EXPECT_EQ(LabelsMultiline("  Node-Selectors", {}), "  Node-Selectors:\t<none>\n");
}

TEST(PodTemplate, several_ports_use_plural_titles_and_named_ports_show_their_name) {
  json t = NginxTemplate(false);
  t["spec"]["containers"][0]["ports"] = {{{"containerPort", 80}, {"name", "http"}},
                                         {{"containerPort", 53}, {"protocol", "UDP"}, {"hostPort", 5353}}};
  const std::string out = DescribePodTemplate(t);
  EXPECT_NE(out.find("    Ports:\t80/TCP (http), 53/UDP\n    Host Ports:\t0/TCP, 5353/UDP\n"),
            std::string::npos)
      << out;
  t["spec"]["containers"][0]["ports"] = {{{"containerPort", 8080}, {"name", "web"}}};
  EXPECT_NE(DescribePodTemplate(t).find("    Port:\t8080/TCP (web)\n    Host Port:\t0/TCP\n"),
            std::string::npos);
}

TEST(PodTemplate, container_details_render_in_kubectl_order) {
  json t = NginxTemplate(false);
  json& c = t["spec"]["containers"][0];
  c["command"] = {"/bin/sh", "-c"};
  c["args"] = {"echo a\necho b"};
  c["resources"] = {{"limits", {{"memory", "128Mi"}, {"cpu", "0.5"}}}, {"requests", {{"cpu", "250m"}}}};
  c["livenessProbe"] = {{"httpGet", {{"path", "/healthz"}, {"port", 8080}, {"scheme", "HTTP"}}},
                        {"timeoutSeconds", 1},
                        {"periodSeconds", 10},
                        {"successThreshold", 1},
                        {"failureThreshold", 3}};
  c["readinessProbe"] = {{"exec", {{"command", {"cat", "/tmp/healthy"}}}}, {"initialDelaySeconds", 5}};
  c["startupProbe"] = {{"tcpSocket", {{"port", "http"}}}, {"failureThreshold", 30}};
  c["env"] = {{{"name", "EMPTY"}}, {{"name", "MODE"}, {"value", "fast"}}};
  c["volumeMounts"] = {
      {{"name", "data"}, {"mountPath", "/var/data"}},
      {{"name", "cfg"}, {"mountPath", "/etc/cfg"}, {"readOnly", true}, {"subPath", "app.conf"}}};
  EXPECT_EQ(
      DescribePodTemplate(t),
      "Pod Template:\n"
      "  Labels:\tapp=nginx\n"
      "  Containers:\n"
      "   nginx:\n"
      "    Image:\tnginx:1.16.1\n"
      "    Port:\t80/TCP\n"
      "    Host Port:\t0/TCP\n"
      "    Command:\n"
      "      /bin/sh\n"
      "      -c\n"
      "    Args:\n"
      "      echo a\n"
      "      echo b\n"
      "    Limits:\n"
      "      cpu:\t500m\n"
      "      memory:\t128Mi\n"
      "    Requests:\n"
      "      cpu:\t250m\n"
      "    Liveness:\thttp-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3\n"
      "    Readiness:\texec [cat /tmp/healthy] delay=5s timeout=1s period=10s #success=1 #failure=3\n"
      "    Startup:\ttcp-socket :http delay=0s timeout=1s period=10s #success=1 #failure=30\n"
      "    Environment:\n"
      "      EMPTY:\t\n"
      "      MODE:\tfast\n"
      "    Mounts:\n"
      "      /etc/cfg from cfg (ro,path=\"app.conf\")\n"
      "      /var/data from data (rw)\n"
      "  Volumes:\t<none>\n"
      "  Node-Selectors:\t<none>\n"
      "  Tolerations:\t<none>\n");
}

TEST(PodTemplate, probe_defaults_are_applied_when_fields_are_missing) {
  json t = NginxTemplate(false);
  t["spec"]["containers"][0]["livenessProbe"] = {{"httpGet", {{"port", 80}, {"host", "::1"}}}};
  t["spec"]["containers"][0]["readinessProbe"] = {{"grpc", {{"port", 9000}}}};
  const std::string out = DescribePodTemplate(t);
  EXPECT_NE(out.find("    Liveness:\thttp-get http://[::1]:80/ delay=0s timeout=1s period=10s "
                     "#success=1 #failure=3\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("    Readiness:\tgrpc <pod>:9000  delay=0s timeout=1s period=10s #success=1 "
                     "#failure=3\n"),
            std::string::npos)
      << out;
}

TEST(PodTemplate, probe_url_path_is_escaped_like_go_net_url) {
  json t = NginxTemplate(false);
  t["spec"]["containers"][0]["livenessProbe"] = {
      {"httpGet", {{"path", "ready now?x=1"}, {"port", "web"}, {"scheme", "HTTPS"}}}};
  EXPECT_NE(DescribePodTemplate(t).find("http-get https://:web/ready%20now%3Fx=1 delay=0s"),
            std::string::npos);
}

TEST(PodTemplate, env_value_from_forms) {
  json t = NginxTemplate(false);
  json& c = t["spec"]["containers"][0];
  c["resources"] = {{"limits", {{"memory", "1Gi"}, {"cpu", "1500m"}}}};
  c["env"] = {
      {{"name", "PASS"}, {"valueFrom", {{"secretKeyRef", {{"name", "s"}, {"key", "k"}}}}}},
      {{"name", "CFG"},
       {"valueFrom", {{"configMapKeyRef", {{"name", "cm"}, {"key", "c"}, {"optional", true}}}}}},
      {{"name", "POD"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}},
      {{"name", "CPU"}, {"valueFrom", {{"resourceFieldRef", {{"resource", "limits.cpu"}}}}}},
      {{"name", "MEM_MI"},
       {"valueFrom", {{"resourceFieldRef", {{"resource", "limits.memory"}, {"divisor", "1Mi"}}}}}},
      {{"name", "REQ"}, {"valueFrom", {{"resourceFieldRef", {{"resource", "requests.memory"}}}}}},
      {{"name", "ML"}, {"value", "a\nb"}},
  };
  const std::string out = DescribePodTemplate(t);
  EXPECT_NE(out.find("    Environment:\n"
                     "      PASS:\t<set to the key 'k' in secret 's'>\tOptional: false\n"
                     "      CFG:\t<set to the key 'c' of config map 'cm'>\tOptional: true\n"
                     "      POD:\t (v1:metadata.name)\n"
                     "      CPU:\t2 (limits.cpu)\n"
                     "      MEM_MI:\t1024 (limits.memory)\n"
                     "      REQ:\t0 (requests.memory)\n"
                     "      ML:\ta\n"
                     "      \tb\n"
                     "    Mounts:"),
            std::string::npos)
      << out;
  // Without limits the downward API reports node allocatable.
  c.erase("resources");
  EXPECT_NE(DescribePodTemplate(t).find("      CPU:\tnode allocatable (limits.cpu)\n"), std::string::npos);
}

TEST(PodTemplate, env_from_forms_precede_environment) {
  json t = NginxTemplate(false);
  t["spec"]["containers"][0]["envFrom"] = {
      {{"configMapRef", {{"name", "app-config"}}}},
      {{"secretRef", {{"name", "creds"}, {"optional", true}}}, {"prefix", "DB_"}}};
  EXPECT_NE(DescribePodTemplate(t).find("    Host Port:\t0/TCP\n"
                                        "    Environment Variables from:\n"
                                        "      app-config\tConfigMap\tOptional: false\n"
                                        "      creds\tSecret with prefix 'DB_'\tOptional: true\n"
                                        "    Environment:\t<none>\n"),
            std::string::npos);
}

TEST(PodTemplate, volume_blocks_for_common_sources) {
  json t = NginxTemplate(false);
  t["spec"]["volumes"] = {
      {{"name", "cache"}, {"emptyDir", json::object()}},
      {{"name", "mem"}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "1024Mi"}}}},
      {{"name", "cfg"}, {"configMap", {{"name", "app"}, {"defaultMode", 420}}}},
      {{"name", "tls"}, {"secret", {{"secretName", "tls"}, {"optional", true}}}},
      {{"name", "host"}, {"hostPath", {{"path", "/var/log"}, {"type", "Directory"}}}},
      {{"name", "data"}, {"persistentVolumeClaim", {{"claimName", "data-0"}}}},
      {{"name", "odd"}, {"awsElasticBlockStoreX", {{"volumeID", "v"}}}},
      {{"name", "none"}},
  };
  const std::string out = DescribePodTemplate(t);
  EXPECT_NE(
      out.find(
          "  Volumes:\n"
          "   cache:\n"
          "    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
          "    Medium:\t\n"
          "    SizeLimit:\t<unset>\n"
          "   mem:\n"
          "    Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
          "    Medium:\tMemory\n"
          "    SizeLimit:\t1Gi\n"
          "   cfg:\n"
          "    Type:\tConfigMap (a volume populated by a ConfigMap)\n"
          "    Name:\tapp\n"
          "    Optional:\tfalse\n"
          "   tls:\n"
          "    Type:\tSecret (a volume populated by a Secret)\n"
          "    SecretName:\ttls\n"
          "    Optional:\ttrue\n"
          "   host:\n"
          "    Type:\tHostPath (bare host directory volume)\n"
          "    Path:\t/var/log\n"
          "    HostPathType:\tDirectory\n"
          "   data:\n"
          "    Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"
          "    ClaimName:\tdata-0\n"
          "    ReadOnly:\tfalse\n"
          "   odd:\n"
          "    Type:\tawsElasticBlockStoreX\n"
          "   none:\n"
          "  <unknown>\n"
          "  Node-Selectors:\t<none>\n"),
      std::string::npos)
      << out;
}

TEST(PodTemplate, scheduling_fields_and_init_containers) {
  json t = NginxTemplate(false);
  t["spec"]["serviceAccountName"] = "builder";
  t["spec"]["priorityClassName"] = "high";
  t["spec"]["nodeSelector"] = {{"disktype", "ssd"}, {"arch", "amd64"}};
  t["spec"]["tolerations"] = {
      {{"key", "node.kubernetes.io/unreachable"},
       {"operator", "Exists"},
       {"effect", "NoExecute"},
       {"tolerationSeconds", 300}},
      {{"key", "dedicated"}, {"operator", "Equal"}, {"value", "gpu"}, {"effect", "NoSchedule"}},
      {{"operator", "Exists"}}};
  t["spec"]["initContainers"] = {{{"name", "init"}, {"image", "busybox"}}};
  json selector = {{"matchLabels", {{"app", "nginx"}}}};
  selector["matchExpressions"] = json::array();
  selector["matchExpressions"].push_back({{"key", "tier"}, {"operator", "In"}, {"values", {"web", "cache"}}});
  json constraint = {{"maxSkew", 1}, {"topologyKey", "zone"}, {"whenUnsatisfiable", "DoNotSchedule"}};
  constraint["labelSelector"] = selector;
  t["spec"]["topologySpreadConstraints"] = json::array({constraint});
  EXPECT_EQ(DescribePodTemplate(t),
            "Pod Template:\n"
            "  Labels:\tapp=nginx\n"
            "  Service Account:\tbuilder\n"
            "  Init Containers:\n"
            "   init:\n"
            "    Image:\tbusybox\n"
            "    Port:\t<none>\n"
            "    Host Port:\t<none>\n"
            "    Environment:\t<none>\n"
            "    Mounts:\t<none>\n"
            "  Containers:\n"
            "   nginx:\n"
            "    Image:\tnginx:1.16.1\n"
            "    Port:\t80/TCP\n"
            "    Host Port:\t0/TCP\n"
            "    Environment:\t<none>\n"
            "    Mounts:\t<none>\n"
            "  Volumes:\t<none>\n"
            "  Topology Spread Constraints:\tzone:DoNotSchedule when max skew 1 is exceeded for "
            "selector app=nginx,tier in (cache,web)\n"
            "  Priority Class Name:\thigh\n"
            "  Node-Selectors:\tarch=amd64\n"
            "\tdisktype=ssd\n"
            "  Tolerations:\top=Exists\n"
            "\tdedicated=gpu:NoSchedule\n"
            "\tnode.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n");
}

TEST(PodTemplate, quantities_are_printed_in_canonical_form) {
  const struct {
    const char* in;
    const char* want;
  } cases[] = {
      {"500m", "500m"},    {"0.5", "500m"},
      {"1", "1"},          {"1000m", "1"},
      {"1000", "1k"},      {"1500", "1500"},
      {"128Mi", "128Mi"},  {"1024Mi", "1Gi"},
      {"2048Ki", "2Mi"},   {"1536Mi", "1536Mi"},
      {"1.5Gi", "1536Mi"}, {"0.5Ki", "512"},
      {"1e3", "1e3"},      {"1.5e3", "1500"},
      {"1E6", "1e6"},      {"0", "0"},
      {"0Mi", "0"},        {"-250m", "-250m"},
      {"0.1n", "1n"},      {"100u", "100u"},
      {"1.1m", "1100u"},   {"12e-1", "1200e-3"},
      {" 2 ", "2"},        {"abc", "abc"},
      {"1Ki2", "1Ki2"},    {"", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(CanonicalQuantity(c.in), c.want) << c.in;
}

TEST(PodTemplate, terminal_control_characters_are_escaped) {
  json t = NginxTemplate(false);
  t["spec"]["containers"][0]["image"] = "evil\x1b[31m\r";
  EXPECT_NE(DescribePodTemplate(t).find("    Image:\tevil^[[31m\\r\n"), std::string::npos);
  EXPECT_EQ(EscapeTerminal("a\x1b"
                           "b\rc"),
            "a^[b\\rc");
}

TEST(PodTemplate, malformed_json_does_not_throw) {
  EXPECT_EQ(DescribePodTemplate(json()), "Pod Template:\n  <unset>");
  const json odd = {{"metadata", 5},
                    {"spec",
                     {{"containers", {{{"name", 7}, {"ports", "x"}, {"env", {1, 2}}}}},
                      {"volumes", {{{"name", "v"}, {"emptyDir", {{"sizeLimit", "junk"}}}}}},
                      {"tolerations", json::object()}}}};
  std::string out;
  EXPECT_NO_THROW(out = DescribePodTemplate(odd));
  EXPECT_NE(out.find("   7:\n"), std::string::npos) << out;
  EXPECT_NE(out.find("    SizeLimit:\t<unset>\n"), std::string::npos) << out;
}

// ---- describe deployment --------------------------------------------------------

DeploymentDescription Spec73Deployment() {
  DeploymentDescription d;
  d.name = "nginx-deployment";
  d.namespace_ = "default";
  d.creation_timestamp = "Thu, 30 Nov 2017 10:56:25 +0000";
  d.labels = {{"app", "nginx"}};
  d.annotations = {{"deployment.kubernetes.io/revision", "2"},
                   {"kubernetes.io/change-cause", "image updated to 1.16.1"}};
  d.selector = "app=nginx";
  d.replicas = d.updated = d.total = d.available = 3;
  d.unavailable = 0;
  d.strategy_type = "RollingUpdate";
  d.min_ready_seconds = 0;
  d.rolling_update = RollingUpdateParams{"25%", "25%"};
  d.pod_template = NginxTemplate(false);
  d.conditions = {{"Available", "True", "MinimumReplicasAvailable"},
                  {"Progressing", "True", "NewReplicaSetAvailable"}};
  d.old_replica_sets = {{"nginx-deployment-75675f5897", 0, 0}};
  d.new_replica_set = ReplicaSetSummary{"nginx-deployment-c4747d96c", 3, 3};
  const char* kFrom = "deployment-controller";
  d.events = {
      {"Normal", "ScalingReplicaSet", "2m", kFrom,
       "Scaled up replica set nginx-deployment-75675f5897 from 0 to 3", 1000},
      {"Normal", "ScalingReplicaSet", "24s", kFrom,
       "Scaled up replica set nginx-deployment-c4747d96c from 0 to 1", 2000},
      {"Normal", "ScalingReplicaSet", "22s", kFrom,
       "Scaled down replica set nginx-deployment-75675f5897 from 3 to 2", 3000},
      {"Normal", "ScalingReplicaSet", "22s", kFrom,
       "Scaled up replica set nginx-deployment-c4747d96c from 1 to 2", 3000},
      {"Normal", "ScalingReplicaSet", "19s", kFrom,
       "Scaled down replica set nginx-deployment-75675f5897 from 2 to 1", 4000},
      {"Normal", "ScalingReplicaSet", "19s", kFrom,
       "Scaled up replica set nginx-deployment-c4747d96c from 2 to 3", 4000},
      {"Normal", "ScalingReplicaSet", "14s", kFrom,
       "Scaled down replica set nginx-deployment-75675f5897 from 1 to 0\n", 5000},
  };
  return d;
}

TEST(DescribeDeployment, spec_7_3_sample_is_reproduced_byte_exact) {
  EXPECT_EQ(DescribeDeployment(Spec73Deployment()), kDescribeGolden);
}

TEST(DescribeDeployment, events_are_ordered_by_last_seen_keeping_ties_in_order) {
  DeploymentDescription d = Spec73Deployment();
  std::swap(d.events[0], d.events[6]);  // timestamps decide, not input order
  EXPECT_EQ(DescribeDeployment(d), kDescribeGolden);
}

TEST(DescribeDeployment, empty_events_join_previous_block_and_recreate_omits_rolling_update) {
  DeploymentDescription d = Spec73Deployment();
  d.strategy_type = "Recreate";
  d.rolling_update.reset();
  d.annotations = {{"deployment.kubernetes.io/revision", "1"}, {kLastAppliedAnnotation, "{}"}};
  d.old_replica_sets.clear();
  d.new_replica_set = ReplicaSetSummary{"nginx-deployment-75675f5897", 3, 3};
  d.events.clear();
  EXPECT_EQ(DescribeDeployment(d),
            "Name:               nginx-deployment\n"
            "Namespace:          default\n"
            "CreationTimestamp:  Thu, 30 Nov 2017 10:56:25 +0000\n"
            "Labels:             app=nginx\n"
            "Annotations:        deployment.kubernetes.io/revision: 1\n"
            "Selector:           app=nginx\n"
            "Replicas:           3 desired | 3 updated | 3 total | 3 available | 0 unavailable\n"
            "StrategyType:       Recreate\n"
            "MinReadySeconds:    0\n"
            "Pod Template:\n"
            "  Labels:  app=nginx\n"
            "  Containers:\n"
            "   nginx:\n"
            "    Image:         nginx:1.16.1\n"
            "    Port:          80/TCP\n"
            "    Host Port:     0/TCP\n"
            "    Environment:   <none>\n"
            "    Mounts:        <none>\n"
            "  Volumes:         <none>\n"
            "  Node-Selectors:  <none>\n"
            "  Tolerations:     <none>\n"
            "Conditions:\n"
            "  Type           Status  Reason\n"
            "  ----           ------  ------\n"
            "  Available      True    MinimumReplicasAvailable\n"
            "  Progressing    True    NewReplicaSetAvailable\n"
            "OldReplicaSets:  <none>\n"
            "NewReplicaSet:   nginx-deployment-75675f5897 (3/3 replicas created)\n"
            "Events:          <none>\n");
}

TEST(DescribeDeployment, without_conditions_or_replica_sets_events_none_joins_pod_template_tail) {
  DeploymentDescription d = Spec73Deployment();
  d.labels.clear();
  d.annotations.clear();
  d.conditions.clear();
  d.old_replica_sets.clear();
  d.new_replica_set.reset();
  d.events.clear();
  d.replicas = 3;
  d.updated = 0;
  d.total = 0;
  d.available = 0;
  d.unavailable = 3;
  const std::string out = DescribeDeployment(d);
  EXPECT_NE(out.find("Labels:                 <none>\n"
                     "Annotations:            <none>\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("Replicas:               3 desired | 0 updated | 0 total | 0 available | "
                     "3 unavailable\n"),
            std::string::npos);
  EXPECT_EQ(out.find("OldReplicaSets"), std::string::npos);
  EXPECT_EQ(out.find("Conditions"), std::string::npos);
  // "Events:\t<none>" is in the same block as the Pod Template tail.
  const std::string tail =
      "  Volumes:         <none>\n"
      "  Node-Selectors:  <none>\n"
      "  Tolerations:     <none>\n"
      "Events:            <none>\n";
  ASSERT_GE(out.size(), tail.size());
  EXPECT_EQ(out.substr(out.size() - tail.size()), tail) << out;
}

TEST(DescribeDeployment, show_events_false_omits_the_section) {
  DeploymentDescription d = Spec73Deployment();
  d.show_events = false;
  const std::string golden = kDescribeGolden;
  EXPECT_EQ(DescribeDeployment(d), golden.substr(0, golden.find("Events:\n")));
}

TEST(DescribeDeployment, missing_template_json_renders_as_empty_template) {
  DeploymentDescription d;
  d.name = "x";
  const std::string out = DescribeDeployment(d);
  EXPECT_NE(out.find("Pod Template:\n"
                     "  Labels:  <none>\n"
                     "  Containers: <none>\n"
                     "  Volumes:         <none>\n"
                     "  Node-Selectors:  <none>\n"
                     "  Tolerations:     <none>\n"
                     "Events:            <none>\n"),
            std::string::npos)
      << out;
}

TEST(DescribeDeployment, old_replica_sets_are_listed_comma_separated) {
  EXPECT_EQ(ReplicaSetList({{"a-1", 0, 0}, {"a-2", 1, 2}}),
            "a-1 (0/0 replicas created), a-2 (1/2 replicas created)");
  EXPECT_EQ(ReplicaSetList({}), "<none>");
}

TEST(DescribeDeployment, repeated_event_age_shows_count_and_span) {
  EXPECT_EQ(EventAge(20 * 60 * 1000, 12 * 60 * 1000, 3), "12m (x3 over 20m)");
  EXPECT_EQ(EventAge(24 * 1000, 24 * 1000, 1), "24s");
}

// ---- get table ------------------------------------------------------------------

TEST(GetTable, headers_are_uppercased_and_aligned_with_get_tabwriter) {
  EXPECT_EQ(RenderGetTable({"Name", "Ready", "Up-to-date", "Available", "Age"},
                           {{"nginx-deployment", "3/3", "3", "3", "2m"}, {"web", "0/1", "0", "0", "5s"}}),
            "NAME               READY   UP-TO-DATE   AVAILABLE   AGE\n"
            "nginx-deployment   3/3     3            3           2m\n"
            "web                0/1     0            0           5s\n");
}

TEST(GetTable, header_only_when_no_rows) { EXPECT_EQ(RenderGetTable({"name", "age"}, {}), "NAME   AGE\n"); }

TEST(GetTable, no_resources_message) {
  EXPECT_EQ(NoResourcesFound("default"), "No resources found in default namespace.\n");
  EXPECT_EQ(NoResourcesFound(""), "No resources found\n");
}

}  // namespace
}  // namespace rollbook::render
