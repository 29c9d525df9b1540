// Pod templates of ReplicaSets, stored once by content (schema version 5).
//
// A Deployment keeps about a dozen ReplicaSets and each carries its pod
// template (~1 KB of canonical JSON), which made templates ~80% of every
// stored aggregate and snapshot and of every rewritten replica_sets row. So
// the projection stores ReplicaSets without the text: template_json is empty
// and template_digest (fold::TemplateDigest, SHA-256) names a row of
//
//   templates(digest BLOB UNIQUE, template_json TEXT)   -- a rowid table: new
//                                                       -- rows append (projection.cc)
//
// written once per distinct template and never changed or deleted (a row is a
// pure function of its key, so concurrent writers cannot disagree on it).
//
// The writer calls Strip() on what it stores; readers call Fill() on what they
// hand to code that needs the text (rendering a ReplicaSet, its images, a
// rollback's target). Stripped or filled, a ReplicaSet keeps its digest.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/status.h"
#include "rollbook/state/v1/aggregate.pb.h"
#include "store/projection/sqlite.h"
#include "store/projection/write_queue.h"

namespace rollbook::store {

class Templates {
 public:
  explicit Templates(Db& db) : db_(db) {}

  // Where a writer that queues its statements (a bulk load: write_queue.h)
  // takes the texts: Strip() hands each to `insert` instead of inserting it,
  // and Fill() asks `lookup` first, for texts not yet in the table.
  struct Deferral {
    std::function<Status(const std::string& digest, const std::string& text)> insert;
    std::function<const std::string*(const std::string& digest)> lookup;
  };
  void Defer(Deferral deferral) { deferral_ = std::move(deferral); }

  // Another connection on the same file where Fill() looks first (nullptr:
  // none). A writer whose statements run on a write thread (projection.cc)
  // would otherwise wait for that thread to let go of their shared
  // connection; templates never change, so any committed row is the right
  // one. A text it lacks (not committed yet) is read from `db` as before.
  // `reader` must outlive this object or the next call.
  void ReadFirstFrom(Db* reader);

  // A queue whose write thread shares `db`: Fill() pauses it while it reads
  // through `db` (nullptr: none). `queue` must outlive this object or the
  // next call.
  void PauseWhileReading(WriteQueue* queue) { pause_ = queue; }

  // Stores the text of each ReplicaSet that has one (once per digest) and
  // clears it, setting the digest where it was missing. Needs an open write
  // transaction.
  Status Strip(state::v1::ReplicaSet& rs);
  Status Strip(state::v1::Aggregate& agg);

  // Loads the text of each ReplicaSet that has only its digest. A digest
  // without a row is DataLoss (the file was damaged or edited).
  Status Fill(state::v1::ReplicaSet& rs);
  Status Fill(state::v1::Aggregate& agg);
  // Fill() of the one ReplicaSet that `rollout undo --to-revision=to_revision`
  // targets (fold::FindRollbackTarget), the only template a rollback's fold
  // reads; nothing when there is no such ReplicaSet (the fold rejects it).
  Status FillRollbackTarget(state::v1::Aggregate& agg, int64_t to_revision);

 private:
  Db& db_;
  std::optional<Deferral> deferral_;
  Db* reader_ = nullptr;
  WriteQueue* pause_ = nullptr;
  std::optional<Stmt> insert_, select_, reader_select_;  // prepared on first use
};

}  // namespace rollbook::store
