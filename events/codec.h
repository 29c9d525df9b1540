// Codec for change records: the Kafka message envelope of topic rollbook.events.
//
// Envelope: key = "<namespace>/<name>" (UTF-8), value = ChangeRecord protobuf
// (events/proto/rollbook/v1/change_record.proto), broker timestamp type
// LogAppendTime. DecodeRecord() is the gate every consumer goes through: it
// accepts only records this reader can fold, and otherwise returns a reason
// that the projection stores in its quarantine table (a bad record is never
// fatal and never silently skipped).
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "rollbook/v1/change_record.pb.h"

namespace rollbook::events {

inline constexpr uint32_t kSchemaVersion = 1;
// Larger values are quarantined by readers and refused by the CLI before it
// produces. Far above any real Deployment, and safely below the broker's
// default message.max.bytes (1 MiB), so an oversized record from another
// producer still reaches the topic and is quarantined rather than lost.
inline constexpr size_t kMaxRecordBytes = 512 * 1024;

std::string RecordKey(std::string_view ns, std::string_view name);

// The deterministic protobuf encoding of `m` (map entries sorted by key): the
// same message always gives the same bytes. Records are encoded with it (the
// hash chain depends on it) and the projection compares state by it
// (fold::CanonicalBytes).
std::string DeterministicBytes(const google::protobuf::MessageLite& m);

// Deterministic serialization: equal records encode to equal bytes.
std::string EncodeRecord(const v1::ChangeRecord& record);

// Parses and validates: size, non-empty value, protobuf well-formedness, schema_version, known
// kind, payload present and matching the kind, id/namespace/name present, UTF-8 of the text fields
// the schema declares `bytes` (the record's own, a Deployment's template and annotation values),
// prev_record_hash empty or 32 bytes (events/chain.h), and
// key == RecordKey(namespace, name). Error messages name the failed rule.
StatusOr<v1::ChangeRecord> DecodeRecord(std::string_view key, std::string_view value);
// The same checks, parsing into `rec` (whose buffers are reused: a loop over
// many records allocates little). On an error `rec` holds an unspecified
// partial parse.
Status DecodeRecordInto(std::string_view key, std::string_view value, v1::ChangeRecord& rec);

// "create", "apply", "scale", "set-image", ... (the CLI and audit spelling).
std::string KindName(v1::ChangeKind kind);

}  // namespace rollbook::events
