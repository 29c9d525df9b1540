// events/codec.h: DecodeRecordInto, the decoder the projection's writer runs
// on every record, gives what DecodeRecord gives, reuses its record without
// carrying fields from one message to the next, and holds the key to exactly
// "<namespace>/<name>".
#include <gtest/gtest.h>

#include <string>

#include "events/codec.h"

namespace rollbook::events {
namespace {

v1::ChangeRecord Scale(int i) {
  v1::ChangeRecord r;
  r.set_schema_version(kSchemaVersion);
  r.set_id("id-" + std::to_string(i));
  r.set_namespace_("default");
  r.set_name("web-" + std::to_string(i));
  r.set_kind(v1::CHANGE_KIND_SCALE);
  r.set_expected_version(static_cast<uint64_t>(i));
  r.set_actor("alice");
  r.mutable_scale()->set_replicas(i % 11);
  return r;
}

TEST(DecodeRecordInto, reused_record_keeps_no_field_of_the_message_before) {
  v1::ChangeRecord with_cause = Scale(1);
  with_cause.set_change_cause("a cause that the next record does not have");
  with_cause.set_host("laptop");
  v1::ChangeRecord out;
  ASSERT_TRUE(DecodeRecordInto("default/web-1", EncodeRecord(with_cause), out).ok());
  EXPECT_EQ(EncodeRecord(out), EncodeRecord(with_cause));
  const v1::ChangeRecord plain = Scale(2);
  ASSERT_TRUE(DecodeRecordInto("default/web-2", EncodeRecord(plain), out).ok());
  EXPECT_EQ(EncodeRecord(out), EncodeRecord(plain));
  EXPECT_TRUE(out.change_cause().empty());
  EXPECT_TRUE(out.host().empty());
}

TEST(DecodeRecordInto, gives_the_verdict_of_decode_record_on_bad_values) {
  const std::string good = EncodeRecord(Scale(3));
  v1::ChangeRecord no_id = Scale(3);
  no_id.clear_id();
  for (const std::string& value : {good, std::string(), std::string("\xff\x01garbage"), EncodeRecord(no_id),
                                   good.substr(0, good.size() - 3)}) {
    v1::ChangeRecord out = Scale(9);  // holds another record's fields
    const Status got = DecodeRecordInto("default/web-3", value, out);
    const StatusOr<v1::ChangeRecord> want = DecodeRecord("default/web-3", value);
    ASSERT_EQ(got.ok(), want.ok()) << got.message();
    if (want.ok()) {
      EXPECT_EQ(EncodeRecord(out), EncodeRecord(*want));
    } else {
      EXPECT_EQ(got.message(), want.status().message());
    }
  }
}

TEST(DecodeRecordInto, key_must_be_exactly_namespace_slash_name) {
  const std::string value = EncodeRecord(Scale(1));  // default/web-1
  v1::ChangeRecord out;
  EXPECT_TRUE(DecodeRecordInto("default/web-1", value, out).ok());
  for (const char* key : {"default/web-1x", "default/web-", "defaul/tweb-1", "default-web-1",
                          "default//web-1", "/default/web-1", "default/web-1/", "", "default", "web-1"}) {
    const Status s = DecodeRecordInto(key, value, out);
    EXPECT_FALSE(s.ok()) << key;
    EXPECT_NE(s.message().find("does not match record default/web-1"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace rollbook::events
