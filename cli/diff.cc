// rollbook diff deployment/NAME REV_A [REV_B]
// rollbook diff deployment/NAME --at T1 [--at T2]   (also --at-offset P:O, mixed)
//
// A unified diff of the Deployment's desired state (cli/spec_document.h:
// labels, annotations, replicas, strategy, the pod template, ... as YAML)
// between two points; with one point the other is the Deployment now. A
// revision stands for the Deployment right after that revision was rolled out,
// recomputed from the log, so revisions that revisionHistoryLimit pruned or a
// rollback renumbered still work. Coloured when stdout is a terminal
// (--color=auto; also always|never; NO_COLOR disables auto). Exit 0 whether
// or not the sides differ; 1 on errors.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include "cli/command.h"
#include "cli/objects.h"
#include "cli/point_in_time.h"
#include "cli/render/unified_diff.h"
#include "cli/spec_document.h"
#include "cli/time_arg.h"

namespace rollbook::cli {

namespace {

struct DiffOptions {
  std::vector<std::string> args;  // resource, then revisions
  std::vector<std::string> at;
  std::vector<std::string> at_offset;
  std::string color = "auto";
  int context = 3;
};

struct Side {
  state::v1::Aggregate agg;
  std::string label;
};

StatusOr<bool> UseColor(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  if (mode == "auto") {
    const char* term = std::getenv("TERM");
    const char* no_color = std::getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0') &&
           (term == nullptr || std::string(term) != "dumb");
  }
  return InvalidArgument(fmt::format("--color={}: expected always, never or auto", mode));
}

StatusOr<int64_t> ParseRevision(const std::string& text) {
  bool digits = !text.empty() && text.size() <= 18;
  for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (!digits || std::stoll(text) == 0) {
    return InvalidArgument(
        fmt::format("revision \"{}\": expected a revision number (1, 2, ...) as `rollout history` "
                    "lists them",
                    text));
  }
  return std::stoll(text);
}

StatusOr<Side> RevisionSide(Cli& cli, const std::string& name, int64_t revision) {
  RB_ASSIGN_OR_RETURN(store::Projection * p, cli.S().ForRead());
  RB_ASSIGN_OR_RETURN(std::optional<store::ChangeRow> row,
                      store::RevisionRollout(p->query_db(), cli.globals.ns, name, revision));
  if (!row) {
    RB_ASSIGN_OR_RETURN(std::optional<state::v1::Aggregate> now, cli.S().Load(cli.globals.ns, name));
    if (!now)
      return NotFound(fmt::format("Error from server (NotFound): deployments.apps \"{}\" not found", name));
    return NotFound(
        fmt::format("deployment \"{}\" never had revision {} (its latest revision is {})", name, revision,
                    now->deployment().metadata().annotations().contains("deployment.kubernetes.io/revision")
                        ? now->deployment().metadata().annotations().at("deployment.kubernetes.io/revision")
                        : "none"));
  }
  RB_ASSIGN_OR_RETURN(store::PastState past,
                      store::StateAtOffset(p->query_db(), cli.globals.ns, name, row->partition, row->offset));
  return Side{std::move(past.aggregate),
              fmt::format("{} revision {} (rolled out {} broker time by {}, {} at partition {} offset {})",
                          DeploymentRef(name), revision, Rfc3339Ms(row->log_time_ms), row->actor, row->kind,
                          row->partition, row->offset)};
}

StatusOr<Side> PointSide(Cli& cli, const std::string& name, const AtFlags& flags) {
  RB_ASSIGN_OR_RETURN(Point point, ResolvePoint(cli, flags));
  RB_ASSIGN_OR_RETURN(store::PastState past, LoadAt(cli, cli.globals.ns, name, point));
  std::string label = fmt::format("{} {}", DeploymentRef(name), AsOfLine(point, &past));
  return Side{std::move(past.aggregate), std::move(label)};
}

StatusOr<Side> CurrentSide(Cli& cli, const std::string& name) {
  RB_ASSIGN_OR_RETURN(state::v1::Aggregate agg, LoadForRead(cli, name, AtFlags{}));
  const auto& ann = agg.deployment().metadata().annotations();
  auto rev = ann.find("deployment.kubernetes.io/revision");
  std::string label =
      fmt::format("{} now (revision {})", DeploymentRef(name), rev == ann.end() ? "none" : rev->second);
  return Side{std::move(agg), std::move(label)};
}

int Run(Cli& cli, const DiffOptions& o) {
  // "deployment/NAME REV..." or "deployment NAME REV...".
  if (o.args.empty())
    return Fail(InvalidArgument("required resource not specified: rollbook diff deployment/NAME ..."));
  const size_t resource_words = o.args[0].find('/') == std::string::npos ? 2 : 1;
  const std::vector<std::string> resource(o.args.begin(),
                                          o.args.begin() + std::min(resource_words, o.args.size()));
  StatusOr<std::string> name = DeploymentName(resource);
  if (!name.ok()) return Fail(name.status());
  const std::vector<std::string> revisions(o.args.begin() + std::min(resource_words, o.args.size()),
                                           o.args.end());
  StatusOr<bool> color = UseColor(o.color);
  if (!color.ok()) return Fail(color.status());
  if (o.context < 0) return Fail(InvalidArgument("--context must be 0 or more lines"));
  const size_t points = revisions.size() + o.at.size() + o.at_offset.size();
  if (points == 0 || points > 2) {
    return Fail(InvalidArgument(fmt::format(
        "diff compares two states of the Deployment: give one or two of REVISION, --at TIME, --at-offset "
        "PARTITION:OFFSET (one is compared with now); got {}",
        points)));
  }
  std::vector<Side> sides;
  for (const auto& text : revisions) {
    StatusOr<int64_t> revision = ParseRevision(text);
    if (!revision.ok()) return Fail(revision.status());
    StatusOr<Side> side = RevisionSide(cli, *name, *revision);
    if (!side.ok()) return Fail(side.status());
    sides.push_back(std::move(*side));
  }
  for (const auto& t : o.at) {
    StatusOr<Side> side = PointSide(cli, *name, AtFlags{t, ""});
    if (!side.ok()) return Fail(side.status());
    sides.push_back(std::move(*side));
  }
  for (const auto& pos : o.at_offset) {
    StatusOr<Side> side = PointSide(cli, *name, AtFlags{"", pos});
    if (!side.ok()) return Fail(side.status());
    sides.push_back(std::move(*side));
  }
  if (sides.size() == 1) {
    StatusOr<Side> now = CurrentSide(cli, *name);
    if (!now.ok()) return Fail(now.status());
    sides.push_back(std::move(*now));
  }
  const SpecDocumentOptions doc_options{.omit_revision_annotation = true};
  const std::string a = ToYaml(SpecDocument(sides[0].agg, doc_options));
  const std::string b = ToYaml(SpecDocument(sides[1].agg, doc_options));
  fmt::print("{}", render::UnifiedDiff(a, b, sides[0].label, sides[1].label, {o.context, *color}));
  return 0;
}

}  // namespace

void RegisterDiff(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<DiffOptions>();
  CLI::App* cmd = app.add_subcommand(
      "diff", "Show what changed in a Deployment between two revisions or two points in time (unified diff)");
  cmd->add_option("args", o->args, "deployment/NAME [REVISION [REVISION]]");
  cmd->add_option("--at", o->at,
                  "a point in time (RFC 3339 or a duration ago such as 2h); may be given twice");
  cmd->add_option("--at-offset", o->at_offset, "a log position PARTITION:OFFSET; may be given twice");
  cmd->add_option("--color", o->color, "always|never|auto (auto: when stdout is a terminal)");
  cmd->add_option("-U,--context", o->context, "lines of context around each change (default 3)");
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
