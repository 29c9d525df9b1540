// The Kafka log: appending change records and reading them back in order.
//
// Thin RAII wrappers over librdkafka's C API. The C API (rather than the C++
// one) is used because it exposes the delivery report's partition/offset and
// the admin and mock-cluster APIs directly, reports errors as codes (no
// exceptions, no virtual-callback classes), and is what the mock cluster
// (rdkafka_mock.h) speaks. Every handle is owned by a unique_ptr with its
// librdkafka destructor.
//
// Settings that matter (docs/architecture.md): the producer is idempotent with
// acks=all, one request in flight per broker (see kafka_log.cc: more can
// lose acknowledged records) and the murmur2_random partitioner (same
// partition as Java clients for the same key); the reader never commits offsets to Kafka — the
// projection stores them — and reads read_committed with a low fetch wait.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct rd_kafka_s;

namespace rollbook::events {

struct KafkaConfig {
  std::string brokers = "127.0.0.1:9092";
  std::string topic = "rollbook.events";
  int32_t partitions = 6;          // used when the topic is created
  int16_t replication_factor = 1;  // used when the topic is created
  int timeout_ms = 10000;          // bound for any single operation
  // KafkaReader: KiB of messages fetched ahead of Poll (librdkafka's
  // queued.max.messages.kbytes, default 64 MiB there), a fixed bound: memory
  // must not grow with the log. The bound must hold about a second of
  // reading: librdkafka 2.0 (Debian's) stops fetching when the queue is
  // full and only looks again when its broker thread next wakes up, up to a
  // second later. With 8 MiB a rebuild waited for the broker 30% of its time
  // (100k records: Poll 1.25 of 4.05 s; 1M: 6.4 of 37 s); with 32 MiB it
  // waits 0.05 / 0.3 s (docs/benchmarks.md, eighth session).
  int prefetch_kbytes = 32768;
};

// Where a record landed / was read: partition, offset, broker timestamp.
struct LogPosition {
  int32_t partition = -1;
  int64_t offset = -1;
  int64_t timestamp_ms = 0;
};

struct LogMessage {
  LogPosition position;
  std::string key;
  std::string value;
};

struct KafkaHandleDeleter {
  void operator()(rd_kafka_s* rk) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_s, KafkaHandleDeleter>;

// Creates the topic if it does not exist: config.partitions partitions,
// retention.ms=-1 (kept forever), message.timestamp.type=LogAppendTime; then
// waits until every partition's leader serves it.
Status EnsureTopic(const KafkaConfig& config);

class KafkaProducer {
 public:
  enum class Mode {
    kInteractive,  // linger.ms=0: one record, lowest latency
    kBulk,         // linger.ms=5, large batches: loaders and benchmarks
  };
  static StatusOr<std::unique_ptr<KafkaProducer>> Create(const KafkaConfig& config, Mode mode);
  ~KafkaProducer();

  // Appends one record and waits for its delivery report (acks=all), at most
  // config.timeout_ms. Fails with Unavailable when the record is certainly
  // not in the log (it never reached a broker, or the broker refused it) and
  // with DeadlineExceeded when it was sent but not confirmed in time (it may
  // or may not be in the log).
  StatusOr<LogPosition> Append(std::string_view key, std::string_view value);

  // The outcome of one AppendAsync record: its position once the brokers
  // acknowledged it (acks=all), or why it was not (same codes as Append()).
  using DeliveryCallback = std::function<void(const StatusOr<LogPosition>&)>;

  // Enqueues without waiting; Flush() waits for every outstanding report and
  // returns the first failure. `on_delivery`, when given, runs exactly once
  // for the record, on the calling thread, inside a later AppendAsync(),
  // Flush() or the destructor (which fails what is still outstanding after
  // its bounded flush). The producer is not thread-safe.
  Status AppendAsync(std::string_view key, std::string_view value, DeliveryCallback on_delivery = nullptr);
  Status Flush();

  struct DeliveryState;  // defined in kafka_log.cc; public for the C callback

 private:
  KafkaProducer(KafkaConfig config, std::unique_ptr<DeliveryState> state, KafkaHandle rk);
  KafkaConfig config_;
  std::unique_ptr<DeliveryState> state_;  // outlives rk_: delivery callbacks write here
  KafkaHandle rk_;
};

class KafkaReader {
 public:
  static StatusOr<std::unique_ptr<KafkaReader>> Create(const KafkaConfig& config);
  ~KafkaReader();

  // High watermark (next offset to be written) of every partition, or nullopt
  // when the topic does not exist.
  StatusOr<std::optional<std::vector<int64_t>>> EndOffsets();
  // Low (first offset still in the log) and high watermark of every partition;
  // low > 0 means records were deleted (delete-records API or retention).
  struct Watermark {
    int64_t low = 0;
    int64_t high = 0;
  };
  StatusOr<std::optional<std::vector<Watermark>>> Watermarks();

  // Starts reading each listed partition (and no other) at the given offset.
  // A reader already reading exactly these partitions, each at exactly that
  // offset (the next one Poll() would return), just goes on: re-assigning
  // discards the fetch in flight and waits for it, up to the 10 ms fetch
  // wait, which a CLI write catching up to its own record paid each time.
  Status Assign(const std::vector<std::pair<int32_t, int64_t>>& partition_offsets);

  // Up to `max` messages, waiting at most `timeout_ms` for the first.
  // Connection failures are retried inside librdkafka and do not fail Poll;
  // when all brokers are down it is noted for TakeBrokerError().
  StatusOr<std::vector<LogMessage>> Poll(size_t max, int timeout_ms);

  // The last "all brokers down" error Poll() saw since the previous call, or
  // "" — how a long-running reader learns that the brokers went away.
  std::string TakeBrokerError();

  struct ErrorState;  // defined in kafka_log.cc; public for the C callback

 private:
  KafkaReader(KafkaConfig config, std::unique_ptr<ErrorState> errors, KafkaHandle rk);
  KafkaConfig config_;
  std::unique_ptr<ErrorState> errors_;  // outlives rk_: its error callback writes here
  KafkaHandle rk_;
  // The assigned partitions and the next offset Poll() returns of each.
  std::map<int32_t, int64_t> positions_;
};

}  // namespace rollbook::events
