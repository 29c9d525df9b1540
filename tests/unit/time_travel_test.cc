// Tests for time travel (store/projection/time_travel.h) and the snapshots the
// projection writes for it (store/projection/projection.h).
//
// The central property: for any point of a random log — broker times that
// repeat and sometimes step back, rejected records, deletes and re-creates,
// other Deployments interleaved, batches of any size — the state StateAtTime /
// StateAtOffset return equals an independent fold of the Deployment's records
// up to that point, with and without snapshots.

#include "store/projection/time_travel.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "events/chain.h"
#include "events/codec.h"
#include "store/projection/listing_checkpoint.h"
#include "store/projection/projection.h"
#include "tests/unit/fold_harness.h"

namespace rollbook::store {
namespace {

using fold::testing::DeploymentYaml;
using fold::testing::ParseDeployment;
using fold::testing::StableBytes;

constexpr int64_t kT0 = 1'700'000'000'000;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rollbook-timetravel-XXXXXX").string();
    if (char* made = mkdtemp(tmpl.data()); made != nullptr) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

std::unique_ptr<Projection> Open(const std::string& path) {
  auto p = Projection::Open({path, "rollbook.events", true});
  if (!p.ok()) {
    ADD_FAILURE() << p.status().message();
    return nullptr;
  }
  return std::move(p).value();
}

// A log under construction: records of several Deployments with broker
// times chosen by the test, and a client-side mirror of every aggregate to
// fill expected_version the way a writer would.
class LogBuilder {
 public:
  explicit LogBuilder(uint32_t seed) : rng_(seed) {}

  std::vector<events::LogMessage> messages;
  int64_t now_ms = kT0;

  v1::ChangeRecord Base(const std::string& name, v1::ChangeKind kind) {
    v1::ChangeRecord r;
    r.set_schema_version(1);
    r.set_id("id-" + std::to_string(++ids_));
    r.set_namespace_("default");
    r.set_name(name);
    r.set_kind(kind);
    r.set_actor(Pick({"alice", "bob", "carol"}));
    r.set_host("h");
    r.set_client_time_unix_ms(now_ms);
    r.set_expected_version(mirror_[name].version());
    return r;
  }

  // Appends `r` at broker time now_ms in `partition` and folds it into the mirror.
  void Append(const v1::ChangeRecord& r, int32_t partition = 0) {
    events::LogMessage m;
    m.position.partition = partition;
    m.position.offset = next_offset_[partition]++;
    m.position.timestamp_ms = now_ms;
    m.key = events::RecordKey(r.namespace_(), r.name());
    m.value = events::EncodeRecord(r);
    fold::ApplyRecord(mirror_[r.name()], r, now_ms, events::RecordHash(m.value));
    messages.push_back(std::move(m));
  }

  // A random plausible change of `name` (some are rejected by the fold).
  v1::ChangeRecord RandomChange(const std::string& name) {
    const state::v1::Aggregate& agg = mirror_[name];
    if (!agg.exists()) {
      v1::ChangeRecord r = Base(name, Chance(0.2) ? v1::CHANGE_KIND_APPLY : v1::CHANGE_KIND_CREATE);
      const v1::Deployment d =
          ParseDeployment(DeploymentYaml(name, Int(1, 6), Image(), "  revisionHistoryLimit: 3\n"));
      if (r.kind() == v1::CHANGE_KIND_CREATE) {
        *r.mutable_create()->mutable_deployment() = d;
      } else {
        *r.mutable_apply()->mutable_deployment() = d;
      }
      return r;
    }
    const int dice = Int(0, 99);
    v1::ChangeRecord r;
    if (dice < 25) {
      r = Base(name, v1::CHANGE_KIND_SET_IMAGE);
      auto* ci = r.mutable_set_image()->add_images();
      ci->set_container(Chance(0.05) ? "nope" : "app");  // unknown container: rejected
      ci->set_image(Image());
    } else if (dice < 45) {
      r = Base(name, v1::CHANGE_KIND_SCALE);
      r.mutable_scale()->set_replicas(Int(0, 9));
      r.mutable_scale()->set_current_replicas(-1);
    } else if (dice < 55) {
      r = Base(name, v1::CHANGE_KIND_ROLLBACK);
      r.mutable_rollback()->set_to_revision(Chance(0.5) ? 0 : Int(1, 12));
    } else if (dice < 63) {
      r = Base(name, v1::CHANGE_KIND_ANNOTATE);
      (*r.mutable_annotate()->mutable_set())["kubernetes.io/change-cause"] =
          "cause " + std::to_string(Int(0, 5));
      r.mutable_annotate()->set_overwrite(true);
    } else if (dice < 68) {
      r = Base(name, agg.deployment().spec().paused() ? v1::CHANGE_KIND_RESUME : v1::CHANGE_KIND_PAUSE);
      if (r.kind() == v1::CHANGE_KIND_PAUSE) {
        r.mutable_pause();
      } else {
        r.mutable_resume();
      }
    } else if (dice < 73) {
      r = Base(name, v1::CHANGE_KIND_RESTART);
      r.mutable_restart()->set_restarted_at("2026-11-20T03:00:" + std::to_string(10 + ids_ % 50) + "Z");
    } else if (dice < 76) {
      r = Base(name, v1::CHANGE_KIND_DELETE);
      r.mutable_delete_();
    } else if (dice < 80) {
      r = Base(name, v1::CHANGE_KIND_APPLY);
      *r.mutable_apply()->mutable_deployment() = ParseDeployment(DeploymentYaml(
          name, Int(1, 6), Image(), "  revisionHistoryLimit: " + std::to_string(Int(1, 4)) + "\n"));
    } else {
      r = Base(name, v1::CHANGE_KIND_SCALE);
      r.mutable_scale()->set_replicas(Int(1, 5));
      r.mutable_scale()->set_current_replicas(-1);
    }
    if (Chance(0.05)) r.set_expected_version(r.expected_version() + 1);  // a stale writer: conflict
    return r;
  }

  // Advances broker time: mostly forward, sometimes not at all, rarely back.
  void Tick(double back_chance) {
    if (Chance(back_chance)) {
      now_ms -= Int(1, 3000);
    } else if (!Chance(0.2)) {
      now_ms += Int(1, 2000);
    }
  }

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::string Pick(std::initializer_list<const char*> xs) { return *(xs.begin() + Int(0, xs.size() - 1)); }
  std::string Image() { return "nginx:1." + std::to_string(Int(20, 27)); }

 private:
  std::mt19937 rng_;
  int ids_ = 0;
  std::map<std::string, state::v1::Aggregate> mirror_;
  std::map<int32_t, int64_t> next_offset_;
};

// Applies `messages` in random batch sizes (as a daemon would see them).
void ApplyInBatches(Projection& p, const std::vector<events::LogMessage>& messages, std::mt19937& rng,
                    size_t max_batch = 50) {
  size_t i = 0;
  while (i < messages.size()) {
    const size_t n = std::min(messages.size() - i, std::uniform_int_distribution<size_t>(1, max_batch)(rng));
    std::vector<events::LogMessage> batch(messages.begin() + i, messages.begin() + i + n);
    auto stats = p.ApplyBatch(batch);
    ASSERT_TRUE(stats.ok()) << stats.status().message();
    i += n;
  }
}

// The reference: the states after each prefix of `name`'s records in log
// order, computed by folding them one by one (states[k] = after k records).
struct Reference {
  state::v1::Aggregate agg;
  std::optional<LogPoint> last;
};

class ReferenceFold {
 public:
  ReferenceFold(const std::vector<events::LogMessage>& messages, const std::string& name) {
    const std::string key = events::RecordKey("default", name);
    Reference ref;
    states_.push_back(ref);
    int64_t max_time = std::numeric_limits<int64_t>::min();
    for (const auto& m : messages) {
      if (m.key != key) continue;
      auto rec = events::DecodeRecord(m.key, m.value);
      if (!rec.ok()) continue;
      fold::ApplyRecord(ref.agg, *rec, m.position.timestamp_ms, events::RecordHash(m.value));
      ref.last = LogPoint{m.position.partition, m.position.offset, m.position.timestamp_ms};
      states_.push_back(ref);
      max_time = std::max(max_time, m.position.timestamp_ms);
      running_max_.push_back(max_time);
      offsets_.push_back(m.position.offset);
    }
  }

  // By definition: stop at the first record whose broker time, or an earlier
  // record's, is later than t.
  const Reference& AtTime(int64_t t) const {
    const size_t k = std::upper_bound(running_max_.begin(), running_max_.end(), t) - running_max_.begin();
    return states_[k];
  }
  const Reference& AtOffset(int64_t o) const {
    const size_t k = std::upper_bound(offsets_.begin(), offsets_.end(), o) - offsets_.begin();
    return states_[k];
  }

 private:
  std::vector<Reference> states_;
  std::vector<int64_t> running_max_, offsets_;
};

void ExpectSame(const Reference& want, const StatusOr<PastState>& got, const std::string& what) {
  ASSERT_TRUE(got.ok()) << what << ": " << got.status().message();
  EXPECT_EQ(StableBytes(got->aggregate), StableBytes(want.agg)) << what;
  EXPECT_EQ(got->last_record.has_value(), want.last.has_value()) << what;
  if (got->last_record && want.last) {
    EXPECT_EQ(got->last_record->partition, want.last->partition) << what;
    EXPECT_EQ(got->last_record->offset, want.last->offset) << what;
  }
}

// TimeTravelOptions::with_templates = false: the same state, except that
// ReplicaSets may lack their template texts (never their digests).
void ExpectSameIgnoringTemplates(const Reference& want, StatusOr<PastState> got, const std::string& what) {
  ASSERT_TRUE(got.ok()) << what << ": " << got.status().message();
  Reference lean = want;
  for (auto* agg : {&lean.agg, &got->aggregate}) {
    for (auto& rs : *agg->mutable_replica_sets()) {
      EXPECT_FALSE(rs.template_digest().empty()) << what;
      rs.clear_template_json();
    }
  }
  ExpectSame(lean, got, what);
}

// Builds a random log of "web" with "api" interleaved in partition 0 and
// "other" in partition 1; returns the messages.
std::vector<events::LogMessage> RandomLog(uint32_t seed, int records, double back_chance) {
  LogBuilder b(seed);
  for (int i = 0; i < records; ++i) {
    b.Tick(back_chance);
    const int who = b.Int(0, 9);
    if (who < 7) {
      b.Append(b.RandomChange("web"), 0);
    } else if (who < 9) {
      b.Append(b.RandomChange("api"), 0);
    } else {
      b.Append(b.RandomChange("other"), 1);
    }
  }
  return b.messages;
}

int64_t SnapshotCount(Projection& p, const std::string& name) {
  auto s = p.db().Prepare("SELECT count(*) FROM snapshots WHERE namespace = 'default' AND name = ?");
  if (!s.ok()) return -1;
  s->Bind(1, name);
  auto row = s->Step();
  return row.ok() && *row ? s->Int(0) : -1;
}

// Each case folds a random log (seed, chance that the broker clock steps
// back) into a fresh projection in random batches.
class TimeTravelProperty : public ::testing::TestWithParam<std::tuple<uint32_t, double>> {
 protected:
  // RandomLog(seed + seed_offset, records, back chance), applied to p_.
  void ApplyRandomLog(uint32_t seed_offset, int records) {
    const auto [seed, back_chance] = GetParam();
    p_ = Open(dir_.File("p.db"));
    ASSERT_NE(p_, nullptr);
    log_ = RandomLog(seed + seed_offset, records, back_chance);
    std::mt19937 rng(seed);
    ApplyInBatches(*p_, log_, rng);
  }

  // Every broker time of the log, its neighbours, and points outside it.
  std::vector<int64_t> TimesAround() const {
    std::vector<int64_t> times = {std::numeric_limits<int64_t>::min() / 2, kT0 - 100'000, kT0 + 10'000'000};
    for (const auto& m : log_) {
      for (int64_t d : {-1, 0, 1}) times.push_back(m.position.timestamp_ms + d);
    }
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    return times;
  }

  TempDir dir_;
  std::unique_ptr<Projection> p_;
  std::vector<events::LogMessage> log_;
};

TEST_P(TimeTravelProperty, state_at_any_time_equals_the_fold_of_the_records_up_to_it) {
  ASSERT_NO_FATAL_FAILURE(ApplyRandomLog(0, 800));
  const auto& p = p_;
  const auto& log = log_;
  ASSERT_GT(SnapshotCount(*p, "web"), 3) << "the log is long enough for several snapshots";
  const std::vector<int64_t> times = TimesAround();
  for (const std::string name : {"web", "api", "other", "never"}) {
    const ReferenceFold reference(log, name);
    for (size_t i = 0; i < times.size(); i += (name == "web" ? 1 : 5)) {
      const int64_t t = times[i];
      const Reference& want = reference.AtTime(t);
      const std::string what = name + " at " + std::to_string(t - kT0);
      ExpectSame(want, StateAtTime(p->db(), "default", name, t), what + " with snapshots");
      if (i % 3 == 0) {
        ExpectSameIgnoringTemplates(want, StateAtTime(p->db(), "default", name, t, {.with_templates = false}),
                                    what + " without templates");
      }
      if (i % 50 == 0) {  // folds everything: sampled
        ExpectSame(want, StateAtTime(p->db(), "default", name, t, {.use_snapshots = false}),
                   what + " without");
      }
      if (HasFailure()) return;  // one counterexample is enough
    }
  }
}

// The rows after a checkpoint are one range of the covering index: no
// changes row is read, no sort.
TEST_P(TimeTravelProperty, rows_after_a_listing_checkpoint_come_from_the_covering_index_alone) {
  ASSERT_NO_FATAL_FAILURE(ApplyRandomLog(50, 20));
  auto s = p_->db().Prepare(std::string("EXPLAIN QUERY PLAN ") + kRowsAfterCheckpoint);
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::vector<std::string> plan;
  while (*s->Step()) plan.push_back(s->Text(3));
  std::string all;
  for (const auto& step : plan) all += step + "\n";
  ASSERT_EQ(plan.size(), 1u) << all;
  EXPECT_EQ(plan[0].rfind("SEARCH changes USING COVERING INDEX changes_by_effective_time", 0), 0u) << all;
}

// DeploymentsAtTime starts from the latest listing checkpoint at or before a
// time and reads the audit rows after it; it must list exactly what
// StateAtTime folds, at every time, late records (the leader's clock stepping
// back, which deletes checkpoints built without them) included, whether the
// checkpoints were built batch by batch or at the end of a bulk load.
TEST_P(TimeTravelProperty, listing_at_any_time_equals_the_listing_of_the_folded_states) {
  ASSERT_NO_FATAL_FAILURE(ApplyRandomLog(2000, 600));
  const auto& p = p_;
  const std::vector<int64_t> times = TimesAround();
  auto names = DeploymentNames(p->db(), "");
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 3u);
  // The reference: each Deployment's folded state at each time.
  std::vector<std::vector<std::string>> want(times.size());
  int listed = 0, absent = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    for (const auto& [ns, name] : *names) {
      auto past = StateAtTime(p->db(), ns, name, times[i]);
      ASSERT_TRUE(past.ok()) << past.status().message();
      if (!past->aggregate.exists()) {
        ++absent;
        continue;
      }
      const auto& a = past->aggregate;
      want[i].push_back(fmt::format(
          "{}/{} {} {} {} {} {} at {}:{}", ns, name, a.deployment().spec().replicas(),
          a.status().updated_replicas(), a.status().ready_replicas(), a.status().available_replicas(),
          a.created_unix_ms(), past->last_record->partition, past->last_record->offset));
    }
    listed += static_cast<int>(want[i].size());
  }
  EXPECT_GT(listed, 100);
  EXPECT_GT(absent, 0);

  struct Build {
    std::string what;
    bool bulk;
    int64_t every;
    size_t max_batch = 50;
    bool pipelined = false;
  };
  // Pipelined batches (128 records or more) extend the checkpoints on the
  // write thread while the next batch is folded (projection.cc).
  for (const Build& build :
       {Build{"batches, default interval", false, kListingCheckpointEvery},
        Build{"batches, a checkpoint every 7 rows", false, 7},
        Build{"bulk load, a checkpoint every 5 rows", true, 5},
        Build{"pipelined batches of up to 400, a checkpoint every 7 rows", false, 7, 400, true}}) {
    SCOPED_TRACE(build.what);
    auto opened = Projection::Open(
        {.path = dir_.File(fmt::format("{}-{}-{}.db", build.bulk, build.every, build.pipelined)),
         .create = true,
         .bulk_load = build.bulk,
         .listing_checkpoint_every = build.every,
         .pipelined_commits = build.pipelined});
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    Projection& q = **opened;
    std::mt19937 rng(std::get<0>(GetParam()) + 7);
    ASSERT_NO_FATAL_FAILURE(ApplyInBatches(q, log_, rng, build.max_batch));
    if (build.bulk) {
      ASSERT_TRUE(q.FinishBulkLoad().ok());
    }
    ASSERT_TRUE(q.Sync().ok());
    auto checkpoints = q.db().Prepare("SELECT count(*) FROM listing_checkpoints");
    ASSERT_TRUE(checkpoints.ok() && *checkpoints->Step());
    if (build.every < 100) {
      EXPECT_GT(checkpoints->Int(0), 20) << "the log is long enough for many checkpoints";
    }
    for (size_t i = 0; i < times.size(); ++i) {
      auto at = DeploymentsAtTime(q.db(), "", times[i]);
      ASSERT_TRUE(at.ok()) << at.status().message();
      EXPECT_EQ(at->known, 2u);  // counted up to 2
      std::vector<std::string> got;
      for (const auto& l : at->existing) {
        const auto& s = l.summary;
        got.push_back(fmt::format("{}/{} {} {} {} {} {} at {}:{}", s.ns, s.name, s.replicas, s.updated,
                                  s.ready, s.available, s.created_ms, l.last_record.partition,
                                  l.last_record.offset));
      }
      EXPECT_EQ(got, want[i]) << "at " << times[i] - kT0;
      if (HasFailure()) return;
    }
  }
}

TEST_P(TimeTravelProperty, state_at_any_offset_equals_the_fold_of_the_records_up_to_it) {
  ASSERT_NO_FATAL_FAILURE(ApplyRandomLog(1000, 700));
  const auto& p = p_;
  const auto& log = log_;
  int64_t last_offset = 0;
  for (const auto& m : log) {
    if (m.position.partition == 0) last_offset = m.position.offset;
  }
  const ReferenceFold web(log, "web"), api(log, "api");
  for (int64_t o = -1; o <= last_offset + 1; ++o) {
    for (const auto& [name, reference] : {std::pair{"web", &web}, std::pair{"api", &api}}) {
      const Reference& want = reference->AtOffset(o);
      const std::string what = std::string(name) + " at 0:" + std::to_string(o);
      ExpectSame(want, StateAtOffset(p->db(), "default", name, 0, o), what + " with snapshots");
      if (o % 50 == 0) {
        ExpectSame(want, StateAtOffset(p->db(), "default", name, 0, o, {.use_snapshots = false}),
                   what + " without");
      }
      if (HasFailure()) return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, TimeTravelProperty,
                         ::testing::Combine(::testing::Values(1u, 2u), ::testing::Values(0.0, 0.03)));

// ---- scenarios --------------------------------------------------------------------

struct Scenario {
  TempDir dir;
  std::unique_ptr<Projection> p;
  LogBuilder b{7};
  Scenario() { p = Open(dir.File("p.db")); }
  void Flush() {
    auto stats = p->ApplyBatch(b.messages);
    ASSERT_TRUE(stats.ok()) << stats.status().message();
  }
  v1::ChangeRecord Create(const std::string& name, const std::string& image) {
    v1::ChangeRecord r = b.Base(name, v1::CHANGE_KIND_CREATE);
    *r.mutable_create()->mutable_deployment() = ParseDeployment(DeploymentYaml(name, 3, image));
    return r;
  }
  v1::ChangeRecord SetImage(const std::string& name, const std::string& image) {
    v1::ChangeRecord r = b.Base(name, v1::CHANGE_KIND_SET_IMAGE);
    auto* ci = r.mutable_set_image()->add_images();
    ci->set_container("app");
    ci->set_image(image);
    return r;
  }
};

std::string ImageOf(const state::v1::Aggregate& agg) {
  return ImagesOf(agg.deployment().spec().template_json());
}

TEST(TimeTravel, a_late_record_counts_from_the_latest_broker_time_before_it) {
  Scenario s;
  ASSERT_NE(s.p, nullptr);
  s.b.now_ms = kT0 + 10;
  s.b.Append(s.Create("web", "nginx:1"));
  s.b.now_ms = kT0 + 20;
  s.b.Append(s.SetImage("web", "nginx:2"));
  s.b.now_ms = kT0 + 15;  // the leader's clock stepped back
  s.b.Append(s.SetImage("web", "nginx:3"));
  s.b.now_ms = kT0 + 30;
  s.b.Append(s.SetImage("web", "nginx:4"));
  s.Flush();
  // Effective times: 10, 20, 20, 30.
  auto at = [&](int64_t t) { return StateAtTime(s.p->db(), "default", "web", kT0 + t); };
  ASSERT_TRUE(at(17).ok());
  EXPECT_EQ(ImageOf(at(17)->aggregate), "app=nginx:1");
  EXPECT_EQ(at(17)->last_record->offset, 0);
  EXPECT_EQ(ImageOf(at(20)->aggregate), "app=nginx:3");
  EXPECT_EQ(at(20)->last_record->offset, 2);
  EXPECT_EQ(ImageOf(at(29)->aggregate), "app=nginx:3");
  EXPECT_EQ(ImageOf(at(30)->aggregate), "app=nginx:4");
  EXPECT_EQ(SnapshotCount(*s.p, "web"), 1) << "the late record gets a snapshot of its own";
}

// Pipelined commits (projection.h): a batch's listing checkpoints are
// extended on the write thread while the next batch is folded. A row of
// that next batch whose time falls among the new checkpoints (here a
// Deployment on another partition, whose broker time lags) must still
// drop them, although the writer has not seen the extension's result yet.
TEST(TimeTravel, a_late_row_after_a_pipelined_batch_drops_the_checkpoints_that_batch_built) {
  TempDir dir;
  LogBuilder b(11);
  auto scale = [&](const std::string& name, int replicas) {
    v1::ChangeRecord r = b.Base(name, v1::CHANGE_KIND_SCALE);
    r.mutable_scale()->set_replicas(replicas);
    r.mutable_scale()->set_current_replicas(-1);
    return r;
  };
  auto create = [&](const std::string& name) {
    v1::ChangeRecord r = b.Base(name, v1::CHANGE_KIND_CREATE);
    *r.mutable_create()->mutable_deployment() = ParseDeployment(DeploymentYaml(name, 1, "nginx:1"));
    return r;
  };
  b.now_ms = kT0 + 1;
  b.Append(create("lagging"), 1);
  const size_t first_batch_end = b.messages.size();
  b.now_ms = kT0 + 1000;
  b.Append(create("busy"), 0);
  for (int i = 1; i < 200; ++i) {
    b.now_ms = kT0 + 1000 + 10 * i;
    b.Append(scale("busy", 1 + i % 7), 0);
  }
  const size_t second_batch_end = b.messages.size();
  b.now_ms = kT0 + 2000;  // among the checkpoints the previous batch built
  b.Append(scale("lagging", 9), 1);
  for (int i = 0; i < 200; ++i) {
    b.now_ms = kT0 + 4000 + 10 * i;
    b.Append(scale("busy", 1 + i % 5), 0);
  }
  const std::vector<events::LogMessage>& log = b.messages;

  auto reference = Open(dir.File("reference.db"));
  ASSERT_NE(reference, nullptr);
  for (const auto& m : log) ASSERT_TRUE(reference->ApplyBatch({m}).ok());
  auto opened = Projection::Open({.path = dir.File("pipelined.db"),
                                  .create = true,
                                  .listing_checkpoint_every = 4,
                                  .pipelined_commits = true});
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Projection& p = **opened;
  for (auto [from, to] : {std::pair<size_t, size_t>{0, first_batch_end},
                          {first_batch_end, second_batch_end},
                          {second_batch_end, log.size()}}) {
    auto stats = p.ApplyBatch(
        {log.begin() + static_cast<std::ptrdiff_t>(from), log.begin() + static_cast<std::ptrdiff_t>(to)});
    ASSERT_TRUE(stats.ok()) << stats.status().message();
  }
  ASSERT_TRUE(p.Sync().ok());

  auto listing = [](Projection& q, int64_t t) {
    std::string out;
    auto at = DeploymentsAtTime(q.db(), "", t);
    if (!at.ok()) return "error: " + at.status().message();
    for (const auto& l : at->existing) {
      out += fmt::format("{} replicas={} at {}:{}; ", l.summary.name, l.summary.replicas,
                         l.last_record.partition, l.last_record.offset);
    }
    return out;
  };
  int lagging_scaled = 0;
  for (int64_t t = kT0; t <= kT0 + 6100; t += 5) {
    const std::string want = listing(*reference, t);
    EXPECT_EQ(listing(p, t), want) << "at " << t - kT0;
    if (want.find("lagging replicas=9") != std::string::npos) ++lagging_scaled;
  }
  EXPECT_GT(lagging_scaled, 100) << "the late row shows from its time on";
}

TEST(TimeTravel, before_the_first_record_there_is_no_state_and_no_last_record) {
  Scenario s;
  ASSERT_NE(s.p, nullptr);
  s.b.now_ms = kT0;
  s.b.Append(s.Create("web", "nginx:1"));
  s.Flush();
  auto past = StateAtTime(s.p->db(), "default", "web", kT0 - 1);
  ASSERT_TRUE(past.ok());
  EXPECT_FALSE(past->aggregate.exists());
  EXPECT_FALSE(past->last_record.has_value());
  auto now = StateAtTime(s.p->db(), "default", "web", kT0);
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(now->aggregate.exists());
  EXPECT_EQ(now->last_record, (LogPoint{0, 0, kT0}));
}

TEST(TimeTravel, a_hot_deployment_folds_fewer_records_than_the_snapshot_interval) {
  Scenario s;
  ASSERT_NE(s.p, nullptr);
  s.b.Append(s.Create("web", "nginx:0"));
  for (int i = 1; i < 1000; ++i) {
    s.b.now_ms += 1000;
    s.b.Append(s.SetImage("web", "nginx:" + std::to_string(i)));
  }
  s.Flush();
  EXPECT_EQ(SnapshotCount(*s.p, "web"), 1000 / static_cast<int64_t>(kSnapshotInterval));
  for (int i = 0; i < 1000; i += 37) {
    auto past = StateAtTime(s.p->db(), "default", "web", kT0 + i * 1000);
    ASSERT_TRUE(past.ok()) << past.status().message();
    EXPECT_EQ(ImageOf(past->aggregate), "app=nginx:" + std::to_string(i));
    EXPECT_LT(past->records_folded, static_cast<int64_t>(kSnapshotInterval));
    EXPECT_EQ(past->snapshot.has_value(), i + 1 >= static_cast<int>(kSnapshotInterval));
  }
}

TEST(TimeTravel, offsets_in_another_partition_are_refused_with_the_right_one) {
  Scenario s;
  ASSERT_NE(s.p, nullptr);
  s.b.Append(s.Create("web", "nginx:1"), 2);
  s.Flush();
  auto past = StateAtOffset(s.p->db(), "default", "web", 0, 5);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(past.status().message().find("are in partition 2, not 0"), std::string::npos)
      << past.status().message();
}

TEST(TimeTravel, absence_names_the_create_the_delete_and_the_re_create) {
  Scenario s;
  ASSERT_NE(s.p, nullptr);
  s.b.Append(s.Create("web", "nginx:1"));  // offset 0
  s.b.now_ms += 1000;
  v1::ChangeRecord del = s.b.Base("web", v1::CHANGE_KIND_DELETE);
  del.mutable_delete_();
  s.b.Append(del);  // offset 1
  s.b.now_ms += 1000;
  s.b.Append(s.Create("web", "nginx:2"));  // offset 2
  s.Flush();
  auto gone = StateAtTime(s.p->db(), "default", "web", kT0 + 1500);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->aggregate.exists());
  auto why = ExplainAbsence(s.p->db(), "default", "web", gone->last_record);
  ASSERT_TRUE(why.ok()) << why.status().message();
  ASSERT_TRUE(why->first_created && why->deleted && why->created_again);
  EXPECT_EQ(why->first_created->offset, 0);
  EXPECT_EQ(why->deleted->offset, 1);
  EXPECT_EQ(why->created_again->offset, 2);
  auto before = ExplainAbsence(s.p->db(), "default", "web", std::nullopt);
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->deleted.has_value());
  ASSERT_TRUE(before->created_again.has_value());
  EXPECT_EQ(before->created_again->offset, 0);
}

TEST(TimeTravel, replay_forward_visits_each_later_record_once_in_log_order) {
  Scenario s;
  ASSERT_NE(s.p, nullptr);
  s.b.Append(s.Create("web", "nginx:0"));
  for (int i = 1; i < 200; ++i) {
    s.b.now_ms += 10;
    s.b.Append(s.SetImage("web", "nginx:" + std::to_string(i)));
  }
  s.Flush();
  auto past = StateAtTime(s.p->db(), "default", "web", kT0 + 500);
  ASSERT_TRUE(past.ok());
  std::vector<int64_t> offsets;
  Status st = ReplayForward(s.p->db(), "default", "web", *past, {.until_ms = kT0 + 1000},
                            [&](const ReplayStep& step) {
                              offsets.push_back(step.change.offset);
                              EXPECT_EQ(step.after.version(), step.before.version() + 1);
                              return Status::Ok();
                            });
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(offsets.size(), 50u);
  EXPECT_EQ(offsets.front(), 51);
  EXPECT_EQ(offsets.back(), 100);
  EXPECT_EQ(ImageOf(past->aggregate), "app=nginx:100");
}

TEST(TimeTravel, a_tampered_projection_is_reported_as_data_loss) {
  Scenario s;
  ASSERT_NE(s.p, nullptr);
  s.b.Append(s.Create("web", "nginx:0"));
  s.b.now_ms += 10;
  s.b.Append(s.SetImage("web", "nginx:1"));
  s.Flush();
  ASSERT_TRUE(s.p->db().Exec("UPDATE changes SET outcome = 'rejected' WHERE offset = 1").ok());
  auto past = StateAtTime(s.p->db(), "default", "web", kT0 + 100);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(past.status().message().find("admin rebuild"), std::string::npos);
}

}  // namespace
}  // namespace rollbook::store
