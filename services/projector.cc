#include "services/projector.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace rollbook::services {

namespace {
using Clock = std::chrono::steady_clock;
}

StatusOr<CatchUpResult> CatchUp(store::Projection& projection, const events::KafkaConfig& config,
                                size_t batch_size) {
  RB_ASSIGN_OR_RETURN(std::unique_ptr<events::KafkaReader> reader, events::KafkaReader::Create(config));
  return CatchUp(projection, *reader, config, batch_size);
}

StatusOr<CatchUpResult> CatchUp(store::Projection& projection, events::KafkaReader& reader,
                                const events::KafkaConfig& config, size_t batch_size) {
  RB_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> ends, reader.EndOffsets());
  if (!ends) return CatchUpResult{};  // no topic yet: nothing was ever written
  return CatchUpTo(projection, reader, config, *ends, batch_size);
}

StatusOr<CatchUpResult> CatchUpTo(store::Projection& projection, events::KafkaReader& reader,
                                  const events::KafkaConfig& config, const std::vector<int64_t>& end_offsets,
                                  size_t batch_size) {
  CatchUpResult result;
  result.topic_exists = true;
  const int32_t partitions = static_cast<int32_t>(end_offsets.size());
  RB_ASSIGN_OR_RETURN(std::vector<int64_t> next, projection.NextOffsets(partitions));

  std::vector<std::pair<int32_t, int64_t>> assignment;
  for (int32_t p = 0; p < partitions; ++p) {
    if (next[static_cast<size_t>(p)] < end_offsets[static_cast<size_t>(p)]) {
      assignment.emplace_back(p, next[static_cast<size_t>(p)]);
    }
  }
  if (assignment.empty()) return result;
  RB_RETURN_IF_ERROR(reader.Assign(assignment));

  size_t remaining = assignment.size();
  std::vector<bool> done(static_cast<size_t>(partitions), true);
  // Records still due. Poll() returns early only once it has as many as it
  // asked for, so asking for no more than are due is what lets a catch-up of
  // a few records (a write waiting for its own) return as soon as they
  // arrive instead of after the whole poll timeout.
  int64_t due = 0;
  for (const auto& [p, off] : assignment) {
    done[static_cast<size_t>(p)] = false;
    due += end_offsets[static_cast<size_t>(p)] - off;
  }
  // The deadline bounds waiting for the broker, not the work: it moves on
  // whenever records arrive, so a long backlog is never cut off half-way.
  auto deadline = Clock::now() + std::chrono::milliseconds(config.timeout_ms);
  while (remaining > 0) {
    if (Clock::now() > deadline) {
      return DeadlineExceeded(fmt::format("catching up with {} at {} took longer than {}ms", config.topic,
                                          config.brokers, config.timeout_ms));
    }
    const size_t want = static_cast<size_t>(std::clamp<int64_t>(due, 1, static_cast<int64_t>(batch_size)));
    RB_ASSIGN_OR_RETURN(std::vector<events::LogMessage> batch, reader.Poll(want, 100));
    // Records past the end seen at the start belong to a later catch-up.
    batch.erase(std::remove_if(batch.begin(), batch.end(),
                               [&](const events::LogMessage& m) {
                                 const auto p = static_cast<size_t>(m.position.partition);
                                 return p >= end_offsets.size() || m.position.offset >= end_offsets[p];
                               }),
                batch.end());
    if (batch.empty()) continue;
    due -= static_cast<int64_t>(batch.size());
    deadline = Clock::now() + std::chrono::milliseconds(config.timeout_ms);
    RB_ASSIGN_OR_RETURN(store::BatchStats stats, projection.ApplyBatch(batch));
    result.stats.applied += stats.applied;
    result.stats.skipped += stats.skipped;
    result.stats.quarantined += stats.quarantined;
    for (const auto& m : batch) {
      const auto p = static_cast<size_t>(m.position.partition);
      if (!done[p] && m.position.offset + 1 >= end_offsets[p]) {
        done[p] = true;
        --remaining;
      }
    }
  }
  return result;
}

Status RunProjector(const ProjectorOptions& options, const std::atomic<bool>& stop) {
  RB_ASSIGN_OR_RETURN(std::unique_ptr<store::Projection> projection,
                      store::Projection::Open({.path = options.db_path,
                                               .topic = options.kafka.topic,
                                               .create = true,
                                               .aggregate_cache_bytes = options.aggregate_cache_bytes,
                                               .pipelined_commits = true}));
  int backoff_ms = 100;
  int failed_attempts = 0;  // since the brokers were last reachable
  while (!stop.load()) {
    // (Re)connect: find the partitions and start each at the stored offset.
    StatusOr<std::unique_ptr<events::KafkaReader>> reader = events::KafkaReader::Create(options.kafka);
    StatusOr<std::optional<std::vector<int64_t>>> ends =
        reader.ok() ? (*reader)->EndOffsets()
                    : StatusOr<std::optional<std::vector<int64_t>>>(reader.status());
    if (!ends.ok() || !ends->has_value()) {
      if (!ends.ok()) ++failed_attempts;
      options.log(ends.ok() ? fmt::format("waiting for topic {} to exist", options.kafka.topic)
                            : fmt::format("{}; retrying in {}ms (attempt {})", ends.status().message(),
                                          backoff_ms, failed_attempts));
      for (int waited = 0; waited < backoff_ms && !stop.load(); waited += 50) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      backoff_ms = std::min(backoff_ms * 2, 5000);
      continue;
    }
    backoff_ms = 100;
    const int32_t partitions = static_cast<int32_t>((*ends)->size());
    RB_ASSIGN_OR_RETURN(std::vector<int64_t> next, projection->NextOffsets(partitions));
    std::vector<std::pair<int32_t, int64_t>> assignment;
    for (int32_t p = 0; p < partitions; ++p) assignment.emplace_back(p, next[static_cast<size_t>(p)]);
    RB_RETURN_IF_ERROR((*reader)->Assign(assignment));
    options.log(fmt::format(
        "{}following {} ({} partitions) at {}",
        failed_attempts > 0 ? fmt::format("brokers are back after {} failed attempt(s); ", failed_attempts)
                            : "",
        options.kafka.topic, partitions, options.kafka.brokers));
    failed_attempts = 0;

    auto last_metadata_check = Clock::now();
    while (!stop.load()) {
      StatusOr<std::vector<events::LogMessage>> batch = (*reader)->Poll(options.batch_size, 100);
      if (!batch.ok()) {
        options.log(fmt::format("{}; reconnecting", batch.status().message()));
        break;
      }
      // librdkafka would reconnect by itself, silently; reconnecting here
      // instead makes an outage visible in the log and paced by our backoff.
      if (std::string lost = (*reader)->TakeBrokerError(); !lost.empty() && batch->empty()) {
        options.log(fmt::format("{}; reconnecting", lost));
        break;
      }
      if (batch->empty()) {
        // Idle: wait for the last batch's COMMIT (usually run already), so
        // that a failure of it ends the loop now rather than at the next record.
        RB_RETURN_IF_ERROR(projection->Sync());
      } else {
        RB_ASSIGN_OR_RETURN(store::BatchStats stats, projection->ApplyBatch(*batch));
        if (stats.applied + stats.quarantined > 0) {
          const auto& last = batch->back().position;
          options.log(
              fmt::format("applied {} record(s), quarantined {}, skipped {} (last: partition {} offset {})",
                          stats.applied, stats.quarantined, stats.skipped, last.partition, last.offset));
        }
      }
      // Pick up partitions added to the topic.
      if (Clock::now() - last_metadata_check > std::chrono::seconds(30)) {
        last_metadata_check = Clock::now();
        StatusOr<std::optional<std::vector<int64_t>>> now = (*reader)->EndOffsets();
        if (now.ok() && now->has_value() && static_cast<int32_t>((*now)->size()) != partitions) break;
      }
    }
  }
  RB_RETURN_IF_ERROR(projection->Sync());
  options.log("stopped");
  return Status::Ok();
}

}  // namespace rollbook::services
