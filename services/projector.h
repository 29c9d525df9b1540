// Projector: moves records from the Kafka log into the SQLite projection.
//
// CatchUp() is what every rollbook read does first and what a write does after
// appending: it reads each partition from the projection's stored next offset
// up to the end offset seen at the start of the call and applies the records
// in batches (one transaction each). RunProjector() is the daemon's loop: the
// same thing, forever, with low fetch latency, until `stop` becomes true.
// Both are safe to run concurrently with each other in several processes: the
// projection's offset rule makes every record take effect exactly once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "events/kafka_log.h"
#include "store/projection/projection.h"

namespace rollbook::services {

struct CatchUpResult {
  store::BatchStats stats;
  bool topic_exists = false;
};

// Applies everything up to the end of the topic as it is now. Fails with
// DeadlineExceeded when no record arrived for config.timeout_ms while some
// were still due, and Unavailable when the brokers
// cannot be reached (the projection is then left as it was: still readable).
StatusOr<CatchUpResult> CatchUp(store::Projection& projection, const events::KafkaConfig& config,
                                size_t batch_size = 10000);
// The same with a reader the caller keeps across several catch-ups (a CLI
// write catches up before and after its append): one client and connection
// instead of one per catch-up. `reader` must have been created with `config`.
StatusOr<CatchUpResult> CatchUp(store::Projection& projection, events::KafkaReader& reader,
                                const events::KafkaConfig& config, size_t batch_size = 10000);
// The same up to the given end offsets (end_offsets[p]: the offset partition
// p must reach; 0 asks for nothing) instead of the log's current ones. A
// write knows where its record landed and waits for that record alone,
// without asking the brokers for their end offsets (a metadata and a
// ListOffsets round trip) — and finds it already applied when the daemon
// was first.
StatusOr<CatchUpResult> CatchUpTo(store::Projection& projection, events::KafkaReader& reader,
                                  const events::KafkaConfig& config, const std::vector<int64_t>& end_offsets,
                                  size_t batch_size = 10000);

struct ProjectorOptions {
  events::KafkaConfig kafka;
  std::string db_path;
  // Records per transaction at most (fewer when fewer are waiting: in
  // practice what the reader has buffered, 60,000-80,000 records of the
  // benchmark's workload). Large batches write each changed Deployment's
  // rows once for many records: a catch-up of 600,000 records ran 1.6x
  // faster with 50,000 than with 10,000, and with pipelined commits a
  // bound of 200,000 caught up with 1,000,000 records 27-30% faster than
  // 50,000 without them (docs/benchmarks.md). The price: ~70 MiB more memory
  // while catching up, and a write lock held a few seconds per batch, which
  // a CLI that must apply records itself waits for (it gets the lock
  // between two batches).
  size_t batch_size = 200000;
  size_t aggregate_cache_bytes = store::kDefaultAggregateCacheBytes;  // store::Projection::Options
  // Called with one line of log text (stderr in the daemon).
  std::function<void(const std::string&)> log = [](const std::string&) {};
};

// Runs until `stop` is set. Batches of 128 records or more are applied with
// pipelined commits (store::Projection::Options::pipelined_commits): the next
// batch is folded while the last one is written and committed, so a line
// "applied N record(s)" may precede that batch's COMMIT by a moment, and a
// crash in between leaves it to be applied again from the stored offsets.
// When the brokers become unreachable it logs so,
// drops the connection and reconnects with exponential backoff (100ms
// doubling to 5s, each attempt bounded by kafka.timeout_ms, one log line per
// attempt), then resumes at the stored offsets: nothing is skipped or applied
// twice. Only a projection error (bad DB file, disk full) ends the loop with
// an error.
Status RunProjector(const ProjectorOptions& options, const std::atomic<bool>& stop);

}  // namespace rollbook::services
