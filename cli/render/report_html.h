// The postmortem report: one self-contained HTML page for one Deployment.
//
// ReportHtml renders a timeline chart (inline SVG: replicas of each
// ReplicaSet over broker time as step lines, the desired replicas dashed,
// a marker per new revision with its actor, rollbacks in red, a tick per other
// change) and the table of change records (applied and rejected) below it.
// Everything is inline — CSS, SVG and a few lines of JavaScript that link
// markers and table rows — so the file opens offline and can be attached to
// a ticket. Every text from the log (names, actors, causes, images) is
// HTML-escaped. Pure; never fails.
//
// Stable hooks for tests and scripts: svg#timeline; polyline.rs-line
// (data-rs); line.marker.revision / line.marker.rollback (data-record
// "P:O"); tr.change (id "rec-P-O", classes applied|rejected, rollback); the
// page sets data-report-ready="yes" on <html> once its script has run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rollbook::render {

struct ReportReplicaSet {
  std::string name;
  int64_t revision = 0;  // its latest revision number
  std::string images;    // "container=image,..."
};

// The ReplicaSet sizes right after one applied change (or at the start).
struct ReportSample {
  int64_t time_ms = 0;
  int32_t desired = 0;                   // spec.replicas; 0 while deleted
  std::map<std::string, int32_t> sizes;  // live ReplicaSets: name -> replicas
};

struct ReportChange {
  int64_t time_ms = 0;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string actor, host, kind, outcome, reason, message, change_cause;
  int64_t revision_before = 0, revision_after = 0;
  int64_t replicas_before = 0, replicas_after = 0;
  std::string images_before, images_after;
};

struct ReportData {
  std::string ns, name;
  std::string window;                          // e.g. "since 2026-11-20T01:00:00Z"
  std::string generated_at;                    // e.g. "2026-11-20T03:14:00Z (this machine's clock)"
  std::vector<ReportReplicaSet> replica_sets;  // creation order
  std::vector<ReportSample> samples;           // oldest first; the first is the start of the window
  std::vector<ReportChange> changes;           // log order
};

std::string ReportHtml(const ReportData& data);

// &, <, >, " and ' as entities.
std::string HtmlEscape(const std::string& text);

}  // namespace rollbook::render
