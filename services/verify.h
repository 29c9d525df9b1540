// Verify: re-reads the whole log and checks the hash chain and the projection.
//
// What counts as a finding (each names partition and offset):
//   removed    records gone from the log: a partition whose first offset is
//              above 0 (delete-records API, retention), a gap in offsets, a
//              record some later record chains to but which is not in the log,
//              or a projected record the log no longer has (recreated topic).
//   altered    a record whose bytes differ from those its successor chains to,
//              or from the bytes the projection applied at that offset.
//   reordered  a record chaining to a predecessor that appears after it.
//   injected   a record that does not extend its aggregate's chain (written by
//              something other than rollbook, or forged), or a value that is
//              not a change record at all.
//   projection a projection row that disagrees with a replay of the log.
// The replay is the same pure fold the projector uses (store/fold), run in
// memory; the projection is only read. Only records below the projection's
// stored offsets are compared with it (it may lag behind the log).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "events/kafka_log.h"
#include "store/projection/projection.h"

namespace rollbook::services {

struct Finding {
  std::string problem;  // removed | altered | reordered | injected | projection
  int32_t partition = -1;
  int64_t offset = -1;  // -1 when the finding is about a whole partition or row
  std::string object;   // "namespace/name", or empty
  std::string detail;
};

struct VerifyReport {
  int64_t records = 0;  // messages read from the log
  int64_t partitions = 0;
  int64_t aggregates = 0;  // distinct namespace/name seen
  int64_t projection_rows_checked = 0;
  std::vector<Finding> findings;  // sorted by partition, offset
};

struct VerifyOptions {
  events::KafkaConfig kafka;
  store::Projection* projection = nullptr;  // also compare with this, when set
  std::string only_object;                  // "namespace/name": report only its findings
  // Threads that fold (each takes a share of the Deployments) beside the one
  // that reads, hashes and decodes; 0: one per core but the first.
  unsigned fold_threads = 0;
};

StatusOr<VerifyReport> Verify(const VerifyOptions& options);

}  // namespace rollbook::services
