#include "store/projection/deployment_query.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "store/projection/listing_row.h"

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

// The first requirement that needs a label, or -1.
int DriverOf(const std::vector<fold::Requirement>& reqs) {
  for (size_t i = 0; i < reqs.size(); ++i) {
    if (NeedsLabel(reqs[i].op)) return static_cast<int>(i);
  }
  return -1;
}

// The corrupt-listing error of a label-driven listing.
Status CorruptListing(const std::string& key) {
  return DataLoss(
      fmt::format("a corrupt listing in deployment_listing (label {}); `rollbook admin rebuild` "
                  "rewrites the file from the log",
                  key));
}

// Whether a decoded listing meets every requirement but the driving one.
bool MatchesOthers(const std::vector<fold::Requirement>& reqs, int driver, const ListingView& v) {
  for (size_t r = 0; r < reqs.size(); ++r) {
    if (static_cast<int>(r) != driver && !reqs[r].MatchesValue(v.Label(reqs[r].key))) return false;
  }
  return true;
}

// DeploymentListSql::per_value: one statement per value, each stepping that
// value's Deployments in namespace, name order; the smallest head is handed
// over and its statement stepped, so rows go out as they are read, with no
// copy and no second pass (a Deployment has one value per key, so the
// statements never yield the same one). The caller holds one read
// transaction around it (ForEachByValueInOneSnapshot).
Status ForEachByValue(Db& db, const DeploymentListQuery& q, const DeploymentListSql& built,
                      const std::function<void(const ListedDeployment&)>& fn) {
  const auto& reqs = q.selector.requirements();
  const std::string& key = reqs[static_cast<size_t>(built.driver)].key;
  struct Stream {
    Stmt stmt;
    ListingView head;
    bool live = true;
  };
  std::vector<Stream> streams(built.per_value.size());
  // Steps `st` to its next row that meets the other requirements.
  auto advance = [&](Stream& st) -> Status {
    for (;;) {
      RB_ASSIGN_OR_RETURN(bool row, st.stmt.Step());
      if (!row) {
        st.live = false;
        return Status::Ok();
      }
      if (!DecodeListing(st.stmt.BlobView(0), &st.head)) return CorruptListing(key);
      if (MatchesOthers(reqs, built.driver, st.head)) return Status::Ok();
    }
  };
  for (size_t i = 0; i < streams.size(); ++i) {
    RB_ASSIGN_OR_RETURN(streams[i].stmt, db.Prepare(built.sql));
    for (size_t k = 0; k < built.params.size(); ++k) {
      streams[i].stmt.Bind(static_cast<int>(k + 1), k == 1 ? built.per_value[i] : built.params[k]);
    }
    RB_RETURN_IF_ERROR(advance(streams[i]));
  }
  ListedDeployment d;
  for (;;) {
    Stream* next = nullptr;
    for (Stream& st : streams) {
      if (!st.live) continue;
      if (next == nullptr) {
        next = &st;
        continue;
      }
      const int c = st.head.ns.compare(next->head.ns);
      if (c < 0 || (c == 0 && st.head.name < next->head.name)) next = &st;
    }
    if (next == nullptr) return Status::Ok();
    SetListed(d, next->head.ns, next->head.name, next->head);
    fn(d);
    RB_RETURN_IF_ERROR(advance(*next));
  }
}

// ForEachByValue in one read transaction. Without it each statement takes
// its snapshot when it starts, and one that ends before the next starts (a
// value with no rows) lets a commit in between show a Deployment that changed
// its value under both values or under neither. Inside a transaction the
// caller already holds one snapshot.
Status ForEachByValueInOneSnapshot(Db& db, const DeploymentListQuery& q, const DeploymentListSql& built,
                                   const std::function<void(const ListedDeployment&)>& fn) {
  if (sqlite3_get_autocommit(db.raw()) == 0) return ForEachByValue(db, q, built, fn);
  RB_RETURN_IF_ERROR(db.Exec("BEGIN"));
  const Status listed = ForEachByValue(db, q, built, fn);  // its statements are finalized on return
  const Status ended = db.Exec("COMMIT");                  // read-only: ends the snapshot
  if (!listed.ok()) return listed;
  return ended;
}

// Rows of the label-driven statement when it is one statement (`k`, or more
// than kMaxMergedValues values): one run per matching value of the driving
// label, each in namespace, name order; the other requirements are checked on
// the packed labels, the runs collected and merged, and the rows handed to fn
// in order.
Status ForEachByLabel(Db& db, const DeploymentListQuery& q, const DeploymentListSql& built,
                      const std::function<void(const ListedDeployment&)>& fn) {
  const auto& reqs = q.selector.requirements();
  RB_ASSIGN_OR_RETURN(Stmt s, db.Prepare(built.sql));
  for (size_t i = 0; i < built.params.size(); ++i) s.Bind(static_cast<int>(i + 1), built.params[i]);
  // Kept rows are gathered compactly first (names in one buffer) and each
  // DeploymentSummary is built once, in order: growing and merging a vector
  // of them moved every string two or three times.
  struct Kept {
    size_t ns_at, ns_size, name_at, name_size;
    int64_t replicas, updated, ready, available, created_ms;
  };
  std::string names;
  std::vector<Kept> kept;
  auto ns_of = [&](const Kept& k) { return std::string_view(names).substr(k.ns_at, k.ns_size); };
  auto name_of = [&](const Kept& k) { return std::string_view(names).substr(k.name_at, k.name_size); };
  auto before = [&](uint32_t a, uint32_t b) {
    const Kept &x = kept[a], &y = kept[b];
    const int c = ns_of(x).compare(ns_of(y));
    return c < 0 || (c == 0 && name_of(x) < name_of(y));
  };
  std::vector<size_t> run_starts;  // where (namespace, name) order restarts
  ListingView v;
  for (;;) {
    RB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (!DecodeListing(s.BlobView(0), &v)) return CorruptListing(reqs[static_cast<size_t>(built.driver)].key);
    if (!MatchesOthers(reqs, built.driver, v)) continue;
    kept.push_back({names.size(), v.ns.size(), names.size() + v.ns.size(), v.name.size(), v.replicas,
                    v.updated, v.ready, v.available, v.created_ms});
    names.append(v.ns).append(v.name);
    const auto n = static_cast<uint32_t>(kept.size());
    if (n > 1 && before(n - 1, n - 2)) run_starts.push_back(n - 1);
  }
  // Merge adjacent runs pairwise until one is left: O(n log runs), on indexes.
  std::vector<uint32_t> order(kept.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<size_t> bounds = {0};
  bounds.insert(bounds.end(), run_starts.begin(), run_starts.end());
  bounds.push_back(order.size());
  auto at = [&order](size_t k) { return order.begin() + static_cast<ptrdiff_t>(k); };
  while (bounds.size() > 2) {
    std::vector<size_t> merged = {0};
    for (size_t k = 0; k + 1 < bounds.size(); k += 2) {
      if (k + 2 < bounds.size()) {
        std::inplace_merge(at(bounds[k]), at(bounds[k + 1]), at(bounds[k + 2]), before);
        merged.push_back(bounds[k + 2]);
      } else {
        merged.push_back(bounds[k + 1]);
      }
    }
    bounds = std::move(merged);
  }
  ListedDeployment d;
  for (const uint32_t i : order) {
    SetListed(d, ns_of(kept[i]), name_of(kept[i]), kept[i]);
    fn(d);
  }
  return Status::Ok();
}

}  // namespace

DeploymentListSql BuildDeploymentListSql(const DeploymentListQuery& q) {
  DeploymentListSql out;
  const auto& reqs = q.selector.requirements();
  if (q.names.empty() && !q.with_state) {
    out.driver = DriverOf(reqs);
    if (out.driver >= 0) {
      // deployment_listing alone: SQLite neither joins nor sorts.
      out.by_label = true;
      const fold::Requirement& d = reqs[static_cast<size_t>(out.driver)];
      out.sql = "SELECT listing FROM deployment_listing WHERE key = ?";
      out.params.push_back(d.key);
      const std::set<std::string> values(d.values.begin(), d.values.end());
      if (d.op != SelectorOp::kExists && !values.empty() && values.size() <= kMaxMergedValues) {
        out.per_value.assign(values.begin(), values.end());
        out.sql += " AND value = ?";
        out.params.push_back(out.per_value.front());
      } else if (d.op != SelectorOp::kExists) {
        out.sql += fmt::format(" AND value IN ({})", Placeholders(d.values.size()));
        out.params.insert(out.params.end(), d.values.begin(), d.values.end());
      }
      if (!q.ns.empty()) {
        out.sql += " AND namespace = ?";
        out.params.push_back(q.ns);
      }
      // No ORDER BY: the rows come in primary-key order, one run per value,
      // and ForEachListedDeployment merges the runs (any order would do).
      return out;
    }
  }
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
  const int driver = q.ns.empty() && q.names.empty() ? DriverOf(reqs) : -1;
  if (driver >= 0) {
    LabelTest t = TestFor(reqs[static_cast<size_t>(driver)], "l", out.params);
    // CROSS JOIN keeps the label index as the outer loop.
    out.sql = fmt::format(
        "SELECT {} FROM deployment_listing AS l CROSS JOIN deployments AS d "
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

Status ForEachListedDeployment(Db& db, const DeploymentListQuery& q,
                               const std::function<void(const ListedDeployment&)>& fn) {
  // Selector::Nothing(): not Empty() yet without requirements.
  if (!q.selector.Empty() && q.selector.requirements().empty()) return Status::Ok();
  const DeploymentListSql built = BuildDeploymentListSql(q);
  if (built.by_label && !built.per_value.empty()) return ForEachByValueInOneSnapshot(db, q, built, fn);
  if (built.by_label) return ForEachByLabel(db, q, built, fn);
  RB_ASSIGN_OR_RETURN(Stmt s, db.Prepare(built.sql));
  for (size_t i = 0; i < built.params.size(); ++i) s.Bind(static_cast<int>(i + 1), built.params[i]);
  ListedDeployment d;
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
    d.ns = s.TextView(0);
    d.name = s.TextView(1);
    d.replicas = s.Int(2);
    d.updated = s.Int(3);
    d.ready = s.Int(4);
    d.available = s.Int(5);
    d.created_ms = s.Int(6);
    if (q.with_state) d.state = s.BlobView(8);
    fn(d);
  }
  return Status::Ok();
}

StatusOr<std::vector<DeploymentSummary>> ListDeployments(Db& db, const DeploymentListQuery& q) {
  std::vector<DeploymentSummary> out;
  RB_RETURN_IF_ERROR(
      ForEachListedDeployment(db, q, [&out](const ListedDeployment& d) { out.push_back(ToSummary(d)); }));
  return out;
}

DeploymentSummary ToSummary(const ListedDeployment& d) {
  DeploymentSummary s;
  s.ns = d.ns;
  s.name = d.name;
  s.replicas = d.replicas;
  s.updated = d.updated;
  s.ready = d.ready;
  s.available = d.available;
  s.created_ms = d.created_ms;
  s.state = d.state;
  return s;
}

}  // namespace rollbook::store
