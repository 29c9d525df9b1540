// rollbook-projector: keeps the SQLite projection current with the Kafka log.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>

#include "cli/defaults.h"
#include "services/projector.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }
}  // namespace

int main(int argc, char** argv) {
  rollbook::services::ProjectorOptions options;
  options.kafka.brokers = rollbook::cli::DefaultBrokers();
  options.kafka.topic = rollbook::cli::DefaultTopic();
  options.db_path = rollbook::cli::DefaultDbPath();

  CLI::App app{"rollbook-projector: applies rollbook change records from Kafka to the SQLite projection"};
  app.add_option("--brokers", options.kafka.brokers, "Kafka bootstrap servers (env ROLLBOOK_BROKERS)");
  app.add_option("--db", options.db_path, "projection database file (env ROLLBOOK_DB)");
  app.add_option("--topic", options.kafka.topic, "topic of change records (env ROLLBOOK_TOPIC)");
  app.add_option("--batch-size", options.batch_size,
                 "records per transaction at most (a catch-up fills them)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  size_t cache_mib = rollbook::store::kDefaultAggregateCacheBytes >> 20;
  app.add_option("--cache-size", cache_mib,
                 "MiB of serialized Deployment state kept in memory between batches (parsed: about 3x that "
                 "in RSS); "
                 "0 keeps none")
      ->check(CLI::Range(0, 65536))
      ->capture_default_str();
  app.add_option("--timeout", options.kafka.timeout_ms,
                 "bound on each broker operation, e.g. 10s or 500ms; an outage is retried with backoff")
      ->transform(CLI::AsNumberWithUnit(std::map<std::string, int>{{"ms", 1}, {"s", 1000}, {"m", 60000}},
                                        CLI::AsNumberWithUnit::UNIT_REQUIRED)
                      .description(""))
      ->check(CLI::Range(1, 3600000).description(""))
      ->type_name("DURATION")
      ->default_str("10s");
  CLI11_PARSE(app, argc, argv);
  options.aggregate_cache_bytes = cache_mib << 20;

  options.log = [](const std::string& line) {
    const std::time_t t = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    fmt::print(stderr, "{} rollbook-projector: {}\n", stamp, line);
  };
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  options.log(fmt::format("starting: db {}, brokers {}, topic {}", options.db_path, options.kafka.brokers,
                          options.kafka.topic));
  rollbook::Status s = rollbook::services::RunProjector(options, g_stop);
  if (!s.ok()) {
    options.log("error: " + s.message());
    return 1;
  }
  return 0;
}
