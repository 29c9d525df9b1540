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
// acks=all and the murmur2_random partitioner (same partition as Java clients
// for the same key); the reader never commits offsets to Kafka — the
// projection stores them — and reads read_committed with a low fetch wait.
#pragma once

#include <cstdint>
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
// retention.ms=-1 (kept forever), message.timestamp.type=LogAppendTime.
Status EnsureTopic(const KafkaConfig& config);

class KafkaProducer {
 public:
  enum class Mode {
    kInteractive,  // linger.ms=0: one record, lowest latency
    kBulk,         // linger.ms=5, large batches: loaders and benchmarks
  };
  static StatusOr<std::unique_ptr<KafkaProducer>> Create(const KafkaConfig& config, Mode mode);
  ~KafkaProducer();

  // Appends one record and waits for its delivery report (acks=all).
  StatusOr<LogPosition> Append(std::string_view key, std::string_view value);

  // Enqueues without waiting; Flush() waits for every outstanding report and
  // returns the first failure.
  Status AppendAsync(std::string_view key, std::string_view value);
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

  // Starts reading each listed partition at the given offset.
  Status Assign(const std::vector<std::pair<int32_t, int64_t>>& partition_offsets);

  // Up to `max` messages, waiting at most `timeout_ms` for the first.
  StatusOr<std::vector<LogMessage>> Poll(size_t max, int timeout_ms);

 private:
  KafkaReader(KafkaConfig config, KafkaHandle rk);
  KafkaConfig config_;
  KafkaHandle rk_;
};

}  // namespace rollbook::events
