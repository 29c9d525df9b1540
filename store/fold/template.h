// Pod template identity: the pod-template-hash and "same template" equality.
//
// Templates travel as canonical JSON (sorted keys, no insignificant whitespace,
// empty collections and nulls removed, defaults applied — see manifest.h), so
// two templates are semantically equal exactly when their canonical strings are
// equal. ReplicaSets store the template WITHOUT the pod-template-hash label;
// the label is added only when a template is shown (WithHashLabel), which makes
// "equal ignoring the hash label" (spec §1.2) a string comparison.
//
// Hash (spec §8.2, shape-compatible with Kubernetes, values are not): 32-bit
// FNV-1a over the canonical JSON, then — when a collision count is set — the
// count as 4 little-endian bytes plus 4 zero bytes; the decimal sum is mapped
// digit by digit through Kubernetes' safe alphabet (0→4 ... 9→f).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rollbook/v1/change_record.pb.h"
#include "store/fold/json_view.h"

namespace rollbook::fold {

inline constexpr char kPodTemplateHashLabel[] = "pod-template-hash";

std::string PodTemplateHash(std::string_view canonical_template_json, std::optional<int32_t> collision_count);

// SHA-256 (32 raw bytes) of a canonical template: its identity. Two templates
// are equal exactly when their digests are (a collision of SHA-256 is not a
// case this code handles), which lets stored ReplicaSets drop their text.
std::string TemplateDigest(std::string_view canonical_template_json);

// Canonical JSON of the template with metadata.labels.pod-template-hash set.
std::string WithHashLabel(std::string_view canonical_template_json, const std::string& hash);

// `kubectl set image` on a template: appends to `out` the template as
// nlohmann's dump() prints it after `container["image"] = image` for every
// container of spec.initContainers and spec.containers that an entry names
// ("*" names them all; of several entries naming one container the last
// wins). A container whose "name" is not a string is named only by "*".
// Returns the index of the first entry that names no container (then `out`
// is unspecified), or -1. Images are UTF-8 (protobuf checks `string` fields
// when a record is decoded). Equality with nlohmann's
// parse-modify-dump: tests/unit/json_view_test.cc.
int SetContainerImages(JsonRef tmpl, const google::protobuf::RepeatedPtrField<v1::ContainerImage>& images,
                       std::string* out);

}  // namespace rollbook::fold
