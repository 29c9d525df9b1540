// rollbook admin rebuild | digest — operating the projection file.
//
//   admin rebuild   replays the log from offset 0 into a fresh file and swaps
//                   it in atomically (services/rebuild.h).
//   admin digest    prints the canonical hash of the projection's logical
//                   content (store/projection/digest.h) and its row counts.
#include <fmt/format.h>

#include "cli/command.h"
#include "services/rebuild.h"
#include "store/projection/digest.h"

namespace rollbook::cli {

namespace {

int RunRebuild(Cli& cli, bool quiet, size_t cache_mib) {
  StatusOr<events::KafkaConfig> config = cli.S().KafkaConfig();
  if (!config.ok()) return Fail(config.status());
  services::RebuildOptions options{
      .kafka = *config, .db_path = cli.globals.db, .aggregate_cache_bytes = cache_mib << 20};
  StatusOr<services::RebuildResult> r = services::Rebuild(options);
  if (!r.ok()) return Fail(r.status());
  if (!quiet) {
    const int64_t total = r->stats.applied + r->stats.quarantined;
    fmt::print(
        "rebuilt {} from topic {}: {} record(s) folded, {} quarantined in {:.2f}s ({:.0f} records/s)\n",
        r->path, cli.globals.topic, r->stats.applied, r->stats.quarantined, r->seconds,
        r->seconds > 0 ? static_cast<double>(total) / r->seconds : 0.0);
  }
  return 0;
}

int RunDigest(Cli& cli, bool with_counts) {
  StatusOr<std::unique_ptr<store::Projection>> p =
      store::Projection::Open({.path = cli.globals.db, .topic = cli.globals.topic, .create = false});
  if (!p.ok()) return Fail(p.status());
  StatusOr<store::ProjectionDigest> d = store::ComputeDigest((*p)->db());
  if (!d.ok()) return Fail(d.status());
  fmt::print("{}\n", d->sha256_hex);
  if (with_counts) {
    for (const auto& [table, rows] : d->rows) fmt::print("{}\t{}\n", table, rows);
  }
  return 0;
}

}  // namespace

void RegisterAdmin(CLI::App& app, Cli& cli) {
  CLI::App* admin = app.add_subcommand("admin", "Operate the projection database");
  admin->require_subcommand(1);

  auto quiet = std::make_shared<bool>(false);
  CLI::App* rebuild = admin->add_subcommand(
      "rebuild",
      "Replay the whole log into a fresh projection file and swap it in atomically (stop "
      "rollbook-projector first when it uses the same --db)");
  rebuild->add_flag("-q,--quiet", *quiet, "print nothing on success");
  auto cache_mib = std::make_shared<size_t>(store::kDefaultAggregateCacheBytes >> 20);
  rebuild
      ->add_option("--cache-size", *cache_mib,
                   "MiB of serialized Deployment state kept in memory during the replay (parsed: about 3x "
                   "that in RSS); smaller uses less memory and takes longer, 0 keeps none")
      ->check(CLI::Range(0, 65536))
      ->capture_default_str();
  rebuild->callback([&cli, quiet, cache_mib] { cli.exit_code = RunRebuild(cli, *quiet, *cache_mib); });

  auto counts = std::make_shared<bool>(false);
  CLI::App* digest = admin->add_subcommand(
      "digest",
      "Print a hash of the projection's logical content (equal for equal content, whatever the file layout)");
  digest->add_flag("--counts", *counts, "also print the row count of every table");
  digest->callback([&cli, counts] { cli.exit_code = RunDigest(cli, *counts); });
}

}  // namespace rollbook::cli
