#include "events/kafka_log.h"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>
#include <utility>

namespace rollbook::events {

void KafkaHandleDeleter::operator()(rd_kafka_s* rk) const { rd_kafka_destroy(rk); }

namespace {

using Clock = std::chrono::steady_clock;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

// librdkafka logs connection failures to stderr by default; the CLI reports
// errors itself, so its log lines are shown only with ROLLBOOK_KAFKA_DEBUG.
void LogCallback(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  if (std::getenv("ROLLBOOK_KAFKA_DEBUG") != nullptr)
    fmt::print(stderr, "rdkafka {} {}: {}\n", level, fac, buf);
}

Status Set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    return Internal(fmt::format("kafka setting {}={}: {}", key, value, errstr));
  }
  return Status::Ok();
}

StatusOr<Conf> BaseConf(const KafkaConfig& config) {
  Conf conf(rd_kafka_conf_new());
  RB_RETURN_IF_ERROR(Set(conf.get(), "bootstrap.servers", config.brokers));
  RB_RETURN_IF_ERROR(Set(conf.get(), "client.id", "rollbook"));
  // librdkafka refuses less than a second here; shorter --timeouts are still
  // kept by the calls' own deadlines (metadata, poll, delivery).
  RB_RETURN_IF_ERROR(Set(conf.get(), "socket.connection.setup.timeout.ms",
                         std::to_string(std::max(config.timeout_ms, 1000))));
  RB_RETURN_IF_ERROR(Set(conf.get(), "reconnect.backoff.max.ms", "1000"));
  // Topics are created only by EnsureTopic, with their settings; never by a
  // metadata request for a topic that does not exist yet.
  RB_RETURN_IF_ERROR(Set(conf.get(), "allow.auto.create.topics", "false"));
  rd_kafka_conf_set_log_cb(conf.get(), LogCallback);
  // ROLLBOOK_KAFKA_DEBUG=<contexts> (e.g. "eos,msg,broker") also turns on
  // librdkafka's debug logging of those contexts.
  if (const char* debug = std::getenv("ROLLBOOK_KAFKA_DEBUG");
      debug != nullptr && std::string(debug) != "1") {
    RB_RETURN_IF_ERROR(Set(conf.get(), "debug", debug));
  }
  return conf;
}

// rollbook speaks PLAINTEXT to its brokers (KafkaConfig has no security
// settings), but Debian's librdkafka is built with Cyrus SASL, whose global
// init, run by the process's first rd_kafka_new(), dlopens every plugin in
// the system's sasl2 directory (eight, and Berkeley DB with them): 1.5-2.5 ms
// of every CLI invocation, measured (docs/benchmarks.md, eleventh session).
// Cyrus looks for plugins in $SASL_PATH when set; pointing it at a directory
// that does not exist loads none. A SASL_PATH the user set is left alone.
// Set during static initialisation, while the process has one thread:
// setenv() races with getenv() on other threads (a CLI write creates its
// producer on a second thread).
[[maybe_unused]] const bool kSaslPluginsSkipped = [] {
  return setenv("SASL_PATH", "/nonexistent/rollbook-uses-no-sasl-plugins", /*overwrite=*/0) == 0;
}();

StatusOr<KafkaHandle> NewHandle(rd_kafka_type_t type, Conf conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof(errstr));
  if (rk == nullptr) return Internal(fmt::format("creating kafka client: {}", errstr));
  (void)conf.release();  // rd_kafka_new took ownership
  return KafkaHandle(rk);
}

Status Unreachable(const KafkaConfig& config, const std::string& what, const char* detail) {
  return Unavailable(fmt::format("{}: Kafka brokers {} did not answer within {}ms ({})", what, config.brokers,
                                 config.timeout_ms, detail));
}

struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
using Topic = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

// Partition count of `topic`, 0 when it does not exist. Asks for this one
// topic only: a cluster's full metadata grows with its topic count (~10 ms
// for 900 topics), and every CLI invocation asks. allow.auto.create.topics
// is off (BaseConf), so asking never creates the topic.
StatusOr<int32_t> PartitionCount(rd_kafka_t* rk, const KafkaConfig& config) {
  Topic topic(rd_kafka_topic_new(rk, config.topic.c_str(), nullptr));
  if (!topic)
    return Internal(
        fmt::format("topic handle for {}: {}", config.topic, rd_kafka_err2str(rd_kafka_last_error())));
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, /*all_topics=*/0, topic.get(), &md, config.timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Unreachable(config, "reading topic metadata", rd_kafka_err2str(err));
  int32_t count = 0;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (config.topic == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = md->topics[i].partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(md);
  return count;
}

// Leadership settles for a moment after a topic is created or a broker
// restarts: these offset-lookup errors are retried within the deadline.
bool TransientOffsetError(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION || err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
         err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
}

// The offset `which` (RD_KAFKA_OFFSET_BEGINNING or _END) of partitions
// [0, count), all in one ListOffsets request per leader rather than one
// round trip per partition.
StatusOr<std::vector<int64_t>> ListOffsets(rd_kafka_t* rk, const KafkaConfig& config, int32_t count,
                                           int64_t which) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(config.timeout_ms);
  for (;;) {
    PartitionList list(rd_kafka_topic_partition_list_new(count));
    for (int32_t p = 0; p < count; ++p) {
      rd_kafka_topic_partition_list_add(list.get(), config.topic.c_str(), p)->offset = which;
    }
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list.get(), config.timeout_ms);
    int32_t failed_partition = -1;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < list->cnt; ++i) {
        if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          err = list->elems[i].err;
          failed_partition = list->elems[i].partition;
          break;
        }
      }
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::vector<int64_t> offsets(static_cast<size_t>(count), 0);
      for (int i = 0; i < list->cnt; ++i)
        offsets[static_cast<size_t>(list->elems[i].partition)] = list->elems[i].offset;
      return offsets;
    }
    const std::string where = failed_partition >= 0 ? fmt::format("partition {}", failed_partition)
                                                    : fmt::format("{} partitions", count);
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT) {
      return Unreachable(config, fmt::format("reading end offset of {}", where), rd_kafka_err2str(err));
    }
    if (!TransientOffsetError(err) || Clock::now() > deadline) {
      return Unavailable(
          fmt::format("reading end offset of {} of {}: {}", where, config.topic, rd_kafka_err2str(err)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

// ---- topic -------------------------------------------------------------------------

Status EnsureTopic(const KafkaConfig& config) {
  RB_ASSIGN_OR_RETURN(Conf conf, BaseConf(config));
  RB_ASSIGN_OR_RETURN(KafkaHandle rk, NewHandle(RD_KAFKA_PRODUCER, std::move(conf)));
  RB_ASSIGN_OR_RETURN(int32_t existing, PartitionCount(rk.get(), config));
  if (existing > 0) return Status::Ok();

  char errstr[512];
  rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(config.topic.c_str(), config.partitions,
                                                     config.replication_factor, errstr, sizeof(errstr));
  if (topic == nullptr) return InvalidArgument(fmt::format("topic {}: {}", config.topic, errstr));
  rd_kafka_NewTopic_set_config(topic, "retention.ms", "-1");
  rd_kafka_NewTopic_set_config(topic, "retention.bytes", "-1");
  rd_kafka_NewTopic_set_config(topic, "message.timestamp.type", "LogAppendTime");
  Queue queue(rd_kafka_queue_new(rk.get()));
  rd_kafka_CreateTopics(rk.get(), &topic, 1, nullptr, queue.get());
  Event ev(rd_kafka_queue_poll(queue.get(), config.timeout_ms));
  rd_kafka_NewTopic_destroy(topic);
  if (!ev) return Unreachable(config, "creating topic " + config.topic, "no answer");
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Unavailable(
        fmt::format("creating topic {}: {}", config.topic, rd_kafka_event_error_string(ev.get())));
  }
  const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return Unavailable(
          fmt::format("creating topic {}: {}", config.topic, rd_kafka_topic_result_error_string(results[i])));
    }
  }
  // Wait until every partition of the new topic answers on its leader (the
  // metadata lists partitions a moment before the leader serves them), so
  // the first appends do not meet "not leader" errors.
  const auto deadline = Clock::now() + std::chrono::milliseconds(config.timeout_ms);
  int32_t count = 0;
  while (count == 0) {
    if (Clock::now() > deadline) return Unreachable(config, "waiting for topic " + config.topic, "metadata");
    RB_ASSIGN_OR_RETURN(count, PartitionCount(rk.get(), config));
  }
  for (int32_t p = 0; p < count; ++p) {
    for (;;) {
      int64_t low = 0, high = 0;
      const rd_kafka_resp_err_t err =
          rd_kafka_query_watermark_offsets(rk.get(), config.topic.c_str(), p, &low, &high, config.timeout_ms);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (Clock::now() > deadline) {
        return Unreachable(config, fmt::format("waiting for partition {} of new topic {}", p, config.topic),
                           rd_kafka_err2str(err));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return Status::Ok();
}

// ---- producer -----------------------------------------------------------------------

struct KafkaProducer::DeliveryState {
  // First failure of an AppendAsync record; reported by Flush().
  rd_kafka_resp_err_t first_async_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  KafkaConfig config;  // for error messages
};

namespace {
// Per-record slot (msg_opaque): on the stack of Append(), or on the heap for
// an AppendAsync record with a callback (freed once the callback has run).
struct DeliverySlot {
  bool done = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_msg_status_t persisted = RD_KAFKA_MSG_STATUS_NOT_PERSISTED;
  LogPosition position;
  KafkaProducer::DeliveryCallback callback;  // set for AppendAsync records
};

// The outcome of a failed delivery, worded by whether the record may be in
// the log (librdkafka knows whether it was ever sent).
Status DeliveryFailure(const KafkaConfig& config, rd_kafka_resp_err_t err, rd_kafka_msg_status_t persisted) {
  if (persisted == RD_KAFKA_MSG_STATUS_NOT_PERSISTED) {
    if (err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT) {
      return Unreachable(config, "appending to " + config.topic + " failed, nothing was written",
                         rd_kafka_err2str(err));
    }
    return Unavailable(
        fmt::format("appending to {} failed, nothing was written: {}", config.topic, rd_kafka_err2str(err)));
  }
  return DeadlineExceeded(fmt::format(
      "appending to {}: the record was sent but Kafka brokers {} did not confirm it within {}ms ({}); it may "
      "or may not be in the log",
      config.topic, config.brokers, config.timeout_ms, rd_kafka_err2str(err)));
}

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* state = static_cast<KafkaProducer::DeliveryState*>(opaque);
  auto* slot = static_cast<DeliverySlot*>(m->_private);
  const bool async = slot == nullptr || slot->callback;
  if (async && m->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
      state->first_async_error == RD_KAFKA_RESP_ERR_NO_ERROR) {
    state->first_async_error = m->err;
  }
  if (slot == nullptr) return;
  slot->done = true;
  slot->err = m->err;
  slot->persisted = rd_kafka_message_status(m);
  slot->position.partition = m->partition;
  slot->position.offset = m->offset;
  rd_kafka_timestamp_type_t type;
  slot->position.timestamp_ms = rd_kafka_message_timestamp(m, &type);
  if (!slot->callback) return;  // Append() reads the slot itself
  std::unique_ptr<DeliverySlot> owned(slot);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    owned->callback(owned->position);
  } else {
    owned->callback(DeliveryFailure(state->config, m->err, owned->persisted));
  }
}
}  // namespace

KafkaProducer::KafkaProducer(KafkaConfig config, std::unique_ptr<DeliveryState> state, KafkaHandle rk)
    : config_(std::move(config)), state_(std::move(state)), rk_(std::move(rk)) {}

KafkaProducer::~KafkaProducer() {
  if (!rk_) return;
  // Give outstanding records a bounded chance, then fail the rest so every
  // delivery callback runs exactly once (and its slot is freed).
  rd_kafka_flush(rk_.get(), config_.timeout_ms);
  if (rd_kafka_outq_len(rk_.get()) > 0) {
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk_.get(), 1000);  // serves the purged records' reports
  }
}

StatusOr<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(const KafkaConfig& config, Mode mode) {
  RB_ASSIGN_OR_RETURN(Conf conf, BaseConf(config));
  RB_RETURN_IF_ERROR(Set(conf.get(), "enable.idempotence", "true"));
  RB_RETURN_IF_ERROR(Set(conf.get(), "acks", "all"));
  RB_RETURN_IF_ERROR(Set(conf.get(), "partitioner", "murmur2_random"));
  // One request in flight per broker. With several, librdkafka (2.0.2) treats
  // the success of a later batch as implicitly acknowledging an earlier one
  // still waiting for its retry, but a broker that has no state yet for this
  // producer on that partition (its first write there, e.g. to a topic just
  // created or a partition that just moved) accepts the later batch despite
  // the gap: the earlier records are reported delivered and are not in the
  // log (confluentinc/confluent-kafka-go#921; caught by
  // tests/faults/broker_faults_test.cc).
  RB_RETURN_IF_ERROR(Set(conf.get(), "max.in.flight.requests.per.connection", "1"));
  RB_RETURN_IF_ERROR(Set(conf.get(), "message.timeout.ms", std::to_string(config.timeout_ms)));
  RB_RETURN_IF_ERROR(Set(conf.get(), "linger.ms", mode == Mode::kInteractive ? "0" : "5"));
  if (mode == Mode::kBulk) {
    RB_RETURN_IF_ERROR(Set(conf.get(), "batch.num.messages", "10000"));
    RB_RETURN_IF_ERROR(Set(conf.get(), "queue.buffering.max.messages", "1000000"));
    RB_RETURN_IF_ERROR(Set(conf.get(), "compression.codec", "lz4"));
  }
  auto state = std::make_unique<DeliveryState>();
  state->config = config;
  rd_kafka_conf_set_opaque(conf.get(), state.get());
  rd_kafka_conf_set_dr_msg_cb(conf.get(), OnDelivery);
  RB_ASSIGN_OR_RETURN(KafkaHandle rk, NewHandle(RD_KAFKA_PRODUCER, std::move(conf)));
  // Learn the topic's partitions before the first record. Otherwise a record
  // produced while the handle is still connecting can miss the metadata
  // request librdkafka makes on connect and wait for its once-a-second topic
  // scan (seen as ~1 s CLI writes). Best effort and briefly bounded: with the
  // brokers down, Append() reports the failure.
  {
    Topic topic(rd_kafka_topic_new(rk.get(), config.topic.c_str(), nullptr));
    const rd_kafka_metadata_t* md = nullptr;
    if (topic && rd_kafka_metadata(rk.get(), /*all_topics=*/0, topic.get(), &md,
                                   std::min(config.timeout_ms, 1000)) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(md);
    }
  }
  return std::unique_ptr<KafkaProducer>(new KafkaProducer(config, std::move(state), std::move(rk)));
}

namespace {
rd_kafka_resp_err_t Produce(rd_kafka_t* rk, const std::string& topic, std::string_view key,
                            std::string_view value, void* opaque) {
  return rd_kafka_producev(
      rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
}
}  // namespace

StatusOr<LogPosition> KafkaProducer::Append(std::string_view key, std::string_view value) {
  DeliverySlot slot;
  rd_kafka_resp_err_t err = Produce(rk_.get(), config_.topic, key, value, &slot);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Unavailable(
        fmt::format("appending to {} failed, nothing was written: {}", config_.topic, rd_kafka_err2str(err)));
  }
  // message.timeout.ms bounds the delivery report; the loop only waits for it.
  while (!slot.done) rd_kafka_poll(rk_.get(), 50);
  if (slot.err != RD_KAFKA_RESP_ERR_NO_ERROR) return DeliveryFailure(config_, slot.err, slot.persisted);
  return slot.position;
}

Status KafkaProducer::AppendAsync(std::string_view key, std::string_view value,
                                  DeliveryCallback on_delivery) {
  std::unique_ptr<DeliverySlot> slot;
  if (on_delivery) {
    slot = std::make_unique<DeliverySlot>();
    slot->callback = std::move(on_delivery);
  }
  for (;;) {
    rd_kafka_resp_err_t err = Produce(rk_.get(), config_.topic, key, value, slot.get());
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      (void)slot.release();         // OnDelivery owns it now
      rd_kafka_poll(rk_.get(), 0);  // serve the reports that are ready
      return Status::Ok();
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return Unavailable(fmt::format("appending to {} failed, nothing was written: {}", config_.topic,
                                     rd_kafka_err2str(err)));
    }
    rd_kafka_poll(rk_.get(), 10);  // local queue full: serve delivery reports
  }
}

Status KafkaProducer::Flush() {
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), config_.timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return Unreachable(config_, "flushing appends", rd_kafka_err2str(err));
  if (state_->first_async_error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Unavailable(fmt::format("an append to {} failed: {}", config_.topic,
                                   rd_kafka_err2str(state_->first_async_error)));
  }
  return Status::Ok();
}

// ---- reader -------------------------------------------------------------------------

struct KafkaReader::ErrorState {
  std::string brokers;
  std::string all_brokers_down;  // the last such error since TakeBrokerError()
};

namespace {
// librdkafka reports "all brokers down" only to an error callback (without
// one it just logs it); it is served while Poll() consumes.
void OnReaderError(rd_kafka_t*, int err, const char* reason, void* opaque) {
  if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) return;  // single disconnects are retried quietly
  auto* state = static_cast<KafkaReader::ErrorState*>(opaque);
  state->all_brokers_down = fmt::format("Kafka brokers {} are unreachable ({})", state->brokers, reason);
}
}  // namespace

KafkaReader::KafkaReader(KafkaConfig config, std::unique_ptr<ErrorState> errors, KafkaHandle rk)
    : config_(std::move(config)), errors_(std::move(errors)), rk_(std::move(rk)) {}

KafkaReader::~KafkaReader() {
  // The reader only assigns partitions: no group membership to leave and no
  // offsets to commit (they live in the projection), so the consumer close
  // a subscriber needs is skipped (it waited on the group coordinator's
  // connection: ~0.5 ms of every CLI invocation).
  if (rk_) rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

StatusOr<std::unique_ptr<KafkaReader>> KafkaReader::Create(const KafkaConfig& config) {
  RB_ASSIGN_OR_RETURN(Conf conf, BaseConf(config));
  // The group id is only a label: offsets live in the projection, never in Kafka.
  RB_RETURN_IF_ERROR(Set(conf.get(), "group.id", "rollbook-projection"));
  RB_RETURN_IF_ERROR(Set(conf.get(), "enable.auto.commit", "false"));
  RB_RETURN_IF_ERROR(Set(conf.get(), "enable.auto.offset.store", "false"));
  RB_RETURN_IF_ERROR(Set(conf.get(), "isolation.level", "read_committed"));
  RB_RETURN_IF_ERROR(Set(conf.get(), "fetch.wait.max.ms", "10"));
  RB_RETURN_IF_ERROR(Set(conf.get(), "fetch.error.backoff.ms", "50"));
  RB_RETURN_IF_ERROR(Set(conf.get(), "auto.offset.reset", "earliest"));
  RB_RETURN_IF_ERROR(Set(conf.get(), "queued.max.messages.kbytes", std::to_string(config.prefetch_kbytes)));
  auto errors = std::make_unique<ErrorState>();
  errors->brokers = config.brokers;
  rd_kafka_conf_set_opaque(conf.get(), errors.get());
  rd_kafka_conf_set_error_cb(conf.get(), OnReaderError);
  RB_ASSIGN_OR_RETURN(KafkaHandle rk, NewHandle(RD_KAFKA_CONSUMER, std::move(conf)));
  rd_kafka_poll_set_consumer(rk.get());
  return std::unique_ptr<KafkaReader>(new KafkaReader(config, std::move(errors), std::move(rk)));
}

StatusOr<std::optional<std::vector<int64_t>>> KafkaReader::EndOffsets() {
  RB_ASSIGN_OR_RETURN(int32_t count, PartitionCount(rk_.get(), config_));
  if (count == 0) return std::optional<std::vector<int64_t>>();
  RB_ASSIGN_OR_RETURN(std::vector<int64_t> ends, ListOffsets(rk_.get(), config_, count, RD_KAFKA_OFFSET_END));
  return std::optional<std::vector<int64_t>>(std::move(ends));
}

StatusOr<std::optional<std::vector<KafkaReader::Watermark>>> KafkaReader::Watermarks() {
  RB_ASSIGN_OR_RETURN(int32_t count, PartitionCount(rk_.get(), config_));
  if (count == 0) return std::optional<std::vector<Watermark>>();
  RB_ASSIGN_OR_RETURN(std::vector<int64_t> lows,
                      ListOffsets(rk_.get(), config_, count, RD_KAFKA_OFFSET_BEGINNING));
  RB_ASSIGN_OR_RETURN(std::vector<int64_t> highs,
                      ListOffsets(rk_.get(), config_, count, RD_KAFKA_OFFSET_END));
  std::vector<Watermark> marks(static_cast<size_t>(count));
  for (size_t p = 0; p < marks.size(); ++p) marks[p] = Watermark{lows[p], highs[p]};
  return std::optional<std::vector<Watermark>>(std::move(marks));
}

Status KafkaReader::Assign(const std::vector<std::pair<int32_t, int64_t>>& partition_offsets) {
  const std::map<int32_t, int64_t> wanted(partition_offsets.begin(), partition_offsets.end());
  if (wanted.size() == partition_offsets.size() && wanted == positions_) return Status::Ok();
  positions_.clear();
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partition_offsets.size())));
  for (const auto& [partition, offset] : partition_offsets) {
    rd_kafka_topic_partition_list_add(list.get(), config_.topic.c_str(), partition)->offset = offset;
  }
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return Internal(fmt::format("assign: {}", rd_kafka_err2str(err)));
  positions_ = wanted;
  return Status::Ok();
}

StatusOr<std::vector<LogMessage>> KafkaReader::Poll(size_t max, int timeout_ms) {
  std::vector<LogMessage> out;
  std::vector<rd_kafka_message_t*> raw(max);
  Queue queue(rd_kafka_queue_get_consumer(rk_.get()));
  ssize_t n = rd_kafka_consume_batch_queue(queue.get(), timeout_ms, raw.data(), max);
  if (n < 0) return Internal(fmt::format("consume: {}", rd_kafka_err2str(rd_kafka_last_error())));
  out.reserve(static_cast<size_t>(n));
  Status failure;
  for (ssize_t i = 0; i < n; ++i) {
    Message m(raw[static_cast<size_t>(i)]);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Transport errors are retried by librdkafka; anything else is reported.
      if (m->err == RD_KAFKA_RESP_ERR__TRANSPORT || m->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) continue;
      if (failure.ok())
        failure = Unavailable(fmt::format("reading {}: {}", config_.topic, rd_kafka_message_errstr(m.get())));
      continue;
    }
    LogMessage msg;
    msg.position.partition = m->partition;
    msg.position.offset = m->offset;
    if (auto it = positions_.find(m->partition); it != positions_.end()) it->second = m->offset + 1;
    rd_kafka_timestamp_type_t type;
    msg.position.timestamp_ms = rd_kafka_message_timestamp(m.get(), &type);
    if (m->key != nullptr) msg.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload != nullptr) msg.value.assign(static_cast<const char*>(m->payload), m->len);
    out.push_back(std::move(msg));
  }
  if (!failure.ok() && out.empty()) return failure;
  return out;
}

std::string KafkaReader::TakeBrokerError() { return std::exchange(errors_->all_brokers_down, std::string()); }

}  // namespace rollbook::events
