// libFuzzer target: the manifest path of `create/apply -f` (store/fold/
// manifest.h, validation.h).
//
// Input: the text of a manifest file. Each object it holds goes through
// DeploymentFromManifest and, when that succeeds, ValidateDeployment, as the
// CLI does. Besides "does not crash" it checks:
//   * every error has a message (a user always learns what was wrong);
//   * the canonical template is a fixed point: CanonicalTemplateJson of a
//     stored template_json gives the same text back;
//   * a Deployment survives DeploymentToJson -> DeploymentFromManifest
//     unchanged (what `get -o json` prints can be applied again as is).
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "store/fold/manifest.h"
#include "store/fold/validation.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "manifest_fuzzer: property violated: %s\n", what);
  std::abort();
}

void CheckDeployment(const rollbook::v1::Deployment& deployment) {
  (void)rollbook::fold::ValidateDeployment(deployment);

  const std::string& template_json = deployment.spec().template_json();
  const nlohmann::json stored = nlohmann::json::parse(template_json, nullptr, /*allow_exceptions=*/false);
  if (stored.is_discarded()) Fail("template_json is not JSON");
  auto canonical = rollbook::fold::CanonicalTemplateJson(stored);
  if (!canonical.ok()) Fail("the stored template is not accepted by CanonicalTemplateJson");
  if (*canonical != template_json) Fail("CanonicalTemplateJson is not a fixed point on a stored template");

  const nlohmann::json printed = rollbook::fold::DeploymentToJson(deployment);
  auto reread = rollbook::fold::DeploymentFromManifest(printed, deployment.metadata().namespace_());
  if (!reread.ok()) Fail("DeploymentToJson output is not accepted by DeploymentFromManifest");
  rollbook::v1::Deployment expected = deployment;
  expected.set_api_version("apps/v1");  // DeploymentToJson always prints apps/v1
  if (!google::protobuf::util::MessageDifferencer::Equals(expected, *reread)) {
    Fail("DeploymentToJson -> DeploymentFromManifest changed the Deployment");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto docs = rollbook::fold::ParseManifestText(text, "fuzz.yaml");
  if (!docs.ok()) {
    if (docs.status().message().empty()) Fail("a parse error has no message");
    return 0;
  }
  for (const auto& doc : *docs) {
    if (!doc.object.is_object()) Fail("a manifest document is not an object");
    auto deployment = rollbook::fold::DeploymentFromManifest(doc.object, "default");
    if (!deployment.ok()) {
      if (deployment.status().message().empty()) Fail("a rejected object has no message");
      continue;
    }
    CheckDeployment(*deployment);
  }
  return 0;
}
