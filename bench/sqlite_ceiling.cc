// rollbook-bench-sqlite: the raw-SQLite ceiling of issue #6, figure 1 (b).
//
// Inserts N rows shaped like the projection's audit index (the `changes` table
// of store/projection/projection.h, same columns, primary key and — unless
// --primary-key-only — secondary indexes, values of the workload's typical
// sizes) into a fresh file with ONE
// prepared INSERT, in transactions of --txn rows. Nothing else: no decoding,
// no fold, no state. A rebuild cannot beat this on the same machine, so its
// throughput is reported as a fraction of it.
//
//   --journal wal   WAL + synchronous=NORMAL (the projection's durability)
//   --journal off   journal_mode=OFF + synchronous=OFF, one fsync at the end
//                   (what a rebuild into a fresh file may do before an atomic
//                   rename)
//
// Prints one JSON object: rows, seconds (open to close, fsync included),
// rows_per_second, bytes (file size at the end).
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE changes(
  partition INTEGER NOT NULL, offset INTEGER NOT NULL, log_time_ms INTEGER NOT NULL,
  record_id TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
  actor TEXT NOT NULL, host TEXT NOT NULL, client_time_ms INTEGER NOT NULL, command TEXT NOT NULL,
  change_cause TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL,
  version_before INTEGER NOT NULL, version_after INTEGER NOT NULL,
  revision_before INTEGER NOT NULL, revision_after INTEGER NOT NULL,
  replicas_before INTEGER NOT NULL, replicas_after INTEGER NOT NULL,
  images_before TEXT NOT NULL, images_after TEXT NOT NULL,
  PRIMARY KEY(partition, offset)) WITHOUT ROWID;
)sql";
constexpr const char* kIndexes = R"sql(
CREATE INDEX changes_by_object ON changes(namespace, name, log_time_ms);
CREATE INDEX changes_by_time ON changes(log_time_ms);
)sql";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

int Fail(sqlite3* db, const std::string& what) {
  fmt::print(stderr, "rollbook-bench-sqlite: {}: {}\n", what, db != nullptr ? sqlite3_errmsg(db) : "out of memory");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rollbook-bench-sqlite: raw SQLite insert ceiling for audit-index rows"};
  std::string path, journal = "wal";
  int64_t rows = 1'000'000, txn = 10'000;
  int partitions = 6;
  app.add_option("--db", path, "file to create (must not exist)")->required();
  app.add_option("--rows", rows, "rows to insert")->check(CLI::PositiveNumber);
  app.add_option("--txn", txn, "rows per transaction")->check(CLI::PositiveNumber);
  app.add_option("--journal", journal, "wal | off")->check(CLI::IsMember({"wal", "off"}));
  bool primary_key_only = false;
  app.add_flag("--primary-key-only", primary_key_only, "leave out the two secondary indexes of the audit index");
  CLI11_PARSE(app, argc, argv);
  if (std::filesystem::exists(path)) {
    fmt::print(stderr, "rollbook-bench-sqlite: {} exists; give a path for a fresh file\n", path);
    return 2;
  }

  // Values built before the clock starts: the ceiling measures SQLite only.
  std::mt19937_64 rng(7);
  const std::string uuid = "3f2c9a1e-7b44-4c1d-9e2f-8a6b5c4d3e2f";
  const char* kinds[] = {"scale", "scale", "scale", "set-image", "apply", "annotate", "rollback", "pause"};

  const auto t0 = std::chrono::steady_clock::now();
  sqlite3* raw_db = nullptr;
  const int opened = sqlite3_open_v2(path.c_str(), &raw_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  DbHandle handle(raw_db);
  sqlite3* db = handle.get();
  if (opened != SQLITE_OK) return Fail(db, "open " + path);
  const std::string pragmas = journal == "wal" ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                               : "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;";
  if (sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return Fail(db, "pragmas");
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) return Fail(db, "schema");
  if (!primary_key_only && sqlite3_exec(db, kIndexes, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Fail(db, "indexes");
  }
  sqlite3_stmt* raw_ins = nullptr;
  const int prepared = sqlite3_prepare_v3(db, "INSERT INTO changes VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                          -1, SQLITE_PREPARE_PERSISTENT, &raw_ins, nullptr);
  StmtHandle statement(raw_ins);
  sqlite3_stmt* ins = statement.get();
  if (prepared != SQLITE_OK) return Fail(db, "prepare");
  std::vector<int64_t> next_offset(static_cast<size_t>(partitions), 0);
  const int64_t t_log = 1'767'225'600'000;
  std::string name, ns, command, cause, images_before, images_after;
  for (int64_t i = 0; i < rows; ++i) {
    if (i % txn == 0 && sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) return Fail(db, "begin");
    const uint64_t r = rng();
    const int p = static_cast<int>(r % static_cast<uint64_t>(partitions));
    const int64_t d = static_cast<int64_t>((r >> 8) % 10'000);
    ns = fmt::format("team-{:02}", d % 10);
    name = fmt::format("svc-{:05}", d);
    const char* kind = kinds[(r >> 24) % std::size(kinds)];
    command = fmt::format("rollbook scale deployment/{} --replicas={} -n {}", name, (r >> 32) % 12 + 1, ns);
    cause = (r >> 40) % 3 == 0 ? command + " --record=true" : "";
    images_before = fmt::format("app=registry.example.com/search/{}:1.{}.{}", name, (r >> 44) % 90, (r >> 50) % 100);
    images_after = images_before;
    const int64_t version = (r >> 36) % 200;
    int c = 0;
    sqlite3_bind_int64(ins, ++c, p);
    sqlite3_bind_int64(ins, ++c, next_offset[static_cast<size_t>(p)]++);
    sqlite3_bind_int64(ins, ++c, t_log + i / 100);
    sqlite3_bind_text(ins, ++c, uuid.data(), static_cast<int>(uuid.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, ++c, ns.data(), static_cast<int>(ns.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, ++c, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, ++c, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, ++c, "alice", -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, ++c, "ci-runner-1", -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, ++c, t_log - 86'400'000 + i);
    sqlite3_bind_text(ins, ++c, command.data(), static_cast<int>(command.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, ++c, cause.data(), static_cast<int>(cause.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, ++c, "applied", -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, ++c, "", -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, ++c, "scaled", -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, ++c, version);
    sqlite3_bind_int64(ins, ++c, version + 1);
    sqlite3_bind_int64(ins, ++c, version / 3);
    sqlite3_bind_int64(ins, ++c, version / 3);
    sqlite3_bind_int64(ins, ++c, 3);
    sqlite3_bind_int64(ins, ++c, 4);
    sqlite3_bind_text(ins, ++c, images_before.data(), static_cast<int>(images_before.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, ++c, images_after.data(), static_cast<int>(images_after.size()), SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE) return Fail(db, "insert");
    sqlite3_reset(ins);
    if ((i + 1) % txn == 0 || i + 1 == rows) {
      if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return Fail(db, "commit");
    }
  }
  statement.reset();
  if (sqlite3_close(handle.release()) != SQLITE_OK) return Fail(nullptr, "close");
  if (journal == "off") {  // the one fsync a rebuild would do before its atomic swap
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
      fmt::print(stderr, "rollbook-bench-sqlite: fsync {} failed\n", path);
      return 1;
    }
    close(fd);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  nlohmann::json out = {{"rows", rows},
                        {"txn_rows", txn},
                        {"journal", journal == "wal" ? "WAL, synchronous=NORMAL" : "OFF, synchronous=OFF, one fsync"},
                        {"secondary_indexes", !primary_key_only},
                        {"seconds", seconds},
                        {"rows_per_second", static_cast<double>(rows) / seconds},
                        {"bytes", ec ? 0 : bytes}};
  fmt::print("{}\n", out.dump(2));
  return 0;
}
