// Bad input from users (issue #4, point 6): every malformed or invalid command
// line, manifest, file or database gets a clear error on stderr (what was
// wrong, where, what is allowed), exit code 1, nothing on stdout, and writes
// nothing: the topic's end offsets and a full dump of the projection are the
// same before and after, and database files that are not ours keep their
// bytes.
//
// One parameterized case per row, so a failure names the row. All rows share
// one Deployment "web" (two revisions, annotation team=a, 2 replicas) in one
// topic and database; SetUpTestSuite also proves that the two "nothing was
// written" probes do see a write.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "tests/support/cli_runner.h"
#include "tests/support/log_probe.h"

namespace rollbook::testing {
namespace {

namespace fs = std::filesystem;

// {NAME} is replaced by the Deployment's name.
constexpr char kManifest[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: {NAME}
  labels:
    app: web
  annotations:
    team: a
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.25
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "fixture text lacks \"" << from << "\"";
    return text;
  }
  return text.replace(at, from.size(), to);
}

std::string Manifest(const std::string& name) { return Replace(kManifest, "{NAME}", name); }
// A manifest for a Deployment that does not exist yet, with one edit.
std::string Fresh(const std::string& from, const std::string& to) {
  return Replace(Manifest("fresh"), from, to);
}

struct Case {
  std::string name;
  std::vector<std::string> args;  // after "rollbook"; {dir} is the test's directory
  std::string expected_error;     // must appear in stderr ({dir} replaced)
  std::string stdin_text = "";
  std::vector<std::string> env = {};  // NAME=value ({dir} replaced)
  std::string untouched = "";         // a file that must keep its bytes ({dir} replaced)
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

const std::string kParseStdin = "error: error parsing STDIN: error converting YAML to JSON: yaml: line ";

std::vector<Case> Cases() {
  return {
      // --- Broken YAML and JSON (line numbers as the parser reports them).
      {"yaml_bad_indentation",
       {"create", "-f", "-"},
       kParseStdin + "5: end of map not found",
       "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n spec: [\n"},
      {"yaml_tab_indentation",
       {"create", "-f", "-"},
       kParseStdin + "4: illegal map value",
       "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n\tname: x\n"},
      {"yaml_duplicate_key",
       {"create", "-f", "-"},
       "yaml: unmarshal errors:\n  line 3: mapping key \"kind\" already defined at line 2",
       "apiVersion: apps/v1\nkind: Deployment\nkind: Deployment\n"},
      {"yaml_nested_plain_map", {"apply", "-f", "-"}, kParseStdin + "1: illegal map value", "a: b: c\n"},
      {"json_missing_comma_in_file",
       {"create", "-f", "{dir}/broken.json"},
       "error: error parsing {dir}/broken.json: error converting YAML to JSON: yaml: line 3: end of map "
       "flow not found\n"},
      {"json_mismatched_bracket",
       {"apply", "-f", "-"},
       kParseStdin + "4: illegal flow end\n",
       "{\n  \"apiVersion\": \"apps/v1\",\n  \"kind\": \"Deployment\",\n  \"metadata\": {\"name\": "
       "\"x\"]\n}\n"},
      {"json_unterminated_object",
       {"create", "-f", "-"},
       kParseStdin + "1: end of map flow not found",
       R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x")"},
      {"json_unterminated_array",
       {"apply", "-f", "-"},
       kParseStdin + "1: end of sequence flow not found",
       "[1, 2"},
      {"document_is_a_string",
       {"create", "-f", "-"},
       "error: unable to decode \"STDIN\": json: cannot unmarshal string into Go value of type "
       "map[string]interface {}",
       "just a string\n"},
      {"document_is_a_number",
       {"create", "-f", "-"},
       "json: cannot unmarshal number into Go value of type map[string]interface {}",
       "42\n"},
      {"metadata_is_a_string",
       {"create", "-f", "-"},
       "error: error validating \"STDIN\": json: cannot unmarshal string into Go struct field "
       "Deployment.metadata of type v1.ObjectMeta",
       R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":"x"})"},
      // --- apiVersion and kind.
      {"kind_missing",
       {"create", "-f", "-"},
       "error: unable to decode \"STDIN\": Object 'Kind' is missing in '{",
       "apiVersion: apps/v1\nmetadata: {name: x}\n"},
      {"api_version_missing",
       {"create", "-f", "-"},
       "error: unable to decode \"STDIN\": Object 'apiVersion' is missing in '{",
       "kind: Deployment\nmetadata: {name: x}\n"},
      {"api_version_unknown",
       {"create", "-f", "-"},
       "error: error validating \"STDIN\": no matches for kind \"Deployment\" in version \"apps/v2\"",
       Fresh("apiVersion: apps/v1", "apiVersion: apps/v2")},
      {"kind_not_a_deployment",
       {"create", "-f", "-"},
       "error: no objects passed to create: the input holds no Deployment (skipped Service \"x\" from "
       "\"STDIN\")",
       "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n"},
      {"kind_not_a_deployment_apply",
       {"apply", "-f", "-"},
       "error: no objects passed to apply: the input holds no Deployment (skipped ConfigMap \"c\" from "
       "\"STDIN\")",
       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"},
      {"unknown_field",
       {"create", "-f", "-"},
       "error: error validating \"STDIN\": strict decoding error: unknown field \"spec.replica\"",
       Fresh("  replicas: 2", "  replica: 2")},
      // --- Names and labels.
      {"name_not_dns1123",
       {"create", "-f", "-"},
       "The Deployment \"Hello_World\" is invalid: metadata.name: Invalid value: \"Hello_World\": a "
       "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters",
       Manifest("Hello_World")},
      {"name_too_long",
       {"create", "-f", "-"},
       "must be no more than 253 characters",
       Manifest(std::string(254, 'a'))},
      {"name_missing",
       {"create", "-f", "-"},
       "metadata.name: Required value: name or generateName is required",
       Replace(Manifest("x"), "  name: x\n", "")},
      {"label_value_invalid",
       {"create", "-f", "-"},
       "The Deployment \"fresh\" is invalid: metadata.labels: Invalid value: \"-bad-\": a valid label must "
       "be an empty string or consist of alphanumeric characters",
       Fresh("    app: web\n  annotations", "    app: web\n    tier: \"-bad-\"\n  annotations")},
      {"label_key_invalid",
       {"create", "-f", "-"},
       "metadata.labels: Invalid value: \"bad key\"",
       Fresh("    app: web\n  annotations", "    app: web\n    bad key: x\n  annotations")},
      {"label_value_too_long",
       {"create", "-f", "-"},
       "must be no more than 63",
       Fresh("    app: web\n  annotations",
             "    app: web\n    tier: " + std::string(64, 'x') + "\n  annotations")},
      {"namespace_invalid_in_manifest",
       {"create", "-f", "-"},
       "metadata.namespace: Invalid value: \"Bad_NS\": a lowercase RFC 1123 label must consist of",
       Fresh("  labels:\n", "  namespace: Bad_NS\n  labels:\n")},
      {"namespace_flag_disagrees",
       {"-n", "other", "create", "-f", "-"},
       "error: the namespace from the provided object \"prod\" does not match the namespace \"other\". You "
       "must pass '--namespace=prod' to perform this operation.",
       Fresh("  labels:\n", "  namespace: prod\n  labels:\n")},
      {"selector_does_not_match_template",
       {"create", "-f", "-"},
       "spec.template.metadata.labels: Invalid value: {\"app\":\"other\"}: `selector` does not match "
       "template `labels`",
       Fresh("        app: web\n    spec", "        app: other\n    spec")},
      {"no_containers",
       {"create", "-f", "-"},
       "spec.template.spec.containers: Required value",
       Fresh("      containers:\n      - name: web\n        image: nginx:1.25\n", "      containers: []\n")},
      {"immutable_selector_on_apply",
       {"apply", "-f", "-"},
       "spec.selector: Invalid value:",
       Replace(Replace(Manifest("web"), "      app: web\n  template", "      app: web2\n  template"),
               "        app: web\n    spec", "        app: web2\n    spec")},
      // --- Replicas, in manifests and on the command line.
      {"manifest_replicas_negative",
       {"create", "-f", "-"},
       "The Deployment \"fresh\" is invalid: spec.replicas: Invalid value: -3: must be greater than or "
       "equal to 0",
       Fresh("replicas: 2", "replicas: -3")},
      {"manifest_replicas_not_a_number",
       {"create", "-f", "-"},
       "error: error validating \"STDIN\": json: cannot unmarshal string into Go struct field "
       "DeploymentSpec.spec.replicas of type int32",
       Fresh("replicas: 2", "replicas: three")},
      {"manifest_replicas_overflow",
       {"apply", "-f", "-"},
       "json: cannot unmarshal number 99999999999 into Go struct field DeploymentSpec.spec.replicas of type "
       "int32",
       Fresh("replicas: 2", "replicas: 99999999999")},
      {"scale_negative",
       {"scale", "deployment/web", "--replicas=-1"},
       "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n"},
      {"scale_not_a_number",
       {"scale", "deployment/web", "--replicas=three"},
       "error: invalid argument \"three\" for \"--replicas\" flag: COUNT must be a whole number >= 0"},
      {"scale_fraction",
       {"scale", "deployment/web", "--replicas=1.5"},
       "error: invalid argument \"1.5\" for \"--replicas\" flag: COUNT must be a whole number >= 0"},
      {"scale_overflow",
       {"scale", "deployment/web", "--replicas=2147483648"},
       "error: invalid argument \"2147483648\" for \"--replicas\" flag: COUNT must be at most 2147483647"},
      {"scale_huge",
       {"scale", "deployment/web", "--replicas=99999999999999999999999"},
       "COUNT must be at most 2147483647"},
      {"scale_without_replicas",
       {"scale", "deployment/web"},
       "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"},
      {"scale_empty_replicas",
       {"scale", "deployment/web", "--replicas="},
       "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"},
      {"scale_precondition_fails",
       {"scale", "deployment/web", "--replicas=5", "--current-replicas=7"},
       "error: Expected replicas to be 7, was 2\n"},
      {"scale_precondition_not_a_number",
       {"scale", "deployment/web", "--replicas=5", "--current-replicas=x"},
       "error: invalid argument \"x\" for \"--current-replicas\" flag: must be a whole number"},
      // --- set image, annotate, pause/resume, edit.
      {"set_image_unknown_container",
       {"set", "image", "deployment/web", "nope=nginx:1.27"},
       "error: unable to find container named \"nope\"\n"},
      {"set_image_without_update",
       {"set", "image", "deployment/web"},
       "error: at least one image update is required"},
      {"set_image_empty_image",
       {"set", "image", "deployment/web", "web="},
       "error: invalid image update \"web=\": use CONTAINER=IMAGE"},
      {"set_image_empty_container",
       {"set", "image", "deployment/web", "=nginx"},
       "error: invalid image update \"=nginx\": use CONTAINER=IMAGE"},
      {"annotate_invalid_key",
       {"annotate", "deployment/web", "bad key!=x"},
       "error: invalid annotation format: bad key!: name part must consist of alphanumeric characters"},
      {"annotate_key_too_long",
       {"annotate", "deployment/web", std::string(64, 'k') + "=x"},
       "name part must be no more than 63"},
      {"annotate_without_overwrite",
       {"annotate", "deployment/web", "team=b"},
       "error: --overwrite is false but found the following declared annotation(s): 'team' already has a "
       "value (a)"},
      {"annotate_overwrite_not_bool",
       {"annotate", "deployment/web", "team=b", "--overwrite=maybe"},
       "error: invalid argument \"maybe\" for \"--overwrite\" flag: must be true or false"},
      {"resume_not_paused",
       {"rollout", "resume", "deployment/web"},
       "error: deployments.apps \"web\" is not paused\n"},
      {"edit_editor_fails",
       {"edit", "deployment/web"},
       "error: there was a problem with the editor \"false\"",
       "",
       {"KUBE_EDITOR=false"}},
      {"edit_saves_invalid_object",
       {"edit", "deployment/web"},
       "spec.replicas: Invalid value: -4: must be greater than or equal to 0",
       "",
       {"KUBE_EDITOR=sed -i s/replicas:.2/replicas:\\ -4/"}},
      // --- Revisions.
      {"undo_unknown_revision",
       {"rollout", "undo", "deployment/web", "--to-revision=99"},
       "error: unable to find specified revision 99 in history\n"},
      {"undo_negative_revision",
       {"rollout", "undo", "deployment/web", "--to-revision=-1"},
       "error: unable to find specified revision -1 in history"},
      {"undo_revision_not_a_number",
       {"rollout", "undo", "deployment/web", "--to-revision=two"},
       "error: invalid argument \"two\" for \"--to-revision\" flag: must be a whole number"},
      {"undo_bad_dry_run",
       {"rollout", "undo", "deployment/web", "--dry-run=maybe"},
       "error: Invalid dry-run value (maybe). Must be \"none\", \"server\", or \"client\"."},
      {"history_unknown_revision",
       {"rollout", "history", "deployment/web", "--revision=99"},
       "error: unable to find the specified revision\n"},
      {"history_negative_revision",
       {"rollout", "history", "deployment/web", "--revision=-1"},
       "error: revision must be a positive integer: -1\n"},
      {"status_other_revision",
       {"rollout", "status", "deployment/web", "--revision=9"},
       "error: desired revision (9) is different from the running revision (2)"},
      // --- Resource types and names.
      {"get_unknown_type", {"get", "pods"}, "error: the server doesn't have a resource type \"pods\"\n"},
      {"scale_unknown_type",
       {"scale", "pods/web", "--replicas=1"},
       "error: the server doesn't have a resource type \"pods\" (rollbook manages deployments)"},
      {"describe_unknown_type",
       {"describe", "service", "web"},
       "error: the server doesn't have a resource type \"service\""},
      {"name_with_two_slashes",
       {"scale", "deployment/web/x", "--replicas=1"},
       "error: arguments in resource/name form may not have more than one slash: \"deployment/web/x\""},
      {"name_empty", {"delete", "deployment/"}, "error: resource name may not be empty"},
      {"type_without_name",
       {"rollout", "pause", "deployment"},
       "error: resource(s) were provided, but no name was specified"},
      {"two_deployments",
       {"rollout", "restart", "deployment/web", "deployment/api"},
       "error: rollbook takes one deployment per command"},
      {"resource_missing", {"scale", "--replicas=1"}, "error: required resource not specified"},
      {"deployment_not_found",
       {"scale", "deployment/nope", "--replicas=1"},
       "Error from server (NotFound): deployments.apps \"nope\" not found\n"},
      {"delete_not_found",
       {"delete", "deployment/nope"},
       "Error from server (NotFound): deployments.apps \"nope\" not found\n"},
      {"get_without_type", {"get"}, "error: you must specify the type of resource to get"},
      {"get_name_and_selector",
       {"get", "deployments", "web", "-l", "app=web"},
       "error: name cannot be provided when a selector is specified"},
      // --- Label selectors (-l).
      {"selector_two_words",
       {"get", "deployments", "-l", "a b"},
       "Error from server (BadRequest): Unable to find \"apps/v1, Resource=deployments\" that match label "
       "selector \"a b\", field selector \"\": unable to parse requirement: found 'b', expected: in, "
       "notin, =, ==, !=, gt, lt\n"},
      {"selector_unclosed_set",
       {"get", "deployments", "-l", "app in (a"},
       "unable to parse requirement: found '', expected: ',' or ')'"},
      {"selector_set_without_parens",
       {"get", "rs", "-l", "app in a"},
       "Resource=replicasets\" that match label selector \"app in a\", field selector \"\": unable to "
       "parse requirement: found 'a' expected: '('"},
      {"selector_bad_key",
       {"get", "deployments", "-l", "-ltier=x"},
       "unable to parse requirement: <nil>: Invalid value: \"-ltier\": name part must consist of "
       "alphanumeric characters"},
      {"selector_bad_value",
       {"get", "deployments", "-l", "a=b/c"},
       "unable to parse requirement: values[0][a]: Invalid value: \"b/c\": a valid label must be an empty "
       "string"},
      // --- Output formats.
      {"get_unknown_output",
       {"get", "deployments", "-o", "table"},
       "error: unable to match a printer suitable for the output format \"table\", allowed formats are: "
       "json,name,wide,yaml\n"},
      {"history_unknown_output",
       {"rollout", "history", "deployment/web", "-o=table"},
       "error: unable to match a printer suitable for the output format \"table\", allowed formats are: "
       "json,name,"},
      {"output_without_value", {"get", "deployments", "-o"}, "error: flag needs an argument: --output"},
      // --- Files and standard input.
      {"stdin_empty", {"create", "-f", "-"}, "error: no objects passed to create\n"},
      {"stdin_only_comments",
       {"apply", "-f", "-"},
       "error: no objects passed to apply\n",
       "# nothing here\n---\n\n"},
      {"file_empty", {"create", "-f", "{dir}/empty.yaml"}, "error: no objects passed to create\n"},
      {"file_missing",
       {"create", "-f", "{dir}/nope.yaml"},
       "error: the path \"{dir}/nope.yaml\" does not exist\n"},
      {"file_under_a_regular_file",
       {"apply", "-f", "{dir}/plain-file/web.yaml"},
       "error: the path \"{dir}/plain-file/web.yaml\" does not exist\n"},
      {"directory_without_manifests",
       {"create", "-f", "{dir}/empty-dir"},
       "error: no objects passed to create\n"},
      {"filename_missing", {"create"}, "error: --filename is required"},
      {"filename_without_value", {"apply", "-f"}, "error: flag needs an argument: --filename"},
      // --- Commands and flags.
      {"unknown_command",
       {"frobnicate", "deployment/web"},
       "error: unknown command \"frobnicate\" for \"rollbook\" (commands: create, apply, get, describe, "
       "delete, scale, set, annotate, edit, rollout"},
      {"unknown_rollout_command",
       {"rollout", "rewind", "deployment/web"},
       "error: unknown command \"rewind\" for \"rollbook rollout\" (commands: history, undo, pause, "
       "resume, restart, status)"},
      {"no_command", {}, "error: \"rollbook\" needs a command: one of create, apply"},
      {"set_without_command", {"set"}, "error: \"rollbook set\" needs a command: one of image"},
      {"unknown_flag",
       {"scale", "deployment/web", "--replicas=3", "--replica-count=4"},
       "error: unknown flag: --replica-count\nSee 'rollbook scale --help' for usage.\n"},
      {"unknown_flag_before_command",
       {"--verbose", "rollout", "undo", "deployment/web"},
       "error: unknown flag: --verbose\n"},
      // --- Durations.
      {"timeout_not_a_duration",
       {"--timeout=soon", "scale", "deployment/web", "--replicas=3"},
       "error: invalid argument \"soon\" for \"--timeout\" flag: invalid duration \"soon\": use a whole "
       "number with a unit, e.g. 10s, 500ms, 2m\n"},
      {"timeout_unknown_unit",
       {"scale", "deployment/web", "--replicas=3", "--timeout=10x"},
       "error: invalid argument \"10x\" for \"--timeout\" flag: invalid duration \"10x\": unit must be ms, "
       "s, m or h\n"},
      {"timeout_negative",
       {"--timeout=-5s", "delete", "deployment/web"},
       "error: invalid argument \"-5s\" for \"--timeout\" flag: invalid duration \"-5s\""},
      {"timeout_zero",
       {"--timeout=0", "rollout", "undo", "deployment/web"},
       "error: invalid argument \"0\" for \"--timeout\" flag: must be greater than 0, e.g. 10s\n"},
      {"timeout_overflow",
       {"--timeout=99999999999999999999s", "scale", "deployment/web", "--replicas=3"},
       "invalid duration \"99999999999999999999s\": at most 8760h\n"},
      // --- Brokers and topic.
      {"topic_invalid",
       {"--topic=rollbook events!", "scale", "deployment/web", "--replicas=3"},
       "error: invalid argument \"rollbook events!\" for \"--topic\" flag: a Kafka topic name has 1 to 249 "
       "characters from a-z, A-Z, 0-9, '.', '_' and '-'\n"},
      {"topic_empty", {"--topic=", "get", "deployments"}, "invalid argument \"\" for \"--topic\" flag"},
      {"brokers_empty",
       {"--brokers=", "scale", "deployment/web", "--replicas=3"},
       "error: invalid argument \"\" for \"--brokers\" flag: give HOST:PORT[,HOST:PORT...] (or set "
       "ROLLBOOK_BROKERS)\n"},
      {"brokers_unreachable",
       {"--brokers=127.0.0.1:1", "--timeout=1s", "scale", "deployment/web", "--replicas=3"},
       "Kafka brokers 127.0.0.1:1 did not answer within 1000ms"},
      // --- The database file.
      {"db_empty",
       {"--db=", "get", "deployments"},
       "error: invalid argument \"\" for \"--db\" flag: give the path of the projection database file"},
      {"db_directory_missing",
       {"--db={dir}/missing/rollbook.db", "scale", "deployment/web", "--replicas=3"},
       "error: invalid argument \"{dir}/missing/rollbook.db\" for \"--db\" flag: directory "
       "\"{dir}/missing\" does not exist (create it, or choose another path)\n"},
      {"db_env_directory_missing",
       {"get", "deployments"},
       "directory \"{dir}/missing\" does not exist",
       "",
       {"ROLLBOOK_DB={dir}/missing/rollbook.db"}},
      {"db_under_a_regular_file",
       {"--db={dir}/plain-file/rollbook.db", "get", "deployments"},
       "for \"--db\" flag: \"{dir}/plain-file\" is not a directory\n"},
      {"db_is_a_directory",
       {"--db={dir}/empty-dir", "rollout", "history", "deployment/web"},
       "error: invalid argument \"{dir}/empty-dir\" for \"--db\" flag: this is a directory; give the path "
       "of a database file in it, e.g. {dir}/empty-dir/rollbook.db\n"},
      {"db_of_another_program",
       {"--db={dir}/other.db", "scale", "deployment/web", "--replicas=3"},
       "error: {dir}/other.db is not a rollbook database (application_id 0x0, expected 0x52424b31)\n",
       "",
       {},
       "{dir}/other.db"},
      {"db_not_sqlite",
       {"--db={dir}/garbage.db", "get", "deployments"},
       "error: {dir}/garbage.db is not a rollbook database (",
       "",
       {},
       "{dir}/garbage.db"},
      {"db_newer_schema_read",
       {"--db={dir}/newer.db", "get", "deployments"},
       "error: {dir}/newer.db was written by a newer rollbook (schema version 99; this build knows ",
       "",
       {},
       "{dir}/newer.db"},
      {"db_newer_schema_write",
       {"--db={dir}/newer.db", "set", "image", "deployment/web", "web=nginx:1.27"},
       "was written by a newer rollbook (schema version 99",
       "",
       {},
       "{dir}/newer.db"},
      {"db_of_another_topic",
       {"--db={dir}/other-topic.db", "annotate", "deployment/web", "x=y"},
       "error: {dir}/other-topic.db is the projection of topic rollbook.some.other.topic, not "},
  };
}

std::string Expand(std::string s, const std::string& dir) {
  for (size_t at; (at = s.find("{dir}")) != std::string::npos;) s.replace(at, 5, dir);
  return s;
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

int64_t Total(const std::vector<int64_t>& offsets) {
  int64_t n = 0;
  for (int64_t o : offsets) n += o;
  return n;
}

class BadInput : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    if (!BrokerConfigured()) return;
    env_ = new CliEnv("badinput");
    const std::string& dir = env_->dir();
    RunResult r = env_->Rollbook({"create", "-f", "-"}, Manifest("web"));
    ASSERT_EQ(r.exit_code, 0) << r.err;

    // The probes must see a write, or "nothing changed" would prove nothing.
    const std::vector<int64_t> ends_before = EndOffsets(*env_);
    const std::string dump_before = DumpDatabase(env_->db());
    r = env_->Rollbook({"set", "image", "deployment/web", "web=nginx:1.26"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(Total(EndOffsets(*env_)), Total(ends_before) + 1);
    ASSERT_NE(DumpDatabase(env_->db()), dump_before);
    ASSERT_EQ(QueryInt(env_->db(), "SELECT count(*) FROM changes WHERE outcome = 'applied'"), 2);

    WriteFile(dir + "/empty.yaml", "");
    WriteFile(dir + "/plain-file", "not a directory\n");
    WriteFile(dir + "/broken.json", "{\n  \"apiVersion\": \"apps/v1\"\n  \"kind\": \"Deployment\"\n}\n");
    fs::create_directory(dir + "/empty-dir");
    WriteFile(dir + "/empty-dir/README.txt", "no manifests here\n");
    ExecSql(dir + "/other.db",
            "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes VALUES(1, 'x')");
    WriteFile(dir + "/garbage.db", std::string("this is not SQLite\n") + std::string(4096, '\x7f'));
    ExecSql(env_->db(), "VACUUM INTO '" + dir + "/newer.db'");
    ExecSql(dir + "/newer.db", "PRAGMA user_version = 99");
    ExecSql(env_->db(), "VACUUM INTO '" + dir + "/other-topic.db'");
    ExecSql(dir + "/other-topic.db",
            "UPDATE meta SET value = 'rollbook.some.other.topic' WHERE key = 'topic'");
  }

  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  static CliEnv* env_;
};

CliEnv* BadInput::env_ = nullptr;

TEST_P(BadInput, every_case_errors_clearly_and_appends_nothing) {
  ROLLBOOK_REQUIRE_BROKER();
  ASSERT_NE(env_, nullptr);
  const Case& c = GetParam();
  const std::string& dir = env_->dir();
  std::vector<std::string> args, extra_env;
  for (const auto& a : c.args) args.push_back(Expand(a, dir));
  for (const auto& e : c.env) extra_env.push_back(Expand(e, dir));
  const std::string untouched = Expand(c.untouched, dir);
  const std::string untouched_before = untouched.empty() ? "" : FileBytes(untouched);

  const std::vector<int64_t> ends_before = EndOffsets(*env_);
  const std::string dump_before = DumpDatabase(env_->db());
  ASSERT_FALSE(ends_before.empty());
  ASSERT_FALSE(dump_before.empty());

  const RunResult r = env_->Rollbook(args, c.stdin_text, extra_env);

  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(Expand(c.expected_error, dir)), std::string::npos)
      << "stderr:\n"
      << r.err << "\nexpected to contain:\n"
      << Expand(c.expected_error, dir);
  EXPECT_EQ(r.out, "") << "a failing command printed a result";
  EXPECT_EQ(EndOffsets(*env_), ends_before) << "a record was appended";
  EXPECT_EQ(DumpDatabase(env_->db()), dump_before) << "the projection changed";
  if (!untouched.empty()) {
    EXPECT_TRUE(FileBytes(untouched) == untouched_before) << untouched << " was modified";
  }
  EXPECT_FALSE(fs::exists(dir + "/missing")) << "a directory was created for a bad --db";

  // edit keeps the user's rejected changes in a temporary file; tidy it up.
  const std::string kept = "A copy of your changes has been stored to \"";
  if (size_t at = r.err.find(kept); at != std::string::npos) {
    const size_t start = at + kept.size();
    fs::remove(r.err.substr(start, r.err.find('"', start) - start));
  }
}

INSTANTIATE_TEST_SUITE_P(Table, BadInput, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// The table keeps its promise of size: issue #4 asks for at least 50 cases.
TEST(BadInputTable, has_at_least_sixty_cases_with_distinct_names) {
  std::set<std::string> names;
  for (const Case& c : Cases()) names.insert(c.name);
  EXPECT_GE(Cases().size(), 60u);
  EXPECT_EQ(names.size(), Cases().size());
}

}  // namespace
}  // namespace rollbook::testing
