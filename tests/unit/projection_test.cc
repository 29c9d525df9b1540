// Tests for the SQLite projection (store/projection/projection.h) and the
// record codec (events/codec.h): exactly-once offsets, quarantine, the audit
// index, reopening, refusing foreign / newer files, and codec round trips.
//
// Every test works on a fresh database file in its own mkdtemp directory.

#include "store/projection/projection.h"

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "events/chain.h"
#include "events/codec.h"
#include "events/kafka_log.h"
#include "store/fold/manifest.h"
#include "store/fold/template.h"
#include "store/projection/digest.h"
#include "store/projection/templates.h"
#include "tests/unit/fold_harness.h"

namespace rollbook::store {
namespace {

using fold::testing::DeploymentYaml;
using fold::testing::ParseDeployment;
using fold::testing::StableBytes;

constexpr int64_t kT0 = 1'700'000'000'000;

// A temporary directory removed (with its contents) at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rollbook-projection-XXXXXX").string();
    char* made = mkdtemp(tmpl.data());
    if (made == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    } else {
      path_ = made;
    }
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

std::unique_ptr<Projection> OpenOrDie(const std::string& path, const std::string& topic = "rollbook.events") {
  Projection::Options o;
  o.path = path;
  o.topic = topic;
  auto p = Projection::Open(o);
  if (!p.ok()) {
    ADD_FAILURE() << "Open(" << path << "): " << p.status().message();
    return nullptr;
  }
  return std::move(p).value();
}

// ---- records -------------------------------------------------------------------

v1::ChangeRecord Base(v1::ChangeKind kind, const std::string& name, uint64_t expected_version,
                      const std::string& id, const std::string& ns = "default") {
  v1::ChangeRecord r;
  r.set_schema_version(1);
  r.set_id(id);
  r.set_namespace_(ns);
  r.set_name(name);
  r.set_kind(kind);
  r.set_expected_version(expected_version);
  r.set_actor("alice");
  r.set_host("laptop");
  r.set_client_time_unix_ms(kT0 - 5);
  r.set_command_line("kubectl something");
  return r;
}

v1::ChangeRecord CreateRec(const std::string& name, int replicas, const std::string& image,
                           const std::string& id, const std::string& cause = "") {
  v1::ChangeRecord r = Base(v1::CHANGE_KIND_CREATE, name, 0, id);
  *r.mutable_create()->mutable_deployment() = ParseDeployment(DeploymentYaml(name, replicas, image));
  r.set_change_cause(cause);
  return r;
}

v1::ChangeRecord ScaleRec(const std::string& name, int replicas, uint64_t expected_version,
                          const std::string& id) {
  v1::ChangeRecord r = Base(v1::CHANGE_KIND_SCALE, name, expected_version, id);
  r.mutable_scale()->set_replicas(replicas);
  r.mutable_scale()->set_current_replicas(-1);
  return r;
}

v1::ChangeRecord SetImageRec(const std::string& name, const std::string& image, uint64_t expected_version,
                             const std::string& id) {
  v1::ChangeRecord r = Base(v1::CHANGE_KIND_SET_IMAGE, name, expected_version, id);
  auto* ci = r.mutable_set_image()->add_images();
  ci->set_container("app");
  ci->set_image(image);
  return r;
}

v1::ChangeRecord DeleteRec(const std::string& name, uint64_t expected_version, const std::string& id) {
  v1::ChangeRecord r = Base(v1::CHANGE_KIND_DELETE, name, expected_version, id);
  r.mutable_delete_();
  return r;
}

events::LogMessage Msg(int32_t partition, int64_t offset, const v1::ChangeRecord& rec) {
  events::LogMessage m;
  m.position.partition = partition;
  m.position.offset = offset;
  m.position.timestamp_ms = kT0 + offset * 1000 + partition;
  m.key = events::RecordKey(rec.namespace_(), rec.name());
  m.value = events::EncodeRecord(rec);
  return m;
}

events::LogMessage Raw(int32_t partition, int64_t offset, std::string key, std::string value) {
  events::LogMessage m;
  m.position.partition = partition;
  m.position.offset = offset;
  m.position.timestamp_ms = kT0 + offset * 1000;
  m.key = std::move(key);
  m.value = std::move(value);
  return m;
}

// ---- SQL helpers ----------------------------------------------------------------

int64_t Count(Projection& p, const std::string& sql) {
  auto s = p.db().Prepare(sql);
  if (!s.ok()) {
    ADD_FAILURE() << s.status().message();
    return -1;
  }
  auto row = s->Step();
  if (!row.ok() || !*row) {
    ADD_FAILURE() << "no row for " << sql;
    return -1;
  }
  return s->Int(0);
}

std::string StateBlob(Projection& p, const std::string& ns, const std::string& name) {
  auto s = p.db().Prepare("SELECT state FROM deployments WHERE namespace = ? AND name = ?");
  if (!s.ok()) return "<prepare failed>";
  s->Bind(1, ns).Bind(2, name);
  auto row = s->Step();
  if (!row.ok() || !*row) return "<no row>";
  return s->Blob(0);
}

std::string QuarantineReason(Projection& p, int32_t partition, int64_t offset) {
  auto s = p.db().Prepare("SELECT reason FROM quarantine WHERE partition = ? AND offset = ?");
  if (!s.ok()) return "<prepare failed>";
  s->Bind(1, static_cast<int64_t>(partition)).Bind(2, offset);
  auto row = s->Step();
  if (!row.ok() || !*row) return "<not quarantined>";
  return s->Text(0);
}

state::v1::Aggregate AggOrDie(Projection& p, const std::string& name, const std::string& ns = "default") {
  auto a = p.GetAggregate(ns, name);
  if (!a.ok() || !a->has_value()) {
    ADD_FAILURE() << "no aggregate " << ns << "/" << name;
    return {};
  }
  return **a;
}

// Writes a plain SQLite file with the given statements (not through rollbook).
void MakeSqliteFile(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

int64_t PragmaOf(const std::string& path, const std::string& pragma) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
  sqlite3_stmt* st = nullptr;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, ("PRAGMA " + pragma).c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// A three-record history of default/web on partition 0.
std::vector<events::LogMessage> WebBatch() {
  return {Msg(0, 0, CreateRec("web", 3, "nginx:1", "id-0", "first")),
          Msg(0, 1, ScaleRec("web", 5, 1, "id-1")), Msg(0, 2, SetImageRec("web", "nginx:2", 2, "id-2"))};
}

// ============================================================================
// Exactly-once offsets
// ============================================================================

// projection.h: a message takes effect only when its offset is >= the stored next offset.
TEST(ProjectionOffsets, applying_the_same_batch_twice_changes_nothing) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(p, nullptr);
  const auto batch = WebBatch();
  auto s1 = p->ApplyBatch(batch);
  ASSERT_TRUE(s1.ok()) << s1.status().message();
  EXPECT_EQ(s1->applied, 3);
  EXPECT_EQ(s1->skipped, 0);
  EXPECT_EQ(s1->quarantined, 0);
  const std::string blob = StateBlob(*p, "default", "web");
  const int64_t changes = Count(*p, "SELECT count(*) FROM changes");
  const int64_t events = Count(*p, "SELECT count(*) FROM controller_events");
  const int64_t rss = Count(*p, "SELECT count(*) FROM replica_sets");
  EXPECT_EQ(changes, 3);
  EXPECT_GT(events, 0);

  auto s2 = p->ApplyBatch(batch);
  ASSERT_TRUE(s2.ok()) << s2.status().message();
  EXPECT_EQ(s2->applied, 0);
  EXPECT_EQ(s2->skipped, 3);
  EXPECT_EQ(s2->quarantined, 0);
  EXPECT_EQ(StateBlob(*p, "default", "web"), blob);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM changes"), changes);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM controller_events"), events);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM replica_sets"), rss);
  auto next = p->NextOffsets(1);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::vector<int64_t>{3});
  EXPECT_EQ(AggOrDie(*p, "web").version(), 3u);
}

// projection.h: "any number of processes ... may advance the same file, and each record takes
// effect exactly once" — two handles on one file, overlapping batches.
TEST(ProjectionOffsets, two_handles_on_one_file_apply_each_record_once) {
  TempDir dir;
  const std::string path = dir.File("p.db");
  auto p1 = OpenOrDie(path);
  auto p2 = OpenOrDie(path);
  ASSERT_NE(p1, nullptr);
  ASSERT_NE(p2, nullptr);
  const auto batch = WebBatch();
  auto s1 = p1->ApplyBatch({batch[0], batch[1]});
  ASSERT_TRUE(s1.ok()) << s1.status().message();
  EXPECT_EQ(s1->applied, 2);
  auto s2 = p2->ApplyBatch(batch);
  ASSERT_TRUE(s2.ok()) << s2.status().message();
  EXPECT_EQ(s2->skipped, 2);
  EXPECT_EQ(s2->applied, 1);
  auto s3 = p1->ApplyBatch(batch);
  ASSERT_TRUE(s3.ok()) << s3.status().message();
  EXPECT_EQ(s3->skipped, 3);
  state::v1::Aggregate a1 = AggOrDie(*p1, "web"), a2 = AggOrDie(*p2, "web");
  EXPECT_EQ(a1.version(), 3u);
  EXPECT_EQ(StableBytes(a1), StableBytes(a2));
  EXPECT_EQ(Count(*p1, "SELECT count(*) FROM changes"), 3);
}

// projection.h: messages below the stored next offset are skipped, the rest applied.
TEST(ProjectionOffsets, records_below_the_stored_offset_are_skipped) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(p, nullptr);
  auto batch = WebBatch();
  ASSERT_TRUE(p->ApplyBatch({batch[0], batch[1]}).ok());
  // Overlapping redelivery: offset 1 again, then 2 and 3 new.
  auto s = p->ApplyBatch({batch[1], batch[2], Msg(0, 3, ScaleRec("web", 2, 3, "id-3"))});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->skipped, 1);
  EXPECT_EQ(s->applied, 2);
  state::v1::Aggregate agg = AggOrDie(*p, "web");
  EXPECT_EQ(agg.version(), 4u);
  EXPECT_EQ(agg.deployment().spec().replicas(), 2);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM changes"), 4);
  // Within one batch, an offset going backwards is skipped too.
  s = p->ApplyBatch({Msg(0, 5, ScaleRec("web", 7, 4, "id-5")), Msg(0, 4, ScaleRec("web", 9, 4, "id-4"))});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->applied, 1);
  EXPECT_EQ(s->skipped, 1);
  EXPECT_EQ(AggOrDie(*p, "web").deployment().spec().replicas(), 7);
}

// projection.h: next offsets are stored per partition; gaps are allowed.
TEST(ProjectionOffsets, offsets_advance_per_partition) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(p, nullptr);
  auto next = p->NextOffsets(4);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, (std::vector<int64_t>{0, 0, 0, 0}));
  std::vector<events::LogMessage> batch = WebBatch();
  batch.push_back(Msg(2, 0, CreateRec("api", 1, "api:1", "api-0")));
  batch.push_back(Msg(2, 1, ScaleRec("api", 2, 1, "api-1")));
  auto s = p->ApplyBatch(batch);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->applied, 5);
  next = p->NextOffsets(4);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, (std::vector<int64_t>{3, 0, 2, 0}));
  // A later message after a gap (compaction / aborted transactions) moves the offset past it.
  ASSERT_TRUE(p->ApplyBatch({Msg(2, 9, ScaleRec("api", 4, 2, "api-9"))}).ok());
  next = p->NextOffsets(4);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, (std::vector<int64_t>{3, 0, 10, 0}));
  EXPECT_EQ(AggOrDie(*p, "api").deployment().spec().replicas(), 4);
  // Asking for fewer partitions truncates; more pads with 0.
  next = p->NextOffsets(1);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::vector<int64_t>{3});
}

// ============================================================================
// Quarantine
// ============================================================================

struct Garbage {
  const char* what;
  events::LogMessage message;  // offset filled in by the test
  std::string reason;
};

std::vector<Garbage> GarbageCases() {
  std::vector<Garbage> out;
  const std::string key = events::RecordKey("default", "web");
  out.push_back({"malformed protobuf", Raw(0, 0, key, std::string(11, '\xff')),
                 "value is not a rollbook.v1.ChangeRecord protobuf"});
  out.push_back({"empty value", Raw(0, 0, key, ""), "empty value: not a change record"});
  {
    v1::ChangeRecord r = ScaleRec("web", 4, 1, "g-1");
    r.set_schema_version(2);
    out.push_back(
        {"wrong schema_version", Msg(0, 0, r), "unsupported schema_version 2 (this reader knows 1)"});
  }
  {
    v1::ChangeRecord r = ScaleRec("web", 4, 1, "g-2");
    r.set_kind(static_cast<v1::ChangeKind>(42));
    out.push_back({"unknown kind", Msg(0, 0, r), "unknown change kind 42"});
  }
  {
    v1::ChangeRecord r = Base(v1::CHANGE_KIND_SCALE, "web", 1, "g-3");
    out.push_back({"missing payload", Msg(0, 0, r), "kind scale without its payload"});
  }
  {
    v1::ChangeRecord r = Base(v1::CHANGE_KIND_SCALE, "web", 1, "g-4");
    r.mutable_pause();
    out.push_back({"payload of another kind", Msg(0, 0, r), "kind scale without its payload"});
  }
  {
    v1::ChangeRecord r = ScaleRec("web", 4, 1, "g-5");
    events::LogMessage m = Msg(0, 0, r);
    m.key = "default/other";
    out.push_back({"key mismatch", m, "message key \"default/other\" does not match record default/web"});
  }
  {
    v1::ChangeRecord r = ScaleRec("web", 4, 1, "");
    out.push_back({"missing id", Msg(0, 0, r), "missing record id"});
  }
  {
    v1::ChangeRecord r = ScaleRec("web", 4, 1, "g-7");
    r.set_command_line(std::string(events::kMaxRecordBytes, 'x'));
    events::LogMessage m = Msg(0, 0, r);
    out.push_back({"oversized", m,
                   "record of " + std::to_string(m.value.size()) + " bytes exceeds the " +
                       std::to_string(events::kMaxRecordBytes) + " byte limit"});
  }
  return out;
}

// codec.h / projection.h: a bad record is quarantined with a reason, never fatal, never retried;
// the next good record still applies.
TEST(ProjectionQuarantine, garbage_is_quarantined_with_reason_and_next_record_applies) {
  for (const Garbage& g : GarbageCases()) {
    SCOPED_TRACE(g.what);
    TempDir dir;
    auto p = OpenOrDie(dir.File("p.db"));
    ASSERT_NE(p, nullptr);
    events::LogMessage bad = g.message;
    bad.position.offset = 1;
    auto s = p->ApplyBatch(
        {Msg(0, 0, CreateRec("web", 3, "nginx:1", "id-0")), bad, Msg(0, 2, ScaleRec("web", 4, 1, "id-2"))});
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_EQ(s->applied, 2);
    EXPECT_EQ(s->quarantined, 1);
    EXPECT_EQ(QuarantineReason(*p, 0, 1), g.reason);
    EXPECT_EQ(Count(*p, "SELECT size FROM quarantine WHERE partition = 0 AND offset = 1"),
              static_cast<int64_t>(bad.value.size()));
    EXPECT_EQ(Count(*p, "SELECT log_time_ms FROM quarantine WHERE partition = 0 AND offset = 1"),
              bad.position.timestamp_ms);
    EXPECT_EQ(Count(*p, "SELECT count(*) FROM changes WHERE offset = 1"), 0);
    state::v1::Aggregate agg = AggOrDie(*p, "web");
    EXPECT_EQ(agg.version(), 2u);
    EXPECT_EQ(agg.deployment().spec().replicas(), 4);
    auto next = p->NextOffsets(1);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, std::vector<int64_t>{3});
    // Redelivery does not quarantine twice.
    s = p->ApplyBatch({bad});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->skipped, 1);
    EXPECT_EQ(s->quarantined, 0);
    EXPECT_EQ(Count(*p, "SELECT count(*) FROM quarantine"), 1);
  }
}

// codec.h: random bytes never fold; each is quarantined with a non-empty reason.
TEST(ProjectionQuarantine, random_bytes_are_always_quarantined) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(p, nullptr);
  std::mt19937 rng(12345);
  std::vector<events::LogMessage> batch;
  for (int i = 0; i < 100; ++i) {
    std::string bytes(1 + rng() % 64, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
    batch.push_back(Raw(1, i, "default/web", bytes));
  }
  auto s = p->ApplyBatch(batch);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->quarantined, 100);
  EXPECT_EQ(s->applied, 0);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM quarantine WHERE reason = ''"), 0);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM deployments"), 0);
}

// ============================================================================
// Audit index
// ============================================================================

// projection.h: rejected records are in the changes table with outcome 'rejected'.
TEST(ProjectionChanges, rejected_conflict_is_indexed_as_rejected) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(p, nullptr);
  auto s = p->ApplyBatch({Msg(0, 0, CreateRec("web", 3, "nginx:1", "id-0", "first")),
                          Msg(0, 1, ScaleRec("web", 5, /*stale*/ 0, "id-1"))});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->applied, 2);

  auto created = p->GetChange(0, 0);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(created->has_value());
  const ChangeRow& c = **created;
  EXPECT_EQ(c.outcome, "applied");
  EXPECT_EQ(c.reason, "");
  EXPECT_EQ(c.message, "created");
  EXPECT_EQ(c.kind, "create");
  EXPECT_EQ(c.record_id, "id-0");
  EXPECT_EQ(c.ns, "default");
  EXPECT_EQ(c.name, "web");
  EXPECT_EQ(c.actor, "alice");
  EXPECT_EQ(c.host, "laptop");
  EXPECT_EQ(c.client_time_ms, kT0 - 5);
  EXPECT_EQ(c.command, "kubectl something");
  EXPECT_EQ(c.change_cause, "first");
  EXPECT_EQ(c.log_time_ms, kT0);
  EXPECT_EQ(c.version_before, 0);
  EXPECT_EQ(c.version_after, 1);
  EXPECT_EQ(c.revision_before, 0);
  EXPECT_EQ(c.revision_after, 1);
  EXPECT_EQ(c.replicas_before, 0);
  EXPECT_EQ(c.replicas_after, 3);
  EXPECT_EQ(c.images_before, "");
  EXPECT_EQ(c.images_after, "app=nginx:1");

  auto rejected = p->GetChange(0, 1);
  ASSERT_TRUE(rejected.ok());
  ASSERT_TRUE(rejected->has_value());
  const ChangeRow& r = **rejected;
  EXPECT_EQ(r.outcome, "rejected");
  EXPECT_EQ(r.reason, "Conflict");
  EXPECT_EQ(
      r.message,
      "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply "
      "your changes to the latest version and try again");
  EXPECT_EQ(r.kind, "scale");
  EXPECT_EQ(r.version_before, 1);
  EXPECT_EQ(r.version_after, 1);
  EXPECT_EQ(r.replicas_before, 3);
  EXPECT_EQ(r.replicas_after, 3);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM changes WHERE outcome = 'rejected'"), 1);
  EXPECT_EQ(AggOrDie(*p, "web").version(), 1u);

  auto missing = p->GetChange(0, 7);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

// projection.h: ImagesOf lists init containers first, then containers, in
// template order, whatever the key order of the JSON; anything that is not
// a template gives "".
TEST(ProjectionChanges, images_of_lists_init_containers_then_containers) {
  EXPECT_EQ(
      ImagesOf(R"({"metadata":{"spec":{"containers":[{"name":"x","image":"y"}]}},)"
               R"("spec":{"containers":[{"image":"nginx:1","name":"app"},{"name":"side","image":"b:2"}],)"
               R"("initContainers":[{"name":"init","image":"busybox"}],"volumes":[{"name":"v"}]}})"),
      "init=busybox,app=nginx:1,side=b:2");
  EXPECT_EQ(ImagesOf(R"({"spec":{"containers":[{"name":"app"},[{"name":"nested","image":"n"}],3]}})"),
            "app=");
  EXPECT_EQ(ImagesOf(R"({"spec":{"containers":{"name":"app","image":"i"}}})"), "");
  EXPECT_EQ(ImagesOf(R"({"spec":[]})"), "");
  EXPECT_EQ(ImagesOf(R"([{"spec":{"containers":[{"name":"a","image":"b"}]}}])"), "");
  EXPECT_EQ(ImagesOf(R"({"spec":{"containers":[{"name":"a","image":"b"}]})"), "");  // truncated
  EXPECT_EQ(ImagesOf(""), "");
}

// ImagesOf against a plain reading of its rule on a JSON document, for the
// pod template of every Deployment in the real manifests (init containers,
// sidecars, digests and registry ports included).
TEST(ProjectionChanges, images_of_every_real_manifest_template_follows_the_rule) {
  auto rule = [](const nlohmann::json& t) {
    std::string out;
    if (!t.is_object() || !t.contains("spec") || !t["spec"].is_object()) return out;
    for (const char* list : {"initContainers", "containers"}) {
      auto it = t["spec"].find(list);
      if (it == t["spec"].end() || !it->is_array()) continue;
      for (const auto& c : *it) {
        if (!c.is_object()) continue;
        auto field = [&](const char* k) {
          auto f = c.find(k);
          return f != c.end() && f->is_string() ? f->get<std::string>() : std::string();
        };
        if (!out.empty()) out += ",";
        out += field("name") + "=" + field("image");
      }
    }
    return out;
  };
  const std::string dir = std::string(ROLLBOOK_SHARED_DIR) + "/testdata/real-manifests";
  size_t templates = 0, with_init = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml" && entry.path().extension() != ".yml") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto docs = fold::ParseManifestText(text, entry.path().filename().string());
    if (!docs.ok()) continue;  // the object-model tests cover the manifests that are refused
    for (const auto& doc : *docs) {
      auto d = fold::DeploymentFromManifest(doc.object, "default");
      if (!d.ok()) continue;  // not a Deployment, or one the object-model tests refuse
      SCOPED_TRACE(entry.path().filename().string());
      const std::string& tmpl = d->spec().template_json();
      const std::string images = ImagesOf(tmpl);
      EXPECT_EQ(images, rule(nlohmann::json::parse(tmpl)));
      EXPECT_NE(images.find('='), std::string::npos);
      ++templates;
      if (tmpl.find("\"initContainers\"") != std::string::npos) ++with_init;
    }
  }
  EXPECT_GE(templates, 30u);
  EXPECT_GE(with_init, 1u);
}

// templates.h: a stripped ReplicaSet keeps its digest and gives its text's
// buffer back, whether the text goes to the table or to a queued writer
// (emptying the string kept its capacity: a third of a 1M rebuild's heap).
TEST(Templates, strip_frees_the_template_text_rather_than_only_emptying_it) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(p, nullptr);
  const std::string text = R"({"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":")" +
                           std::string(2000, 'x') + R"(","name":"app"}]}})";
  state::v1::ReplicaSet to_table, to_queue;
  to_table.set_template_json(text);
  to_queue.set_template_json(text);
  ASSERT_GE(to_table.template_json().capacity(), text.size());

  store::Templates direct(p->db());
  ASSERT_TRUE(p->db().Exec("BEGIN").ok());
  ASSERT_TRUE(direct.Strip(to_table).ok());
  ASSERT_TRUE(p->db().Exec("COMMIT").ok());

  std::map<std::string, std::string> queued;
  store::Templates deferred(p->db());
  deferred.Defer({.insert =
                      [&](const std::string& digest, const std::string& t) {
                        queued[digest] = t;
                        return Status::Ok();
                      },
                  .lookup = [&](const std::string& digest) -> const std::string* {
                    auto it = queued.find(digest);
                    return it == queued.end() ? nullptr : &it->second;
                  }});
  ASSERT_TRUE(deferred.Strip(to_queue).ok());

  for (state::v1::ReplicaSet* rs : {&to_table, &to_queue}) {
    EXPECT_TRUE(rs->template_json().empty());
    EXPECT_LT(rs->template_json().capacity(), 64u);  // the buffer went, not only the text
    EXPECT_EQ(rs->template_digest(), fold::TemplateDigest(text));
  }
  // And the text comes back from where each one put it.
  ASSERT_TRUE(direct.Fill(to_table).ok());
  ASSERT_TRUE(deferred.Fill(to_queue).ok());
  EXPECT_EQ(to_table.template_json(), text);
  EXPECT_EQ(to_queue.template_json(), text);
}

// projection.h: the state blob reuses the ReplicaSets' row bytes.
TEST(ProjectionChanges, aggregate_blob_parses_back_to_the_aggregate_and_leaves_it_unchanged) {
  state::v1::Aggregate agg;
  agg.set_version(7);
  agg.set_exists(true);
  agg.mutable_deployment()->mutable_metadata()->set_name("web");
  agg.set_uid("id-1");
  agg.mutable_status()->set_replicas(3);
  agg.set_next_creation_seq(4);  // fields after replica_sets (8)
  agg.set_last_record_hash(std::string(32, '\x7f'));
  agg.add_replica_sets();              // empty: a zero-length entry
  auto* big = agg.add_replica_sets();  // > 127 bytes: a two-byte length
  big->set_name(std::string(300, 'r'));
  big->set_revision(2);
  auto* small = agg.add_replica_sets();
  small->set_name("web-abc");
  small->set_creation_seq(3);
  const state::v1::Aggregate before = agg;

  std::vector<std::string> bytes;
  for (const auto& rs : agg.replica_sets()) bytes.push_back(fold::CanonicalBytes(rs));
  const std::string blob = AggregateBlob(agg, bytes);

  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(agg, before));
  state::v1::Aggregate parsed;
  ASSERT_TRUE(parsed.ParseFromString(blob));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, before)) << parsed.DebugString();
  EXPECT_EQ(fold::CanonicalBytes(parsed), fold::CanonicalBytes(before));
  EXPECT_EQ(blob.size(), before.ByteSizeLong());  // the same fields, in another order
}

// projection.h: the images/revision columns track a set-image rollout.
TEST(ProjectionChanges, set_image_row_records_images_and_revisions) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->ApplyBatch(WebBatch()).ok());
  auto row = p->GetChange(0, 2);
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->kind, "set-image");
  EXPECT_EQ((*row)->images_before, "app=nginx:1");
  EXPECT_EQ((*row)->images_after, "app=nginx:2");
  EXPECT_EQ((*row)->revision_before, 1);
  EXPECT_EQ((*row)->revision_after, 2);
  EXPECT_EQ((*row)->replicas_before, 5);
  EXPECT_EQ((*row)->replicas_after, 5);
  EXPECT_EQ(Count(*p, "SELECT revision FROM deployments WHERE name = 'web'"), 2);
  EXPECT_EQ(Count(*p, "SELECT replicas FROM deployments WHERE name = 'web'"), 5);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM replica_sets WHERE deployment = 'web' AND pruned_ms IS NULL"), 2);
}

// projection.h: controller events are stored per record, in order, under the incarnation's uid.
TEST(ProjectionEvents, events_match_the_fold_in_order) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(p, nullptr);
  const auto batch = WebBatch();
  ASSERT_TRUE(p->ApplyBatch(batch).ok());

  // The same records folded directly.
  state::v1::Aggregate agg;
  std::vector<std::string> expected;
  for (const auto& m : batch) {
    auto rec = events::DecodeRecord(m.key, m.value);
    ASSERT_TRUE(rec.ok());
    fold::FoldResult r = fold::ApplyRecord(agg, *rec, m.position.timestamp_ms);
    for (const auto& e : r.controller.events) expected.push_back(e.message);
  }
  auto rows = p->Events("default", "web", "id-0");
  ASSERT_TRUE(rows.ok());
  std::vector<std::string> got;
  for (const auto& e : *rows) {
    got.push_back(e.message);
    EXPECT_EQ(e.type, "Normal");
    EXPECT_EQ(e.reason, "ScalingReplicaSet");
  }
  EXPECT_EQ(got, expected);
  ASSERT_FALSE(rows->empty());
  EXPECT_EQ(rows->front().time_ms, kT0);  // the create's broker timestamp
  EXPECT_EQ(StableBytes(AggOrDie(*p, "web")), StableBytes(agg));
}

// projection.h: delete marks every RS pruned; a re-created Deployment is a new incarnation.
TEST(ProjectionEvents, delete_and_recreate_keeps_incarnations_apart) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(p, nullptr);
  auto batch = WebBatch();
  batch.push_back(Msg(0, 3, DeleteRec("web", 3, "id-3")));
  auto s = p->ApplyBatch(batch);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(Count(*p, "SELECT live FROM deployments WHERE name = 'web'"), 0);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM replica_sets WHERE pruned_ms IS NULL"), 0);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM replica_sets WHERE pruned_ms IS NOT NULL"), 2);
  auto list = p->ListAggregates("");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());

  v1::ChangeRecord again = CreateRec("web", 1, "nginx:9", "id-4");
  again.set_expected_version(4);
  s = p->ApplyBatch({Msg(0, 4, again)});
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto change = p->GetChange(0, 4);
  ASSERT_TRUE(change.ok() && change->has_value());
  EXPECT_EQ((*change)->outcome, "applied") << (*change)->message;
  state::v1::Aggregate agg = AggOrDie(*p, "web");
  EXPECT_TRUE(agg.exists());
  EXPECT_EQ(agg.uid(), "id-4");
  auto old_events = p->Events("default", "web", "id-0");
  auto new_events = p->Events("default", "web", "id-4");
  ASSERT_TRUE(old_events.ok() && new_events.ok());
  EXPECT_EQ(old_events->size(), 8u);  // created 0→3, scaled 3→5, six rolling-update steps (R=5)
  ASSERT_EQ(new_events->size(), 1u);
  EXPECT_EQ(new_events->front().message,
            "Scaled up replica set " + agg.replica_sets(0).name() + " from 0 to 1");
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM replica_sets WHERE pruned_ms IS NULL"), 1);
  EXPECT_EQ(Count(*p, "SELECT count(*) FROM replica_sets"), 3);
  list = p->ListAggregates("default");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

// ============================================================================
// The file
// ============================================================================

// A log over more Deployments than one batch keeps in memory, with template
// changes, undos, a delete and re-create, and records whose broker time goes
// back (late records get a snapshot).
std::vector<events::LogMessage> ManyDeploymentsLog() {
  constexpr int kDeployments = 2300;
  std::vector<events::LogMessage> log;
  std::vector<uint64_t> version(kDeployments, 0);
  auto add = [&](const v1::ChangeRecord& rec) {
    log.push_back(Msg(0, static_cast<int64_t>(log.size()), rec));
    if (log.size() % 97 == 0) log.back().position.timestamp_ms -= 5000;  // the leader's clock stepped back
  };
  auto name = [](int i) { return "d-" + std::to_string(i); };
  for (int i = 0; i < kDeployments; ++i) add(CreateRec(name(i), 2, "nginx:1", "c-" + std::to_string(i)));
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kDeployments; i += 1 + round) {
      const std::string id = std::to_string(round) + "-" + std::to_string(i);
      add(ScaleRec(name(i), 3 + round, ++version[i], "s-" + id));
      add(SetImageRec(name(i), "nginx:" + std::to_string(2 + round), ++version[i], "i-" + id));
      if (i % 5 == 0) {
        v1::ChangeRecord undo = Base(v1::CHANGE_KIND_ROLLBACK, name(i), ++version[i], "u-" + id);
        undo.mutable_rollback()->set_to_revision(0);
        add(undo);
      }
      if (i % 11 == 0) add(SetImageRec(name(i), "nginx:1", version[i] - 1, "stale-" + id));  // a conflict
    }
  }
  add(DeleteRec(name(7), ++version[7], "del-7"));
  add(CreateRec(name(7), 1, "nginx:9", "recreate-7"));
  for (int i = 0; i < kDeployments; i += 3)
    add(ScaleRec(name(i), 1, ++version[i], "last-" + std::to_string(i)));
  return log;
}

std::string DigestOrDie(Projection& p) {
  auto d = ComputeDigest(p.db());
  if (!d.ok()) {
    ADD_FAILURE() << d.status().message();
    return "";
  }
  return d->sha256_hex;
}

std::vector<std::string> IndexNames(Projection& p) {
  std::vector<std::string> names;
  auto s = p.db().Prepare(
      "SELECT name || ':' || sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
      "ORDER BY name");
  if (!s.ok()) return names;
  while (true) {
    auto row = s->Step();
    if (!row.ok() || !*row) break;
    names.push_back(s->Text(0));
  }
  return names;
}

// Applies `log` in batches of `batch` messages.
void ApplyInBatches(Projection& p, const std::vector<events::LogMessage>& log, size_t batch) {
  for (size_t i = 0; i < log.size(); i += batch) {
    std::vector<events::LogMessage> part(
        log.begin() + static_cast<std::ptrdiff_t>(i),
        log.begin() + static_cast<std::ptrdiff_t>(std::min(log.size(), i + batch)));
    auto stats = p.ApplyBatch(part);
    ASSERT_TRUE(stats.ok()) << stats.status().message();
  }
}

// projection.h: the result does not depend on how the log is cut into
// batches, nor on a bulk load (indexes built at the end, write-outs past the
// batch's memory bound, only changed ReplicaSet rows rewritten).
TEST(ProjectionFile, bulk_load_and_any_batching_give_the_same_projection) {
  TempDir dir;
  const std::vector<events::LogMessage> log = ManyDeploymentsLog();
  auto apply_in = [&](Projection& p, size_t batch) { ApplyInBatches(p, log, batch); };
  auto small = OpenOrDie(dir.File("small.db"));
  ASSERT_NE(small, nullptr);
  apply_in(*small, 50);
  auto whole = OpenOrDie(dir.File("whole.db"));
  ASSERT_NE(whole, nullptr);
  apply_in(*whole, log.size());
  auto bulk = Projection::Open({.path = dir.File("bulk.db"), .create = true, .bulk_load = true});
  ASSERT_TRUE(bulk.ok()) << bulk.status().message();
  apply_in(**bulk, 4000);
  ASSERT_TRUE((*bulk)->FinishBulkLoad().ok());

  const std::string expected = DigestOrDie(*small);
  EXPECT_EQ(DigestOrDie(*whole), expected);
  EXPECT_EQ(DigestOrDie(**bulk), expected);
  EXPECT_EQ(IndexNames(**bulk), IndexNames(*small));
  EXPECT_GE(IndexNames(*small).size(), 4u);
  EXPECT_GT(Count(*small, "SELECT count(*) FROM snapshots"), 0);
  EXPECT_GT(Count(*small, "SELECT count(*) FROM replica_sets WHERE pruned_ms IS NOT NULL"), 0);
  EXPECT_GT(Count(*small, "SELECT count(*) FROM changes WHERE outcome = 'rejected'"), 0);
}

// The listing checkpoints as rows, for comparing two files built in the same batches.
std::vector<std::string> CheckpointRows(Projection& p) {
  std::vector<std::string> rows;
  auto s = p.db().Prepare(
      "SELECT time_ms || ':' || coalesce(base_ms, '-') || ':' || deployments || ':' || hex(body) "
      "FROM listing_checkpoints ORDER BY time_ms");
  if (!s.ok()) return rows;
  while (true) {
    auto row = s->Step();
    if (!row.ok() || !*row) break;
    rows.push_back(s->Text(0));
  }
  return rows;
}

std::unique_ptr<Projection> OpenPipelinedOrDie(const std::string& path, int64_t checkpoint_every = 64) {
  auto p = Projection::Open({.path = path,
                             .create = true,
                             .listing_checkpoint_every = checkpoint_every,
                             .pipelined_commits = true});
  if (!p.ok()) {
    ADD_FAILURE() << "Open(" << path << "): " << p.status().message();
    return nullptr;
  }
  return std::move(p).value();
}

std::vector<events::LogMessage> Slice(const std::vector<events::LogMessage>& log, size_t from, size_t to) {
  return {log.begin() + static_cast<std::ptrdiff_t>(from),
          log.begin() + static_cast<std::ptrdiff_t>(std::min(to, log.size()))};
}

// projection.h Options::pipelined_commits: folding a batch while the
// previous one is still being written and committed changes nothing in the
// file: not the projection, not where the listing checkpoints fall (the
// extension that builds them runs on the write thread then).
TEST(ProjectionFile, pipelined_commits_write_the_same_file_as_committing_each_batch_in_turn) {
  TempDir dir;
  const std::vector<events::LogMessage> log = ManyDeploymentsLog();
  auto in_turn = Projection::Open({.path = dir.File("in-turn.db"), .listing_checkpoint_every = 64});
  ASSERT_TRUE(in_turn.ok()) << in_turn.status().message();
  ApplyInBatches(**in_turn, log, 500);
  auto pipelined = OpenPipelinedOrDie(dir.File("pipelined.db"));
  ASSERT_NE(pipelined, nullptr);
  ApplyInBatches(*pipelined, log, 500);
  ASSERT_TRUE(pipelined->Sync().ok());

  EXPECT_EQ(DigestOrDie(*pipelined), DigestOrDie(**in_turn));
  const std::vector<std::string> checkpoints = CheckpointRows(**in_turn);
  EXPECT_GT(checkpoints.size(), 50u);
  EXPECT_EQ(CheckpointRows(*pipelined), checkpoints);
  auto next = pipelined->NextOffsets(1);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ((*next)[0], static_cast<int64_t>(log.size()));
}

// The cache and offsets a pipelined writer carries into its next batch are
// only right if no other connection committed in between. Here one does,
// after the first writer's batch and before its next: that batch must be
// applied again from the file (records the other applied are skipped), not
// folded on top of the stale cache.
TEST(ProjectionFile, a_pipelined_batch_after_another_connections_commit_is_applied_from_the_file) {
  TempDir dir;
  const std::vector<events::LogMessage> log = ManyDeploymentsLog();
  auto reference = OpenOrDie(dir.File("reference.db"));
  ASSERT_NE(reference, nullptr);
  ApplyInBatches(*reference, Slice(log, 0, 3000), 3000);

  const std::string path = dir.File("shared.db");
  auto daemon = OpenPipelinedOrDie(path);
  ASSERT_NE(daemon, nullptr);
  auto other = OpenOrDie(path);
  ASSERT_NE(other, nullptr);
  auto first = daemon->ApplyBatch(Slice(log, 0, 1000));
  ASSERT_TRUE(first.ok()) << first.status().message();
  // Waits for the daemon's COMMIT (busy timeout), then commits 1000..1999.
  auto between = other->ApplyBatch(Slice(log, 1000, 2000));
  ASSERT_TRUE(between.ok()) << between.status().message();
  EXPECT_EQ(between->applied, 1000);
  auto next = daemon->ApplyBatch(Slice(log, 1000, 3000));
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(next->skipped, 1000) << "the other connection's records count as applied";
  EXPECT_EQ(next->applied, 1000);
  ASSERT_TRUE(daemon->Sync().ok());

  EXPECT_EQ(Count(*daemon, "SELECT count(*) FROM changes"), 3000);
  EXPECT_EQ(Count(*daemon, "SELECT count(*) FROM changes WHERE outcome = 'rejected'"),
            Count(*reference, "SELECT count(*) FROM changes WHERE outcome = 'rejected'"));
  EXPECT_EQ(DigestOrDie(*daemon), DigestOrDie(*reference));
}

// A pipelined batch whose writes fail after ApplyBatch returned (here a
// trigger refuses its offsets) is reported by Sync(), is not in the file,
// and the projection takes no further batch until NextOffsets() told the
// caller where to resume; resuming there gives the full projection.
TEST(ProjectionFile, a_pipelined_batch_that_fails_after_returning_is_reported_and_resumed_from_the_file) {
  TempDir dir;
  const std::vector<events::LogMessage> log = ManyDeploymentsLog();
  auto reference = OpenOrDie(dir.File("reference.db"));
  ASSERT_NE(reference, nullptr);
  ApplyInBatches(*reference, Slice(log, 0, 3000), 3000);

  const std::string path = dir.File("p.db");
  auto daemon = OpenPipelinedOrDie(path);
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(daemon->ApplyBatch(Slice(log, 0, 1000)).ok());
  ASSERT_TRUE(daemon->Sync().ok());
  auto other = OpenOrDie(path);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->db()
                  .Exec("CREATE TRIGGER refuse BEFORE INSERT ON offsets WHEN NEW.next_offset > 1500 "
                        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
                  .ok());
  auto failing = daemon->ApplyBatch(Slice(log, 1000, 2000));
  ASSERT_TRUE(failing.ok()) << "the failure comes after the call: " << failing.status().message();
  Status synced = daemon->Sync();
  ASSERT_FALSE(synced.ok());
  EXPECT_NE(synced.message().find("refused by the test"), std::string::npos) << synced.message();
  auto refused = daemon->ApplyBatch(Slice(log, 2000, 3000));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("NextOffsets"), std::string::npos) << refused.status().message();

  ASSERT_TRUE(other->db().Exec("DROP TRIGGER refuse").ok());
  auto next = daemon->NextOffsets(1);
  ASSERT_TRUE(next.ok()) << next.status().message();
  ASSERT_EQ((*next)[0], 1000) << "the failed batch is not in the file";
  EXPECT_EQ(Count(*daemon, "SELECT count(*) FROM changes"), 1000);
  ApplyInBatches(*daemon, Slice(log, 1000, 3000), 700);
  ASSERT_TRUE(daemon->Sync().ok());
  EXPECT_EQ(DigestOrDie(*daemon), DigestOrDie(*reference));
}

// A batch's changes and controller_events rows are queued in runs sorted by
// Deployment (projection.cc, WriteInObjectOrder). The file must hold the
// batch's earlier rows whenever the writer reads them back: here the writer
// remembers the latest broker time of 20 Deployments only and asks the file
// for the others, in one batch where the leader's clock went back an hour
// halfway (that answer decides which records are late and get a snapshot).
TEST(ProjectionFile, rows_held_for_sorting_are_in_the_file_when_the_writer_reads_it) {
  constexpr int kDeployments = 100;
  std::vector<events::LogMessage> log;
  auto name = [](int i) { return "d-" + std::to_string(i); };
  auto add = [&](const v1::ChangeRecord& rec, int64_t shift_ms) {
    log.push_back(Msg(0, static_cast<int64_t>(log.size()), rec));
    log.back().position.timestamp_ms += shift_ms;
  };
  for (int i = 0; i < kDeployments; ++i) add(CreateRec(name(i), 1, "nginx:1", "c-" + std::to_string(i)), 0);
  for (int i = 0; i < kDeployments; ++i) add(ScaleRec(name(i), 2, 1, "a-" + std::to_string(i)), 0);
  for (int i = 0; i < kDeployments; ++i) {
    add(ScaleRec(name(i), 3, 2, "b-" + std::to_string(i)), -3600 * 1000);  // the clock went back
  }
  TempDir dir;
  auto reference = OpenOrDie(dir.File("reference.db"));
  ASSERT_NE(reference, nullptr);
  ApplyInBatches(*reference, log, 1);
  auto forgetful = Projection::Open({.path = dir.File("forgetful.db"), .max_log_time_entries = 20});
  ASSERT_TRUE(forgetful.ok()) << forgetful.status().message();
  ApplyInBatches(**forgetful, log, log.size());
  EXPECT_EQ(Count(**forgetful, "SELECT count(*) FROM changes"), static_cast<int64_t>(log.size()));
  // Every record of the last hundred is late: each one's snapshot is there.
  EXPECT_GE(Count(*reference, "SELECT count(*) FROM snapshots"), kDeployments);
  EXPECT_EQ(Count(**forgetful, "SELECT count(*) FROM snapshots"),
            Count(*reference, "SELECT count(*) FROM snapshots"));
  EXPECT_EQ(DigestOrDie(**forgetful), DigestOrDie(*reference));
}

// projection.h Options::aggregate_cache_bytes: the cache changes how often
// rows are loaded and written, never what the file ends up holding — with no
// cache, a cache smaller than one aggregate (every record evicts), and the
// default, in a bulk load and in WAL batches, with and without the write
// thread (Options::write_thread).
TEST(ProjectionFile, any_aggregate_cache_size_gives_the_same_projection) {
  TempDir dir;
  const std::vector<events::LogMessage> log = ManyDeploymentsLog();
  // WAL batches and bulk loads, each with its writes inline and on the write thread.
  struct Mode {
    bool bulk, write_thread;
  };
  auto open = [&](const std::string& file, Mode mode, size_t cache_bytes) {
    auto p = Projection::Open({.path = dir.File(file),
                               .create = true,
                               .bulk_load = mode.bulk,
                               .write_thread = mode.write_thread,
                               .aggregate_cache_bytes = cache_bytes});
    EXPECT_TRUE(p.ok()) << p.status().message();
    return p.ok() ? std::move(p).value() : nullptr;
  };
  auto apply_in = [&](Projection& p, size_t batch) { ApplyInBatches(p, log, batch); };
  auto reference = open("reference.db", Mode{false, false}, 0);
  ASSERT_NE(reference, nullptr);
  apply_in(*reference, 333);
  const std::string expected = DigestOrDie(*reference);
  for (const Mode mode : {Mode{false, false}, Mode{false, true}, Mode{true, false}, Mode{true, true}}) {
    for (const size_t cache_bytes : {size_t{0}, size_t{100}, size_t{64} << 10, kDefaultAggregateCacheBytes}) {
      SCOPED_TRACE(
          fmt::format("bulk {} write thread {} cache {} bytes", mode.bulk, mode.write_thread, cache_bytes));
      auto p =
          open(fmt::format("p-{}-{}-{}.db", mode.bulk, mode.write_thread, cache_bytes), mode, cache_bytes);
      ASSERT_NE(p, nullptr);
      // A batch small enough to write inline, then batches big enough for the thread.
      const std::vector<events::LogMessage> head(log.begin(), log.begin() + 100);
      const std::vector<events::LogMessage> rest(log.begin() + 100, log.end());
      ApplyInBatches(*p, head, head.size());
      ApplyInBatches(*p, rest, 1000);
      if (mode.bulk) {
        ASSERT_TRUE(p->FinishBulkLoad().ok());
      }
      EXPECT_EQ(DigestOrDie(*p), expected);
    }
  }
}

// projection.h Options::write_thread: a write that fails fails the bulk
// load, whether it ran at once or on the write thread (where it may surface
// at a later call), and every call after the first failure fails too.
TEST(ProjectionFile, a_failed_write_fails_the_bulk_load_with_or_without_the_write_thread) {
  TempDir dir;
  const std::vector<events::LogMessage> log = ManyDeploymentsLog();
  for (const bool write_thread : {false, true}) {
    SCOPED_TRACE(fmt::format("write thread {}", write_thread));
    auto p = Projection::Open({.path = dir.File(fmt::format("p-{}.db", write_thread)),
                               .create = true,
                               .bulk_load = true,
                               .write_thread = write_thread});
    ASSERT_TRUE(p.ok()) << p.status().message();
    // Every create emits controller events: their first insert fails.
    ASSERT_TRUE((*p)->db().Exec("DROP TABLE controller_events").ok());
    std::optional<Status> first_failure;
    for (size_t i = 0; i < log.size(); i += 500) {
      std::vector<events::LogMessage> part(
          log.begin() + static_cast<std::ptrdiff_t>(i),
          log.begin() + static_cast<std::ptrdiff_t>(std::min(log.size(), i + 500)));
      auto stats = (*p)->ApplyBatch(part);
      if (first_failure) {
        EXPECT_FALSE(stats.ok()) << "a batch after the failure at " << i;
      } else if (!stats.ok()) {
        first_failure = stats.status();
      }
    }
    const Status finished = (*p)->FinishBulkLoad();
    EXPECT_FALSE(finished.ok());
    const Status& failure = first_failure ? *first_failure : finished;
    EXPECT_NE(failure.message().find("controller_events"), std::string::npos) << failure.message();
    if (!write_thread) {
      EXPECT_TRUE(first_failure.has_value()) << "without the thread the first batch reports it";
    }
  }
}

// templates.h: the stored rows hold each ReplicaSet's template digest, not
// its text, and the readers put the text back — so what GetAggregate returns
// equals a fold of the log in memory, undos to evicted revisions included.
TEST(ProjectionFile, replica_sets_are_stored_by_template_digest_and_read_back_whole) {
  TempDir dir;
  const std::vector<events::LogMessage> log = ManyDeploymentsLog();
  auto p = Projection::Open({.path = dir.File("p.db"), .create = true, .aggregate_cache_bytes = 0});
  ASSERT_TRUE(p.ok()) << p.status().message();
  ApplyInBatches(**p, log, 500);

  std::map<std::string, state::v1::Aggregate> folded;
  std::set<std::string> digests;
  int undone = 0;  // with no cache, each undo folds an aggregate loaded from its stripped row
  for (const auto& m : log) {
    auto rec = events::DecodeRecord(m.key, m.value);
    ASSERT_TRUE(rec.ok());
    const fold::FoldResult r =
        fold::ApplyRecord(folded[m.key], *rec, m.position.timestamp_ms, events::RecordHash(m.value));
    undone += rec->kind() == v1::CHANGE_KIND_ROLLBACK && r.outcome.message == "rolled back" ? 1 : 0;
    for (const auto& rs : folded[m.key].replica_sets()) digests.insert(rs.template_digest());
  }
  for (const auto& [key, expected] : folded) {
    if (!expected.exists()) continue;
    const std::string name = key.substr(key.find('/') + 1);
    state::v1::Aggregate stored;
    ASSERT_TRUE(stored.ParseFromString(StateBlob(**p, "default", name)));
    for (const auto& rs : stored.replica_sets()) {
      EXPECT_TRUE(rs.template_json().empty()) << key << " " << rs.name();
      EXPECT_EQ(rs.template_digest().size(), events::kRecordHashBytes) << key << " " << rs.name();
    }
    const state::v1::Aggregate read = AggOrDie(**p, name);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(read, expected)) << key;
    for (const auto& rs : read.replica_sets()) {
      EXPECT_EQ(rs.template_digest(), fold::TemplateDigest(rs.template_json())) << key << " " << rs.name();
    }
  }
  EXPECT_GT(undone, 100);
  EXPECT_EQ(Count(**p, "SELECT count(*) FROM templates"), static_cast<int64_t>(digests.size()));
  EXPECT_EQ(Count(**p, "SELECT count(*) FROM replica_sets WHERE length(state) > 600"), 0);
}

// fold.h: a rollback whose target's template was not loaded is refused by
// the fold (deterministically) instead of rolling back to an empty template.
TEST(ProjectionFile, a_rollback_to_a_stripped_template_is_refused_not_applied) {
  state::v1::Aggregate agg;
  const auto create = CreateRec("web", 2, "nginx:1", "c");
  const auto image = SetImageRec("web", "nginx:2", 1, "i");
  ASSERT_TRUE(fold::ApplyRecord(agg, create, kT0).outcome.applied);
  ASSERT_TRUE(fold::ApplyRecord(agg, image, kT0 + 1000).outcome.applied);
  for (auto& rs : *agg.mutable_replica_sets()) rs.clear_template_json();
  const state::v1::Aggregate before = agg;
  v1::ChangeRecord undo = Base(v1::CHANGE_KIND_ROLLBACK, "web", 2, "u");
  undo.mutable_rollback()->set_to_revision(1);
  const fold::FoldResult r = fold::ApplyRecord(agg, undo, kT0 + 2000);
  EXPECT_FALSE(r.outcome.applied);
  EXPECT_EQ(r.outcome.reason, "Internal");
  EXPECT_EQ(r.outcome.message, "the template of revision 1 was not loaded");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(agg, before));
}

// projection.h Options::aggregate_cache_bytes: a writer's cached aggregate
// is never used after another connection changed the file. Without the
// data_version check, p1 would fold the last scale against its own stale
// copy (version 2), reject it as a conflict and write an old state back.
TEST(ProjectionFile, cached_aggregates_are_dropped_after_another_connection_commits) {
  TempDir dir;
  const std::string path = dir.File("p.db");
  auto p1 = OpenOrDie(path);
  auto p2 = OpenOrDie(path);
  ASSERT_NE(p1, nullptr);
  ASSERT_NE(p2, nullptr);
  ASSERT_TRUE(
      p1->ApplyBatch({Msg(0, 0, CreateRec("web", 1, "nginx:1", "c")), Msg(0, 1, ScaleRec("web", 2, 1, "s1"))})
          .ok());
  auto by_p2 = p2->ApplyBatch(
      {Msg(0, 2, ScaleRec("web", 3, 2, "s2")), Msg(0, 3, SetImageRec("web", "nginx:2", 3, "i"))});
  ASSERT_TRUE(by_p2.ok()) << by_p2.status().message();
  EXPECT_EQ(by_p2->applied, 2);
  auto by_p1 = p1->ApplyBatch({Msg(0, 4, ScaleRec("web", 5, 4, "s3"))});
  ASSERT_TRUE(by_p1.ok()) << by_p1.status().message();
  auto row = p1->GetChange(0, 4);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->outcome, "applied") << (*row)->message;
  const state::v1::Aggregate agg = AggOrDie(*p2, "web");
  EXPECT_EQ(agg.version(), 5u);
  EXPECT_EQ(agg.deployment().spec().replicas(), 5);
  EXPECT_NE(agg.deployment().spec().template_json().find("nginx:2"), std::string::npos);
  EXPECT_EQ(Count(*p1, "SELECT count(*) FROM changes WHERE outcome = 'applied'"), 5);
}

// projection.h query_db(): with a write thread the verbs query through a
// second, unserialized, read-only connection that sees every committed batch;
// without one, and in a bulk load, the writer's connection serves.
TEST(ProjectionFile, query_connection_sees_each_committed_batch_and_cannot_write) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(p, nullptr);
  store::Db& q = p->query_db();
  EXPECT_NE(&q, &p->db());
  EXPECT_EQ(&p->query_db(), &q);  // opened once
  auto count = [&q]() {
    auto s = q.Prepare("SELECT count(*) FROM changes");
    EXPECT_TRUE(s.ok());
    return s.ok() && *s->Step() ? s->Int(0) : -1;
  };
  EXPECT_EQ(count(), 0);
  ASSERT_TRUE(p->ApplyBatch(WebBatch()).ok());
  EXPECT_EQ(count(), 3);
  ASSERT_TRUE(p->ApplyBatch({Msg(0, 3, ScaleRec("web", 1, 3, "id-3"))}).ok());
  EXPECT_EQ(count(), 4);
  EXPECT_FALSE(q.Exec("DELETE FROM changes").ok());  // read-only
  EXPECT_EQ(count(), 4);

  auto single = Projection::Open({.path = dir.File("p.db"), .write_thread = false});
  ASSERT_TRUE(single.ok()) << single.status().message();
  EXPECT_EQ(&(*single)->query_db(), &(*single)->db());
  auto bulk = Projection::Open({.path = dir.File("bulk.db"), .create = true, .bulk_load = true});
  ASSERT_TRUE(bulk.ok()) << bulk.status().message();
  EXPECT_EQ(&(*bulk)->query_db(), &(*bulk)->db());
}

// projection.h: a bulk load only ever fills a new file.
TEST(ProjectionFile, bulk_load_into_an_existing_projection_is_refused) {
  TempDir dir;
  {
    auto p = OpenOrDie(dir.File("p.db"));
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(p->ApplyBatch(WebBatch()).ok());
  }
  auto bulk = Projection::Open({.path = dir.File("p.db"), .create = true, .bulk_load = true});
  ASSERT_FALSE(bulk.ok());
  EXPECT_NE(bulk.status().message().find("bulk load needs a new file"), std::string::npos)
      << bulk.status().message();
  auto again = OpenOrDie(dir.File("p.db"));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Count(*again, "SELECT count(*) FROM changes"), 3);
}

// projection.h "Deleting the file loses nothing" and the converse: closing and reopening keeps state.
TEST(ProjectionFile, reopening_the_file_keeps_state) {
  TempDir dir;
  const std::string path = dir.File("sub/dir/p.db");  // parent directories are created
  std::string agg_bytes;
  std::vector<EventRow> events_before;
  {
    auto p = OpenOrDie(path);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(p->ApplyBatch(WebBatch()).ok());
    agg_bytes = StableBytes(AggOrDie(*p, "web"));
    auto ev = p->Events("default", "web", "id-0");
    ASSERT_TRUE(ev.ok());
    events_before = *ev;
  }
  EXPECT_EQ(PragmaOf(path, "application_id"), 0x52424B31);
  EXPECT_EQ(PragmaOf(path, "user_version"), store::kSchemaVersion);
  auto p = OpenOrDie(path);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(StableBytes(AggOrDie(*p, "web")), agg_bytes);
  auto next = p->NextOffsets(1);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::vector<int64_t>{3});
  auto ev = p->Events("default", "web", "id-0");
  ASSERT_TRUE(ev.ok());
  ASSERT_EQ(ev->size(), events_before.size());
  for (size_t i = 0; i < ev->size(); ++i) EXPECT_EQ((*ev)[i].message, events_before[i].message);
  // Redelivery after reopening is still skipped; new records continue the fold.
  auto s = p->ApplyBatch(WebBatch());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->skipped, 3);
  s = p->ApplyBatch({Msg(0, 3, ScaleRec("web", 1, 3, "id-3"))});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->applied, 1);
  EXPECT_EQ(AggOrDie(*p, "web").version(), 4u);
}

// projection.h: with create = false a missing file is NotFound.
TEST(ProjectionFile, missing_file_without_create_is_not_found) {
  TempDir dir;
  Projection::Options o;
  o.path = dir.File("absent.db");
  o.create = false;
  auto p = Projection::Open(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(o.path));
}

// projection.h: "A file that is not ours ... is never touched."
TEST(ProjectionFile, foreign_sqlite_database_is_refused) {
  TempDir dir;
  const std::string path = dir.File("foreign.db");
  MakeSqliteFile(path,
                 "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES(1, 'hi');");
  Projection::Options o;
  o.path = path;
  auto p = Projection::Open(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("is not a rollbook database"), std::string::npos)
      << p.status().message();
  EXPECT_NE(p.status().message().find(path), std::string::npos) << p.status().message();
  // Untouched: still no application_id, no rollbook tables.
  EXPECT_EQ(PragmaOf(path, "application_id"), 0);
  EXPECT_EQ(PragmaOf(path, "user_version"), 0);
  MakeSqliteFile(path, "SELECT 1;");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

// projection.h Options::listing_checkpoint_every: a stride below one row
// would write a checkpoint per distinct time; refused before any file exists.
TEST(ProjectionFile, a_listing_checkpoint_stride_below_one_row_is_refused) {
  TempDir dir;
  for (const int64_t every : {int64_t{0}, int64_t{-5}}) {
    auto p = Projection::Open({.path = dir.File("p.db"), .create = true, .listing_checkpoint_every = every});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find("listing_checkpoint_every must be at least 1"), std::string::npos)
        << p.status().message();
    EXPECT_FALSE(std::filesystem::exists(dir.File("p.db")));
  }
}

// projection.h: a file that is not SQLite at all is refused too.
TEST(ProjectionFile, non_sqlite_file_is_refused) {
  TempDir dir;
  const std::string path = dir.File("text.db");
  {
    std::ofstream f(path, std::ios::binary);
    f << std::string(4096, 'z');
  }
  Projection::Options o;
  o.path = path;
  auto p = Projection::Open(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("is not a rollbook database"), std::string::npos)
      << p.status().message();
}

// projection.h: our application_id with a newer user_version -> refused, "newer rollbook".
TEST(ProjectionFile, newer_schema_version_is_refused) {
  TempDir dir;
  const std::string path = dir.File("newer.db");
  MakeSqliteFile(path, "PRAGMA application_id = " + std::to_string(0x52424B31) +
                           "; PRAGMA user_version = 99; CREATE TABLE future(x);");
  Projection::Options o;
  o.path = path;
  auto p = Projection::Open(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("newer rollbook"), std::string::npos) << p.status().message();
  EXPECT_EQ(PragmaOf(path, "user_version"), 99);
}

// projection.h: an empty SQLite file (no tables) is adopted.
TEST(ProjectionFile, empty_sqlite_file_is_initialised) {
  TempDir dir;
  const std::string path = dir.File("empty.db");
  MakeSqliteFile(path, "PRAGMA user_version = 0;");
  auto p = OpenOrDie(path);
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->ApplyBatch(WebBatch()).ok());
  EXPECT_EQ(PragmaOf(path, "application_id"), 0x52424B31);
}

// projection.h: meta.topic pins the file to one topic.
TEST(ProjectionFile, file_of_another_topic_is_refused) {
  TempDir dir;
  const std::string path = dir.File("p.db");
  { ASSERT_NE(OpenOrDie(path, "topic.a"), nullptr); }
  Projection::Options o;
  o.path = path;
  o.topic = "topic.b";
  auto p = Projection::Open(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("is the projection of topic topic.a, not topic.b"), std::string::npos)
      << p.status().message();
}

// ============================================================================
// Codec
// ============================================================================

std::vector<v1::ChangeRecord> OneOfEveryKind() {
  std::vector<v1::ChangeRecord> out;
  v1::ChangeRecord c = CreateRec("web", 3, "nginx:1", "k-create", "kubectl create --record=true");
  c.set_prev_record_hash(events::RecordHash("any previous record"));  // 32 bytes, not text
  out.push_back(c);
  v1::ChangeRecord a = Base(v1::CHANGE_KIND_APPLY, "web", 1, "k-apply");
  *a.mutable_apply()->mutable_deployment() = ParseDeployment(DeploymentYaml("web", 2, "nginx:2"));
  a.mutable_apply()->set_replace(true);
  out.push_back(a);
  v1::ChangeRecord s = ScaleRec("web", 4, 2, "k-scale");
  s.mutable_scale()->set_current_replicas(2);
  out.push_back(s);
  v1::ChangeRecord i = SetImageRec("web", "nginx:3", 3, "k-image");
  auto* star = i.mutable_set_image()->add_images();
  star->set_container("*");
  star->set_image("busybox");
  out.push_back(i);
  v1::ChangeRecord n = Base(v1::CHANGE_KIND_ANNOTATE, "web", 4, "k-annotate");
  (*n.mutable_annotate()->mutable_set())["a"] = "1";
  (*n.mutable_annotate()->mutable_set())["kubernetes.io/change-cause"] = "why";
  n.mutable_annotate()->add_remove("b");
  n.mutable_annotate()->set_overwrite(true);
  out.push_back(n);
  v1::ChangeRecord u = Base(v1::CHANGE_KIND_ROLLBACK, "web", 5, "k-rollback");
  u.mutable_rollback()->set_to_revision(2);
  out.push_back(u);
  v1::ChangeRecord pa = Base(v1::CHANGE_KIND_PAUSE, "web", 6, "k-pause");
  pa.mutable_pause();
  out.push_back(pa);
  v1::ChangeRecord re = Base(v1::CHANGE_KIND_RESUME, "web", 7, "k-resume");
  re.mutable_resume();
  out.push_back(re);
  v1::ChangeRecord rs = Base(v1::CHANGE_KIND_RESTART, "web", 8, "k-restart");
  rs.mutable_restart()->set_restarted_at("2024-05-01T10:00:00+02:00");
  out.push_back(rs);
  out.push_back(DeleteRec("web", 9, "k-delete"));
  return out;
}

// codec.h: Encode then Decode gives the same record, for every kind.
TEST(RecordCodec, round_trip_of_every_kind) {
  const auto all = OneOfEveryKind();
  ASSERT_EQ(all.size(), 10u);
  std::set<int> kinds;
  for (const auto& rec : all) {
    SCOPED_TRACE(events::KindName(rec.kind()));
    kinds.insert(rec.kind());
    const std::string key = events::RecordKey(rec.namespace_(), rec.name());
    EXPECT_EQ(key, "default/web");
    auto decoded = events::DecodeRecord(key, events::EncodeRecord(rec));
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*decoded, rec))
        << decoded->ShortDebugString() << "\nvs\n"
        << rec.ShortDebugString();
  }
  EXPECT_EQ(kinds.size(), 10u);
}

// codec.h: KindName spelling used by the CLI and the audit index.
TEST(RecordCodec, kind_names) {
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_CREATE), "create");
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_APPLY), "apply");
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_SCALE), "scale");
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_SET_IMAGE), "set-image");
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_ANNOTATE), "annotate");
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_ROLLBACK), "rollback");
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_PAUSE), "pause");
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_RESUME), "resume");
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_RESTART), "restart");
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_DELETE), "delete");
  EXPECT_EQ(events::KindName(v1::CHANGE_KIND_UNSPECIFIED), "unknown");
  EXPECT_EQ(events::RecordKey("kube-system", "dns"), "kube-system/dns");
}

// codec.h: every rejection rule names itself.
TEST(RecordCodec, rejection_reasons_name_the_failed_rule) {
  for (const Garbage& g : GarbageCases()) {
    SCOPED_TRACE(g.what);
    auto d = events::DecodeRecord(g.message.key, g.message.value);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(d.status().message(), g.reason);
  }
  // Further rules not covered above.
  v1::ChangeRecord r = ScaleRec("web", 1, 0, "x");
  r.set_kind(v1::CHANGE_KIND_UNSPECIFIED);
  auto d = events::DecodeRecord("default/web", events::EncodeRecord(r));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "unknown change kind 0");

  r = ScaleRec("web", 1, 0, "x");
  r.set_schema_version(0);
  d = events::DecodeRecord("default/web", events::EncodeRecord(r));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "unsupported schema_version 0 (this reader knows 1)");

  r = ScaleRec("web", 1, 0, "x");
  r.set_namespace_("");
  d = events::DecodeRecord("/web", events::EncodeRecord(r));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "missing namespace or name");

  r = ScaleRec("", 1, 0, "x");
  d = events::DecodeRecord("default/", events::EncodeRecord(r));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "missing namespace or name");

  // And a well-formed record passes every rule.
  r = ScaleRec("web", 1, 0, "x");
  std::string value = events::EncodeRecord(r);
  d = events::DecodeRecord("default/web", value);
  EXPECT_TRUE(d.ok()) << d.status().message();
}

// The schema declares the record's text fields `bytes` (no UTF-8 check by
// protobuf); the decoder's gate refuses what a `string` field would refuse,
// and names the field, the byte and where it is.
TEST(RecordCodec, text_declared_bytes_must_still_be_utf8_and_the_error_names_the_field) {
  struct Case {
    std::string what, expected;
    std::function<void(v1::ChangeRecord&)> spoil;
  };
  const std::vector<Case> cases = {
      {"actor", "actor is not UTF-8 text (byte 0xC0 at offset 5)",
       [](v1::ChangeRecord& r) { r.set_actor("alice\xC0\x80"); }},
      {"command line", "command_line is not UTF-8 text (byte 0xED at offset 0)",
       [](v1::ChangeRecord& r) { r.set_command_line("\xED\xA0\x80 surrogate"); }},
      {"change cause", "change_cause is not UTF-8 text (byte 0xF0 at offset 3)",
       [](v1::ChangeRecord& r) { r.set_change_cause("cut\xF0\x9F\x98"); }},
      {"template", "deployment.spec.template_json is not UTF-8 text (byte 0xFF at offset 1)",
       [](v1::ChangeRecord& r) {
         r.mutable_create()->mutable_deployment()->mutable_spec()->set_template_json("{\xFF}");
       }},
      {"annotation value",
       "deployment.metadata.annotations[\"note\"] is not UTF-8 text (byte 0xE0 at offset 8)",
       [](v1::ChangeRecord& r) {
         (*r.mutable_create()->mutable_deployment()->mutable_metadata()->mutable_annotations())["note"] =
             "ascii ok\xE0\x80\x80";
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    v1::ChangeRecord r = CreateRec("web", 1, "nginx:1", "x");
    ASSERT_TRUE(events::DecodeRecord("default/web", events::EncodeRecord(r)).ok());
    c.spoil(r);
    auto d = events::DecodeRecord("default/web", events::EncodeRecord(r));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(d.status().message(), c.expected);
  }
  // Multi-byte UTF-8 in the same fields is text, not an error.
  v1::ChangeRecord r = CreateRec("web", 1, "nginx:1", "x");
  r.set_actor("J\xC3\xBCrgen");
  r.set_change_cause("deploy \xF0\x9F\x9A\x80");
  auto d = events::DecodeRecord("default/web", events::EncodeRecord(r));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->actor(), "J\xC3\xBCrgen");
}

// base/utf8.h's rule is protobuf's: for every input, FirstInvalidUtf8 finds
// nothing exactly when a `string` field holding it parses. Inputs cover all
// one- and two-byte sequences, the edges of the three- and four-byte ranges,
// and random bytes, each at every offset of the eight-byte ASCII fast path.
TEST(Utf8, first_invalid_utf8_accepts_exactly_what_a_protobuf_string_field_accepts) {
  google::protobuf::LogSilencer quiet;  // protobuf logs each invalid string it parses
  auto protobuf_accepts = [](const std::string& text) {
    std::string wire;
    wire.push_back(
        static_cast<char>((1 << 3) | 2));  // LabelSelectorRequirement.key (string), length-delimited
    wire.push_back(static_cast<char>(text.size()));  // every input here is < 128 bytes
    wire += text;
    v1::LabelSelectorRequirement m;
    return m.ParseFromString(wire);
  };
  std::vector<std::string> inputs;
  for (int a = 0; a < 256; ++a) {
    inputs.push_back(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) inputs.push_back({static_cast<char>(a), static_cast<char>(b)});
  }
  for (int lead : {0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5}) {
    for (int second : {0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0}) {
      for (int third : {0x7F, 0x80, 0xBF, 0xC0}) {
        inputs.push_back({static_cast<char>(lead), static_cast<char>(second), static_cast<char>(third)});
        inputs.push_back(
            {static_cast<char>(lead), static_cast<char>(second), static_cast<char>(third), '\x80'});
        inputs.push_back({static_cast<char>(lead), static_cast<char>(second), static_cast<char>(third), 'a'});
      }
    }
  }
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 24, '\0');
    for (char& ch : s) ch = static_cast<char>(rng() % 4 == 0 ? 0x80 + rng() % 128 : rng() % 128);
    inputs.push_back(s);
  }
  size_t accepted = 0, refused = 0;
  for (const std::string& core : inputs) {
    for (size_t pad = 0; pad < 9; ++pad) {
      const std::string text = std::string(pad, 'a') + core + std::string(9 - pad, 'z');
      const bool ours = FirstInvalidUtf8(text) == std::string_view::npos;
      ASSERT_EQ(ours, protobuf_accepts(text)) << "input bytes: " << ::testing::PrintToString(text);
      (ours ? accepted : refused) += 1;
    }
  }
  // Both outcomes were exercised many times.
  EXPECT_GT(accepted, 100000u);
  EXPECT_GT(refused, 100000u);
  // The offset is the first bad byte's, also past an ASCII run of any length.
  EXPECT_EQ(FirstInvalidUtf8(std::string(19, 'a') + "\xC3\xA9\xC3" + "b"), 21u);
}

// ============================================================================
// Hash chain (events/chain.h)
// ============================================================================

TEST(RecordChain, encoding_is_deterministic_so_equal_records_hash_equal) {
  v1::ChangeRecord a = CreateRec("web", 3, "nginx:1", "id-0", "first");
  auto* labels = a.mutable_create()->mutable_deployment()->mutable_metadata()->mutable_labels();
  for (int i = 0; i < 50; ++i) (*labels)["k" + std::to_string(i)] = "v";
  v1::ChangeRecord b;
  ASSERT_TRUE(b.ParseFromString(events::EncodeRecord(a)));
  EXPECT_EQ(events::EncodeRecord(a), events::EncodeRecord(b));
  EXPECT_EQ(events::RecordHash(events::EncodeRecord(a)), events::RecordHash(events::EncodeRecord(b)));
  EXPECT_EQ(events::RecordHash("x").size(), events::kRecordHashBytes);
  EXPECT_NE(events::RecordHash("x"), events::RecordHash("y"));
  EXPECT_EQ(events::HexHash(events::RecordHash("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");  // SHA-256 of ""
}

// RecordHash keeps one OpenSSL context per thread: hashes must not depend on
// what the thread hashed before, nor on other threads hashing at once.
TEST(RecordChain, hashes_are_the_standard_sha256_on_every_thread_and_after_any_input) {
  const std::string million_a(1000000, 'a');
  auto check = [&] {
    for (int round = 0; round < 50; ++round) {
      if (events::HexHash(events::RecordHash("abc")) !=
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" ||
          events::HexHash(events::RecordHash("")) !=
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") {
        return false;
      }
    }
    // FIPS 180-2's long test vector.
    return events::HexHash(events::RecordHash(million_a)) ==
           "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  };
  EXPECT_TRUE(check());
  std::vector<std::future<bool>> others;
  for (int t = 0; t < 4; ++t) others.push_back(std::async(std::launch::async, check));
  for (auto& f : others) EXPECT_TRUE(f.get());
}

TEST(RecordChain, decoder_refuses_a_prev_hash_that_is_not_sha256_sized) {
  v1::ChangeRecord r = ScaleRec("web", 1, 0, "x");
  r.set_prev_record_hash("abcd");
  auto d = events::DecodeRecord("default/web", events::EncodeRecord(r));
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "prev_record_hash has 4 bytes, expected 32 (SHA-256) or none");
}

TEST(RecordChain, projection_keeps_each_changes_hash_and_the_aggregates_chain_head) {
  TempDir dir;
  auto p = OpenOrDie(dir.File("chain.db"));
  ASSERT_NE(p, nullptr);
  const auto batch = WebBatch();
  ASSERT_TRUE(p->ApplyBatch(batch).ok());
  for (const auto& m : batch) {
    auto row = p->GetChange(m.position.partition, m.position.offset);
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->record_hash, events::RecordHash(m.value)) << m.position.offset;
  }
  // The head is the hash of the last APPLIED record; a rejected one (stale
  // version) does not move it.
  const std::string head = AggOrDie(*p, "web").last_record_hash();
  EXPECT_EQ(head, events::RecordHash(batch.back().value));
  ASSERT_TRUE(p->ApplyBatch({Msg(0, 3, ScaleRec("web", 9, 1, "stale"))}).ok());
  EXPECT_EQ(AggOrDie(*p, "web").last_record_hash(), head);
  EXPECT_EQ(Count(*p,
                  "SELECT count(*) FROM deployments WHERE chain_head = (SELECT record_hash FROM changes "
                  "WHERE partition = 0 AND offset = 2)"),
            1);
}

}  // namespace
}  // namespace rollbook::store
