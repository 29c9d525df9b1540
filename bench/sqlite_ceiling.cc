// rollbook-bench-sqlite: the raw-SQLite ceiling of issue #6, figure 1 (b).
//
// Inserts N audit-index rows into a fresh file with ONE prepared INSERT, in
// transactions of --txn rows, and nothing else: no decoding, no fold, no
// state. A rebuild cannot beat this on the same machine, so its throughput is
// reported as a fraction of it.
//
// The table is the projection's own `changes` table (the audit index), created
// by store::Projection::Open so the ceiling follows every schema change: same
// columns, primary key and secondary indexes (--primary-key-only drops the
// secondary ones). Values have the workload's typical sizes; the raw record
// blobs are the workload's own messages when --values names a dump
// (bench/dump.h; their sizes matter: large rows overflow), else --record-bytes
// long. Everything is built before the clock starts. Columns
// this program does not know get a short value of their declared type. The key
// (partition, offset) grows per partition and log times grow, as in a rebuild.
//
//   --journal wal   WAL + synchronous=NORMAL (the projection's durability)
//   --journal off   the projection's bulk-load mode, as `admin rebuild` opens
//                   its fresh file (journal off, no syncs, exclusive lock, its
//                   page cache), then FinishBulkLoad and one fsync at the end
//
// Prints one JSON object: rows, seconds (first BEGIN to close, fsync
// included), rows_per_second, bytes (file size at the end).
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench/dump.h"
#include "store/projection/projection.h"

namespace {

struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

struct Column {
  std::string name, type;
};

// One row's values, bound by column name.
struct RowValues {
  int64_t partition = 0, offset = 0, log_time = 0, client_time = 0, version = 0, revision = 0, replicas = 0;
  std::string id, ns, name, kind, command, cause, images_before, images_after, hash, prev_hash, record;
};

void Bind(sqlite3_stmt* s, int index, const Column& c, const RowValues& v) {
  auto text = [&](const std::string& t) {
    sqlite3_bind_text(s, index, t.data(), static_cast<int>(t.size()), SQLITE_STATIC);
  };
  auto blob = [&](const std::string& b) {
    sqlite3_bind_blob(s, index, b.data(), static_cast<int>(b.size()), SQLITE_STATIC);
  };
  const std::string& n = c.name;
  if (n == "partition") return (void)sqlite3_bind_int64(s, index, v.partition);
  if (n == "offset") return (void)sqlite3_bind_int64(s, index, v.offset);
  if (n == "log_time_ms" || n == "effective_time_ms") return (void)sqlite3_bind_int64(s, index, v.log_time);
  if (n == "client_time_ms") return (void)sqlite3_bind_int64(s, index, v.client_time);
  if (n == "version_before") return (void)sqlite3_bind_int64(s, index, v.version);
  if (n == "version_after") return (void)sqlite3_bind_int64(s, index, v.version + 1);
  if (n == "revision_before" || n == "revision_after") return (void)sqlite3_bind_int64(s, index, v.revision);
  if (n == "replicas_before") return (void)sqlite3_bind_int64(s, index, v.replicas);
  if (n == "replicas_after") return (void)sqlite3_bind_int64(s, index, v.replicas + 1);
  if (n == "record_id") return text(v.id);
  if (n == "namespace") return text(v.ns);
  if (n == "name") return text(v.name);
  if (n == "kind") return text(v.kind);
  if (n == "actor") return text(std::string("alice"));
  if (n == "host") return text(std::string("ci-runner-1"));
  if (n == "command") return text(v.command);
  if (n == "change_cause") return text(v.cause);
  if (n == "outcome") return (void)sqlite3_bind_text(s, index, "applied", -1, SQLITE_STATIC);
  if (n == "reason") return (void)sqlite3_bind_text(s, index, "", -1, SQLITE_STATIC);
  if (n == "message") return (void)sqlite3_bind_text(s, index, "scaled", -1, SQLITE_STATIC);
  if (n == "images_before") return text(v.images_before);
  if (n == "images_after") return text(v.images_after);
  if (n == "record_hash") return blob(v.hash);
  if (n == "prev_hash") return blob(v.prev_hash);
  if (n == "record") return blob(v.record);
  if (c.type.find("INT") != std::string::npos) return (void)sqlite3_bind_int64(s, index, v.offset);
  if (c.type.find("BLOB") != std::string::npos)
    return (void)sqlite3_bind_blob(s, index, "x", 1, SQLITE_STATIC);
  sqlite3_bind_text(s, index, "x", 1, SQLITE_STATIC);
}

// A pool of distinct rows (64 Ki, ~20 MB) cycled through by the insert loop,
// which sets the key and times of each row itself: building a million rows up
// front would take a gigabyte, building them in the loop would time fmt.
std::vector<RowValues> MakePool(size_t size, size_t record_bytes,
                                const std::vector<rollbook::bench::DumpMessage>& real) {
  std::mt19937_64 rng(7);
  const char* kinds[] = {"scale", "scale", "scale", "set-image", "apply", "annotate", "rollback", "pause"};
  std::vector<RowValues> out;
  out.reserve(size);
  for (size_t i = 0; i < size; ++i) {
    const uint64_t r = rng();
    RowValues v;
    const int64_t d = static_cast<int64_t>((r >> 8) % 10'000);
    v.ns = fmt::format("team-{:02}", d % 10);
    v.name = fmt::format("svc-{:05}", d);
    v.kind = kinds[(r >> 24) % std::size(kinds)];
    v.id = fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", r >> 32, i & 0xffff, (r >> 12) & 0xfff,
                       (r >> 40) & 0xffff, r & 0xffffffffffffULL);
    v.command =
        fmt::format("rollbook scale deployment/{} --replicas={} -n {}", v.name, (r >> 32) % 12 + 1, v.ns);
    v.cause = (r >> 40) % 3 == 0 ? v.command + " --record=true" : "";
    v.images_before =
        fmt::format("app=registry.example.com/search/{}:1.{}.{}", v.name, (r >> 44) % 90, (r >> 50) % 100);
    v.images_after = v.images_before;
    v.version = static_cast<int64_t>((r >> 36) % 200);
    v.revision = v.version / 3;
    v.replicas = 3;
    v.hash.assign(32, static_cast<char>(r));
    v.prev_hash.assign(32, static_cast<char>(r >> 8));
    if (real.empty()) {
      v.record.assign(record_bytes, static_cast<char>('a' + r % 26));
    } else {
      v.record = real[i % real.size()].value;
    }
    out.push_back(std::move(v));
  }
  return out;
}

int Fail(const std::string& what, sqlite3* db) {
  fmt::print(stderr, "rollbook-bench-sqlite: {}: {}\n", what, db != nullptr ? sqlite3_errmsg(db) : "");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rollbook;
  CLI::App app{"rollbook-bench-sqlite: raw SQLite insert ceiling for audit-index rows"};
  std::string path, journal = "wal";
  int64_t rows = 1'000'000, txn = 10'000;
  size_t record_bytes = 570;
  bool primary_key_only = false;
  app.add_option("--db", path, "file to create (must not exist)")->required();
  app.add_option("--rows", rows, "rows to insert")->check(CLI::PositiveNumber);
  app.add_option("--txn", txn, "rows per transaction")->check(CLI::PositiveNumber);
  app.add_option("--journal", journal, "wal | off")->check(CLI::IsMember({"wal", "off"}));
  app.add_option("--record-bytes", record_bytes, "size of the raw record blob, if the table keeps one");
  std::string values_dump;
  app.add_option("--values", values_dump, "take the record blobs from this message dump (bench/dump.h)");
  app.add_flag("--primary-key-only", primary_key_only, "drop the secondary indexes of the audit index");
  CLI11_PARSE(app, argc, argv);
  if (std::filesystem::exists(path)) {
    fmt::print(stderr, "rollbook-bench-sqlite: {} exists; give a path for a fresh file\n", path);
    return 2;
  }

  const bool bulk = journal == "off";
  StatusOr<std::unique_ptr<store::Projection>> projection =
      store::Projection::Open({.path = path, .topic = "bench", .create = true, .bulk_load = bulk});
  if (!projection.ok()) {
    fmt::print(stderr, "rollbook-bench-sqlite: {}\n", projection.status().message());
    return 1;
  }
  sqlite3* db = (*projection)->db().raw();
  std::vector<Column> columns;
  {
    sqlite3_stmt* raw = nullptr;
    sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_info('changes') ORDER BY cid", -1, &raw,
                       nullptr);
    StmtHandle info(raw);
    while (info && sqlite3_step(info.get()) == SQLITE_ROW) {
      columns.push_back({reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 0)),
                         reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 1))});
    }
  }
  if (columns.empty()) return Fail("the projection has no changes table", db);
  if (primary_key_only &&
      sqlite3_exec(db, "DROP INDEX IF EXISTS changes_by_object; DROP INDEX IF EXISTS changes_by_time",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Fail("dropping indexes", db);
  }

  std::vector<bench::DumpMessage> real;
  if (!values_dump.empty()) {
    StatusOr<std::vector<bench::DumpMessage>> read = bench::ReadDump(values_dump, 65'536);
    if (!read.ok()) {
      fmt::print(stderr, "rollbook-bench-sqlite: {}\n", read.status().message());
      return 1;
    }
    real = std::move(*read);
  }
  std::vector<RowValues> pool = MakePool(65'536, record_bytes, real);
  constexpr int kPartitions = 6;
  std::vector<int64_t> next_offset(kPartitions, 0);
  const int64_t t_log = 1'767'225'600'000;
  std::string sql = "INSERT INTO changes VALUES(";
  for (size_t i = 0; i < columns.size(); ++i) sql += i == 0 ? "?" : ",?";
  sql += ")";
  sqlite3_stmt* raw_insert = nullptr;
  if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw_insert, nullptr) != SQLITE_OK) {
    return Fail("prepare", db);
  }
  StmtHandle insert(raw_insert);

  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < rows; ++i) {
    if (i % txn == 0 && sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK)
      return Fail("begin", db);
    RowValues& v = pool[static_cast<size_t>(i) % pool.size()];
    v.partition =
        static_cast<int64_t>((static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ULL >> 32) % kPartitions);
    v.offset = next_offset[static_cast<size_t>(v.partition)]++;
    v.log_time = t_log + i / 100;
    v.client_time = t_log - 86'400'000 + i;
    for (size_t c = 0; c < columns.size(); ++c) Bind(insert.get(), static_cast<int>(c + 1), columns[c], v);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) return Fail("insert", db);
    sqlite3_reset(insert.get());
    if ((i + 1) % txn == 0 || i + 1 == rows) {
      if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return Fail("commit", db);
    }
  }
  insert.reset();
  projection->reset();     // closes the file (a WAL file is checkpointed on close)
  if (journal == "off") {  // the one fsync a rebuild would do before its atomic swap
    const int fd = open(path.c_str(), O_RDONLY);
    const bool synced = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (!synced) return Fail("fsync " + path, nullptr);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  nlohmann::json out = {
      {"rows", rows},
      {"txn_rows", txn},
      {"columns", columns.size()},
      {"record_bytes", values_dump.empty() ? "fixed " + std::to_string(record_bytes) : "workload messages"},
      {"journal", bulk ? "bulk load (journal off, no syncs), one fsync" : "WAL, synchronous=NORMAL"},
      {"secondary_indexes", !primary_key_only},
      {"seconds", seconds},
      {"rows_per_second", static_cast<double>(rows) / seconds},
      {"bytes", ec ? 0 : bytes}};
  fmt::print("{}\n", out.dump(2));
  return 0;
}
