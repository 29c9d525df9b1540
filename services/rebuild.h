// Rebuild: a projection made again from offset 0 of the log, swapped in whole.
//
// Rebuild() replays the topic up to its end offsets at the start of the call
// into `<db>.rebuild` (bulk-load mode: no journal, no syncs), fsyncs it once,
// and renames it over `<db>` — readers see the old file or the new one, never
// a mix. Before the rename the old file is checkpointed and taken out of WAL
// mode under an exclusive lock, so no stale `-wal` is left to be replayed into
// the new file; when another process (a running rollbook-projector) keeps the
// old file open, the swap fails with FailedPrecondition after `timeout_ms` and
// the finished rebuild is left at `<db>.rebuild`. A crash at any point leaves
// `<db>` untouched; a leftover `<db>.rebuild` is discarded by the next run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "events/kafka_log.h"
#include "store/projection/projection.h"

namespace rollbook::services {

struct RebuildOptions {
  events::KafkaConfig kafka;
  std::string db_path;
  size_t batch_size = 10000;
  // Bound of the aggregate cache (store::Projection::Options): memory against
  // speed; the default holds ~10,000 typical Deployments.
  size_t aggregate_cache_bytes = store::kDefaultAggregateCacheBytes;
};

struct RebuildResult {
  store::BatchStats stats;
  std::string path;    // the file that now holds the rebuilt projection
  double seconds = 0;  // replay + swap
};

StatusOr<RebuildResult> Rebuild(const RebuildOptions& options);

}  // namespace rollbook::services
