// rollbook-bench-load: loads the benchmark workload (bench/workload.h) into a
// Kafka topic through rollbook's own producer path, and the helpers bench/run
// needs around it. Every subcommand prints one JSON object on stdout.
//
//   generate  builds the workload in memory (every record folded), then times
//             the ingest: encode + chain hash + KafkaProducer (bulk mode) +
//             flush of every record into --topic (figure 3). Optionally writes the encoded
//             messages as a framed dump (for `replay`) and as a delimited file
//             for `kcat -P -K KEYDELIM -D MSGDELIM -l FILE` (the reference),
//             and one scale record's value (for single-message kcat runs).
//   replay    produces a framed dump into --topic at full speed and, with
//             --wait-db, waits until the projection there has applied every
//             record (figure 2: the projector keeping up with a producer).
//   topic     creates (--create) or deletes (--delete) a topic.
//   stats     row counts (all applied?) and bytes of a projection (figure 8).
//   lookup    reads a projection: the broker time of a client-time instant
//             (the `--at` time a week back) and an audit window after it that
//             holds one hour's worth of records.
#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/dump.h"
#include "bench/workload.h"
#include "events/chain.h"
#include "events/codec.h"
#include "events/kafka_log.h"
#include "store/projection/sqlite.h"

namespace rollbook::bench {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Delimiters for the kcat file; checked to occur in no key and no value.
constexpr char kKcatKeyDelimiter[] = "~~RBKEY~~";
constexpr char kKcatMessageDelimiter[] = "~~RBMSG~~\n";

// ---- generate --------------------------------------------------------------------

struct GenerateOptions {
  WorkloadOptions workload;
  events::KafkaConfig kafka;
  std::string dump, kcat_file, meta, scale_sample;
  bool produce = true;
};

Status Generate(const GenerateOptions& o) {
  json out;
  const auto g0 = Clock::now();
  RB_ASSIGN_OR_RETURN(std::unique_ptr<WorkloadGenerator> gen, WorkloadGenerator::Create(o.workload));
  // Records live on one arena: a million small heap objects would make
  // malloc, not the generator, the cost of this phase.
  google::protobuf::Arena arena;
  std::vector<const v1::ChangeRecord*> records;
  records.reserve(static_cast<size_t>(o.workload.records));
  for (;;) {
    auto* rec = google::protobuf::Arena::CreateMessage<v1::ChangeRecord>(&arena);
    RB_ASSIGN_OR_RETURN(bool more, gen->Next(rec));
    if (!more) break;
    records.push_back(rec);
  }
  out["generate_seconds"] = Seconds(g0, Clock::now());

  int64_t bytes = 0;
  if (o.produce) {
    RB_RETURN_IF_ERROR(events::EnsureTopic(o.kafka));
    RB_ASSIGN_OR_RETURN(std::unique_ptr<events::KafkaProducer> producer,
                        events::KafkaProducer::Create(o.kafka, events::KafkaProducer::Mode::kBulk));
    const auto t0 = Clock::now();
    for (const v1::ChangeRecord* rec : records) {
      const std::string key = events::RecordKey(rec->namespace_(), rec->name());
      const std::string value = events::EncodeRecord(*rec);
      // A bulk writer keeps each aggregate's chain head itself (the records
      // already carry it): hashing is part of its cost.
      if (events::RecordHash(value).size() != events::kRecordHashBytes) return Internal("hashing failed");
      bytes += static_cast<int64_t>(key.size() + value.size());
      RB_RETURN_IF_ERROR(producer->AppendAsync(key, value));
    }
    RB_RETURN_IF_ERROR(producer->Flush());
    const double seconds = Seconds(t0, Clock::now());
    out["ingest"] = {{"records", records.size()},
                     {"seconds", seconds},
                     {"records_per_second", static_cast<double>(records.size()) / seconds},
                     {"bytes", bytes}};
  }

  if (!o.dump.empty() || !o.kcat_file.empty()) {
    std::ofstream dump, kcat;
    if (!o.dump.empty()) dump.open(o.dump, std::ios::binary | std::ios::trunc);
    if (!o.kcat_file.empty()) kcat.open(o.kcat_file, std::ios::binary | std::ios::trunc);
    if ((!o.dump.empty() && !dump) || (!o.kcat_file.empty() && !kcat)) {
      return Unavailable(fmt::format("cannot write {} / {}", o.dump, o.kcat_file));
    }
    bytes = 0;
    for (const v1::ChangeRecord* rec : records) {
      const std::string key = events::RecordKey(rec->namespace_(), rec->name());
      const std::string value = events::EncodeRecord(*rec);
      bytes += static_cast<int64_t>(key.size() + value.size());
      if (dump.is_open()) {
        WriteDumpMessage(dump, key, value);
      }
      if (kcat.is_open()) {
        if (key.find(kKcatKeyDelimiter) != std::string::npos ||
            value.find(kKcatMessageDelimiter) != std::string::npos) {
          return Internal(fmt::format("record {} contains a kcat delimiter", rec->id()));
        }
        kcat << key << kKcatKeyDelimiter << value << kKcatMessageDelimiter;
      }
    }
    if ((dump.is_open() && !dump.flush()) || (kcat.is_open() && !kcat.flush())) {
      return Unavailable("writing the dump files failed (disk full?)");
    }
    out["kcat_key_delimiter"] = kKcatKeyDelimiter;
    out["kcat_message_delimiter"] = "~~RBMSG~~\\n";
  }

  if (!o.scale_sample.empty()) {  // one message of a scale record's size, for single-message kcat runs
    for (const v1::ChangeRecord* rec : records) {
      if (rec->kind() != v1::CHANGE_KIND_SCALE) continue;
      std::ofstream f(o.scale_sample, std::ios::binary | std::ios::trunc);
      f << events::EncodeRecord(*rec);
      if (!f.flush()) return Unavailable(fmt::format("cannot write {}", o.scale_sample));
      break;
    }
  }

  const WorkloadSummary& s = gen->summary();
  json hot = json::array();
  for (const auto& h : s.hot)
    hot.push_back({{"namespace", h.ns}, {"name", h.name}, {"records", h.records}, {"revision", h.revision}});
  out["workload"] = {{"seed", o.workload.seed},
                     {"deployments", o.workload.deployments},
                     {"records", s.records},
                     {"by_kind", s.by_kind},
                     {"undo_to_revision", s.undo_to_revision},
                     {"template_changes_while_paused", s.template_changes_while_paused},
                     {"hot", hot},
                     {"first_client_ms", s.first_client_ms},
                     {"last_client_ms", s.last_client_ms},
                     {"bytes", bytes},
                     {"mean_message_bytes", static_cast<double>(bytes) / static_cast<double>(s.records)}};
  out["topic"] = o.kafka.topic;
  const std::string text = out.dump(2);
  if (!o.meta.empty()) {
    std::ofstream meta(o.meta, std::ios::trunc);
    meta << text << "\n";
    if (!meta.flush()) return Unavailable(fmt::format("cannot write {}", o.meta));
  }
  fmt::print("{}\n", text);
  return Status::Ok();
}

// ---- replay ------------------------------------------------------------------------

StatusOr<int64_t> AppliedCount(const std::string& db_path) {
  RB_ASSIGN_OR_RETURN(std::unique_ptr<store::Db> db, store::Db::Open(db_path, false, /*read_only=*/true));
  StatusOr<store::Stmt> s = db->Prepare("SELECT coalesce(sum(next_offset), 0) FROM offsets");
  if (!s.ok()) return int64_t{0};  // the projector has not created its schema yet
  RB_ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? s->Int(0) : 0;
}

Status Replay(const std::string& dump, const events::KafkaConfig& kafka, const std::string& wait_db,
              int wait_seconds) {
  RB_ASSIGN_OR_RETURN(std::vector<DumpMessage> messages, ReadDump(dump));
  RB_RETURN_IF_ERROR(events::EnsureTopic(kafka));
  RB_ASSIGN_OR_RETURN(std::unique_ptr<events::KafkaProducer> producer,
                      events::KafkaProducer::Create(kafka, events::KafkaProducer::Mode::kBulk));
  const auto t0 = Clock::now();
  for (const auto& m : messages) RB_RETURN_IF_ERROR(producer->AppendAsync(m.key, m.value));
  RB_RETURN_IF_ERROR(producer->Flush());
  const auto t1 = Clock::now();
  json out = {{"records", messages.size()}, {"produce_seconds", Seconds(t0, t1)}};
  if (!wait_db.empty()) {
    const int64_t want = static_cast<int64_t>(messages.size());
    int64_t applied = 0;
    const auto deadline = t1 + std::chrono::seconds(wait_seconds);
    while (Clock::now() < deadline) {
      StatusOr<int64_t> n = AppliedCount(wait_db);
      if (n.ok()) applied = *n;
      if (applied >= want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (applied < want) {
      return DeadlineExceeded(fmt::format("the projection {} applied {} of {} records within {}s", wait_db,
                                          applied, want, wait_seconds));
    }
    const double seconds = Seconds(t0, Clock::now());
    out["applied_seconds"] = seconds;
    out["records_per_second"] = static_cast<double>(want) / seconds;
  }
  fmt::print("{}\n", out.dump(2));
  return Status::Ok();
}

// ---- topic -------------------------------------------------------------------------

Status DeleteTopic(const events::KafkaConfig& kafka) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", kafka.brokers.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return InvalidArgument(errstr);
  }
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (raw == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Internal(errstr);
  }
  events::KafkaHandle rk(raw);
  rd_kafka_DeleteTopic_t* topic = rd_kafka_DeleteTopic_new(kafka.topic.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());
  rd_kafka_DeleteTopics(rk.get(), &topic, 1, nullptr, queue);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, kafka.timeout_ms);
  rd_kafka_DeleteTopic_destroy(topic);
  Status status;
  if (ev == nullptr) {
    status = Unavailable(fmt::format("deleting topic {}: no answer from {}", kafka.topic, kafka.brokers));
  } else {
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
      const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        status = Unavailable(fmt::format("deleting topic {}: {}", kafka.topic, rd_kafka_err2str(err)));
      }
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(queue);
  return status;
}

// ---- lookup ------------------------------------------------------------------------

// The broker time of the first record whose client time is >= `client_ms`
// (records were produced in client-time order, so broker times follow).
StatusOr<int64_t> LogTimeAt(store::Db& db, int64_t client_ms) {
  RB_ASSIGN_OR_RETURN(store::Stmt s,
                      db.Prepare("SELECT min(log_time_ms) FROM changes WHERE client_time_ms >= ?"));
  s.Bind(1, client_ms);
  RB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.IsNull(0)) return NotFound(fmt::format("no change at or after client time {}", client_ms));
  return s.Int(0);
}

// RFC 3339 UTC with milliseconds.
std::string Rfc3339Ms(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unix_ms % 1000);
}

// The broker clock compresses weeks of client time into the seconds of the
// load, so "one hour" is placed by its record count: the window starts at the
// broker time of `client_ms` and ends at the broker time of the
// `window_records`-th record after it (both inclusive), i.e. it holds as many
// records as one hour of the workload's client-time spread.
Status Lookup(const std::string& db_path, int64_t at_client_ms, int64_t window_records) {
  RB_ASSIGN_OR_RETURN(std::unique_ptr<store::Db> db, store::Db::Open(db_path, false, /*read_only=*/true));
  RB_ASSIGN_OR_RETURN(int64_t at, LogTimeAt(*db, at_client_ms));
  RB_ASSIGN_OR_RETURN(
      store::Stmt e,
      db->Prepare(
          "SELECT log_time_ms FROM changes WHERE log_time_ms >= ? ORDER BY log_time_ms LIMIT 1 OFFSET ?"));
  e.Bind(1, at).Bind(2, std::max<int64_t>(0, window_records - 1));
  RB_ASSIGN_OR_RETURN(bool has_end, e.Step());
  if (!has_end)
    return NotFound(fmt::format("fewer than {} records after broker time {}", window_records, at));
  const int64_t end = e.Int(0);
  RB_ASSIGN_OR_RETURN(
      store::Stmt n, db->Prepare("SELECT count(*) FROM changes WHERE log_time_ms >= ? AND log_time_ms <= ?"));
  n.Bind(1, at).Bind(2, end);
  RB_ASSIGN_OR_RETURN(bool row, n.Step());
  json out = {{"at_log_ms", at},
              {"window_start_ms", at},
              {"window_end_ms", end},
              {"window_records", row ? n.Int(0) : 0},
              // The same instants as the CLI's --at/--since/--until take them
              // (--until is exclusive, the window's end inclusive).
              {"at_rfc3339", Rfc3339Ms(at)},
              {"since_rfc3339", Rfc3339Ms(at)},
              {"until_rfc3339", Rfc3339Ms(end + 1)}};
  fmt::print("{}\n", out.dump(2));
  return Status::Ok();
}

// ---- stats -------------------------------------------------------------------------

// What a projection holds: row counts (every workload record must be applied),
// file bytes (database + WAL) and, when SQLite has the dbstat table, bytes per
// table and index.
Status Stats(const std::string& db_path) {
  RB_ASSIGN_OR_RETURN(std::unique_ptr<store::Db> db, store::Db::Open(db_path, false, /*read_only=*/true));
  json out;
  const std::pair<const char*, const char*> counts[] = {
      {"changes", "SELECT count(*) FROM changes"},
      {"applied", "SELECT count(*) FROM changes WHERE outcome = 'applied'"},
      {"rejected", "SELECT count(*) FROM changes WHERE outcome != 'applied'"},
      {"quarantined", "SELECT count(*) FROM quarantine"},
      {"deployments", "SELECT count(*) FROM deployments"},
      {"replica_sets", "SELECT count(*) FROM replica_sets"},
      {"controller_events", "SELECT count(*) FROM controller_events"},
  };
  for (const auto& [name, sql] : counts) {
    RB_ASSIGN_OR_RETURN(store::Stmt s, db->Prepare(sql));
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    out[name] = row ? s.Int(0) : 0;
  }
  StatusOr<store::Stmt> tables =
      db->Prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC");
  if (tables.ok()) {
    for (;;) {
      StatusOr<bool> row = tables->Step();
      if (!row.ok() || !*row) break;
      out["tables"][tables->Text(0)] = tables->Int(1);
    }
  }
  std::error_code ec;
  int64_t bytes = 0;
  for (const char* suffix : {"", "-wal"}) {
    const auto size = std::filesystem::file_size(db_path + suffix, ec);
    if (!ec) bytes += static_cast<int64_t>(size);
  }
  out["bytes"] = bytes;
  fmt::print("{}\n", out.dump(2));
  return Status::Ok();
}

int Report(const Status& s) {
  if (s.ok()) return 0;
  fmt::print(stderr, "rollbook-bench-load: {}\n", s.message());
  return 1;
}

}  // namespace
}  // namespace rollbook::bench

int main(int argc, char** argv) {
  using namespace rollbook;
  using namespace rollbook::bench;
  CLI::App app{"rollbook-bench-load: the benchmark workload and its Kafka plumbing (see bench/run)"};
  app.require_subcommand(1);
  events::KafkaConfig kafka;
  kafka.timeout_ms = 60000;
  app.add_option("--brokers", kafka.brokers, "Kafka bootstrap servers");
  app.add_option("--topic", kafka.topic, "topic");

  GenerateOptions gen;
  CLI::App* g = app.add_subcommand("generate", "generate the workload and time its ingest");
  g->add_option("--seed", gen.workload.seed, "PRNG seed");
  g->add_option("--deployments", gen.workload.deployments, "number of Deployments")
      ->check(CLI::PositiveNumber);
  g->add_option("--records", gen.workload.records, "number of records, creates included")
      ->check(CLI::PositiveNumber);
  g->add_option("--hot", gen.workload.hot_deployments, "number of hot Deployments")
      ->check(CLI::NonNegativeNumber);
  g->add_option("--hot-share", gen.workload.hot_share, "share of the change records per hot Deployment")
      ->check(CLI::Range(0.0, 0.3));
  g->add_option("--dump", gen.dump, "write a framed dump of the encoded messages (for replay)");
  g->add_option("--kcat-file", gen.kcat_file, "write the messages delimited for kcat -P -l");
  g->add_option("--meta", gen.meta, "also write the JSON summary here");
  g->add_option("--scale-sample", gen.scale_sample, "write the value of one scale record here");
  bool no_produce = false;
  g->add_flag("--no-produce", no_produce, "only generate (and write the files)");

  std::string dump, wait_db;
  int wait_seconds = 600;
  CLI::App* r =
      app.add_subcommand("replay", "produce a dump at full speed, optionally wait for a projection");
  r->add_option("--dump", dump, "framed dump written by generate --dump")->required();
  r->add_option("--wait-db", wait_db, "projection file to watch until it has applied every record");
  r->add_option("--wait-seconds", wait_seconds, "give up waiting after this long");

  bool create = false, del = false;
  CLI::App* t = app.add_subcommand("topic", "create or delete --topic");
  t->add_flag("--create", create, "create it (6 partitions, LogAppendTime, kept forever)");
  t->add_flag("--delete", del, "delete it");

  std::string db;
  int64_t at_client_ms = 0, window_records = 1000;
  CLI::App* l = app.add_subcommand("lookup", "broker times bracketing a client time in a projection");
  l->add_option("--db", db, "projection file")->required();
  l->add_option("--client-ms", at_client_ms, "client time (Unix ms)")->required();
  l->add_option("--window-records", window_records, "records the audit window should hold")
      ->check(CLI::PositiveNumber);

  std::string stats_db;
  CLI::App* st = app.add_subcommand("stats", "row counts and bytes of a projection");
  st->add_option("--db", stats_db, "projection file")->required();

  CLI11_PARSE(app, argc, argv);
  if (g->parsed()) {
    gen.kafka = kafka;
    gen.produce = !no_produce;
    return Report(Generate(gen));
  }
  if (r->parsed()) return Report(Replay(dump, kafka, wait_db, wait_seconds));
  if (t->parsed()) {
    if (create == del) return Report(InvalidArgument("topic: give exactly one of --create or --delete"));
    return Report(create ? events::EnsureTopic(kafka) : DeleteTopic(kafka));
  }
  if (l->parsed()) return Report(Lookup(db, at_client_ms, window_records));
  if (st->parsed()) return Report(Stats(stats_db));
  return 1;
}
