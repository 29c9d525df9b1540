#include "tests/support/log_probe.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>

namespace rollbook::testing {

events::KafkaConfig KafkaConfigFor(const CliEnv& env) {
  events::KafkaConfig c;
  c.brokers = CliEnv::Brokers();
  c.topic = env.topic();
  c.timeout_ms = 20000;
  return c;
}

std::vector<int64_t> EndOffsets(const CliEnv& env) {
  StatusOr<std::unique_ptr<events::KafkaReader>> reader = events::KafkaReader::Create(KafkaConfigFor(env));
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  if (!reader.ok()) return {};
  StatusOr<std::optional<std::vector<int64_t>>> ends = (*reader)->EndOffsets();
  EXPECT_TRUE(ends.ok()) << ends.status().message();
  if (!ends.ok() || !ends->has_value()) return {};
  return **ends;
}

std::vector<events::LogMessage> ReadTopic(const CliEnv& env) {
  StatusOr<std::unique_ptr<events::KafkaReader>> reader = events::KafkaReader::Create(KafkaConfigFor(env));
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  if (!reader.ok()) return {};
  StatusOr<std::optional<std::vector<int64_t>>> ends = (*reader)->EndOffsets();
  EXPECT_TRUE(ends.ok()) << ends.status().message();
  if (!ends.ok() || !ends->has_value()) return {};
  std::vector<std::pair<int32_t, int64_t>> from;
  int64_t wanted = 0;
  for (size_t p = 0; p < (*ends)->size(); ++p) {
    from.emplace_back(static_cast<int32_t>(p), 0);
    wanted += (**ends)[p];
  }
  EXPECT_TRUE((*reader)->Assign(from).ok());
  std::map<std::pair<int32_t, int64_t>, events::LogMessage> by_position;
  int idle_polls = 0;
  while (static_cast<int64_t>(by_position.size()) < wanted && idle_polls < 100) {
    StatusOr<std::vector<events::LogMessage>> batch = (*reader)->Poll(10000, 200);
    EXPECT_TRUE(batch.ok()) << batch.status().message();
    if (!batch.ok()) break;
    idle_polls = batch->empty() ? idle_polls + 1 : 0;
    for (auto& m : *batch) {
      const auto& pos = m.position;
      if (pos.offset < (**ends)[static_cast<size_t>(pos.partition)]) {
        by_position[{pos.partition, pos.offset}] = std::move(m);
      }
    }
  }
  EXPECT_EQ(static_cast<int64_t>(by_position.size()), wanted) << "could not read the whole topic back";
  std::vector<events::LogMessage> out;
  for (auto& [pos, m] : by_position) out.push_back(std::move(m));
  return out;
}

namespace {
struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

DbHandle OpenReadOnly(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  DbHandle db(raw);
  EXPECT_EQ(rc, SQLITE_OK) << path << ": " << (raw ? sqlite3_errmsg(raw) : "");
  if (rc != SQLITE_OK) return nullptr;
  sqlite3_busy_timeout(raw, 10000);
  return db;
}

StmtHandle Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << sqlite3_errmsg(db);
  return StmtHandle(raw);
}
}  // namespace

std::string DumpDatabase(const std::string& path) {
  if (!std::filesystem::exists(path)) return "";
  DbHandle db = OpenReadOnly(path);
  if (!db) return "";
  std::string out;
  // One read transaction, so the dump is one consistent snapshot.
  sqlite3_exec(db.get(), "BEGIN", nullptr, nullptr, nullptr);
  std::vector<std::string> tables;
  {
    StmtHandle s = Prepare(db.get(), "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (s && sqlite3_step(s.get()) == SQLITE_ROW) {
      tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0)));
    }
  }
  for (const std::string& t : tables) {
    out += "table " + t + "\n";
    int columns = 0;
    {
      StmtHandle probe = Prepare(db.get(), "SELECT * FROM \"" + t + "\"");
      if (probe) columns = sqlite3_column_count(probe.get());
    }
    std::string order;
    for (int c = 1; c <= columns; ++c) order += (c == 1 ? " ORDER BY " : ", ") + std::to_string(c);
    StmtHandle s = Prepare(db.get(), "SELECT * FROM \"" + t + "\"" + order);
    if (!s) continue;
    while (sqlite3_step(s.get()) == SQLITE_ROW) {
      for (int c = 0; c < columns; ++c) {
        const char* bytes = static_cast<const char*>(sqlite3_column_blob(s.get(), c));
        const int n = sqlite3_column_bytes(s.get(), c);
        out += "|" + (bytes == nullptr ? std::string("NULL") : std::string(bytes, static_cast<size_t>(n)));
      }
      out += "\n";
    }
  }
  sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr);
  return out;
}

int64_t QueryInt(const std::string& path, const std::string& sql) {
  DbHandle db = OpenReadOnly(path);
  if (!db) return -1;
  StmtHandle s = Prepare(db.get(), sql);
  if (!s || sqlite3_step(s.get()) != SQLITE_ROW) return -1;
  return sqlite3_column_int64(s.get(), 0);
}

void ExecSql(const std::string& path, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
            SQLITE_OK);
  DbHandle db(raw);
  sqlite3_busy_timeout(raw, 10000);
  char* error = nullptr;
  const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error ? error : "");
  sqlite3_free(error);
}

}  // namespace rollbook::testing
