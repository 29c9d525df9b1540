// store/projection/sqlite.h, Db::SetBusyTimeout: a connection that finds
// another one's write lock waits for it (and then goes on), and gives up
// with SQLite's "database is locked" once its timeout has passed.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "store/projection/sqlite.h"

namespace rollbook::store {
namespace {

class TwoConnections : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rollbook-busy-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto a = Db::Open(dir_ + "/b.db", /*create=*/true);
    ASSERT_TRUE(a.ok()) << a.status().message();
    holder_ = std::move(a).value();
    ASSERT_TRUE(holder_->Exec("PRAGMA journal_mode=WAL; CREATE TABLE t(v INTEGER NOT NULL)").ok());
    auto b = Db::Open(dir_ + "/b.db", /*create=*/false);
    ASSERT_TRUE(b.ok()) << b.status().message();
    waiter_ = std::move(b).value();
  }
  void TearDown() override {
    holder_.reset();
    waiter_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  int64_t Rows() {
    auto s = waiter_->Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(s.ok());
    if (!s.ok()) return -1;
    StatusOr<bool> row = s->Step();
    if (!row.ok() || !*row) return -1;
    return s->Int(0);
  }

  std::string dir_;
  std::unique_ptr<Db> holder_, waiter_;
};

TEST_F(TwoConnections, a_writer_waits_for_the_lock_and_writes_once_it_is_released) {
  ASSERT_TRUE(holder_->Exec("BEGIN IMMEDIATE; INSERT INTO t VALUES(1)").ok());
  std::atomic<bool> committing{false};
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    committing = true;  // before COMMIT: the lock cannot be free earlier
    EXPECT_TRUE(holder_->Exec("COMMIT").ok());
  });
  // Blocks in the busy handler until the holder commits (default 30 s timeout).
  const Status begun = waiter_->Exec("BEGIN IMMEDIATE");
  const bool waited = committing.load();
  release.join();
  ASSERT_TRUE(begun.ok()) << begun.message();
  EXPECT_TRUE(waited) << "the writer got the lock while the other connection still held it";
  ASSERT_TRUE(waiter_->Exec("INSERT INTO t VALUES(2); COMMIT").ok());
  EXPECT_EQ(Rows(), 2);
}

TEST_F(TwoConnections, a_writer_gives_up_with_database_is_locked_after_its_timeout) {
  waiter_->SetBusyTimeout(40);
  ASSERT_TRUE(holder_->Exec("BEGIN IMMEDIATE; INSERT INTO t VALUES(1)").ok());
  const auto start = std::chrono::steady_clock::now();
  const Status begun = waiter_->Exec("BEGIN IMMEDIATE");
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(begun.ok());
  EXPECT_NE(begun.message().find("database is locked"), std::string::npos) << begun.message();
  // It did wait (a lower bound only: an upper bound would time the machine).
  EXPECT_GE(waited, std::chrono::milliseconds(40));
  ASSERT_TRUE(holder_->Exec("COMMIT").ok());
  // Nothing of the refused writer's is left behind; it can write now.
  ASSERT_TRUE(waiter_->Exec("BEGIN IMMEDIATE; INSERT INTO t VALUES(2); COMMIT").ok());
  EXPECT_EQ(Rows(), 2);
}

TEST_F(TwoConnections, a_zero_timeout_refuses_at_once) {
  waiter_->SetBusyTimeout(0);
  ASSERT_TRUE(holder_->Exec("BEGIN IMMEDIATE").ok());
  const Status begun = waiter_->Exec("BEGIN IMMEDIATE");
  EXPECT_FALSE(begun.ok());
  EXPECT_NE(begun.message().find("database is locked"), std::string::npos) << begun.message();
  ASSERT_TRUE(holder_->Exec("COMMIT").ok());
}

}  // namespace
}  // namespace rollbook::store
