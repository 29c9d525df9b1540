// Minimal RAII over the SQLite C API: a connection and prepared statements.
//
// Db owns a sqlite3* (closed in the destructor); Stmt owns a sqlite3_stmt*
// (finalized in the destructor) and resets itself before each use. Errors are
// returned as Status carrying SQLite's message and the SQL that failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace rollbook::store {

// The values of a statement's parameters ?1..?n, in order, packed into one
// buffer: a row taken on one thread and written on another (write_queue.h)
// costs one allocation rather than one per text, and Stmt::RunWith binds the
// texts in place rather than copying each.
class Values {
 public:
  Values& Int(int64_t v);
  Values& Text(std::string_view text);
  Values& Blob(std::string_view bytes);
  Values& Null();
  void Reserve(size_t bytes) { buf_.reserve(bytes); }
  // Forgets the values and keeps the buffer, for reuse.
  void Clear() { buf_.clear(); }
  size_t Capacity() const { return buf_.capacity(); }

 private:
  friend class Stmt;
  Values& Bytes(char tag, std::string_view bytes);
  std::string buf_;  // per value: a tag byte, then 8 bytes (int) or a 4-byte length and the bytes
};

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt(Stmt&& o) noexcept : db_(o.db_), s_(o.s_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  ~Stmt();

  // Clears bindings and rewinds; call before binding a new set of values.
  Stmt& Reset();
  Stmt& Bind(int index, int64_t v);
  Stmt& Bind(int index, std::string_view text);
  Stmt& BindBlob(int index, std::string_view bytes);
  Stmt& BindNull(int index);

  // Steps once: true when a row is available, false when done.
  StatusOr<bool> Step();
  // Steps to completion (for statements that return no rows).
  Status Run();
  // Binds `values` to ?1..?n without copying them, runs to completion and
  // clears the bindings again (so nothing points into `values` afterwards).
  Status RunWith(const Values& values);

  int64_t Int(int col) const;
  std::string Text(int col) const;
  std::string Blob(int col) const;
  // The same without a copy: valid until the next Step(), Reset() or
  // destruction of this statement.
  std::string_view TextView(int col) const;
  std::string_view BlobView(int col) const;
  bool IsNull(int col) const;
  int ColumnCount() const;
  int Type(int col) const;  // SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL
  std::string ColumnName(int col) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

class Db {
 public:
  // Opens (creating when `create`) the database file at `path`. A connection
  // is for one thread at a time unless `serialized`: then SQLite locks it
  // around every call, so two threads may use it at once (a bulk load's
  // writer thread and its folding thread, write_queue.h), each with its own
  // statements.
  static StatusOr<std::unique_ptr<Db>> Open(const std::string& path, bool create, bool read_only = false,
                                            bool serialized = false);
  // Whether this SQLite library can serialize a connection (it was built
  // with mutexes: SQLITE_THREADSAFE 1 or 2).
  static bool CanSerialize();
  ~Db();

  Status Exec(std::string_view sql);
  StatusOr<Stmt> Prepare(std::string_view sql);
  sqlite3* raw() { return db_; }
  const std::string& path() const { return path_; }

  // How long a statement waits for another connection's lock before it
  // fails with SQLITE_BUSY (30 s from Open). The wait polls in sleeps of
  // 50 us doubling to 4 ms: SQLite's own busy timeout sleeps 1, 2, 5, 10, ...
  // ms, so a CLI write that found the daemon committing a 1-2 ms batch got
  // the lock 3 to 18 ms later (docs/benchmarks.md, eleventh session).
  void SetBusyTimeout(int timeout_ms);

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  static int WaitForLock(void* self, int attempt);
  sqlite3* db_;
  std::string path_;
  std::chrono::milliseconds busy_timeout_{0};
  std::chrono::steady_clock::time_point busy_since_;  // of the current wait
};

}  // namespace rollbook::store
