// Digest: a canonical hash of a projection's logical content.
//
// Two projection files have equal digests exactly when they hold the same rows
// (every table of schema version 6, meta included), whatever the row order on
// disk, page layout, WAL state or protobuf map order inside state blobs. That
// is the check behind "projection = replay": the digest of a live projection
// must equal the digest of `rollbook admin rebuild` of the same log prefix.
//
// Canonical stream: for each table in name order, the table name, then each
// row in primary-key order, each column as (type tag, length, bytes); state
// blobs are parsed and re-serialized deterministically. SHA-256 over it all.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"
#include "store/projection/sqlite.h"

namespace rollbook::store {

struct ProjectionDigest {
  std::string sha256_hex;
  std::map<std::string, int64_t> rows;  // table -> row count
};

StatusOr<ProjectionDigest> ComputeDigest(Db& db);

}  // namespace rollbook::store
