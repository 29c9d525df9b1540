// rollbook: kubectl-compatible rollout history backed by an immutable Kafka log.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/defaults.h"

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
  app.add_option("--db", cli.globals.db, "projection database file (env ROLLBOOK_DB)");
  app.add_option("--topic", cli.globals.topic, "topic of change records (env ROLLBOOK_TOPIC)");
  app.add_option("-n,--namespace", cli.globals.ns, "namespace (default \"default\")")
      ->each([&cli](const std::string&) { cli.globals.ns_given = true; });
  app.add_option("--as", cli.globals.as, "actor recorded with each change (default: the OS user)");
  app.add_option("--timeout", cli.globals.timeout, "bound on broker operations and on waiting for a write to apply");

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "error: {}\nSee 'rollbook --help' for usage.\n", e.what());
    return 1;
  }
  return cli.exit_code;
}
