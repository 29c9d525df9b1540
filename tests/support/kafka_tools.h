// Test-only Kafka tools that do what rollbook itself never does: write
// arbitrary bytes at a chosen partition and timestamp, delete and recreate a
// topic, delete records with the admin API. The tamper and fault tests use
// them to play the attacker or the foreign producer against the real broker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "events/kafka_log.h"

namespace rollbook::testing {

struct RawMessage {
  int32_t partition = -1;  // -1: partition by key (murmur2_random, as rollbook)
  std::string key, value;
  int64_t timestamp_ms = 0;  // 0: let the producer stamp it
};

// Produces in order, synchronously (every message acknowledged, acks=all).
Status ProduceRaw(const std::string& brokers, const std::string& topic,
                  const std::vector<RawMessage>& messages);

// Every message from the low to the high watermark of every partition, in
// partition then offset order.
StatusOr<std::vector<events::LogMessage>> ReadAll(const std::string& brokers, const std::string& topic);

Status DeleteTopic(const std::string& brokers, const std::string& topic);
// CreateTime timestamps, so ProduceRaw can restore the original ones.
Status CreateTopicWithCreateTime(const std::string& brokers, const std::string& topic, int partitions);
// Kafka's delete-records API: drops partition's records below `before_offset`.
Status DeleteRecordsBefore(const std::string& brokers, const std::string& topic, int32_t partition,
                           int64_t before_offset);

}  // namespace rollbook::testing
