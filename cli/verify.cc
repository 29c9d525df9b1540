// rollbook verify [deployment/NAME] — checks the log's hash chain and the
// projection against a replay of the log (services/verify.h). Exit 0 when
// nothing was found, 1 when anything was (or the check could not run).
#include "services/verify.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/render/tabwriter.h"

namespace rollbook::cli {

namespace {

std::string Table(const std::vector<services::Finding>& findings) {
  std::string text = "PARTITION\tOFFSET\tOBJECT\tPROBLEM\tDETAIL\n";
  for (const auto& f : findings) {
    text += fmt::format("{}\t{}\t{}\t{}\t{}\n", f.partition < 0 ? "-" : std::to_string(f.partition),
                        f.offset < 0 ? "-" : std::to_string(f.offset), f.object.empty() ? "-" : f.object,
                        f.problem, f.detail);
  }
  return render::AlignTabs(text, render::kGetTabs);
}

int Run(Cli& cli, const std::vector<std::string>& args, const std::string& output, unsigned fold_threads) {
  if (output != "" && output != "json") {
    return Fail(
        InvalidArgument(fmt::format("unable to match a printer suitable for the output format \"{}\", "
                                    "allowed formats are: json",
                                    output)));
  }
  services::VerifyOptions options;
  options.fold_threads = fold_threads;
  if (!args.empty()) {
    StatusOr<std::string> name = DeploymentName(args);
    if (!name.ok()) return Fail(name.status());
    options.only_object = cli.globals.ns + "/" + *name;
  }
  StatusOr<events::KafkaConfig> config = cli.S().KafkaConfig();
  if (!config.ok()) return Fail(config.status());
  options.kafka = *config;
  // Compare with the projection only when there is one: verify never creates it.
  std::unique_ptr<store::Projection> projection;
  std::error_code ec;
  if (std::filesystem::exists(cli.globals.db, ec)) {
    StatusOr<std::unique_ptr<store::Projection>> p =
        store::Projection::Open({.path = cli.globals.db, .topic = cli.globals.topic, .create = false});
    if (!p.ok()) return Fail(p.status());
    projection = std::move(*p);
    options.projection = projection.get();
  }
  StatusOr<services::VerifyReport> report = services::Verify(options);
  if (!report.ok()) return Fail(report.status().WithContext("verify"));
  const auto& r = *report;
  if (output == "json") {
    nlohmann::json j;
    j["records"] = r.records;
    j["partitions"] = r.partitions;
    j["deployments"] = r.aggregates;
    j["projectionRowsChecked"] = r.projection_rows_checked;
    j["findings"] = nlohmann::json::array();
    for (const auto& f : r.findings) {
      j["findings"].push_back({{"problem", f.problem},
                               {"partition", f.partition},
                               {"offset", f.offset},
                               {"object", f.object},
                               {"detail", f.detail}});
    }
    fmt::print("{}\n", j.dump(2));
  } else {
    if (!r.findings.empty()) fmt::print("{}", Table(r.findings));
    fmt::print(
        stderr, "verified {} record(s) in {} partition(s) of {} ({} Deployment(s)){}: {}\n", r.records,
        r.partitions, cli.globals.topic, r.aggregates,
        projection ? fmt::format(" and {} projection row(s) of {}", r.projection_rows_checked, cli.globals.db)
                   : std::string(" (no projection file to compare)"),
        r.findings.empty() ? "no problems found" : fmt::format("{} problem(s) found", r.findings.size()));
  }
  return r.findings.empty() ? 0 : 1;
}

}  // namespace

void RegisterVerify(CLI::App& app, Cli& cli) {
  auto args = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Re-read the log and report records that were altered, removed, reordered or injected, and "
      "projection rows that disagree with the log");
  cmd->add_option("resource", *args, "deployment/NAME (default: everything)");
  cmd->add_option("-o,--output", *output, "output format: json (default: a table of problems)");
  auto threads = std::make_shared<unsigned>(0);
  cmd->add_option("--fold-threads", *threads,
                  "threads that replay the fold beside the one reading the log (default: one per core but "
                  "the first)")
      ->check(CLI::Range(1u, 64u));
  cmd->callback([&cli, args, output, threads] { cli.exit_code = Run(cli, *args, *output, *threads); });
}

}  // namespace rollbook::cli
