// rollbook-bench-report: turns the step results of one bench/run into the
// figures of issue #6 — a Markdown table on stdout and one JSON file — and
// gives the bash driver two small JSON helpers.
//
//   compose --dir D --out FILE [--mode M] [--kafka-version V] [--kcat-version V] [--allocator A]
//           [--git G] [--load-start "1m 5m 15m"] [--started ISO]
//       Reads D/<step>.json (written by bench/run; any may be missing) and
//       D/notes.json (labels and reasons, see `note`), computes each figure
//       with its target, its same-run reference and the ratio, and adds the
//       machine (cores, memory, CPU model, load at start and end) and the
//       versions (librdkafka, SQLite, Kafka, compiler, kcat). A figure whose
//       inputs are missing is "n/a" with the reason noted by bench/run. A
//       figure measured with a stand-in for a verb that does not exist yet is
//       marked "proxy". Status is "met", "missed", "n/a" or "info".
//   note --dir D KEY VALUE   records D/notes.json[KEY] = VALUE.
//   get FILE POINTER         prints the JSON value at POINTER (RFC 6901,
//                            e.g. /workload/hot/0/name); strings unquoted.
#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return json();
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json() : j;
}

bool WriteJson(const fs::path& path, const json& j) {
  std::ofstream out(path, std::ios::trunc);
  out << j.dump(2) << "\n";
  return static_cast<bool>(out.flush());
}

std::optional<double> Num(const json& j, const std::string& pointer) {
  if (j.is_null()) return std::nullopt;
  const json::json_pointer p(pointer);
  if (!j.contains(p) || !j.at(p).is_number()) return std::nullopt;
  return j.at(p).get<double>();
}

std::string Str(const json& j, const std::string& key, const std::string& fallback = "") {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}

// 1234567.8 -> "1,234,568"
std::string Grouped(double v) {
  const bool negative = v < 0;
  std::string digits = fmt::format("{:.0f}", std::fabs(v));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string Ms(double ms) { return ms >= 100 ? fmt::format("{:.0f} ms", ms) : fmt::format("{:.2f} ms", ms); }
std::string Us(double us) { return us >= 1000 ? Ms(us / 1000) : fmt::format("{:.0f} µs", us); }
std::string Ratio(double r) { return fmt::format("{:.2f}×", r); }

struct Figure {
  Figure(std::string id_, std::string name_) : id(std::move(id_)), name(std::move(name_)) {}
  std::string id, name, measured, target, reference, ratio, status, how;
  json data = json::object();
};

std::string Status(bool available, bool met) { return !available ? "n/a" : met ? "met" : "missed"; }

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

double MemoryMiB() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kib = 0;
  while (in >> key >> kib) {
    if (key == "MemTotal:") return kib / 1024;
    in.ignore(256, '\n');
  }
  return 0;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  in >> a >> b >> c;
  return fmt::format("{:.2f} {:.2f} {:.2f}", a, b, c);
}

struct ComposeOptions {
  std::string dir, out, mode = "full", kafka_version, kcat_version, allocator, git, load_start, started;
};

int Compose(const ComposeOptions& o) {
  const fs::path d(o.dir);
  auto in = [&](const char* name) { return ReadJson(d / (std::string(name) + ".json")); };
  const json notes = in("notes");
  const json workload = in("workload");
  const double records = Num(workload, "/workload/records").value_or(0);
  auto note = [&](const std::string& key, const std::string& fallback) { return Str(notes, key, fallback); };

  std::vector<Figure> figures;

  // 1. Rebuild throughput.
  {
    Figure f{"1", "Rebuild throughput"};
    const json rebuild = in("rebuild"), kcat = in("kcat_read"), wal = in("ceiling_wal"),
               off = in("ceiling_off");
    const json pk = in("ceiling_wal_primary_key_only"), lean = in("ceiling_wal_lean");
    const json fold_alone = in("fold_alone");
    const auto secs = Num(rebuild, "/wall_ms/p50");
    const auto kcat_ms = Num(kcat, "/wall_ms/p50");
    const auto wal_rate = Num(wal, "/rows_per_second"), off_rate = Num(off, "/rows_per_second");
    f.how = note("rebuild_how", "");
    const bool bulk = note("rebuild_ceiling", "wal") == "off";
    const auto ceiling = bulk ? off_rate : wal_rate;
    const char* ceiling_name = bulk ? "raw SQLite, bulk load" : "raw SQLite, WAL";
    f.target = fmt::format("≥ 200,000 records/s and ≥ 0.7 × {}", ceiling_name);
    if (secs && records > 0) {
      const double rate = records / (*secs / 1000);
      const double cpu = Num(rebuild, "/user_s").value_or(0) + Num(rebuild, "/sys_s").value_or(0);
      f.measured = fmt::format("{} records/s ({} in {:.1f} s; {:.1f} s CPU)", Grouped(rate), Grouped(records),
                               *secs / 1000, cpu);
      f.data["records_per_second"] = rate;
      f.data["seconds"] = *secs / 1000;
      f.data["cpu_seconds"] = cpu;
      if (cpu > 0) f.data["records_per_cpu_second"] = records / cpu;
      std::vector<std::string> refs;
      if (kcat_ms) {
        refs.push_back(fmt::format("kcat -C read {} records/s", Grouped(records / (*kcat_ms / 1000))));
        f.data["kcat_read_records_per_second"] = records / (*kcat_ms / 1000);
      }
      if (wal_rate) {
        refs.push_back(fmt::format("raw SQLite WAL {} rows/s", Grouped(*wal_rate)));
        f.data["sqlite_wal_rows_per_second"] = *wal_rate;
      }
      if (off_rate) {
        refs.push_back(fmt::format("raw SQLite bulk load {} rows/s", Grouped(*off_rate)));
        f.data["sqlite_off_rows_per_second"] = *off_rate;
      }
      std::vector<std::string> info;
      if (const auto r = Num(pk, "/rows_per_second")) {
        info.push_back(fmt::format("WAL without secondary indexes {} rows/s", Grouped(*r)));
        f.data["sqlite_wal_primary_key_only_rows_per_second"] = *r;
      }
      if (const auto r = Num(lean, "/rows_per_second")) {
        info.push_back(fmt::format("WAL, rows without the record blob {} rows/s", Grouped(*r)));
        f.data["sqlite_wal_lean_rows_per_second"] = *r;
      }
      if (const auto r = Num(fold_alone, "/records_per_second")) {
        info.push_back(fmt::format("the fold alone, no Kafka or SQLite, {} records/s", Grouped(*r)));
        f.data["fold_alone_records_per_second"] = *r;
      }
      f.reference = fmt::format("{}", fmt::join(refs, "; "));
      if (!info.empty()) f.reference += fmt::format(" (info: {})", fmt::join(info, "; "));
      if (ceiling) {
        f.ratio = Ratio(rate / *ceiling) + " of " + ceiling_name;
        f.data["ratio_to_ceiling"] = rate / *ceiling;
      }
      f.status = Status(true, rate >= 200'000 && ceiling && rate / *ceiling >= 0.7);
    } else {
      f.status = "n/a";
      f.measured = note("rebuild_unavailable", "not measured");
    }
    figures.push_back(f);
  }

  // 2. Incremental apply.
  {
    Figure f{"2", "Incremental apply (projector daemon vs full-speed producer)"};
    const json follow = in("follow");
    f.target = "≥ 120,000 records/s sustained";
    f.how = note("follow_how", "");
    const auto rate = Num(follow, "/records_per_second");
    const auto produce = Num(follow, "/produce_seconds");
    const auto n = Num(follow, "/records");
    if (rate && produce && n) {
      f.measured = fmt::format("{} records/s", Grouped(*rate));
      f.reference = fmt::format("producer {} records/s", Grouped(*n / *produce));
      f.ratio = Ratio(*rate / (*n / *produce)) + " of producer";
      f.data = {{"records_per_second", *rate}, {"producer_records_per_second", *n / *produce}};
      f.status = Status(true, *rate >= 120'000);
    } else {
      f.status = "n/a";
      f.measured = note("follow_unavailable", "not measured");
    }
    figures.push_back(f);
  }

  // 3. Ingest.
  {
    Figure f{"3", "Ingest through rollbook's producer path"};
    const json kcat = in("kcat_produce");
    f.target = "≥ 0.8 × kcat -P";
    f.how = note("ingest_how", "");
    const auto rate = Num(workload, "/ingest/records_per_second");
    const auto kcat_ms = Num(kcat, "/wall_ms/p50");
    if (rate) {
      f.measured = fmt::format("{} records/s", Grouped(*rate));
      f.data["records_per_second"] = *rate;
      if (kcat_ms && records > 0) {
        const double kcat_rate = records / (*kcat_ms / 1000);
        f.reference = fmt::format("kcat -P {} msgs/s (same count, same sizes)", Grouped(kcat_rate));
        f.ratio = Ratio(*rate / kcat_rate);
        f.data["kcat_records_per_second"] = kcat_rate;
        f.data["ratio"] = *rate / kcat_rate;
        f.status = Status(true, *rate / kcat_rate >= 0.8);
      } else {
        f.status = "n/a";
      }
    } else {
      f.status = "n/a";
      f.measured = "not measured";
    }
    figures.push_back(f);
  }

  // 4. CLI write latency.
  {
    Figure f{"4", "CLI write latency (`rollbook scale`, projector running)"};
    const json scale = in("cli_scale"), kcat = in("kcat_one");
    f.target = "p50 ≤ 2 × kcat -P (one message)";
    f.how = note("cli_write_how", "");
    const auto p50 = Num(scale, "/wall_ms/p50"), p99 = Num(scale, "/wall_ms/p99");
    const auto k50 = Num(kcat, "/wall_ms/p50"), k99 = Num(kcat, "/wall_ms/p99");
    const auto runs = Num(scale, "/runs");
    if (p50 && p99 && k50 && k99) {
      f.measured = fmt::format("p50 {}, p99 {} ({} runs)", Ms(*p50), Ms(*p99), runs.value_or(0));
      f.reference = fmt::format("kcat -P p50 {}, p99 {}", Ms(*k50), Ms(*k99));
      f.ratio = Ratio(*p50 / *k50) + " (p50)";
      f.data = {{"p50_ms", *p50}, {"p99_ms", *p99}, {"kcat_p50_ms", *k50}, {"kcat_p99_ms", *k99}};
      // The in-process split of a write (query bench): append vs the catch-up applying it.
      const json query = in("query");
      const auto append = Num(query, "/write~1append/p50_us");
      const auto catchup = Num(query, "/write~1catchup_own_record/p50_us");
      if (append && catchup) {
        f.measured += fmt::format("; in process: append {} + catch-up of its own record {} (p50)",
                                  Us(*append), Us(*catchup));
        f.data["in_process_append_p50_us"] = *append;
        f.data["in_process_catchup_p50_us"] = *catchup;
      }
      f.status = Status(true, *p50 / *k50 <= 2);
    } else {
      f.status = "n/a";
      f.measured = note("cli_write_unavailable", "not measured");
    }
    figures.push_back(f);
  }

  // 5. Query latency, one row per query.
  {
    const json query = in("query");
    struct Q {
      const char* id;
      const char* name;
      const char* bench;
      const char* store;  // the same query at the store layer: the target's "query itself"
      const char* cli;
      const char* proxy_note;
    };
    const Q queries[] = {
        {"5a", "Query: `rollout history` of the hottest Deployment", "query/rollout_history",
         "store/rollout_history", "cli_history", nullptr},
        {"5b", "Query: `get deployments -A -l 'tier in (web,api),env!=dev'`", "query/get_selector",
         "store/get_selector", "cli_get", nullptr},
        {"5c", "Query: `audit -A` over a one-hour window", "query/audit_window", "store/audit_window",
         "cli_audit", "audit_how"},
        {"5d", "Query: `get deployments -A --at` a week back", "query/get_at", "store/get_at", "cli_at",
         "at_how"},
    };
    for (const Q& q : queries) {
      Figure f{q.id, q.name};
      f.target = "p99 ≤ 1 ms for the query in process";
      if (q.proxy_note != nullptr) f.how = note(q.proxy_note, "");
      auto pointer = [](const char* bench) {  // as a JSON pointer: '/' in a key is "~1"
        std::string base = std::string("/") + bench;
        base.replace(base.find('/', 1), 1, "~1");
        return base;
      };
      const std::string base = pointer(q.bench), store = pointer(q.store);
      const auto p50 = Num(query, base + "/p50_us"), p99 = Num(query, base + "/p99_us");
      const auto s50 = Num(query, store + "/p50_us"), s99 = Num(query, store + "/p99_us");
      const json cli = in(q.cli);
      const auto c50 = Num(cli, "/wall_ms/p50"), c99 = Num(cli, "/wall_ms/p99");
      if (p50 && p99) {
        // p50_us/p99_us keep their meaning of earlier runs: the whole verb in
        // process. The target is judged on the store-layer query when this
        // run measured it (runs before 2026-12-06's fifth session did not).
        f.data = {{"p50_us", *p50}, {"p99_us", *p99}};
        const double judged = s99 ? *s99 : *p99;
        if (s50 && s99) {
          f.measured = fmt::format(
              "query p50 {}, p99 {}; the whole verb in process (query + rendering) p50 {}, p99 {}", Us(*s50),
              Us(*s99), Us(*p50), Us(*p99));
          f.data["store_p50_us"] = *s50;
          f.data["store_p99_us"] = *s99;
        } else {
          f.measured = fmt::format("in process p50 {}, p99 {}", Us(*p50), Us(*p99));
        }
        f.ratio = Ratio(judged / 1000) + " of 1 ms (p99)";
        f.status = Status(true, judged <= 1000);
        if (f.how.rfind("proxy", 0) == 0) f.status += " (proxy)";
      } else {
        f.status = "n/a";
        f.measured = "not measured";
      }
      if (c50 && c99) {
        f.reference = fmt::format("whole CLI process p50 {}, p99 {}", Ms(*c50), Ms(*c99));
        f.data["cli_p50_ms"] = *c50;
        f.data["cli_p99_ms"] = *c99;
      } else {
        f.reference = "whole CLI process: " + note(std::string(q.cli) + "_unavailable", "not measured");
      }
      figures.push_back(f);
    }
  }

  // 6. Verify.
  {
    Figure f{"6", "Verify (`rollbook verify`)"};
    const json verify = in("verify"), kcat = in("kcat_read");
    f.target = "≤ 2 × kcat read time";
    const auto v = Num(verify, "/wall_ms/p50"), k = Num(kcat, "/wall_ms/p50");
    if (k) f.reference = fmt::format("kcat -C read {:.2f} s", *k / 1000);
    if (v && k) {
      const double cpu = Num(verify, "/user_s").value_or(0) + Num(verify, "/sys_s").value_or(0);
      f.measured = fmt::format("{:.2f} s ({} records/s; {:.1f} s CPU)", *v / 1000,
                               Grouped(records / (*v / 1000)), cpu);
      f.ratio = Ratio(*v / *k);
      f.data = {{"seconds", *v / 1000}, {"kcat_seconds", *k / 1000}, {"cpu_seconds", cpu}};
      f.status = Status(true, *v / *k <= 2);
    } else {
      f.status = "n/a";
      f.measured = note("verify_unavailable", "not measured");
    }
    figures.push_back(f);
  }

  // 7. Memory.
  {
    Figure f{"7", "Peak RSS of the rebuild"};
    f.target = "≤ 100 MiB at 1M records and within 10% of the 100k figure";
    const json big = in("rebuild"), small = in("rebuild_small");
    const bool full = records >= 1'000'000;
    // Plain doubles (-1 = not measured): GCC 12 misreads optionals here.
    const double big_kib = full ? Num(big, "/max_rss_kib").value_or(-1) : -1;
    const double small_kib = (full ? Num(small, "/max_rss_kib") : Num(big, "/max_rss_kib")).value_or(-1);
    std::vector<std::string> parts;
    if (big_kib >= 0) parts.push_back(fmt::format("{:.0f} MiB at {}", big_kib / 1024, Grouped(records)));
    if (small_kib >= 0) parts.push_back(fmt::format("{:.0f} MiB at 100,000", small_kib / 1024));
    f.measured = parts.empty() ? "not measured" : fmt::format("{}", fmt::join(parts, ", "));
    if (big_kib >= 0) f.data["rss_mib_1m"] = big_kib / 1024;
    if (small_kib >= 0) f.data["rss_mib_100k"] = small_kib / 1024;
    f.reference = "the 100,000-record rebuild of the same run";
    if (big_kib >= 0 && small_kib > 0) {
      f.ratio = Ratio(big_kib / small_kib) + " of 100k";
      f.status = Status(true, big_kib / 1024 <= 100 && big_kib / small_kib <= 1.10);
    } else if (small_kib >= 0) {
      f.status = small_kib / 1024 <= 100 ? "met at 100k; 1M not run (--quick)"
                                         : "missed at 100k; 1M not run (--quick)";
    } else {
      f.status = "n/a";
    }
    figures.push_back(f);
  }

  // 8. Projection size.
  {
    Figure f{"8", "Projection size"};
    f.target = "(reported)";
    const json stats = in("rebuild_stats"), wal = in("ceiling_wal");
    const auto bytes = Num(stats, "/bytes");
    const auto wal_bytes = Num(wal, "/bytes"), wal_rows = Num(wal, "/rows");
    const auto msg = Num(workload, "/workload/mean_message_bytes");
    if (bytes && records > 0) {
      f.measured = fmt::format("{} bytes/record ({:.0f} MiB for {})", Grouped(*bytes / records),
                               *bytes / 1048576, Grouped(records));
      f.data = {{"bytes_per_record", *bytes / records}, {"bytes", *bytes}};
      if (stats.contains("tables")) f.data["tables"] = stats["tables"];
      std::vector<std::string> refs;
      if (msg) refs.push_back(fmt::format("Kafka message {:.0f} bytes", *msg));
      if (wal_bytes && wal_rows)
        refs.push_back(fmt::format("audit index alone {:.0f} bytes/row", *wal_bytes / *wal_rows));
      f.reference = fmt::format("{}", fmt::join(refs, "; "));
      if (msg) f.ratio = Ratio(*bytes / records / *msg) + " of the message";
      f.status = "info";
    } else {
      f.status = "n/a";
      f.measured = "not measured";
    }
    figures.push_back(f);
  }

  // 9. Catch-up cost.
  {
    Figure f{"9", "Catch-up cost of a read (nothing to apply)"};
    f.target = "≤ 10 ms over the same read from SQLite alone";
    f.how = note("catchup_how", "");
    const json query = in("query");
    const auto with = Num(query, "/catchup~1read_with_catchup/p50_us");
    const auto without = Num(query, "/catchup~1read_sqlite_only/p50_us");
    const auto with99 = Num(query, "/catchup~1read_with_catchup/p99_us");
    if (with && without) {
      f.measured = fmt::format("+{} (p50; read with catch-up {}, p99 {})", Us(*with - *without), Us(*with),
                               Us(with99.value_or(0)));
      f.reference = fmt::format("same read, SQLite only: p50 {}", Us(*without));
      f.ratio = Ratio(*with / *without);
      f.data = {
          {"catchup_ms", (*with - *without) / 1000}, {"with_p50_us", *with}, {"without_p50_us", *without}};
      f.status = Status(true, (*with - *without) / 1000 <= 10);
    } else {
      f.status = "n/a";
      f.measured = "not measured";
    }
    figures.push_back(f);
  }

  // ---- output ------------------------------------------------------------------------
  json machine = {{"cores", std::thread::hardware_concurrency()},
                  {"memory_mib", std::round(MemoryMiB())},
                  {"cpu_model", CpuModel()},
                  {"load_average_start", o.load_start},
                  {"load_average_end", LoadAverage()}};
  json versions = {{"librdkafka", rd_kafka_version_str()},
                   {"sqlite", sqlite3_libversion()},
                   {"kafka", o.kafka_version},
                   {"allocator", o.allocator},
                   {"compiler", std::string(
#if defined(__clang__)
                                    "clang "
#elif defined(__GNUC__)
                                    "gcc "
#endif
                                    ) +
                                    __VERSION__},
                   {"kcat", o.kcat_version}};
  json figs = json::array();
  std::string md, footnotes;
  md += "| # | Figure | Measured | Target | Same-run reference | Ratio | Status |\n";
  md += "|---|---|---|---|---|---|---|\n";
  for (const Figure& f : figures) {
    json fj = {{"id", f.id},         {"name", f.name},           {"measured", f.measured},
               {"target", f.target}, {"reference", f.reference}, {"ratio", f.ratio},
               {"status", f.status}, {"values", f.data}};
    if (!f.how.empty()) fj["how"] = f.how;
    figs.push_back(fj);
    const bool proxy = f.how.rfind("proxy", 0) == 0;
    md += fmt::format("| {} | {}{} | {} | {} | {} | {} | {} |\n", f.id, f.name, proxy ? " (proxy)" : "",
                      f.measured, f.target, f.reference, f.ratio, f.status);
    if (!f.how.empty()) footnotes += fmt::format("- {}: {}\n", f.id, f.how);
  }
  if (!footnotes.empty()) md += "\nHow each figure was taken:\n" + footnotes;
  json result = {{"run", {{"mode", o.mode}, {"started", o.started}, {"git", o.git}, {"records", records}}},
                 {"machine", machine},
                 {"versions", versions},
                 {"workload", workload.contains("workload") ? workload["workload"] : json()},
                 {"figures", figs},
                 {"notes", notes},
                 {"steps", json::object()}};
  for (const auto& entry : fs::directory_iterator(d)) {
    if (entry.path().extension() == ".json" && entry.path().stem() != "notes") {
      result["steps"][entry.path().stem().string()] = ReadJson(entry.path());
    }
  }
  md += fmt::format("\nMachine: {} cores, {:.0f} MiB, {}; load average at start {}, at end {}.\n",
                    machine["cores"].get<unsigned>(), machine["memory_mib"].get<double>(),
                    machine["cpu_model"].get<std::string>(), o.load_start,
                    machine["load_average_end"].get<std::string>());
  md += fmt::format("Versions: librdkafka {}, SQLite {}, Kafka {}, {}, {}{}.\n", rd_kafka_version_str(),
                    sqlite3_libversion(), o.kafka_version, versions["compiler"].get<std::string>(),
                    o.kcat_version, o.allocator.empty() ? "" : "; allocator " + o.allocator);
  if (!o.out.empty() && !WriteJson(o.out, result)) {
    fmt::print(stderr, "rollbook-bench-report: cannot write {}\n", o.out);
    return 1;
  }
  fmt::print("{}", md);
  return 0;
}

int Note(const std::string& dir, const std::string& key, const std::string& value) {
  const fs::path path = fs::path(dir) / "notes.json";
  json notes = ReadJson(path);
  if (!notes.is_object()) notes = json::object();
  notes[key] = value;
  if (!WriteJson(path, notes)) {
    fmt::print(stderr, "rollbook-bench-report: cannot write {}\n", path.string());
    return 1;
  }
  return 0;
}

int Get(const std::string& file, const std::string& pointer) {
  const json j = ReadJson(file);
  if (j.is_null()) {
    fmt::print(stderr, "rollbook-bench-report: {} is missing or not JSON\n", file);
    return 1;
  }
  json::json_pointer p;
  try {
    p = json::json_pointer(pointer);
  } catch (const json::exception& e) {
    fmt::print(stderr, "rollbook-bench-report: bad pointer \"{}\": {}\n", pointer, e.what());
    return 2;
  }
  if (!j.contains(p)) {
    fmt::print(stderr, "rollbook-bench-report: {} has nothing at {}\n", file, pointer);
    return 1;
  }
  const json& v = j.at(p);
  if (v.is_string()) {
    fmt::print("{}\n", v.get<std::string>());
  } else if (v.is_number_float()) {
    fmt::print("{:.0f}\n", v.get<double>());
  } else {
    fmt::print("{}\n", v.dump());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rollbook-bench-report: figures of issue #6 from one bench/run"};
  app.require_subcommand(1);
  ComposeOptions c;
  CLI::App* compose = app.add_subcommand("compose", "print the Markdown table and write the JSON result");
  compose->add_option("--dir", c.dir, "directory of step results")->required();
  compose->add_option("--out", c.out, "JSON result file");
  compose->add_option("--mode", c.mode, "quick | full");
  compose->add_option("--kafka-version", c.kafka_version, "broker version");
  compose->add_option("--allocator", c.allocator, "malloc implementation of the rollbook binaries");
  compose->add_option("--kcat-version", c.kcat_version, "kcat version");
  compose->add_option("--git", c.git, "commit measured");
  compose->add_option("--load-start", c.load_start, "load average when the run started");
  compose->add_option("--started", c.started, "start time of the run");
  std::string dir, key, value, file, pointer;
  CLI::App* note = app.add_subcommand("note", "record a label or reason for compose");
  note->add_option("--dir", dir, "directory of step results")->required();
  note->add_option("key", key, "key")->required();
  note->add_option("value", value, "value")->required();
  CLI::App* get = app.add_subcommand("get", "print one value of a JSON file");
  get->add_option("file", file, "JSON file")->required();
  get->add_option("pointer", pointer, "JSON pointer")->required();
  CLI11_PARSE(app, argc, argv);
  if (compose->parsed()) return Compose(c);
  if (note->parsed()) return Note(dir, key, value);
  return Get(file, pointer);
}
