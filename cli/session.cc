#include "cli/session.h"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iomanip>
#include <random>
#include <sstream>

#include "base/failpoint.h"
#include "events/chain.h"
#include "events/codec.h"
#include "services/projector.h"

namespace rollbook::cli {

namespace {

std::string NewRecordId() {
  std::random_device rd;
  std::uniform_int_distribution<uint32_t> dist;
  uint8_t b[16];
  for (int i = 0; i < 16; i += 4) {
    const uint32_t r = dist(rd);
    for (int j = 0; j < 4; ++j) b[i + j] = static_cast<uint8_t>(r >> (8 * j));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

StatusOr<int64_t> ParseDurationMs(const std::string& text) {
  if (text == "0") return int64_t{0};
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i == text.size()) {
    return InvalidArgument(
        fmt::format("invalid duration \"{}\": use a whole number with a unit, e.g. 10s, 500ms, 2m", text));
  }
  const std::string unit = text.substr(i);
  int64_t unit_ms = 0;
  if (unit == "ms") unit_ms = 1;
  if (unit == "s") unit_ms = 1000;
  if (unit == "m") unit_ms = 60'000;
  if (unit == "h") unit_ms = 3'600'000;
  if (unit_ms == 0) {
    return InvalidArgument(fmt::format("invalid duration \"{}\": unit must be ms, s, m or h", text));
  }
  constexpr int64_t kMaxMs = int64_t{8760} * 3'600'000;  // a year: far beyond any useful wait
  // Twelve digits cannot overflow int64 even in hours; more are out of range anyway.
  const int64_t n = i <= 12 ? std::stoll(text.substr(0, i)) : kMaxMs + 1;
  if (n > kMaxMs / unit_ms) {
    return InvalidArgument(fmt::format("invalid duration \"{}\": at most 8760h", text));
  }
  return n * unit_ms;
}

int64_t Session::NowMs() {
  if (const char* fake = std::getenv("ROLLBOOK_NOW"); fake != nullptr && *fake != '\0') {
    std::string s = fake;
    if (s.find('-') == std::string::npos) return std::stoll(s);
    std::tm tm{};
    std::istringstream in(s);
    in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    return static_cast<int64_t>(timegm(&tm)) * 1000;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Session::Actor() const {
  if (!options_.as.empty()) return options_.as;
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) return pw->pw_name;
  const char* user = std::getenv("USER");
  return user != nullptr ? user : "unknown";
}

StatusOr<events::KafkaConfig> Session::KafkaConfig() const {
  events::KafkaConfig c;
  c.brokers = options_.brokers;
  c.topic = options_.topic;
  RB_ASSIGN_OR_RETURN(int64_t ms, ParseDurationMs(options_.timeout));
  if (ms <= 0) return InvalidArgument("--timeout must be greater than 0");
  c.timeout_ms = static_cast<int>(std::min<int64_t>(ms, 3'600'000));
  return c;
}

StatusOr<store::Projection*> Session::OpenProjection() {
  if (!projection_) {
    RB_ASSIGN_OR_RETURN(projection_, store::Projection::Open({options_.db, options_.topic, true}));
  }
  return projection_.get();
}

Session::~Session() {
  if (producer_closing_.joinable()) producer_closing_.join();
}

StatusOr<events::KafkaReader*> Session::Reader(const events::KafkaConfig& config) {
  if (!reader_) {
    RB_ASSIGN_OR_RETURN(reader_, events::KafkaReader::Create(config));
  }
  return reader_.get();
}

StatusOr<services::CatchUpResult> Session::CatchUpWithLog(const events::KafkaConfig& config) {
  RB_ASSIGN_OR_RETURN(store::Projection * p, OpenProjection());
  RB_ASSIGN_OR_RETURN(events::KafkaReader * reader, Reader(config));
  return services::CatchUp(*p, *reader, config);
}

void Session::PrepareWrite() {
  if (producer_starting_.valid()) return;
  StatusOr<events::KafkaConfig> config = KafkaConfig();
  if (!config.ok()) return;  // Write() reports it
  producer_starting_ = std::async(std::launch::async, [c = *config] {
    auto producer = events::KafkaProducer::Create(c, events::KafkaProducer::Mode::kInteractive);
    events::LoadRecordHash();  // for applying the record, after the append
    return producer;
  });
}

StatusOr<std::unique_ptr<events::KafkaProducer>> Session::TakeProducer(const events::KafkaConfig& config) {
  if (producer_starting_.valid()) return producer_starting_.get();
  return events::KafkaProducer::Create(config, events::KafkaProducer::Mode::kInteractive);
}

StatusOr<store::Projection*> Session::ForRead() {
  RB_ASSIGN_OR_RETURN(store::Projection * p, OpenProjection());
  if (caught_up_) return p;
  RB_ASSIGN_OR_RETURN(events::KafkaConfig config, KafkaConfig());
  StatusOr<services::CatchUpResult> r = CatchUpWithLog(config);
  if (r.ok()) topic_exists_ = r->topic_exists;
  if (!r.ok()) {
    if (r.status().code() != StatusCode::kUnavailable && r.status().code() != StatusCode::kDeadlineExceeded) {
      return r.status();
    }
    if (r.status().code() == StatusCode::kUnavailable) brokers_unreachable_ = r.status();
    fmt::print(stderr, "Warning: {}; showing the projection as last updated, it may be stale\n",
               r.status().message());
  }
  caught_up_ = true;
  return p;
}

StatusOr<std::optional<state::v1::Aggregate>> Session::Load(const std::string& ns, const std::string& name) {
  RB_ASSIGN_OR_RETURN(store::Projection * p, ForRead());
  RB_ASSIGN_OR_RETURN(std::optional<state::v1::Aggregate> agg, p->GetAggregate(ns, name));
  return agg;
}

StatusOr<store::ChangeRow> Session::Write(v1::ChangeRecord record) {
  RB_ASSIGN_OR_RETURN(events::KafkaConfig config, KafkaConfig());
  RB_ASSIGN_OR_RETURN(store::Projection * p, OpenProjection());
  record.set_schema_version(events::kSchemaVersion);
  record.set_id(NewRecordId());
  record.set_actor(Actor());
  record.set_host(HostName());
  record.set_client_time_unix_ms(NowMs());
  std::string command;
  for (const auto& a : options_.argv) command += (command.empty() ? "" : " ") + a;
  record.set_command_line(command);
  // Chain the record to the head the writer validated against (events/chain.h).
  // A stale head only happens together with a stale expected_version, which
  // the fold rejects as a conflict anyway.
  RB_ASSIGN_OR_RETURN(std::optional<state::v1::Aggregate> head,
                      p->GetAggregate(record.namespace_(), record.name()));
  record.set_prev_record_hash(head ? head->last_record_hash() : std::string());

  // Checked before anything is produced: a record over the limit would be
  // quarantined by every reader (events/codec.h), i.e. written but never applied.
  const std::string value = events::EncodeRecord(record);
  const std::string what =
      fmt::format("{} of deployment.apps/{}", events::KindName(record.kind()), record.name());
  if (value.size() > events::kMaxRecordBytes) {
    return InvalidArgument(fmt::format(
        "the {} is a change record of {} bytes, over the limit of {} bytes per record; nothing was written "
        "(keep large data out of the Deployment, e.g. in a ConfigMap)",
        what, value.size(), events::kMaxRecordBytes));
  }
  const auto not_written = [&](const Status& cause) {
    return Status(cause.code(), fmt::format("{} was not written (nothing was appended to topic {}): {}", what,
                                            config.topic, cause.message()));
  };
  // This invocation already waited --timeout for the brokers while catching
  // up; waiting again would only double the time to the same answer.
  if (!brokers_unreachable_.ok()) return not_written(brokers_unreachable_);
  // A catch-up of this invocation that found the topic saves asking again.
  // A client that looked for the topic before it existed waits ~1 s for its
  // leader (librdkafka's next metadata refresh): the first write to a topic
  // uses a new producer and catches up in full, which asks for the metadata.
  const bool new_topic = !topic_exists_;
  if (new_topic) {
    if (Status s = events::EnsureTopic(config); !s.ok()) return not_written(s);
    if (producer_starting_.valid()) (void)producer_starting_.get();
  }
  StatusOr<std::unique_ptr<events::KafkaProducer>> producer = TakeProducer(config);
  if (!producer.ok()) return not_written(producer.status());
  StatusOr<events::LogPosition> appended =
      (*producer)->Append(events::RecordKey(record.namespace_(), record.name()), value);
  // Nothing is outstanding any more (Append waited for the report or gave
  // up); its destroy runs beside the wait below. A retry makes a new one.
  if (producer_closing_.joinable()) producer_closing_.join();
  producer_closing_ = std::thread([done = std::move(*producer)]() mutable { done.reset(); });
  if (!appended.ok()) {
    if (appended.status().code() != StatusCode::kDeadlineExceeded) return not_written(appended.status());
    return DeadlineExceeded(fmt::format(
        "the {} (record id {}) may or may not have been written: {}; once the brokers answer, `rollbook "
        "rollout history deployment/{}` shows whether it was applied",
        what, record.id(), appended.status().message(), record.name()));
  }
  const events::LogPosition pos = *appended;
  // The append is durable now; catching up to it applies it (or finds that
  // the daemon already did). Only this record's partition, up to it: the
  // rest was caught up before the write and read-your-writes is about it.
  FailPoint("write.after_append");
  std::vector<int64_t> ends(static_cast<size_t>(pos.partition) + 1, 0);
  ends.back() = pos.offset + 1;
  StatusOr<services::CatchUpResult> caught = [&]() -> StatusOr<services::CatchUpResult> {
    RB_ASSIGN_OR_RETURN(events::KafkaReader * reader, Reader(config));
    if (new_topic) return services::CatchUp(*p, *reader, config);
    return services::CatchUpTo(*p, *reader, config, ends);
  }();
  if (!caught.ok()) {
    return caught.status().WithContext(
        fmt::format("record {} was appended at partition {} offset {} but is not applied yet", record.id(),
                    pos.partition, pos.offset));
  }
  RB_ASSIGN_OR_RETURN(std::optional<store::ChangeRow> row, p->GetChange(pos.partition, pos.offset));
  if (!row) {
    return Internal(fmt::format("record at partition {} offset {} was not found after catching up",
                                pos.partition, pos.offset));
  }
  return *row;
}

}  // namespace rollbook::cli
