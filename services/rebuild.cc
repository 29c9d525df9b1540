#include "services/rebuild.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "base/failpoint.h"
#include "services/projector.h"
#include "store/projection/sqlite.h"

namespace rollbook::services {

namespace {

namespace fs = std::filesystem;

Status FsyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return Internal(fmt::format("cannot open {} to fsync it: {}", path, std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Internal(fmt::format("fsync {}: {}", path, std::strerror(err)));
  return Status::Ok();
}

void RemoveWithSidecars(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(path + suffix, ec);
}

StatusOr<std::string> SingleText(store::Db& db, const char* sql) {
  RB_ASSIGN_OR_RETURN(store::Stmt s, db.Prepare(sql));
  RB_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Text(0) : std::string();
}

// Renames `fresh` over `target` while holding an exclusive lock on `target`
// in rollback-journal mode, so that no process can be mid-transaction on it
// and no WAL of the old file survives to be replayed into the new one.
Status SwapInto(const std::string& fresh, const std::string& target, int timeout_ms) {
  std::error_code ec;
  if (!fs::exists(target, ec)) {
    if (::rename(fresh.c_str(), target.c_str()) != 0) {
      return Internal(fmt::format("rename {} -> {}: {}", fresh, target, std::strerror(errno)));
    }
    return Status::Ok();
  }
  RB_ASSIGN_OR_RETURN(std::unique_ptr<store::Db> old, store::Db::Open(target, false));
  old->SetBusyTimeout(timeout_ms);
  // Never replace a file that is not a rollbook projection.
  RB_ASSIGN_OR_RETURN(std::string app_id, SingleText(*old, "PRAGMA application_id"));
  if (app_id != std::to_string(0x52424B31)) {
    return FailedPrecondition(fmt::format(
        "{} is not a rollbook database (application_id {}); refusing to replace it — choose another --db",
        target, app_id));
  }
  const std::string in_use = fmt::format(
      "cannot swap the rebuilt projection into {}: the file is in use by another process (a running "
      "rollbook-projector?). Stop it and run the rebuild again, or move {} into place yourself",
      target, fresh);
  if (!old->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok()) return FailedPrecondition(in_use);
  StatusOr<std::string> mode = SingleText(*old, "PRAGMA journal_mode=DELETE");
  if (!mode.ok() || *mode != "delete") return FailedPrecondition(in_use);
  RB_RETURN_IF_ERROR(old->Exec("PRAGMA locking_mode=EXCLUSIVE"));
  if (!old->Exec("BEGIN EXCLUSIVE").ok()) return FailedPrecondition(in_use);
  if (::rename(fresh.c_str(), target.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    (void)old->Exec("ROLLBACK");
    return Internal(fmt::format("rename {} -> {}: {}", fresh, target, err));
  }
  (void)old->Exec("ROLLBACK");  // releases the lock on the (now unlinked) old inode
  return Status::Ok();
}

}  // namespace

StatusOr<RebuildResult> Rebuild(const RebuildOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  RebuildResult result;
  const std::string fresh = options.db_path + ".rebuild";
  RemoveWithSidecars(fresh);
  {
    RB_ASSIGN_OR_RETURN(std::unique_ptr<store::Projection> p,
                        store::Projection::Open({.path = fresh,
                                                 .topic = options.kafka.topic,
                                                 .create = true,
                                                 .bulk_load = true,
                                                 .aggregate_cache_bytes = options.aggregate_cache_bytes}));
    StatusOr<CatchUpResult> caught = CatchUp(*p, options.kafka, options.batch_size);
    if (!caught.ok()) {
      p.reset();
      RemoveWithSidecars(fresh);
      return caught.status().WithContext("rebuilding from offset 0");
    }
    result.stats = caught->stats;
    RB_RETURN_IF_ERROR(p->FinishBulkLoad());
  }
  RB_RETURN_IF_ERROR(FsyncPath(fresh, false));
  FailPoint("rebuild.before_swap");
  RB_RETURN_IF_ERROR(SwapInto(fresh, options.db_path, options.kafka.timeout_ms));
  const fs::path dir = fs::absolute(options.db_path).parent_path();
  RB_RETURN_IF_ERROR(FsyncPath(dir.string(), true));
  result.path = options.db_path;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace rollbook::services
