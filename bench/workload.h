// Seeded, deterministic benchmark workload: a stream of change records over D
// Deployments that the fold accepts, one after the other (issue #6).
//
// Contract:
//   * The same options give the same records, byte for byte (ids and client
//     times included): everything derives from `seed` through one PRNG.
//   * Every record would be applied: the generator keeps its own copy of each
//     aggregate and folds each record into it with fold::ApplyRecord (using the
//     record's client time as the fold's clock) before handing it out, so
//     versions, revisions for `undo --to-revision`, container names and the
//     pause state are always right. A record the fold would reject is a bug
//     and Next() returns kInternal instead of the record.
//   * The first D records create the Deployments (create -f ... --record); the
//     other records follow the mix of issue #6: ~60% scale, ~30% template
//     changes (2/3 `set image`, 1/3 `apply -f` of a changed manifest), ~5%
//     annotate, ~4% `rollout undo` (half `--to-revision`), ~1% pause/resume
//     (alternately: pause one Deployment, then resume it). Every Deployment has
//     revisionHistoryLimit 10 and labels tier ∈ {web,api,db,cache}, env ∈
//     {dev,staging,prod}, team, app.
//   * `hot` Deployments (namespace "default", names hot-0, hot-1, ...) each
//     receive `hot_share` of the change records, so at 1,000,000 records each
//     has more than 10,000 revisions; everything else is spread uniformly
//     over the other Deployments in namespaces team-00 ... team-09.
//   * Client times run from `start_unix_ms` over `span_ms` (several weeks),
//     non-decreasing in record order. The broker's LogAppendTime, which the
//     projection uses, is of course the time of the load.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/status.h"
#include "rollbook/state/v1/aggregate.pb.h"
#include "rollbook/v1/change_record.pb.h"

namespace rollbook::bench {

struct WorkloadOptions {
  uint64_t seed = 1;
  int64_t deployments = 10'000;
  int64_t records = 1'000'000;  // in total, the D creates included
  int hot_deployments = 3;
  double hot_share = 0.035;                   // of the change records, for each hot Deployment
  int64_t start_unix_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  int64_t span_ms = 28LL * 24 * 3600 * 1000;  // four weeks
};

struct HotDeployment {
  std::string ns, name;
  int64_t records = 0;
  int64_t revision = 0;  // revision number reached at the end
};

struct WorkloadSummary {
  int64_t records = 0;
  std::map<std::string, int64_t> by_kind;  // events::KindName spelling
  int64_t undo_to_revision = 0;            // rollbacks with --to-revision
  int64_t template_changes_while_paused = 0;
  std::vector<HotDeployment> hot;
  int64_t first_client_ms = 0, last_client_ms = 0;
  int64_t encoded_bytes = 0;  // sum of key + value sizes (filled by the caller)
};

class WorkloadGenerator {
 public:
  static StatusOr<std::unique_ptr<WorkloadGenerator>> Create(const WorkloadOptions& options);
  ~WorkloadGenerator();

  // Overwrites *record with the next record, already folded into the
  // generator's state; false when all `records` were produced.
  StatusOr<bool> Next(v1::ChangeRecord* record);

  const WorkloadSummary& summary() const { return summary_; }
  // The generator's aggregate of namespace/name (nullptr when unknown); the
  // state a projection reaches after folding every record handed out so far.
  const state::v1::Aggregate* Find(const std::string& ns, const std::string& name) const;

  struct Target;  // one Deployment the generator writes to (workload.cc)

 private:
  explicit WorkloadGenerator(const WorkloadOptions& options);
  Status Init();
  void Envelope(Target& t, v1::ChangeKind kind, v1::ChangeRecord& rec);
  Status BuildCreate(Target& t, v1::ChangeRecord& rec);
  Status BuildApply(Target& t, v1::ChangeRecord& rec);
  void BuildSetImage(Target& t, v1::ChangeRecord& rec);
  void BuildScale(Target& t, v1::ChangeRecord& rec);
  void BuildAnnotate(Target& t, v1::ChangeRecord& rec);
  bool BuildUndo(Target& t, v1::ChangeRecord& rec);
  Target& PickTarget();
  std::string NewId();

  WorkloadOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Target>> targets_;  // hot ones first
  std::deque<Target*> paused_;                    // oldest pause first
  int64_t emitted_ = 0;
  WorkloadSummary summary_;
};

}  // namespace rollbook::bench
