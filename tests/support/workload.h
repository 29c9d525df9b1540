// A seeded generator of valid, chained change records for tests that need a
// real log of many changes (crash tests, tamper tests, digests).
//
// Each Next() returns a record that the fold accepts when the log is replayed
// in the order the records were generated (per Deployment): the generator
// folds every record into its own model (store/fold) to fill
// expected_version, prev_record_hash and sensible targets (rollbacks only when
// there is a previous revision, ...). Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rollbook/state/v1/aggregate.pb.h"
#include "rollbook/v1/change_record.pb.h"

namespace rollbook::testing {

struct GeneratedRecord {
  std::string key;    // namespace/name
  std::string value;  // encoded ChangeRecord
  std::string id;
};

class WorkloadGenerator {
 public:
  WorkloadGenerator(uint64_t seed, int deployments, std::string ns = "default");

  GeneratedRecord Next();
  std::vector<GeneratedRecord> Take(int n);

  // The model's state of Deployment i (as the generator folded it).
  const state::v1::Aggregate& Model(int i) const { return models_[static_cast<size_t>(i)]; }
  static std::string Name(int i);

 private:
  v1::ChangeRecord Propose(int i);

  std::mt19937_64 rng_;
  std::string ns_;
  std::vector<state::v1::Aggregate> models_;
  int64_t clock_ms_ = 1'700'000'000'000;
  uint64_t counter_ = 0;
  uint64_t seed_;
};

}  // namespace rollbook::testing
