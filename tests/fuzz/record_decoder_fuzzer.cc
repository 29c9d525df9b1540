// libFuzzer target: the record decoder (events/codec.h) and the fold it feeds.
//
// Input: the Kafka message key, a '\n', then the message value (no '\n' means
// an empty key). This is what any producer on the topic controls, so besides
// "does not crash" it checks:
//   * decode -> encode -> decode gives an equal record (nothing the decoder
//     accepted is lost or altered by re-encoding);
//   * the fold of an accepted record (store/fold/fold.h), on an empty and on a
//     live aggregate, keeps its contract: a rejected record leaves the state
//     untouched, an applied one increments the version by exactly one, and the
//     fold is deterministic (two runs, same bytes).
// The fold is included because a record the decoder lets through reaches it
// unchanged in the projector; a crash there would stop the projection.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "events/codec.h"
#include "rollbook/state/v1/aggregate.pb.h"
#include "store/fold/fold.h"
#include "store/fold/manifest.h"

namespace {

using rollbook::state::v1::Aggregate;
using rollbook::v1::ChangeRecord;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "record_decoder_fuzzer: property violated: %s\n", what);
  std::abort();
}

std::string StableBytes(const google::protobuf::Message& m) {
  return rollbook::events::DeterministicBytes(m);
}

constexpr int64_t kLogTimeMs = 1'700'000'000'000;

// A live aggregate named default/web with two revisions, built through the fold
// itself so it has the shape the projector stores.
Aggregate LiveAggregate() {
  static const char kManifest[] =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\n"
      "spec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n"
      "    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
      "      - name: app\n        image: nginx:1.25\n";
  Aggregate agg;
  auto docs = rollbook::fold::ParseManifestText(kManifest, "seed.yaml");
  if (!docs.ok() || docs->size() != 1) Fail("seed manifest does not parse");
  auto deployment = rollbook::fold::DeploymentFromManifest((*docs)[0].object, "default");
  if (!deployment.ok()) Fail("seed manifest is not a Deployment");

  ChangeRecord create;
  create.set_schema_version(rollbook::events::kSchemaVersion);
  create.set_id("seed-1");
  create.set_namespace_("default");
  create.set_name("web");
  create.set_kind(rollbook::v1::CHANGE_KIND_CREATE);
  *create.mutable_create()->mutable_deployment() = *deployment;
  if (!rollbook::fold::ApplyRecord(agg, create, kLogTimeMs).outcome.applied) Fail("seed create rejected");

  ChangeRecord set_image = create;
  set_image.set_id("seed-2");
  set_image.set_kind(rollbook::v1::CHANGE_KIND_SET_IMAGE);
  set_image.set_expected_version(agg.version());
  auto* image = set_image.mutable_set_image()->add_images();
  image->set_container("app");
  image->set_image("nginx:1.26");
  if (!rollbook::fold::ApplyRecord(agg, set_image, kLogTimeMs + 1000).outcome.applied)
    Fail("seed set image rejected");
  return agg;
}

// Folds `record` into a copy of `start` (as of the aggregate's version) twice
// and checks the fold's contract.
void CheckFold(const Aggregate& start, ChangeRecord record) {
  record.set_expected_version(start.version());
  Aggregate first = start;
  Aggregate second = start;
  const rollbook::fold::FoldResult r1 = rollbook::fold::ApplyRecord(first, record, kLogTimeMs + 60'000);
  const rollbook::fold::FoldResult r2 = rollbook::fold::ApplyRecord(second, record, kLogTimeMs + 60'000);
  if (StableBytes(first) != StableBytes(second) || r1.outcome.applied != r2.outcome.applied ||
      r1.outcome.message != r2.outcome.message) {
    Fail("the fold is not deterministic");
  }
  if (r1.outcome.applied) {
    if (first.version() != start.version() + 1) Fail("an applied record did not add exactly one version");
  } else if (StableBytes(first) != StableBytes(start)) {
    Fail("a rejected record changed the aggregate");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Protobuf logs every string field with invalid UTF-8; that is expected
  // input here and would drown the fuzzer's output.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view key =
      newline == std::string_view::npos ? std::string_view() : input.substr(0, newline);
  const std::string_view value = newline == std::string_view::npos ? input : input.substr(newline + 1);

  auto decoded = rollbook::events::DecodeRecord(key, value);
  if (!decoded.ok()) {
    if (decoded.status().message().empty()) Fail("a rejected record has no reason");
    return 0;
  }
  const std::string encoded = rollbook::events::EncodeRecord(*decoded);
  auto again = rollbook::events::DecodeRecord(key, encoded);
  if (!again.ok()) Fail("a decoded record does not decode after re-encoding");
  if (!google::protobuf::util::MessageDifferencer::Equals(*decoded, *again)) {
    Fail("decode -> encode -> decode changed the record");
  }

  static const Aggregate* const kEmpty = new Aggregate();
  static const Aggregate* const kLive = new Aggregate(LiveAggregate());
  CheckFold(*kEmpty, *decoded);
  if (decoded->namespace_() == "default" && decoded->name() == "web") {
    CheckFold(*kLive, *decoded);
  } else {
    // Retarget the record at the live aggregate so every payload is folded
    // against an existing Deployment too.
    ChangeRecord retargeted = *decoded;
    retargeted.set_namespace_("default");
    retargeted.set_name("web");
    CheckFold(*kLive, retargeted);
  }
  return 0;
}
