#include "cli/point_in_time.h"

#include <fmt/format.h>

#include "cli/time_arg.h"

namespace rollbook::cli {

namespace {

std::string NotFoundLine(const std::string& name) {
  return fmt::format("Error from server (NotFound): deployments.apps \"{}\" not found", name);
}

std::string Who(const store::ChangeRow& row) {
  return fmt::format("{} by {} (partition {} offset {})", Rfc3339Ms(row.log_time_ms), row.actor,
                     row.partition, row.offset);
}

std::string PointText(const Point& p) {
  if (p.by_offset) return fmt::format("partition {} offset {}", p.partition, p.offset);
  return fmt::format("{} (broker time)", Rfc3339Ms(p.time_ms));
}

}  // namespace

void AddAtFlags(CLI::App* cmd, AtFlags& flags) {
  cmd->add_option(
      "--at", flags.at,
      "show the state as of this broker time: RFC 3339 (2026-11-20T03:14:00Z) or a duration ago (2h)");
  cmd->add_option(
      "--at-offset", flags.at_offset,
      "show the state right after this log position, PARTITION:OFFSET (as audit and blame print them)");
}

StatusOr<Point> ResolvePoint(Cli& cli, const AtFlags& flags) {
  if (!flags.at.empty() && !flags.at_offset.empty()) {
    return InvalidArgument("--at and --at-offset name the same thing in two ways; give only one of them");
  }
  Point point;
  if (!flags.at.empty()) {
    RB_ASSIGN_OR_RETURN(point.time_ms, ParseTimeArg("--at", flags.at, Session::NowMs()));
    if (!LooksLikeRfc3339(flags.at)) point.ago = flags.at;
    return point;
  }
  RB_ASSIGN_OR_RETURN(LogPosition pos, ParseLogPosition("--at-offset", flags.at_offset));
  point.by_offset = true;
  point.partition = pos.partition;
  point.offset = pos.offset;
  RB_ASSIGN_OR_RETURN(store::Projection * p, cli.S().ForRead());
  RB_ASSIGN_OR_RETURN(std::vector<int64_t> next, p->NextOffsets(pos.partition + 1));
  const int64_t end = next[static_cast<size_t>(pos.partition)];
  if (end == 0) {
    return InvalidArgument(fmt::format("--at-offset {}: partition {} of topic {} has no records",
                                       flags.at_offset, pos.partition, cli.globals.topic));
  }
  if (pos.offset >= end) {
    return InvalidArgument(
        fmt::format("--at-offset {}: partition {} ends at offset {} (the next record will be {})",
                    flags.at_offset, pos.partition, end - 1, end));
  }
  RB_ASSIGN_OR_RETURN(std::optional<int64_t> time,
                      store::LogTimeAt(p->query_db(), pos.partition, pos.offset));
  point.time_ms = time.value_or(0);
  return point;
}

std::string AsOfLine(const Point& point, const store::PastState* past) {
  std::string line;
  if (point.by_offset) {
    line = fmt::format("as of partition {} offset {}", point.partition, point.offset);
    if (point.time_ms != 0) line += fmt::format(" ({} broker time)", Rfc3339Ms(point.time_ms));
  } else {
    line = fmt::format("as of {} (broker time{})", Rfc3339Ms(point.time_ms),
                       point.ago.empty() ? "" : fmt::format("; {} before this machine's clock", point.ago));
  }
  const bool at_that_record = past != nullptr && past->last_record && point.by_offset &&
                              past->last_record->partition == point.partition &&
                              past->last_record->offset == point.offset;
  if (past != nullptr && past->last_record && !at_that_record) {
    line += fmt::format(", after record partition {} offset {} ({})", past->last_record->partition,
                        past->last_record->offset, Rfc3339Ms(past->last_record->log_time_ms));
  }
  return line;
}

StatusOr<store::PastState> LoadAt(Cli& cli, const std::string& ns, const std::string& name,
                                  const Point& point, bool with_templates) {
  RB_ASSIGN_OR_RETURN(store::Projection * p, cli.S().ForRead());
  const store::TimeTravelOptions options{.with_templates = with_templates};
  StatusOr<store::PastState> past =
      point.by_offset ? store::StateAtOffset(p->query_db(), ns, name, point.partition, point.offset, options)
                      : store::StateAtTime(p->query_db(), ns, name, point.time_ms, options);
  RB_RETURN_IF_ERROR(past.status());
  if (past->aggregate.exists()) return past;
  RB_ASSIGN_OR_RETURN(store::Absence why, store::ExplainAbsence(p->query_db(), ns, name, past->last_record));
  if (!why.first_created) return NotFound(NotFoundLine(name));
  std::string msg = fmt::format("{} at {}: ", NotFoundLine(name), PointText(point));
  if (why.deleted) {
    msg += fmt::format("it was deleted at {}", Who(*why.deleted));
    if (why.created_again) msg += fmt::format(", and created again at {}", Who(*why.created_again));
  } else if (why.created_again) {
    msg += fmt::format("it was created later, at {}", Who(*why.created_again));
  } else {
    msg += "it did not exist then";
  }
  return NotFound(msg);
}

StatusOr<state::v1::Aggregate> LoadForRead(Cli& cli, const std::string& name, const AtFlags& flags,
                                           std::optional<Point>* point_out,
                                           std::optional<store::PastState>* past_out) {
  if (!flags.given()) {
    RB_ASSIGN_OR_RETURN(std::optional<state::v1::Aggregate> agg, cli.S().Load(cli.globals.ns, name));
    if (!agg || !agg->exists()) return NotFound(NotFoundLine(name));
    return std::move(*agg);
  }
  RB_ASSIGN_OR_RETURN(Point point, ResolvePoint(cli, flags));
  RB_ASSIGN_OR_RETURN(store::PastState past, LoadAt(cli, cli.globals.ns, name, point));
  fmt::print(stderr, "{}\n", AsOfLine(point, &past));
  state::v1::Aggregate agg = past.aggregate;
  if (point_out != nullptr) *point_out = point;
  if (past_out != nullptr) *past_out = std::move(past);
  return agg;
}

}  // namespace rollbook::cli
