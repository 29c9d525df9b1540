// Pod templates of ReplicaSets, stored once by content (schema version 5).
//
// A Deployment keeps about a dozen ReplicaSets and each carries its pod
// template (~1 KB of canonical JSON), which made templates ~80% of every
// stored aggregate and snapshot and of every rewritten replica_sets row. So
// the projection stores ReplicaSets without the text: template_json is empty
// and template_digest (fold::TemplateDigest, SHA-256) names a row of
//
//   templates(digest BLOB PRIMARY KEY, template_json TEXT)   -- WITHOUT ROWID
//
// written once per distinct template and never changed or deleted (a row is a
// pure function of its key, so concurrent writers cannot disagree on it).
//
// The writer calls Strip() on what it stores; readers call Fill() on what they
// hand to code that needs the text (rendering a ReplicaSet, its images, a
// rollback's target). Stripped or filled, a ReplicaSet keeps its digest.
#pragma once

#include <optional>

#include "base/status.h"
#include "rollbook/state/v1/aggregate.pb.h"
#include "store/projection/sqlite.h"

namespace rollbook::store {

class Templates {
 public:
  explicit Templates(Db& db) : db_(db) {}

  // Stores the text of each ReplicaSet that has one (once per digest) and
  // clears it, setting the digest where it was missing. Needs an open write
  // transaction.
  Status Strip(state::v1::ReplicaSet& rs);
  Status Strip(state::v1::Aggregate& agg);

  // Loads the text of each ReplicaSet that has only its digest. A digest
  // without a row is DataLoss (the file was damaged or edited).
  Status Fill(state::v1::ReplicaSet& rs);
  Status Fill(state::v1::Aggregate& agg);

 private:
  Db& db_;
  std::optional<Stmt> insert_, select_;  // prepared on first use
};

}  // namespace rollbook::store
