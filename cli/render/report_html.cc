#include "cli/render/report_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <set>

namespace rollbook::render {

namespace {

// Chart geometry (SVG user units; the SVG scales to the page width).
constexpr double kWidth = 1120, kHeight = 400;
constexpr double kLeft = 56, kRight = 24, kTop = 64, kBottom = 44;

constexpr const char* kPalette[] = {"#0d9488", "#ea580c", "#9333ea", "#16a34a", "#0891b2",
                                    "#ca8a04", "#db2777", "#4f46e5", "#65a30d", "#0f766e"};

std::string Utc(int64_t unix_ms, const char* format) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

std::string Rfc3339(int64_t unix_ms) {
  const int64_t ms = ((unix_ms % 1000) + 1000) % 1000;
  const std::string base = Utc(unix_ms, "%Y-%m-%dT%H:%M:%S");
  return ms == 0 ? base + "Z" : fmt::format("{}.{:03}Z", base, ms);
}

std::string Num(double v) { return fmt::format("{:.1f}", v); }

struct Scale {
  int64_t t0 = 0, t1 = 1;
  int32_t ymax = 1;
  double X(int64_t t) const {
    return kLeft + (kWidth - kLeft - kRight) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
  }
  double Y(int32_t v) const {
    return kTop + (kHeight - kTop - kBottom) * (1.0 - static_cast<double>(v) / ymax);
  }
};

// A grid step giving at most ~8 horizontal lines.
int32_t YStep(int32_t ymax) {
  for (int32_t step : {1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000}) {
    if (ymax / step <= 8) return step;
  }
  return std::max<int32_t>(1, ymax / 8);
}

std::string ShortImages(const std::string& images) {
  // "web=nginx:1.27,side=envoy" -> "nginx:1.27, envoy"
  std::string out;
  size_t start = 0;
  while (start <= images.size()) {
    size_t comma = images.find(',', start);
    if (comma == std::string::npos) comma = images.size();
    const std::string item = images.substr(start, comma - start);
    const size_t eq = item.find('=');
    if (!item.empty())
      out += (out.empty() ? "" : ", ") + (eq == std::string::npos ? item : item.substr(eq + 1));
    start = comma + 1;
  }
  return out;
}

bool IsRevision(const ReportChange& c) {
  return c.outcome == "applied" && c.revision_after != c.revision_before;
}

std::string Chart(const ReportData& d) {
  Scale s;
  std::vector<int64_t> times;
  for (const auto& sample : d.samples) times.push_back(sample.time_ms);
  for (const auto& c : d.changes) times.push_back(c.time_ms);
  if (times.empty()) times.push_back(0);
  const int64_t lo = *std::min_element(times.begin(), times.end());
  const int64_t hi = *std::max_element(times.begin(), times.end());
  const int64_t span = std::max<int64_t>(hi - lo, 1000);
  s.t0 = lo - span / 25;
  s.t1 = lo + span + span / 25;
  for (const auto& sample : d.samples) {
    s.ymax = std::max(s.ymax, sample.desired);
    for (const auto& [name, size] : sample.sizes) s.ymax = std::max(s.ymax, size);
  }
  const int32_t step = YStep(s.ymax);
  s.ymax = ((s.ymax + step - 1) / step) * step + (s.ymax % step == 0 ? step : 0);

  std::string svg = fmt::format(
      "<svg id=\"timeline\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"Replicas per ReplicaSet over "
      "time\" "
      "xmlns=\"http://www.w3.org/2000/svg\">\n",
      kWidth, kHeight);
  // Grid and axes.
  for (int32_t v = 0; v <= s.ymax; v += step) {
    svg += fmt::format("<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", Num(kLeft),
                       Num(s.Y(v)), Num(kWidth - kRight), Num(s.Y(v)));
    svg += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                       Num(kLeft - 8), Num(s.Y(v) + 4), v);
  }
  // Time ticks: dates for long windows, tenths of seconds for short ones.
  const int64_t range = s.t1 - s.t0;
  for (int i = 0; i <= 5; ++i) {
    const int64_t t = s.t0 + range * i / 5;
    std::string label = Utc(t, range > 86'400'000 ? "%m-%d %H:%M" : "%H:%M:%S");
    if (range < 30'000) label += fmt::format(".{}", ((t % 1000) + 1000) % 1000 / 100);
    svg += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text>\n", Num(s.X(t)),
                       Num(kHeight - kBottom + 18),
                       i == 0   ? "start"
                       : i == 5 ? "end"
                                : "middle",
                       label);
  }
  svg += fmt::format("<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">broker time (UTC)</text>\n",
                     Num(kWidth - kRight), Num(kHeight - 6));
  svg += fmt::format(
      "<text class=\"axis\" x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" "
      "text-anchor=\"middle\">replicas</text>\n",
      Num((kTop + kHeight - kBottom) / 2), Num((kTop + kHeight - kBottom) / 2));

  // Markers first, so the lines are drawn over them.
  int label_row = 0;
  for (const auto& c : d.changes) {
    if (c.outcome != "applied") continue;
    const double x = s.X(c.time_ms);
    const std::string record = fmt::format("{}:{}", c.partition, c.offset);
    const std::string tip = HtmlEscape(fmt::format("{} {} by {}{}{}", Rfc3339(c.time_ms), c.kind, c.actor,
                                                   c.change_cause.empty() ? "" : ": ", c.change_cause));
    if (IsRevision(c)) {
      const bool rollback = c.kind == "rollback";
      const double label_y = 18 + 16 * (label_row++ % 2);
      svg += fmt::format(
          "<g class=\"marker-group\"><title>{}</title><line class=\"marker {}\" data-record=\"{}\" x1=\"{}\" "
          "y1=\"{}\" "
          "x2=\"{}\" y2=\"{}\"/>",
          tip, rollback ? "rollback" : "revision", record, Num(x), Num(label_y + 6), Num(x),
          Num(kHeight - kBottom));
      svg += fmt::format(
          "<text class=\"marker-label {}\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}rev {} · {}</text>"
          "</g>\n",
          rollback ? "rollback" : "revision", Num(x), Num(label_y), rollback ? "\u27f2 " : "",
          c.revision_after, HtmlEscape(c.actor));
    } else {
      svg += fmt::format(
          "<g class=\"marker-group\"><title>{}</title><circle class=\"marker change\" data-record=\"{}\" "
          "cx=\"{}\" cy=\"{}\" r=\"4\"/></g>\n",
          tip, record, Num(x), Num(kHeight - kBottom));
    }
  }

  // Desired replicas, dashed.
  if (!d.samples.empty()) {
    std::string points;
    int32_t prev = d.samples.front().desired;
    for (const auto& sample : d.samples) {
      points += fmt::format("{},{} {},{} ", Num(s.X(sample.time_ms)), Num(s.Y(prev)),
                            Num(s.X(sample.time_ms)), Num(s.Y(sample.desired)));
      prev = sample.desired;
    }
    points += fmt::format("{},{}", Num(s.X(s.t1)), Num(s.Y(prev)));
    svg += fmt::format("<polyline class=\"desired\" points=\"{}\"><title>spec.replicas</title></polyline>\n",
                       points);
  }
  // One step line per ReplicaSet, from its first sample to the end (or to 0
  // where it disappears).
  for (size_t i = 0; i < d.replica_sets.size(); ++i) {
    const ReportReplicaSet& rs = d.replica_sets[i];
    std::string points;
    bool started = false, ended = false;
    int32_t prev = 0;
    for (const auto& sample : d.samples) {
      auto it = sample.sizes.find(rs.name);
      if (!started && it == sample.sizes.end()) continue;
      const int32_t size = it == sample.sizes.end() ? 0 : it->second;
      const double x = s.X(sample.time_ms);
      if (!started) {
        points += fmt::format("{},{} ", Num(x), Num(s.Y(size)));
        started = true;
      } else {
        points += fmt::format("{},{} {},{} ", Num(x), Num(s.Y(prev)), Num(x), Num(s.Y(size)));
      }
      prev = size;
      if (it == sample.sizes.end()) {
        ended = true;
        break;
      }
    }
    if (!started) continue;
    if (!ended) points += fmt::format("{},{}", Num(s.X(s.t1)), Num(s.Y(prev)));
    svg += fmt::format(
        "<polyline class=\"rs-line\" data-rs=\"{}\" style=\"stroke:{}\" points=\"{}\"><title>{} (revision "
        "{}): "
        "{}</title></polyline>\n",
        HtmlEscape(rs.name), kPalette[i % std::size(kPalette)], points, HtmlEscape(rs.name), rs.revision,
        HtmlEscape(ShortImages(rs.images)));
  }
  svg += "</svg>\n";
  return svg;
}

std::string Legend(const ReportData& d) {
  std::string out = "<ul class=\"legend\">\n";
  for (size_t i = 0; i < d.replica_sets.size(); ++i) {
    const auto& rs = d.replica_sets[i];
    out += fmt::format(
        "<li><span class=\"swatch\" style=\"background:{}\"></span>rev {} · <code>{}</code> · {}</li>\n",
        kPalette[i % std::size(kPalette)], rs.revision, HtmlEscape(rs.name),
        HtmlEscape(ShortImages(rs.images)));
  }
  out += "<li><span class=\"swatch desired\"></span>desired replicas (spec.replicas)</li>\n";
  out += "<li><span class=\"swatch revision\"></span>new revision</li>\n";
  out += "<li><span class=\"swatch rollback\"></span>rollback</li>\n</ul>\n";
  return out;
}

std::string Arrow(const std::string& before, const std::string& after) {
  if (before == after) return HtmlEscape(after);
  return fmt::format("{} → {}", before.empty() ? "–" : HtmlEscape(before),
                     after.empty() ? "–" : HtmlEscape(after));
}

std::string Table(const ReportData& d) {
  std::string out =
      "<table id=\"changes\">\n<thead><tr><th>Record</th><th>Broker time "
      "(UTC)</th><th>Actor</th><th>Host</th>"
      "<th>Kind</th><th>Revision</th><th>Replicas</th><th>Images</th><th>Change-cause</th><th>Outcome</th>"
      "</tr></thead>\n<tbody>\n";
  for (const auto& c : d.changes) {
    const bool applied = c.outcome == "applied";
    std::string classes = std::string("change ") + (applied ? "applied" : "rejected");
    if (c.kind == "rollback") classes += " rollback";
    if (IsRevision(c)) classes += " new-revision";
    const std::string outcome = applied ? HtmlEscape(c.message)
                                        : fmt::format("<span class=\"reason\">{}</span> {}",
                                                      HtmlEscape(c.reason), HtmlEscape(c.message));
    out += fmt::format(
        "<tr id=\"rec-{}-{}\" class=\"{}\" data-record=\"{}:{}\"><td class=\"mono\">{}:{}</td><td "
        "class=\"mono\">{}"
        "</td><td>{}</td><td>{}</td><td class=\"kind\">{}</td><td class=\"num\">{}</td><td "
        "class=\"num\">{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td></tr>\n",
        c.partition, c.offset, classes, c.partition, c.offset, c.partition, c.offset, Rfc3339(c.time_ms),
        HtmlEscape(c.actor), HtmlEscape(c.host), HtmlEscape(c.kind),
        Arrow(c.revision_before ? std::to_string(c.revision_before) : "",
              c.revision_after ? std::to_string(c.revision_after) : ""),
        Arrow(std::to_string(c.replicas_before), std::to_string(c.replicas_after)),
        Arrow(ShortImages(c.images_before), ShortImages(c.images_after)),
        c.change_cause.empty() ? "<span class=\"none\">&lt;none&gt;</span>" : HtmlEscape(c.change_cause),
        outcome);
  }
  out += "</tbody>\n</table>\n";
  return out;
}

constexpr const char* kStyle = R"css(
:root { --fg:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#ffffff; --accent:#2563eb; --bad:#dc2626; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans",
       sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.facts { display: flex; gap: 28px; flex-wrap: wrap; margin: 12px 0 8px; }
.fact b { display: block; font-size: 20px; }
.fact span { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
#timeline { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 8px; background: #fcfcfd; }
#timeline .grid { stroke: var(--line); stroke-width: 1; }
#timeline .axis { fill: var(--muted); font-size: 12px; }
#timeline .rs-line { fill: none; stroke-width: 3; stroke-linejoin: round; }
#timeline .desired { fill: none; stroke: #9ca3af; stroke-width: 1.5; stroke-dasharray: 6 4; }
#timeline .marker { stroke-width: 1.5; stroke-dasharray: 3 3; }
#timeline .marker.revision { stroke: var(--accent); }
#timeline .marker.rollback { stroke: var(--bad); stroke-width: 2.5; stroke-dasharray: none; }
#timeline .marker.change { fill: #9ca3af; stroke: #fff; stroke-width: 1.5; }
#timeline .marker-label { font-size: 12px; font-weight: 600; }
#timeline .marker-label.revision { fill: var(--accent); }
#timeline .marker-label.rollback { fill: var(--bad); }
#timeline .marker-group { cursor: pointer; }
#timeline .marker-group.hot .marker { stroke-width: 4; }
.legend { list-style: none; padding: 0; margin: 10px 0 0; display: flex; flex-wrap: wrap; gap: 6px 22px;
          color: var(--muted); }
.swatch { display: inline-block; width: 18px; height: 4px; margin-right: 6px; vertical-align: middle;
          border-radius: 2px; }
.swatch.desired { background: repeating-linear-gradient(90deg, #9ca3af 0 6px, transparent 6px 10px); }
.swatch.revision { background: var(--accent); height: 2px; }
.swatch.rollback { background: var(--bad); height: 3px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; position: sticky; top: 0; background: #f3f4f6; padding: 6px 8px; border-bottom: 1px solid
     var(--line); white-space: nowrap; }
td { padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
tr.change.rejected td { color: var(--muted); text-decoration-line: line-through; text-decoration-color: #d1d5db; }
tr.change.rejected td:last-child { text-decoration: none; }
tr.change.new-revision td:first-child { box-shadow: inset 3px 0 0 var(--accent); }
tr.change.rollback td { background: #fef2f2; }
tr.change.rollback td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
tr.change.hot td { background: #fef9c3; }
td.mono, td.kind { white-space: nowrap; }
.mono, code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.num { white-space: nowrap; }
.none { color: var(--muted); }
.reason { color: var(--bad); font-weight: 600; }
.filter { margin: 0 0 8px; }
.filter input { font: inherit; padding: 4px 8px; width: 280px; border: 1px solid var(--line); border-radius: 6px; }
footer { color: var(--muted); margin-top: 24px; font-size: 12px; }
)css";

// Links chart markers and table rows, and filters the table. No network, no libraries.
constexpr const char* kScript = R"js(
(function () {
  function rowOf(record) { return document.getElementById('rec-' + record.replace(':', '-')); }
  document.querySelectorAll('#timeline .marker-group').forEach(function (g) {
    var mark = g.querySelector('[data-record]');
    var row = mark && rowOf(mark.getAttribute('data-record'));
    if (!row) return;
    g.addEventListener('mouseenter', function () { g.classList.add('hot'); row.classList.add('hot'); });
    g.addEventListener('mouseleave', function () { g.classList.remove('hot'); row.classList.remove('hot'); });
    g.addEventListener('click', function () { row.scrollIntoView({block: 'center'}); });
    row.addEventListener('mouseenter', function () { g.classList.add('hot'); });
    row.addEventListener('mouseleave', function () { g.classList.remove('hot'); });
  });
  var input = document.getElementById('filter');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#changes tr.change'));
  input.addEventListener('input', function () {
    var q = input.value.toLowerCase();
    rows.forEach(function (r) { r.style.display = r.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none'; });
  });
  document.getElementById('shown').textContent = rows.length + ' change records';
  document.documentElement.setAttribute('data-report-ready', 'yes');
})();
)js";

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ReportHtml(const ReportData& d) {
  int revisions = 0, rollbacks = 0, rejected = 0;
  std::set<std::string> actors;
  for (const auto& c : d.changes) {
    if (IsRevision(c)) ++revisions;
    if (c.kind == "rollback" && c.outcome == "applied") ++rollbacks;
    if (c.outcome != "applied") ++rejected;
    actors.insert(c.actor);
  }
  std::string actor_list;
  for (const auto& a : actors) actor_list += (actor_list.empty() ? "" : ", ") + a;
  const std::string title = fmt::format("deployment {}/{}", d.ns, d.name);

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += fmt::format("<title>rollbook report: {}</title>\n<style>{}</style>\n</head>\n<body>\n",
                      HtmlEscape(title), kStyle);
  html += fmt::format(
      "<h1>{}</h1>\n<p class=\"sub\">rollbook postmortem report · {} · all times are broker times "
      "(Kafka LogAppendTime), UTC</p>\n",
      HtmlEscape(title), HtmlEscape(d.window));
  html += "<div class=\"facts\">";
  html += fmt::format("<div class=\"fact\"><b>{}</b><span>change records</span></div>", d.changes.size());
  html += fmt::format("<div class=\"fact\"><b>{}</b><span>new revisions</span></div>", revisions);
  html += fmt::format("<div class=\"fact\"><b>{}</b><span>rollbacks</span></div>", rollbacks);
  html += fmt::format("<div class=\"fact\"><b>{}</b><span>rejected</span></div>", rejected);
  html += fmt::format("<div class=\"fact\"><b>{}</b><span>actors</span></div>",
                      actor_list.empty() ? "–" : HtmlEscape(actor_list));
  html += "</div>\n<h2>Replicas per ReplicaSet</h2>\n";
  html += Chart(d);
  html += Legend(d);
  html +=
      "<h2>Changes</h2>\n<p class=\"filter\"><input id=\"filter\" type=\"search\" "
      "placeholder=\"filter by actor, kind, image, cause…\" aria-label=\"filter\"> <span id=\"shown\" "
      "class=\"sub\"></span></p>\n";
  html += Table(d);
  html += fmt::format(
      "<footer>Generated by rollbook at {}. Recomputed from the change records in the log.</footer>\n",
      HtmlEscape(d.generated_at));
  html += fmt::format("<script>{}</script>\n</body>\n</html>\n", kScript);
  return html;
}

}  // namespace rollbook::render
