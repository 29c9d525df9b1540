#include "events/codec.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "base/utf8.h"
#include "events/chain.h"

namespace rollbook::events {

namespace {
// The payload field each kind must carry.
v1::ChangeRecord::PayloadCase ExpectedPayload(v1::ChangeKind kind) {
  switch (kind) {
    case v1::CHANGE_KIND_CREATE: return v1::ChangeRecord::kCreate;
    case v1::CHANGE_KIND_APPLY: return v1::ChangeRecord::kApply;
    case v1::CHANGE_KIND_SCALE: return v1::ChangeRecord::kScale;
    case v1::CHANGE_KIND_SET_IMAGE: return v1::ChangeRecord::kSetImage;
    case v1::CHANGE_KIND_ANNOTATE: return v1::ChangeRecord::kAnnotate;
    case v1::CHANGE_KIND_ROLLBACK: return v1::ChangeRecord::kRollback;
    case v1::CHANGE_KIND_PAUSE: return v1::ChangeRecord::kPause;
    case v1::CHANGE_KIND_RESUME: return v1::ChangeRecord::kResume;
    case v1::CHANGE_KIND_RESTART: return v1::ChangeRecord::kRestart;
    case v1::CHANGE_KIND_DELETE: return v1::ChangeRecord::kDelete;
    default: return v1::ChangeRecord::PAYLOAD_NOT_SET;
  }
}

// Text fields that the schema declares `bytes` (see change_record.proto) must
// hold UTF-8, as a `string` field would.
Status CheckText(std::string_view field, const std::string& text) {
  const size_t bad = FirstInvalidUtf8(text);
  if (bad == std::string_view::npos) return Status::Ok();
  return InvalidArgument(fmt::format("{} is not UTF-8 text (byte 0x{:02X} at offset {})", field,
                                     static_cast<unsigned char>(text[bad]), bad));
}

Status CheckRecordText(const v1::ChangeRecord& rec) {
  RB_RETURN_IF_ERROR(CheckText("id", rec.id()));
  RB_RETURN_IF_ERROR(CheckText("namespace", rec.namespace_()));
  RB_RETURN_IF_ERROR(CheckText("name", rec.name()));
  RB_RETURN_IF_ERROR(CheckText("actor", rec.actor()));
  RB_RETURN_IF_ERROR(CheckText("host", rec.host()));
  RB_RETURN_IF_ERROR(CheckText("command_line", rec.command_line()));
  RB_RETURN_IF_ERROR(CheckText("change_cause", rec.change_cause()));
  const v1::Deployment* d = rec.has_create()  ? &rec.create().deployment()
                            : rec.has_apply() ? &rec.apply().deployment()
                                              : nullptr;
  if (d == nullptr) return Status::Ok();
  RB_RETURN_IF_ERROR(CheckText("deployment.spec.template_json", d->spec().template_json()));
  for (const auto& [key, value] : d->metadata().annotations()) {
    RB_RETURN_IF_ERROR(CheckText(fmt::format("deployment.metadata.annotations[\"{}\"]", key), value));
  }
  return Status::Ok();
}
}  // namespace

std::string RecordKey(std::string_view ns, std::string_view name) {
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  key.append(ns).append("/").append(name);
  return key;
}

std::string DeterministicBytes(const google::protobuf::MessageLite& m) {
  // Sized first and written into place: a growing StringOutputStream
  // reallocated and copied several times per message.
  const size_t size = m.ByteSizeLong();
  std::string out(size, '\0');
  bool written = false;
  {
    google::protobuf::io::ArrayOutputStream array(out.data(), static_cast<int>(size));
    google::protobuf::io::CodedOutputStream coded(&array);
    coded.SetSerializationDeterministic(true);
    m.SerializeWithCachedSizes(&coded);
    coded.Trim();
    written = !coded.HadError() && static_cast<size_t>(coded.ByteCount()) == size;
  }
  if (written) return out;
  // Cannot happen with a buffer of ByteSizeLong() bytes; never hand out torn
  // bytes: serialize again into a growing string.
  out.clear();
  {
    google::protobuf::io::StringOutputStream grow(&out);
    google::protobuf::io::CodedOutputStream again(&grow);
    again.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&again);
  }
  return out;
}

std::string EncodeRecord(const v1::ChangeRecord& record) { return DeterministicBytes(record); }

StatusOr<v1::ChangeRecord> DecodeRecord(std::string_view key, std::string_view value) {
  v1::ChangeRecord rec;
  RB_RETURN_IF_ERROR(DecodeRecordInto(key, value, rec));
  return rec;
}

Status DecodeRecordInto(std::string_view key, std::string_view value, v1::ChangeRecord& rec) {
  if (value.size() > kMaxRecordBytes) {
    return InvalidArgument(fmt::format("record of {} bytes exceeds the {} byte limit", value.size(),
                                       kMaxRecordBytes));
  }
  // An empty value parses as an all-default record; name it for what it is
  // (a tombstone or an empty message from some other producer).
  if (value.empty()) return InvalidArgument("empty value: not a change record");
  if (!rec.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return InvalidArgument("value is not a rollbook.v1.ChangeRecord protobuf");
  }
  if (rec.schema_version() != kSchemaVersion) {
    return InvalidArgument(fmt::format("unsupported schema_version {} (this reader knows {})",
                                       rec.schema_version(), kSchemaVersion));
  }
  const auto expected = ExpectedPayload(rec.kind());
  if (expected == v1::ChangeRecord::PAYLOAD_NOT_SET) {
    return InvalidArgument(fmt::format("unknown change kind {}", static_cast<int>(rec.kind())));
  }
  if (rec.payload_case() != expected) {
    return InvalidArgument(fmt::format("kind {} without its payload", KindName(rec.kind())));
  }
  if (rec.id().empty()) return InvalidArgument("missing record id");
  RB_RETURN_IF_ERROR(CheckRecordText(rec));
  if (!rec.prev_record_hash().empty() && rec.prev_record_hash().size() != kRecordHashBytes) {
    return InvalidArgument(fmt::format("prev_record_hash has {} bytes, expected {} (SHA-256) or none",
                                       rec.prev_record_hash().size(), kRecordHashBytes));
  }
  if (rec.namespace_().empty() || rec.name().empty()) return InvalidArgument("missing namespace or name");
  // key == RecordKey(namespace, name), without building the key.
  const std::string& ns = rec.namespace_();
  if (key.size() != ns.size() + 1 + rec.name().size() || key.substr(0, ns.size()) != ns ||
      key[ns.size()] != '/' || key.substr(ns.size() + 1) != rec.name()) {
    return InvalidArgument(fmt::format("message key \"{}\" does not match record {}/{}", key, rec.namespace_(),
                                       rec.name()));
  }
  return Status::Ok();
}

std::string KindName(v1::ChangeKind kind) {
  switch (kind) {
    case v1::CHANGE_KIND_CREATE: return "create";
    case v1::CHANGE_KIND_APPLY: return "apply";
    case v1::CHANGE_KIND_SCALE: return "scale";
    case v1::CHANGE_KIND_SET_IMAGE: return "set-image";
    case v1::CHANGE_KIND_ANNOTATE: return "annotate";
    case v1::CHANGE_KIND_ROLLBACK: return "rollback";
    case v1::CHANGE_KIND_PAUSE: return "pause";
    case v1::CHANGE_KIND_RESUME: return "resume";
    case v1::CHANGE_KIND_RESTART: return "restart";
    case v1::CHANGE_KIND_DELETE: return "delete";
    default: return "unknown";
  }
}

}  // namespace rollbook::events
