// rollbook get deployments|deploy|replicasets|rs [NAME] [-l SEL] [-A] [-o wide|json|yaml|name]
//                                                 [--at TIME | --at-offset PARTITION:OFFSET]
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/objects.h"
#include "cli/point_in_time.h"
#include "cli/render/human_duration.h"
#include "cli/render/tabwriter.h"
#include "store/fold/labels.h"
#include "store/projection/deployment_query.h"

namespace rollbook::cli {

namespace {

struct GetOptions {
  std::vector<std::string> args;
  std::string selector;
  bool all_namespaces = false;
  std::string output;
  AtFlags at;
};

enum class Kind { kDeployment, kReplicaSet };

StatusOr<Kind> ParseKind(const std::string& word) {
  static const std::vector<std::string> kDeploy = {"deployments", "deployment", "deploy", "deployments.apps",
                                                   "deployment.apps"};
  static const std::vector<std::string> kRs = {"replicasets", "replicaset", "rs", "replicasets.apps",
                                               "replicaset.apps"};
  if (std::find(kDeploy.begin(), kDeploy.end(), word) != kDeploy.end()) return Kind::kDeployment;
  if (std::find(kRs.begin(), kRs.end(), word) != kRs.end()) return Kind::kReplicaSet;
  return InvalidArgument(fmt::format("the server doesn't have a resource type \"{}\"", word));
}

fold::LabelMap Labels(const google::protobuf::Map<std::string, std::string>& m) {
  return fold::LabelMap(m.begin(), m.end());
}

std::string ContainerNames(const nlohmann::json& tmpl, bool images) {
  std::string out;
  if (!tmpl.contains("spec") || !tmpl["spec"].contains("containers")) return out;
  for (const auto& c : tmpl["spec"]["containers"]) {
    if (!out.empty()) out += ",";
    out += c.value(images ? "image" : "name", "");
  }
  return out;
}

std::string SelectorString(const v1::LabelSelector& sel) {
  StatusOr<fold::Selector> s = fold::SelectorFromLabelSelector(sel);
  return s.ok() ? s->String() : "";
}

// The Deployments as they were at o.at: the named ones (when listing
// Deployments by name) or every one that existed then. Names that did not
// exist are explained on stderr and added to `explained`. The ReplicaSets'
// templates are loaded only `with_templates` (a ReplicaSet listing).
StatusOr<std::vector<state::v1::Aggregate>> AggregatesAt(Cli& cli, const GetOptions& o, bool by_name,
                                                         const std::vector<std::string>& names,
                                                         bool with_templates, int64_t& now,
                                                         std::set<std::string>& explained) {
  RB_ASSIGN_OR_RETURN(Point point, ResolvePoint(cli, o.at));
  now = point.time_ms;
  std::vector<std::pair<std::string, std::string>> keys;
  if (by_name) {
    for (const auto& n : names) keys.emplace_back(cli.globals.ns, n);
  } else {
    RB_ASSIGN_OR_RETURN(store::Projection * p, cli.S().ForRead());
    RB_ASSIGN_OR_RETURN(keys, store::DeploymentNames(p->query_db(), o.all_namespaces ? "" : cli.globals.ns));
  }
  std::vector<state::v1::Aggregate> out;
  std::optional<store::PastState> only;
  for (const auto& [ns, name] : keys) {
    StatusOr<store::PastState> past = LoadAt(cli, ns, name, point, with_templates);
    if (past.ok()) {
      out.push_back(past->aggregate);
      if (keys.size() == 1) only = std::move(*past);
      continue;
    }
    if (past.status().code() == StatusCode::kNotFound) {
      if (by_name) {
        fmt::print(stderr, "{}\n", past.status().message());
        explained.insert(name);
      }
      continue;
    }
    // Listing by position: Deployments recorded in another partition have no
    // state at a position of this one.
    if (!by_name && point.by_offset && past.status().code() == StatusCode::kInvalidArgument) continue;
    return past.status();
  }
  if (!out.empty() || !by_name) fmt::print(stderr, "{}\n", AsOfLine(point, only ? &*only : nullptr));
  return out;
}

// `get deployments --at TIME` as a table or names, every Deployment, no
// selector: the listing columns are read from the audit rows
// (store::ForEachDeploymentAt) rather than folded for each Deployment, with
// the same result and "as of" line as AggregatesAt. Each row goes to `fn`.
Status ListAt(Cli& cli, const GetOptions& o, const Point& point,
              const std::function<void(const store::ListedDeployment&)>& fn) {
  RB_ASSIGN_OR_RETURN(store::Projection * p, cli.S().ForRead());
  size_t rows = 0;
  store::LogPoint last_record;  // of the only one, when there is one
  RB_ASSIGN_OR_RETURN(const size_t known,
                      store::ForEachDeploymentAt(p->query_db(), o.all_namespaces ? "" : cli.globals.ns,
                                                 point.time_ms, [&](const store::ListedAtRow& r) {
                                                   last_record = r.last_record;
                                                   ++rows;
                                                   fn(r.deployment);
                                                 }));
  std::optional<store::PastState> only;
  if (known == 1 && rows == 1) {
    only.emplace();
    only->last_record = last_record;
  }
  fmt::print(stderr, "{}\n", AsOfLine(point, only ? &*only : nullptr));
  return Status::Ok();
}

int Run(Cli& cli, const GetOptions& o) {
  if (o.args.empty()) {
    return Fail(
        InvalidArgument("you must specify the type of resource to get. Use \"rollbook get deployments\" or "
                        "\"rollbook get replicasets\""));
  }
  StatusOr<Kind> kind = ParseKind(o.args[0]);
  if (!kind.ok()) return Fail(kind.status());
  const std::vector<std::string> names(o.args.begin() + 1, o.args.end());
  if (!o.output.empty() && o.output != "wide" && o.output != "json" && o.output != "yaml" &&
      o.output != "name") {
    return Fail(
        InvalidArgument(fmt::format("unable to match a printer suitable for the output format \"{}\", "
                                    "allowed formats are: json,name,wide,yaml",
                                    o.output)));
  }
  if (!names.empty() && !o.selector.empty())
    return Fail(InvalidArgument("name cannot be provided when a selector is specified"));
  const char* resource = *kind == Kind::kDeployment ? "deployments" : "replicasets";
  StatusOr<fold::Selector> selector = fold::Selector::Parse(o.selector);
  if (!selector.ok()) {
    return Fail(
        InvalidArgument(fmt::format("Error from server (BadRequest): Unable to find \"apps/v1, Resource={}\" "
                                    "that match label selector \"{}\", "
                                    "field selector \"\": {}",
                                    resource, o.selector, selector.status().message())));
  }
  StatusOr<store::Projection*> p = cli.S().ForRead();
  if (!p.ok()) return Fail(p.status());
  int64_t now = Session::NowMs();
  std::set<std::string> explained;  // names whose absence --at already explained
  // Current Deployments come from the projection's plain columns and label
  // index (store/projection/deployment_query.h); the state is decoded only
  // for the outputs that show more than the table.
  const bool current_deployments = *kind == Kind::kDeployment && !o.at.given();
  const bool need_state = o.output == "wide" || o.output == "json" || o.output == "yaml";
  std::optional<Point> listing_at;  // the ListAt case
  if (o.at.given() && o.at.at_offset.empty() && *kind == Kind::kDeployment && names.empty() &&
      o.selector.empty() && !need_state) {
    StatusOr<Point> point = ResolvePoint(cli, o.at);
    if (!point.ok()) return Fail(point.status());
    listing_at = *point;
  }
  StatusOr<std::vector<state::v1::Aggregate>> all =
      listing_at            ? std::vector<state::v1::Aggregate>()
      : o.at.given()        ? AggregatesAt(cli, o, *kind == Kind::kDeployment && !names.empty(), names,
                                           *kind == Kind::kReplicaSet, now, explained)
      : current_deployments ? std::vector<state::v1::Aggregate>()
                            : (*p)->ListAggregates(o.all_namespaces ? "" : cli.globals.ns);
  if (!all.ok()) return Fail(all.status());
  if (listing_at) now = listing_at->time_ms;

  std::vector<nlohmann::json> objects;
  std::vector<std::string> object_names;  // for -o name
  size_t listed = 0;
  // The table as tab-separated text for render::AlignTabs, header first; rows
  // are appended cell by cell (a listing can have ten thousand of them).
  std::string table;
  auto cell = [&table](std::string_view v) { table.append(v).push_back('\t'); };
  auto end_row = [&table] { table.back() = '\n'; };
  auto number = [&cell](int64_t v) {
    const fmt::format_int digits(v);
    cell(std::string_view(digits.data(), digits.size()));
  };
  if (o.all_namespaces) cell("NAMESPACE");
  static constexpr const char* kDeploymentColumns[] = {"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"};
  static constexpr const char* kReplicaSetColumns[] = {"NAME", "DESIRED", "CURRENT", "READY", "AGE"};
  for (const char* h : *kind == Kind::kDeployment ? kDeploymentColumns : kReplicaSetColumns) cell(h);
  if (o.output == "wide") {
    for (const char* h : {"CONTAINERS", "IMAGES", "SELECTOR"}) cell(h);
  }
  end_row();
  const bool as_table = o.output.empty() || o.output == "wide";
  int exit_code = 0;
  auto matches_name = [&](const std::string& n) {
    return names.empty() || std::find(names.begin(), names.end(), n) != names.end();
  };
  std::set<std::string> found;
  // One Deployment's row (and object); `agg` is needed only with need_state.
  auto add_deployment = [&](const store::ListedDeployment& s, const state::v1::Aggregate* agg) {
    ++listed;
    if (!names.empty()) found.emplace(s.name);
    if (o.output == "name") object_names.emplace_back(s.name);
    if (agg != nullptr && (o.output == "json" || o.output == "yaml"))
      objects.push_back(DeploymentObject(*agg));
    if (!as_table) return;
    if (o.all_namespaces) cell(s.ns);
    cell(s.name);
    table.append(fmt::format_int(s.ready).c_str()).push_back('/');
    number(s.replicas);
    number(s.updated);
    number(s.available);
    cell(render::HumanDuration(now - s.created_ms));
    if (o.output == "wide" && agg != nullptr) {
      const v1::Deployment& d = agg->deployment();
      nlohmann::json tmpl = nlohmann::json::parse(d.spec().template_json(), nullptr, false);
      cell(ContainerNames(tmpl, false));
      cell(ContainerNames(tmpl, true));
      cell(SelectorString(d.spec().selector()));
    }
    end_row();
  };
  // The current Deployments and the --at listing are handed over row by row
  // (a listing can have ten thousand of them).
  if (current_deployments) {
    store::DeploymentListQuery query;
    query.ns = o.all_namespaces ? "" : cli.globals.ns;
    query.names = names;
    query.selector = *selector;
    query.with_state = need_state;
    Status corrupt;  // the first state that does not parse
    Status listing =
        store::ForEachListedDeployment((*p)->query_db(), query, [&](const store::ListedDeployment& s) {
          if (!need_state) return add_deployment(s, nullptr);
          state::v1::Aggregate agg;
          if (!agg.ParseFromArray(s.state.data(), static_cast<int>(s.state.size()))) {
            if (corrupt.ok()) corrupt = DataLoss(fmt::format("corrupt state of {}/{}", s.ns, s.name));
            return;
          }
          add_deployment(s, &agg);
        });
    if (!listing.ok()) return Fail(listing);
    if (!corrupt.ok()) return Fail(corrupt);
  } else if (listing_at) {
    Status listing =
        ListAt(cli, o, *listing_at, [&](const store::ListedDeployment& s) { add_deployment(s, nullptr); });
    if (!listing.ok()) return Fail(listing);
  }
  for (const auto& agg : *all) {
    const v1::Deployment& d = agg.deployment();
    if (*kind == Kind::kDeployment) {
      if (!matches_name(d.metadata().name())) continue;
      if (!selector->Matches(Labels(d.metadata().labels()))) continue;
      store::ListedDeployment s;
      s.ns = d.metadata().namespace_();
      s.name = d.metadata().name();
      s.replicas = d.spec().replicas();
      s.updated = agg.status().updated_replicas();
      s.ready = agg.status().ready_replicas();
      s.available = agg.status().available_replicas();
      s.created_ms = agg.created_unix_ms();
      add_deployment(s, &agg);
    } else {
      std::vector<const state::v1::ReplicaSet*> rss;
      for (const auto& rs : agg.replica_sets()) rss.push_back(&rs);
      std::sort(rss.begin(), rss.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
      for (const auto* rs : rss) {
        if (!matches_name(rs->name())) continue;
        nlohmann::json tmpl = ReplicaSetTemplate(*rs);
        fold::LabelMap labels;
        for (auto& [k, v] : tmpl["metadata"]["labels"].items()) labels[k] = v.get<std::string>();
        if (!selector->Matches(labels)) continue;
        ++listed;
        found.insert(rs->name());
        if (o.output == "name") object_names.push_back(rs->name());
        objects.push_back(ReplicaSetObject(agg, *rs));
        if (!as_table) continue;
        if (o.all_namespaces) cell(d.metadata().namespace_());
        cell(rs->name());
        for (int k = 0; k < 3; ++k) number(rs->replicas());
        cell(render::HumanDuration(now - rs->created_unix_ms()));
        if (o.output == "wide") {
          cell(ContainerNames(tmpl, false));
          cell(ContainerNames(tmpl, true));
          std::string sel = SelectorString(d.spec().selector());
          cell(sel + (sel.empty() ? "" : ",") + "pod-template-hash=" + rs->pod_template_hash());
        }
        end_row();
      }
    }
  }
  for (const auto& n : names) {
    if (explained.count(n)) {
      exit_code = 1;
    } else if (!found.count(n)) {
      fmt::print(stderr, "Error from server (NotFound): {}.apps \"{}\" not found\n", resource, n);
      exit_code = 1;
    }
  }
  if (listed == 0) {
    if (names.empty()) {
      if (o.all_namespaces) {
        fmt::print(stderr, "No resources found\n");
      } else {
        fmt::print(stderr, "No resources found in {} namespace.\n", cli.globals.ns);
      }
    }
    return exit_code;
  }
  if (o.output == "json" || o.output == "yaml") {
    const nlohmann::json doc = objects.size() == 1 && names.size() == 1 ? objects[0] : ListObject(objects);
    fmt::print("{}", o.output == "json" ? ToJson(doc) : ToYaml(doc));
    return exit_code;
  }
  if (o.output == "name") {
    for (const auto& n : object_names) {
      fmt::print("{}.apps/{}\n", *kind == Kind::kDeployment ? "deployment" : "replicaset", n);
    }
    return exit_code;
  }
  fmt::print("{}", render::AlignTabs(table, render::kGetTabs));
  return exit_code;
}

}  // namespace

void RegisterGet(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<GetOptions>();
  CLI::App* cmd = app.add_subcommand("get", "List Deployments or ReplicaSets");
  cmd->add_option("args", o->args, "deployments|replicasets [NAME ...]");
  cmd->add_option("-l,--selector", o->selector, "label selector (=, ==, !=, in, notin, exists, !)");
  cmd->add_flag("-A,--all-namespaces", o->all_namespaces, "list across all namespaces");
  cmd->add_option("-o,--output", o->output, "wide|json|yaml|name");
  AddAtFlags(cmd, o->at);
  cmd->callback([&cli, o] { cli.exit_code = Run(cli, *o); });
}

}  // namespace rollbook::cli
