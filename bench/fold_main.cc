// rollbook-bench-fold: the domain fold alone, without Kafka or SQLite.
//
// Reads a framed dump written by `rollbook-bench-load generate --dump F
// --no-produce`, decodes every message and folds it into an in-memory map of
// aggregates, as a projection does but with no I/O: each record's client time
// is its clock (as in the generator), and its hash is events::RecordHash of
// the message's bytes. Prints the records per second of the fold loop alone
// and a SHA-256 over the final state (every aggregate's canonical bytes in key
// order).
//
// Why it exists: the fold is the bound of figures 1, 2 and 6, and this
// machine's speed moves by tens of percent within an hour. Folding a dump is
// deterministic, so a change to the fold can be judged by instruction counts
// (`valgrind --tool=callgrind --toggle-collect='*FoldAll*'`), and the state
// digest shows that it left the result byte for byte the same.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/dump.h"
#include "events/chain.h"
#include "events/codec.h"
#include "store/fold/fold.h"

namespace {

using rollbook::state::v1::Aggregate;

struct Prepared {
  std::string key;
  rollbook::v1::ChangeRecord record;
  std::string hash;
};

struct FoldTotals {
  int64_t applied = 0, rejected = 0;
};

// The measured loop; not inlined so that callgrind can collect it alone.
[[gnu::noinline]] FoldTotals FoldAll(const std::vector<Prepared>& records,
                                     std::unordered_map<std::string, Aggregate>& state) {
  FoldTotals t;
  for (const Prepared& p : records) {
    Aggregate& agg = state[p.key];
    const auto r = rollbook::fold::ApplyRecord(agg, p.record, p.record.client_time_unix_ms(), p.hash);
    ++(r.outcome.applied ? t.applied : t.rejected);
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rollbook-bench-fold: the fold alone over a dumped workload (no Kafka, no SQLite)"};
  std::string dump;
  size_t limit = 0;
  app.add_option("--dump", dump, "framed dump written by rollbook-bench-load generate --dump")->required();
  app.add_option("--limit", limit, "fold only the first N messages (0 = all)");
  CLI11_PARSE(app, argc, argv);

  auto messages = rollbook::bench::ReadDump(dump, limit);
  if (!messages.ok()) {
    fmt::print(stderr, "rollbook-bench-fold: {}\n", messages.status().ToString());
    return 1;
  }
  std::vector<Prepared> records;
  records.reserve(messages->size());
  for (size_t i = 0; i < messages->size(); ++i) {
    const auto& m = (*messages)[i];
    auto rec = rollbook::events::DecodeRecord(m.key, m.value);
    if (!rec.ok()) {
      fmt::print(stderr, "rollbook-bench-fold: message {} of {}: {}\n", i, dump, rec.status().ToString());
      return 1;
    }
    records.push_back({m.key, std::move(*rec), rollbook::events::RecordHash(m.value)});
  }
  messages->clear();

  std::unordered_map<std::string, Aggregate> state;
  const auto t0 = std::chrono::steady_clock::now();
  const FoldTotals totals = FoldAll(records, state);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Digest of the final state, in key order, so two builds can be compared.
  std::map<std::string, const Aggregate*> ordered;
  for (const auto& [k, agg] : state) ordered.emplace(k, &agg);
  std::string all;
  for (const auto& [k, agg] : ordered) all += k + '\0' + rollbook::fold::CanonicalBytes(*agg);
  fmt::print(
      "{{\"records\": {}, \"applied\": {}, \"rejected\": {}, \"seconds\": {:.3f}, "
      "\"records_per_second\": {:.0f}, \"state_sha256\": \"{}\"}}\n",
      records.size(), totals.applied, totals.rejected, seconds,
      seconds > 0 ? static_cast<double>(records.size()) / seconds : 0.0,
      rollbook::events::HexHash(rollbook::events::RecordHash(all)));
  return totals.rejected == 0 ? 0 : 2;  // the workload's records are all valid
}
