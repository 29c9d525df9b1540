// Session: what one rollbook invocation shares across verbs — the global
// flags, the projection, and the two paths every verb takes:
//
//   * read:  ForRead() opens the projection and catches up with the log first
//            (a no-op when the projector daemon runs). With the brokers down it
//            warns on stderr that the answer may be stale and reads anyway.
//   * write: Write() fills the record envelope (id, actor, host, time, command
//            line), appends it, waits until the projection has applied that
//            very record (read-your-writes, bounded by --timeout) and returns
//            the outcome the fold recorded for it. A record over
//            events::kMaxRecordBytes is refused before anything is produced;
//            when the brokers do not answer (here or in this invocation's
//            catch-up) it fails with an error naming them and "was not
//            written" — Kafka's delivery report says nothing reached the log.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "events/kafka_log.h"
#include "rollbook/v1/change_record.pb.h"
#include "services/projector.h"
#include "store/projection/projection.h"

namespace rollbook::cli {

struct GlobalOptions {
  std::string brokers;
  std::string db;
  std::string topic;
  std::string ns = "default";
  bool ns_given = false;
  std::string as;
  std::string timeout = "10s";
  std::vector<std::string> argv;  // as typed, for --record and the audit trail
};

class Session {
 public:
  explicit Session(GlobalOptions options) : options_(std::move(options)) {}
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const GlobalOptions& options() const { return options_; }
  StatusOr<events::KafkaConfig> KafkaConfig() const;

  StatusOr<store::Projection*> ForRead();
  // Loads the current state of one Deployment after catching up (nullopt when
  // it does not exist or was deleted).
  StatusOr<std::optional<state::v1::Aggregate>> Load(const std::string& ns, const std::string& name);

  // Starts creating the producer on another thread, so that its connection
  // and idempotent-producer id are ready by the time Write() appends instead
  // of after the catch-up before it (a write verb calls this first). Errors
  // surface in Write().
  void PrepareWrite();
  StatusOr<store::ChangeRow> Write(v1::ChangeRecord record);
  // The next read catches up with the log again (a retry wants the newest state).
  void MarkStale() { caught_up_ = false; }

  // The projection as it is on disk, without catching up (creates the file
  // when it does not exist). For commands that inspect the projection itself.
  StatusOr<store::Projection*> OpenProjection();

  // Wall clock in ms; ROLLBOOK_NOW (RFC 3339 or Unix ms) pins it for golden tests.
  static int64_t NowMs();
  std::string Actor() const;

 private:
  // Catches up through the invocation's one reader (created on first use).
  StatusOr<services::CatchUpResult> CatchUpWithLog(const events::KafkaConfig& config);
  StatusOr<events::KafkaReader*> Reader(const events::KafkaConfig& config);
  // The producer PrepareWrite() started, or a new one.
  StatusOr<std::unique_ptr<events::KafkaProducer>> TakeProducer(const events::KafkaConfig& config);

  GlobalOptions options_;
  std::unique_ptr<store::Projection> projection_;
  std::unique_ptr<events::KafkaReader> reader_;
  bool caught_up_ = false;
  bool topic_exists_ = false;   // a catch-up of this invocation saw the topic
  Status brokers_unreachable_;  // set when catching up found the brokers down
  std::future<StatusOr<std::unique_ptr<events::KafkaProducer>>> producer_starting_;
  // Destroys a used producer (librdkafka joins its threads: ~1 ms) while
  // the write waits for its record to be applied; joined by ~Session().
  std::thread producer_closing_;
};

// Parses a kubectl-style duration ("10s", "500ms", "2m", "1h", "0" = no wait).
StatusOr<int64_t> ParseDurationMs(const std::string& text);

}  // namespace rollbook::cli
