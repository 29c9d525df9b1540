#include "tests/support/kafka_tools.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace rollbook::testing {

namespace {

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};

StatusOr<Handle> NewProducer(const std::string& brokers, bool idempotent) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const char* k, const char* v) {
    return rd_kafka_conf_set(conf, k, v, err, sizeof err) == RD_KAFKA_CONF_OK;
  };
  if (!set("bootstrap.servers", brokers.c_str()) || !set("acks", "all") ||
      !set("partitioner", "murmur2_random") || !set("enable.idempotence", idempotent ? "true" : "false") ||
      !set("log_level", "0")) {
    rd_kafka_conf_destroy(conf);
    return Internal(err);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) return Internal(err);
  return Handle(rk);
}

// Runs one admin request and returns the result event's error, if any.
Status AdminCall(const std::string& brokers, const std::function<void(rd_kafka_t*, rd_kafka_queue_t*)>& call,
                 const std::string& what) {
  RB_ASSIGN_OR_RETURN(Handle rk, NewProducer(brokers, false));
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> q(rd_kafka_queue_new(rk.get()));
  call(rk.get(), q.get());
  std::unique_ptr<rd_kafka_event_t, EventDeleter> ev(rd_kafka_queue_poll(q.get(), 30000));
  if (!ev) return Unavailable(what + ": no answer");
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Unavailable(fmt::format("{}: {}", what, rd_kafka_event_error_string(ev.get())));
  }
  return Status::Ok();
}

}  // namespace

Status ProduceRaw(const std::string& brokers, const std::string& topic,
                  const std::vector<RawMessage>& messages) {
  RB_ASSIGN_OR_RETURN(Handle rk, NewProducer(brokers, true));
  for (const RawMessage& m : messages) {
    rd_kafka_resp_err_t err;
    for (;;) {
      err = rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(m.partition),
                              RD_KAFKA_V_KEY(m.key.data(), m.key.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(m.timestamp_ms),
                              RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) break;
      rd_kafka_poll(rk.get(), 10);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return Internal(fmt::format("produce: {}", rd_kafka_err2str(err)));
  }
  if (rd_kafka_flush(rk.get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) return Unavailable("flush timed out");
  return Status::Ok();
}

StatusOr<std::vector<events::LogMessage>> ReadAll(const std::string& brokers, const std::string& topic) {
  events::KafkaConfig config;
  config.brokers = brokers;
  config.topic = topic;
  RB_ASSIGN_OR_RETURN(std::unique_ptr<events::KafkaReader> reader, events::KafkaReader::Create(config));
  RB_ASSIGN_OR_RETURN(auto marks, reader->Watermarks());
  std::vector<events::LogMessage> out;
  if (!marks) return out;
  std::vector<std::pair<int32_t, int64_t>> assignment;
  size_t due = 0;
  for (size_t p = 0; p < marks->size(); ++p) {
    if ((*marks)[p].high > (*marks)[p].low) {
      assignment.emplace_back(static_cast<int32_t>(p), (*marks)[p].low);
      due += static_cast<size_t>((*marks)[p].high - (*marks)[p].low);
    }
  }
  if (assignment.empty()) return out;
  RB_RETURN_IF_ERROR(reader->Assign(assignment));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (out.size() < due && std::chrono::steady_clock::now() < deadline) {
    RB_ASSIGN_OR_RETURN(std::vector<events::LogMessage> batch, reader->Poll(10000, 100));
    for (auto& m : batch) {
      if (m.position.offset < (*marks)[static_cast<size_t>(m.position.partition)].high)
        out.push_back(std::move(m));
    }
  }
  if (out.size() < due) return DeadlineExceeded(fmt::format("read {} of {} messages", out.size(), due));
  std::stable_sort(out.begin(), out.end(), [](const events::LogMessage& a, const events::LogMessage& b) {
    return a.position.partition != b.position.partition ? a.position.partition < b.position.partition
                                                        : a.position.offset < b.position.offset;
  });
  return out;
}

Status DeleteTopic(const std::string& brokers, const std::string& topic) {
  RB_RETURN_IF_ERROR(AdminCall(
      brokers,
      [&](rd_kafka_t* rk, rd_kafka_queue_t* q) {
        rd_kafka_DeleteTopic_t* t = rd_kafka_DeleteTopic_new(topic.c_str());
        rd_kafka_DeleteTopics(rk, &t, 1, nullptr, q);
        rd_kafka_DeleteTopic_destroy(t);
      },
      "delete topic " + topic));
  // Deletion completes asynchronously on the broker; wait until it is gone.
  events::KafkaConfig config;
  config.brokers = brokers;
  config.topic = topic;
  for (int i = 0; i < 100; ++i) {
    RB_ASSIGN_OR_RETURN(std::unique_ptr<events::KafkaReader> reader, events::KafkaReader::Create(config));
    StatusOr<std::optional<std::vector<int64_t>>> ends = reader->EndOffsets();
    if (ends.ok() && !ends->has_value()) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return DeadlineExceeded("topic " + topic + " still exists after deletion");
}

Status CreateTopicWithCreateTime(const std::string& brokers, const std::string& topic, int partitions) {
  for (int attempt = 0;; ++attempt) {
    Status s = AdminCall(
        brokers,
        [&](rd_kafka_t* rk, rd_kafka_queue_t* q) {
          char err[256];
          rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
          rd_kafka_NewTopic_set_config(t, "message.timestamp.type", "CreateTime");
          rd_kafka_NewTopic_set_config(t, "retention.ms", "-1");
          rd_kafka_CreateTopics(rk, &t, 1, nullptr, q);
          rd_kafka_NewTopic_destroy(t);
        },
        "create topic " + topic);
    if (!s.ok()) return s;
    // The result event carries per-topic errors (e.g. still being deleted).
    events::KafkaConfig config;
    config.brokers = brokers;
    config.topic = topic;
    RB_ASSIGN_OR_RETURN(std::unique_ptr<events::KafkaReader> reader, events::KafkaReader::Create(config));
    StatusOr<std::optional<std::vector<int64_t>>> ends = reader->EndOffsets();
    if (ends.ok() && ends->has_value()) return Status::Ok();
    if (attempt > 50) return DeadlineExceeded("topic " + topic + " did not appear");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Status DeleteRecordsBefore(const std::string& brokers, const std::string& topic, int32_t partition,
                           int64_t before_offset) {
  return AdminCall(
      brokers,
      [&](rd_kafka_t* rk, rd_kafka_queue_t* q) {
        rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(offsets, topic.c_str(), partition)->offset = before_offset;
        rd_kafka_DeleteRecords_t* d = rd_kafka_DeleteRecords_new(offsets);
        rd_kafka_DeleteRecords(rk, &d, 1, nullptr, q);
        rd_kafka_DeleteRecords_destroy(d);
        rd_kafka_topic_partition_list_destroy(offsets);
      },
      fmt::format("delete records of {} partition {} below offset {}", topic, partition, before_offset));
}

}  // namespace rollbook::testing
