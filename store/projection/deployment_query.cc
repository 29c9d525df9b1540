#include "store/projection/deployment_query.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace rollbook::store {

namespace {

using fold::SelectorOp;

bool NeedsLabel(SelectorOp op) {
  return op == SelectorOp::kExists || op == SelectorOp::kEquals || op == SelectorOp::kDoubleEquals ||
         op == SelectorOp::kIn;
}

// "?,?,?" for n values.
std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ",?";
  return out;
}

// The condition on label table alias `x` (already restricted to one
// Deployment, or the driving scan) for one requirement: "key = ?" plus the
// value test. Returns whether the requirement holds when a row exists
// (EXISTS) or when none does (NOT EXISTS).
struct LabelTest {
  std::string condition;
  bool negated = false;
};
LabelTest TestFor(const fold::Requirement& r, const std::string& alias, std::vector<std::string>& params) {
  LabelTest t;
  t.condition = alias + ".key = ?";
  params.push_back(r.key);
  switch (r.op) {
    case SelectorOp::kExists:
    case SelectorOp::kGreaterThan:  // the key must exist; the comparison is checked in C++
    case SelectorOp::kLessThan:
      break;
    case SelectorOp::kDoesNotExist:
      t.negated = true;
      break;
    case SelectorOp::kEquals:
    case SelectorOp::kDoubleEquals:
    case SelectorOp::kIn:
    case SelectorOp::kNotEquals:
    case SelectorOp::kNotIn:
      t.condition += fmt::format(" AND {}.value IN ({})", alias, Placeholders(r.values.size()));
      params.insert(params.end(), r.values.begin(), r.values.end());
      t.negated = r.op == SelectorOp::kNotEquals || r.op == SelectorOp::kNotIn;
      break;
  }
  return t;
}

}  // namespace

DeploymentListSql BuildDeploymentListSql(const DeploymentListQuery& q) {
  DeploymentListSql out;
  const auto& reqs = q.selector.requirements();
  for (const auto& r : reqs) {
    if (r.op == SelectorOp::kGreaterThan || r.op == SelectorOp::kLessThan) out.check_in_cpp = true;
  }
  // The covering index deployments_listing answers the plain columns; the
  // labels and the state come from the table only when needed.
  std::string columns = "d.namespace, d.name, d.replicas, d.updated, d.ready, d.available, d.created_ms";
  columns += out.check_in_cpp ? ", d.labels_json" : ", NULL";
  if (q.with_state) columns += ", d.state";

  // Across all namespaces with no names, a requirement that needs a label
  // drives the query from the label index.
  int driver = -1;
  if (q.ns.empty() && q.names.empty()) {
    for (size_t i = 0; i < reqs.size(); ++i) {
      if (NeedsLabel(reqs[i].op)) {
        driver = static_cast<int>(i);
        break;
      }
    }
  }
  if (driver >= 0) {
    LabelTest t = TestFor(reqs[static_cast<size_t>(driver)], "l", out.params);
    // CROSS JOIN keeps the label index as the outer loop.
    out.sql = fmt::format(
        "SELECT {} FROM deployment_labels AS l CROSS JOIN deployments AS d "
        "ON d.namespace = l.namespace AND d.name = l.name WHERE {}",
        columns, t.condition);
  } else {
    out.sql = fmt::format("SELECT {} FROM deployments AS d WHERE 1", columns);
  }
  out.sql += " AND d.live = 1";
  if (!q.ns.empty()) {
    out.sql += " AND d.namespace = ?";
    out.params.push_back(q.ns);
  }
  if (!q.names.empty()) {
    out.sql += fmt::format(" AND d.name IN ({})", Placeholders(q.names.size()));
    out.params.insert(out.params.end(), q.names.begin(), q.names.end());
  }
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (static_cast<int>(i) == driver) continue;
    LabelTest t = TestFor(reqs[i], "x", out.params);
    out.sql += fmt::format(
        " AND {}EXISTS (SELECT 1 FROM deployment_labels AS x"
        " WHERE x.namespace = d.namespace AND x.name = d.name AND {})",
        t.negated ? "NOT " : "", t.condition);
  }
  out.sql += " ORDER BY d.namespace, d.name";
  return out;
}

StatusOr<std::vector<DeploymentSummary>> ListDeployments(Db& db, const DeploymentListQuery& q) {
  std::vector<DeploymentSummary> out;
  // Selector::Nothing(): not Empty() yet without requirements.
  if (!q.selector.Empty() && q.selector.requirements().empty()) return out;
  const DeploymentListSql built = BuildDeploymentListSql(q);
  RB_ASSIGN_OR_RETURN(Stmt s, db.Prepare(built.sql));
  for (size_t i = 0; i < built.params.size(); ++i) s.Bind(static_cast<int>(i + 1), built.params[i]);
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (built.check_in_cpp) {
      nlohmann::json labels = nlohmann::json::parse(s.Text(7), nullptr, false);
      fold::LabelMap map;
      if (labels.is_object()) {
        for (auto it = labels.begin(); it != labels.end(); ++it) {
          if (it->is_string()) map[it.key()] = it->get<std::string>();
        }
      }
      if (!q.selector.Matches(map)) continue;
    }
    DeploymentSummary d;
    d.ns = s.Text(0);
    d.name = s.Text(1);
    d.replicas = s.Int(2);
    d.updated = s.Int(3);
    d.ready = s.Int(4);
    d.available = s.Int(5);
    d.created_ms = s.Int(6);
    if (q.with_state) d.state = s.Blob(8);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace rollbook::store
