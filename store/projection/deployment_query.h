// Deployment listing over the projection: the SQL behind `rollbook get
// deployments [NAME...] [-l SELECTOR] [-A]`.
//
// With a selector that needs a label (`k`, `k=v`, `k==v`, `k in (..)`), no
// names and no state wanted (the default output), the first such requirement
// drives the listing through deployment_listing (listing_row.h): the rows of
// that key and those values, in primary-key order, each carrying the printed
// columns and all the labels, on which the other requirements are checked in
// C++ with Requirement::MatchesValue. No join and no probe per Deployment.
// Each value's rows come in (namespace, name) order: with a few values, one
// statement per value, stepped side by side and merged as they are read;
// otherwise one statement, its runs collected and merged.
//
// Otherwise the statement reads `deployments` through the covering index
// deployments_listing, and each requirement becomes SQL: `k`, `!k`, `k=v`,
// `k==v`, `k in (..)`, `k!=v`, `k notin (..)` are exact EXISTS / NOT EXISTS
// probes on deployment_labels' primary key (namespace, name, key); `k>v` and
// `k<v` probe that the key exists and are then checked in C++ on the row's
// labels with Selector::Matches. Across all namespaces a label-needing
// requirement drives that statement too, from deployment_listing's key.
// tests/unit/deployment_query_test.cc checks the results against
// Selector::Matches on every Aggregate, and the query plans.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/fold/labels.h"
#include "store/projection/sqlite.h"

namespace rollbook::store {

// One live Deployment as `get deployments` prints it.
struct DeploymentSummary {
  std::string ns, name;
  int64_t replicas = 0;                           // spec.replicas
  int64_t updated = 0, ready = 0, available = 0;  // status
  int64_t created_ms = 0;
  std::string state;  // the serialized rollbook.state.v1.Aggregate; only with_state
};

struct DeploymentListQuery {
  std::string ns;                  // "" = all namespaces
  std::vector<std::string> names;  // empty = any name
  fold::Selector selector;         // Everything() by default
  bool with_state = false;
};

// The statement and its text parameters, in bind order.
struct DeploymentListSql {
  std::string sql;
  std::vector<std::string> params;
  bool check_in_cpp = false;  // a `>`/`<` requirement: rows are re-checked
  // Reads deployment_listing alone (rows: listing); the
  // requirements other than `driver` are checked in C++.
  bool by_label = false;
  int driver = -1;  // index of the driving requirement, or -1
  // by_label with `k=v` or `k in (..)` of at most kMaxMergedValues values:
  // `sql` selects one value's rows (bound as ?2) and is run once per value,
  // the statements stepped side by side and their rows merged as they come.
  // Empty otherwise: one statement, its runs collected and merged.
  std::vector<std::string> per_value;
};
inline constexpr size_t kMaxMergedValues = 8;
DeploymentListSql BuildDeploymentListSql(const DeploymentListQuery& query);

// One live Deployment as ForEachListedDeployment hands it over: the views are
// valid only during the call.
struct ListedDeployment {
  std::string_view ns, name;
  int64_t replicas = 0, updated = 0, ready = 0, available = 0, created_ms = 0;
  std::string_view state;  // only with_state
};

// The listed Deployment with its strings copied.
DeploymentSummary ToSummary(const ListedDeployment& d);

// `d` as ns/name with the printed columns of `c` (anything with the five
// fields: a decoded listing, a listing checkpoint's entry).
template <typename Columns>
void SetListed(ListedDeployment& d, std::string_view ns, std::string_view name, const Columns& c) {
  d.ns = ns;
  d.name = name;
  d.replicas = c.replicas;
  d.updated = c.updated;
  d.ready = c.ready;
  d.available = c.available;
  d.created_ms = c.created_ms;
}

// Calls fn for each live Deployment matching the query, sorted by namespace
// then name, without building a result: `get` appends its table's cells
// straight from the views. An error (a corrupt listing, SQLite) may come
// after some rows were handed over.
Status ForEachListedDeployment(Db& db, const DeploymentListQuery& query,
                               const std::function<void(const ListedDeployment&)>& fn);

// The same rows as a vector.
StatusOr<std::vector<DeploymentSummary>> ListDeployments(Db& db, const DeploymentListQuery& query);

}  // namespace rollbook::store
