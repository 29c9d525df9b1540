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

namespace rollbook::fold {

inline constexpr char kPodTemplateHashLabel[] = "pod-template-hash";

std::string PodTemplateHash(std::string_view canonical_template_json, std::optional<int32_t> collision_count);

// SHA-256 (32 raw bytes) of a canonical template: its identity. Two templates
// are equal exactly when their digests are (a collision of SHA-256 is not a
// case this code handles), which lets stored ReplicaSets drop their text.
std::string TemplateDigest(std::string_view canonical_template_json);

// Canonical JSON of the template with metadata.labels.pod-template-hash set.
std::string WithHashLabel(std::string_view canonical_template_json, const std::string& hash);

}  // namespace rollbook::fold
