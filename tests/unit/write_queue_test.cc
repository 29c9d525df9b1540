// store/projection/write_queue.h: order, completion, failure and shutdown of
// the bulk load's write thread, on a real SQLite file.

#include "store/projection/write_queue.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rollbook::store {
namespace {

class QueueFile {
 public:
  QueueFile() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rollbook-queue-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    auto db = Db::Open(dir_ + "/q.db", /*create=*/true, /*read_only=*/false, /*serialized=*/true);
    if (!db.ok()) {
      ADD_FAILURE() << db.status().message();
      return;
    }
    db_ = std::move(db).value();
    // Each write below commits on its own: no syncs, or the tests would time the disk.
    EXPECT_TRUE(db_->Exec("PRAGMA synchronous=OFF; PRAGMA journal_mode=MEMORY").ok());
    EXPECT_TRUE(db_->Exec("CREATE TABLE t(seq INTEGER PRIMARY KEY AUTOINCREMENT, v INTEGER NOT NULL)").ok());
  }
  ~QueueFile() {
    db_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  Db& db() { return *db_; }

  // The v column in insertion order.
  std::vector<int64_t> Values() {
    std::vector<int64_t> out;
    auto s = db_->Prepare("SELECT v FROM t ORDER BY seq");
    if (!s.ok()) return out;
    for (;;) {
      auto row = s->Step();
      if (!row.ok() || !*row) break;
      out.push_back(s->Int(0));
    }
    return out;
  }

  RowWrite Insert(int64_t v) {
    RowWrite w(&insert_, "INSERT INTO t(v) VALUES(?)");
    w.values.Int(v);
    return w;
  }
  // An insert that takes milliseconds (it counts to 150,000 first).
  RowWrite SlowInsert(int64_t v) {
    RowWrite w(
        &slow_,
        "INSERT INTO t(v) SELECT ?1 FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
        "WHERE x < 150000) SELECT count(*) FROM c)");
    w.values.Int(v);
    return w;
  }
  RowWrite InsertIntoMissingTable() { return RowWrite(&missing_, "INSERT INTO missing VALUES(1)"); }

 private:
  std::string dir_;
  std::unique_ptr<Db> db_;
  std::optional<Stmt> insert_, slow_, missing_;  // used by the queue's thread only
};

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

TEST(WriteQueue, writes_run_in_submission_order_and_completion_counts_them) {
  QueueFile f;
  WriteQueue q(f.db());
  const int64_t n = 5 * static_cast<int64_t>(WriteQueue::kChunk) + 7;  // several chunks and a partial one
  for (int64_t i = 0; i < n; ++i) EXPECT_EQ(q.Submit(f.Insert(i)), static_cast<uint64_t>(i + 1));
  ASSERT_TRUE(q.Drain().ok());
  EXPECT_EQ(q.Completed(), static_cast<uint64_t>(n));
  EXPECT_TRUE(q.status().ok());
  EXPECT_EQ(f.Values(), Range(0, n));
}

TEST(WriteQueue, more_writes_than_the_bound_wait_for_room_and_all_run) {
  QueueFile f;
  WriteQueue q(f.db());
  const int64_t n = 3 * static_cast<int64_t>(WriteQueue::kMaxQueuedJobs);
  for (int64_t i = 0; i < n; ++i) (void)q.Submit(f.Insert(i));
  ASSERT_TRUE(q.Drain().ok());
  EXPECT_EQ(f.Values(), Range(0, n));
}

TEST(WriteQueue, a_failed_write_drops_the_rest_and_every_later_call_reports_it) {
  QueueFile f;
  WriteQueue q(f.db());
  for (int64_t i = 0; i < 10; ++i) (void)q.Submit(f.Insert(i));
  (void)q.Submit(f.InsertIntoMissingTable());
  for (int64_t i = 10; i < 20; ++i) (void)q.Submit(f.Insert(i));
  const Status drained = q.Drain();
  ASSERT_FALSE(drained.ok());
  EXPECT_NE(drained.message().find("no such table: missing"), std::string::npos) << drained.message();
  EXPECT_EQ(q.status().message(), drained.message());
  EXPECT_EQ(f.Values(), Range(0, 10));  // nothing after the failure ran
  (void)q.Submit(f.Insert(99));
  EXPECT_EQ(q.Drain().message(), drained.message());
  EXPECT_EQ(f.Values(), Range(0, 10));
}

// A Call job runs on the thread in its place among the writes (it sees the
// writes before it, none after), and WaitFor(n) returns once job n has run.
TEST(WriteQueue, a_call_runs_in_order_and_wait_for_returns_once_that_job_ran) {
  QueueFile f;
  WriteQueue q(f.db());
  std::vector<int64_t> seen_by_call;
  for (int64_t i = 0; i < 3; ++i) (void)q.Submit(f.Insert(i));
  const uint64_t call = q.Submit(RowWrite::Call([&](Db& db) -> Status {
    auto s = db.Prepare("SELECT v FROM t ORDER BY seq");
    if (!s.ok()) return s.status();
    for (;;) {
      RB_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      seen_by_call.push_back(s->Int(0));
    }
    return Status::Ok();
  }));
  for (int64_t i = 3; i < 6; ++i) (void)q.Submit(f.Insert(i));
  ASSERT_TRUE(q.WaitFor(call).ok());
  EXPECT_GE(q.Completed(), call);
  EXPECT_EQ(seen_by_call, Range(0, 3)) << "the call saw the writes before it and none after";
  ASSERT_TRUE(q.Drain().ok());
  EXPECT_EQ(f.Values(), Range(0, 6));
}

// WaitFor() of a job behind a failed one returns the failure instead of
// waiting forever; ClearFailure() lets an idle queue run jobs again.
TEST(WriteQueue, wait_for_reports_an_earlier_failure_and_clear_failure_lets_later_jobs_run) {
  QueueFile f;
  WriteQueue q(f.db());
  (void)q.Submit(f.Insert(0));
  (void)q.Submit(f.InsertIntoMissingTable());
  const uint64_t after = q.Submit(f.Insert(1));
  const Status waited = q.WaitFor(after);
  ASSERT_FALSE(waited.ok());
  EXPECT_NE(waited.message().find("no such table: missing"), std::string::npos) << waited.message();
  ASSERT_FALSE(q.Drain().ok());
  q.ClearFailure();
  EXPECT_TRUE(q.status().ok());
  (void)q.Submit(f.Insert(2));
  ASSERT_TRUE(q.Drain().ok());
  EXPECT_EQ(f.Values(), (std::vector<int64_t>{0, 2}));
}

TEST(WriteQueue, destroying_the_queue_runs_what_was_submitted) {
  QueueFile f;
  const int64_t n = 2 * static_cast<int64_t>(WriteQueue::kChunk) + 3;
  {
    WriteQueue q(f.db());
    for (int64_t i = 0; i < n; ++i) (void)q.Submit(f.Insert(i));
  }
  EXPECT_EQ(f.Values(), Range(0, n));
}

TEST(WriteQueue, pause_stops_the_thread_between_two_writes_until_resume) {
  QueueFile f;
  WriteQueue q(f.db());
  const int64_t n = 24;
  for (int64_t i = 0; i < n; ++i) (void)q.Submit(f.SlowInsert(i));
  q.Flush();
  // Pause mid-chunk, a few writes in. (Not by polling the table through the
  // shared connection: SQLite's mutex is unfair, and such a read waited for
  // the whole chunk — the very thing Pause() is for.)
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  {
    const WriteQueue::Paused paused(&q);
    // Read through the shared connection while the thread waits: whole
    // writes only, in order, and none more however long the pause lasts.
    const std::vector<int64_t> seen = f.Values();
    EXPECT_LT(seen.size(), static_cast<size_t>(n)) << "every write ran before the pause: make them slower";
    EXPECT_EQ(seen, Range(0, static_cast<int64_t>(seen.size())));
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    EXPECT_EQ(f.Values(), seen);
  }
  ASSERT_TRUE(q.Drain().ok());
  EXPECT_EQ(f.Values(), Range(0, n));
}

TEST(WriteQueue, pause_of_an_idle_queue_returns_and_later_writes_still_run) {
  QueueFile f;
  WriteQueue q(f.db());
  { const WriteQueue::Paused paused(&q); }
  { const WriteQueue::Paused none(nullptr); }  // no queue: nothing to pause
  for (int64_t i = 0; i < 3; ++i) (void)q.Submit(f.Insert(i));
  ASSERT_TRUE(q.Drain().ok());
  EXPECT_EQ(f.Values(), Range(0, 3));
}

}  // namespace
}  // namespace rollbook::store
