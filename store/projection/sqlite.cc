#include "store/projection/sqlite.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

namespace rollbook::store {

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    if (s_ != nullptr) sqlite3_finalize(s_);
    db_ = o.db_;
    s_ = o.s_;
    o.s_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() {
  if (s_ != nullptr) sqlite3_finalize(s_);
}

Stmt& Stmt::Reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  return *this;
}
Stmt& Stmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::Bind(int i, std::string_view t) {
  sqlite3_bind_text(s_, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindBlob(int i, std::string_view b) {
  sqlite3_bind_blob(s_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::BindNull(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

StatusOr<bool> Stmt::Step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const Status err = rc == SQLITE_BUSY
                         ? Unavailable(fmt::format("database is busy: {}", sqlite3_errmsg(db_)))
                         : Internal(fmt::format("sqlite: {} in: {}", sqlite3_errmsg(db_), sqlite3_sql(s_)));
  sqlite3_reset(s_);
  return err;
}

Status Stmt::Run() {
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  sqlite3_reset(s_);
  return Status::Ok();
}

Values& Values::Int(int64_t v) {
  buf_.push_back('i');
  buf_.append(reinterpret_cast<const char*>(&v), sizeof v);
  return *this;
}
Values& Values::Bytes(char tag, std::string_view bytes) {
  const auto n = static_cast<uint32_t>(bytes.size());
  buf_.push_back(tag);
  buf_.append(reinterpret_cast<const char*>(&n), sizeof n);
  buf_.append(bytes);
  return *this;
}
Values& Values::Text(std::string_view text) { return Bytes('t', text); }
Values& Values::Blob(std::string_view bytes) { return Bytes('b', bytes); }
Values& Values::Null() {
  buf_.push_back('n');
  return *this;
}

Status Stmt::RunWith(const Values& values) {
  const char* p = values.buf_.data();
  const char* const end = p + values.buf_.size();
  for (int i = 1; p < end; ++i) {
    const char tag = *p++;
    if (tag == 'i') {
      int64_t v;
      std::memcpy(&v, p, sizeof v);
      p += sizeof v;
      sqlite3_bind_int64(s_, i, v);
    } else if (tag == 'n') {
      sqlite3_bind_null(s_, i);
    } else {
      uint32_t n;
      std::memcpy(&n, p, sizeof n);
      p += sizeof n;
      if (tag == 't') {
        sqlite3_bind_text(s_, i, p, static_cast<int>(n), SQLITE_STATIC);
      } else {
        sqlite3_bind_blob(s_, i, n == 0 ? "" : p, static_cast<int>(n), SQLITE_STATIC);
      }
      p += n;
    }
  }
  Status s = Run();
  sqlite3_clear_bindings(s_);
  return s;
}

int64_t Stmt::Int(int col) const { return sqlite3_column_int64(s_, col); }
std::string Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_, col);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, col));
}
std::string Stmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  return p == nullptr ? std::string()
                      : std::string(static_cast<const char*>(p), sqlite3_column_bytes(s_, col));
}
std::string_view Stmt::TextView(int col) const {
  const unsigned char* p = sqlite3_column_text(s_, col);
  return p == nullptr ? std::string_view()
                      : std::string_view(reinterpret_cast<const char*>(p),
                                         static_cast<size_t>(sqlite3_column_bytes(s_, col)));
}
std::string_view Stmt::BlobView(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  return p == nullptr ? std::string_view()
                      : std::string_view(static_cast<const char*>(p),
                                         static_cast<size_t>(sqlite3_column_bytes(s_, col)));
}
bool Stmt::IsNull(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
int Stmt::ColumnCount() const { return sqlite3_column_count(s_); }
int Stmt::Type(int col) const { return sqlite3_column_type(s_, col); }
std::string Stmt::ColumnName(int col) const {
  const char* n = sqlite3_column_name(s_, col);
  return n == nullptr ? std::string() : std::string(n);
}

bool Db::CanSerialize() { return sqlite3_threadsafe() != 0; }

StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path, bool create, bool read_only,
                                       bool serialized) {
  if (serialized && !CanSerialize()) {
    return FailedPrecondition("this SQLite library cannot share a connection between threads");
  }
  sqlite3* db = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  flags |= serialized ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Unavailable(fmt::format("cannot open database {}: {}", path, msg));
  }
  // Writers serialise on SQLite's lock; wait for it instead of failing.
  std::unique_ptr<Db> opened(new Db(db, path));
  opened->SetBusyTimeout(30000);
  return opened;
}

void Db::SetBusyTimeout(int timeout_ms) {
  busy_timeout_ = std::chrono::milliseconds(timeout_ms);
  sqlite3_busy_handler(db_, timeout_ms > 0 ? &Db::WaitForLock : nullptr, this);
}

int Db::WaitForLock(void* self, int attempt) {
  Db* db = static_cast<Db*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (attempt == 0) db->busy_since_ = now;
  if (now - db->busy_since_ >= db->busy_timeout_) return 0;  // give up: SQLITE_BUSY
  std::this_thread::sleep_for(std::chrono::microseconds(std::min(50 << std::min(attempt, 7), 4000)));
  return 1;
}

Db::~Db() { sqlite3_close_v2(db_); }

Status Db::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return Internal(fmt::format("sqlite: {} in: {}", msg, s.substr(0, 200)));
  }
  return Status::Ok();
}

StatusOr<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s,
                         nullptr) != SQLITE_OK) {
    return Internal(fmt::format("sqlite prepare: {} in: {}", sqlite3_errmsg(db_), sql));
  }
  return Stmt(db_, s);
}

}  // namespace rollbook::store
