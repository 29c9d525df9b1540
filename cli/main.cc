// rollbook: kubectl-compatible rollout history backed by an immutable Kafka log.
#include <algorithm>
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/defaults.h"
#include "cli/usage_errors.h"

int main(int argc, char** argv) {
  using rollbook::cli::Cli;
  Cli cli;
  cli.globals.brokers = rollbook::cli::DefaultBrokers();
  cli.globals.topic = rollbook::cli::DefaultTopic();
  cli.globals.db = rollbook::cli::DefaultDbPath();
  for (int i = 0; i < argc; ++i) cli.globals.argv.emplace_back(argv[i]);

  CLI::App app{"rollbook: every Deployment change as an immutable event, with kubectl's commands"};
  app.name("rollbook");
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--brokers", cli.globals.brokers, "Kafka bootstrap servers (env ROLLBOOK_BROKERS)");
  CLI::Option* db_flag = app.add_option("--db", cli.globals.db, "projection database file (env ROLLBOOK_DB)");
  app.add_option("--topic", cli.globals.topic, "topic of change records (env ROLLBOOK_TOPIC)");
  app.add_option("-n,--namespace", cli.globals.ns, "namespace (default \"default\")")
      ->each([&cli](const std::string&) { cli.globals.ns_given = true; });
  app.add_option("--as", cli.globals.as, "actor recorded with each change (default: the OS user)");
  app.add_option("--timeout", cli.globals.timeout, "bound on broker operations and on waiting for a write to apply");
  app.add_flag("--retry-on-conflict", cli.retry_on_conflict,
               "when another writer changed the Deployment first, re-read it, re-check and write again "
               "(bounded attempts)");
  // Checked once every flag is known and before any verb runs, so a bad
  // global flag never opens the database or reaches the broker.
  app.parse_complete_callback([&cli, db_flag] {
    const char* db_env = std::getenv("ROLLBOOK_DB");
    const bool db_chosen = db_flag->count() > 0 || (db_env != nullptr && *db_env != '\0');
    rollbook::Status s = rollbook::cli::CheckGlobalOptions(cli.globals, db_chosen);
    if (!s.ok()) throw CLI::ValidationError(s.message());
    if (cli.globals.ns.empty()) cli.globals.ns = "default";
  });

  rollbook::cli::RegisterCreate(app, cli);
  rollbook::cli::RegisterApply(app, cli);
  rollbook::cli::RegisterGet(app, cli);
  rollbook::cli::RegisterDescribe(app, cli);
  rollbook::cli::RegisterDelete(app, cli);
  rollbook::cli::RegisterScale(app, cli);
  rollbook::cli::RegisterSet(app, cli);
  rollbook::cli::RegisterAnnotate(app, cli);
  rollbook::cli::RegisterEdit(app, cli);
  rollbook::cli::RegisterRollout(app, cli);
  rollbook::cli::RegisterAdmin(app, cli);
  rollbook::cli::RegisterVerify(app, cli);
  rollbook::cli::RegisterAudit(app, cli);
  rollbook::cli::RegisterDiff(app, cli);
  rollbook::cli::RegisterBlame(app, cli);

  std::vector<std::string> args(cli.globals.argv.begin() + (argc > 0 ? 1 : 0), cli.globals.argv.end());
  args = rollbook::cli::NormalizeFlagValues(app, args);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ValidationError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "error: {}\nSee '{} --help' for usage.\n", rollbook::cli::DescribeUsageError(app, e),
               rollbook::cli::ParsedCommandPath(app));
    return 1;
  }
  return cli.exit_code;
}
