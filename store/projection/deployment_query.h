// Deployment listing over the projection: the SQL behind `rollbook get
// deployments [NAME...] [-l SELECTOR] [-A]`, answered from the covering index
// deployments_listing and the deployment_labels table, so that a listing
// reads no state row unless its caller asks for the state (-o wide|json|yaml).
//
// A label selector (store/fold/labels.h) becomes SQL: `k`, `!k`, `k=v`,
// `k==v`, `k in (..)`, `k!=v`, `k notin (..)` are exact EXISTS / NOT EXISTS
// probes on deployment_labels' primary key (namespace, name, key); `k>v` and
// `k<v` probe that the key exists and are then checked in C++ on the row's
// labels with Selector::Matches. Across all namespaces, the first requirement
// that needs a label (`k`, `k=v`, `k==v`, `k in (..)`) drives the query
// through deployment_labels_by_value(key, value), so only Deployments carrying
// that label are visited; otherwise (one namespace, names given, or only
// negative requirements) the deployments table's primary key drives it.
// tests/unit/deployment_query_test.cc checks the results against
// Selector::Matches on every Aggregate, and the query plans.
#pragma once

#include <cstdint>
#include <string>
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
};
DeploymentListSql BuildDeploymentListSql(const DeploymentListQuery& query);

// Live Deployments matching the query, sorted by namespace then name.
StatusOr<std::vector<DeploymentSummary>> ListDeployments(Db& db, const DeploymentListQuery& query);

}  // namespace rollbook::store
