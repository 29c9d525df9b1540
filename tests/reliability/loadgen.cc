// rollbook-test-loadgen: appends N generated change records (tests/support/
// workload.h) to a topic through rollbook's own bulk producer. A test tool for
// quick measurements and manual crash experiments; bench/ has the full harness.
//   rollbook-test-loadgen BROKERS TOPIC RECORDS [DEPLOYMENTS] [SEED]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "events/kafka_log.h"
#include "tests/support/workload.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s BROKERS TOPIC RECORDS [DEPLOYMENTS] [SEED]\n", argv[0]);
    return 2;
  }
  rollbook::events::KafkaConfig config;
  config.brokers = argv[1];
  config.topic = argv[2];
  const int records = std::atoi(argv[3]);
  const int deployments = argc > 4 ? std::atoi(argv[4]) : 100;
  const uint64_t seed = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 1;
  if (records <= 0 || deployments <= 0) {
    std::fprintf(stderr, "RECORDS and DEPLOYMENTS must be positive integers\n");
    return 2;
  }
  if (auto s = rollbook::events::EnsureTopic(config); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  auto producer = rollbook::events::KafkaProducer::Create(config, rollbook::events::KafkaProducer::Mode::kBulk);
  if (!producer.ok()) {
    std::fprintf(stderr, "%s\n", producer.status().message().c_str());
    return 1;
  }
  rollbook::testing::WorkloadGenerator gen(seed, deployments);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < records; ++i) {
    const auto r = gen.Next();
    if (auto s = (*producer)->AppendAsync(r.key, r.value); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
  }
  if (auto s = (*producer)->Flush(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("appended %d records for %d Deployments in %.2fs\n", records, deployments, secs);
  return 0;
}
