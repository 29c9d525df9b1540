// services::CatchUpTo (services/projector.h), what a CLI write waits with
// after its append: it applies the given partition up to the given offset and
// nothing past it, and a record the projection already holds (the daemon was
// first) costs no broker round trip at all. Real broker, own topic.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "events/kafka_log.h"
#include "services/projector.h"
#include "store/projection/projection.h"
#include "tests/support/cli_runner.h"
#include "tests/support/log_probe.h"
#include "tests/support/workload.h"

namespace rollbook::testing {
namespace {

class CatchUpToTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ROLLBOOK_REQUIRE_BROKER();
    env_ = std::make_unique<CliEnv>(::testing::UnitTest::GetInstance()->current_test_info()->name());
    config_ = KafkaConfigFor(*env_);
    ASSERT_TRUE(events::EnsureTopic(config_).ok());
    auto p = store::Projection::Open({env_->db(), env_->topic(), true});
    ASSERT_TRUE(p.ok()) << p.status().message();
    projection_ = std::move(p).value();
  }

  // Appends n generated records; their positions by partition, in order.
  std::map<int32_t, std::vector<int64_t>> Produce(int n) {
    WorkloadGenerator gen(/*seed=*/7, /*deployments=*/12);
    auto producer = events::KafkaProducer::Create(config_, events::KafkaProducer::Mode::kBulk);
    EXPECT_TRUE(producer.ok()) << producer.status().message();
    std::map<int32_t, std::vector<int64_t>> at;
    if (!producer.ok()) return at;
    for (const auto& r : gen.Take(n)) {
      EXPECT_TRUE((*producer)
                      ->AppendAsync(r.key, r.value,
                                    [&at](const StatusOr<events::LogPosition>& pos) {
                                      ASSERT_TRUE(pos.ok()) << pos.status().message();
                                      at[pos->partition].push_back(pos->offset);
                                    })
                      .ok());
    }
    EXPECT_TRUE((*producer)->Flush().ok());
    return at;
  }

  std::unique_ptr<CliEnv> env_;
  events::KafkaConfig config_;
  std::unique_ptr<store::Projection> projection_;
};

TEST_F(CatchUpToTest, applies_its_partition_up_to_the_given_offset_and_nothing_past_it) {
  std::map<int32_t, std::vector<int64_t>> at = Produce(80);
  // The partition with the most records, and a record in its middle.
  int32_t partition = -1;
  for (const auto& [p, offsets] : at) {
    if (partition < 0 || offsets.size() > at[partition].size()) partition = p;
  }
  ASSERT_GE(partition, 0);
  ASSERT_GE(at[partition].size(), 3u) << "the workload should put several records in one partition";
  const int64_t target = at[partition][at[partition].size() / 2];

  auto reader = events::KafkaReader::Create(config_);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  std::vector<int64_t> ends(static_cast<size_t>(partition) + 1, 0);
  ends.back() = target + 1;
  auto caught = services::CatchUpTo(*projection_, **reader, config_, ends);
  ASSERT_TRUE(caught.ok()) << caught.status().message();
  EXPECT_EQ(caught->stats.applied, target + 1);

  auto next = projection_->NextOffsets(config_.partitions);
  ASSERT_TRUE(next.ok()) << next.status().message();
  for (int32_t p = 0; p < config_.partitions; ++p) {
    EXPECT_EQ((*next)[static_cast<size_t>(p)], p == partition ? target + 1 : 0) << "partition " << p;
  }
  auto row = projection_->GetChange(partition, target);
  ASSERT_TRUE(row.ok());
  EXPECT_TRUE(row->has_value()) << "the record waited for is not in the projection";
  auto past = projection_->GetChange(partition, target + 1);
  ASSERT_TRUE(past.ok());
  EXPECT_FALSE(past->has_value()) << "a record past the given offset was applied";

  // A full catch-up afterwards takes the rest, each record once.
  auto rest = services::CatchUp(*projection_, **reader, config_);
  ASSERT_TRUE(rest.ok()) << rest.status().message();
  EXPECT_EQ(rest->stats.applied + caught->stats.applied, 80);
  EXPECT_EQ(rest->stats.skipped, 0);
}

// A CLI write catches up to its own record through the reader it already
// has; when that reader is where the projection is, it keeps fetching
// instead of being re-assigned (events/kafka_log.h, Assign). Each record is
// still applied once, also when another process applied it first.
TEST_F(CatchUpToTest, a_reader_kept_across_writes_applies_each_record_once) {
  WorkloadGenerator gen(/*seed=*/11, /*deployments=*/1);  // one key: one partition
  auto producer = events::KafkaProducer::Create(config_, events::KafkaProducer::Mode::kInteractive);
  ASSERT_TRUE(producer.ok()) << producer.status().message();
  auto reader = events::KafkaReader::Create(config_);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  auto other = store::Projection::Open({env_->db(), env_->topic(), false});  // "the daemon"
  ASSERT_TRUE(other.ok()) << other.status().message();
  int64_t applied_here = 0;
  for (int i = 0; i < 12; ++i) {
    const GeneratedRecord r = gen.Next();
    auto pos = (*producer)->Append(r.key, r.value);
    ASSERT_TRUE(pos.ok()) << pos.status().message();
    const bool daemon_first = i % 3 == 1;
    if (daemon_first) {
      ASSERT_TRUE(services::CatchUp(**other, config_).ok());
    }
    std::vector<int64_t> ends(static_cast<size_t>(pos->partition) + 1, 0);
    ends.back() = pos->offset + 1;
    auto caught = services::CatchUpTo(*projection_, **reader, config_, ends);
    ASSERT_TRUE(caught.ok()) << "record " << i << ": " << caught.status().message();
    EXPECT_EQ(caught->stats.applied, daemon_first ? 0 : 1) << "record " << i;
    EXPECT_EQ(caught->stats.skipped, 0) << "record " << i;
    applied_here += caught->stats.applied;
    auto row = projection_->GetChange(pos->partition, pos->offset);
    ASSERT_TRUE(row.ok());
    ASSERT_TRUE(row->has_value()) << "record " << i << " is not in the projection";
    EXPECT_EQ((*row)->record_id, r.id);
  }
  EXPECT_EQ(applied_here, 8);
}

TEST_F(CatchUpToTest, a_record_already_applied_needs_no_broker) {
  std::map<int32_t, std::vector<int64_t>> at = Produce(20);
  ASSERT_TRUE(services::CatchUp(*projection_, config_).ok());
  const auto& [partition, offsets] = *at.begin();

  // A reader whose brokers never answer: any fetch would end in a timeout.
  events::KafkaConfig nowhere = config_;
  nowhere.brokers = "127.0.0.1:1";
  nowhere.timeout_ms = 300;
  auto reader = events::KafkaReader::Create(nowhere);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  std::vector<int64_t> ends(static_cast<size_t>(partition) + 1, 0);
  ends.back() = offsets.back() + 1;
  auto caught = services::CatchUpTo(*projection_, **reader, nowhere, ends);
  ASSERT_TRUE(caught.ok()) << caught.status().message();
  EXPECT_EQ(caught->stats.applied, 0);

  // The same reader asked for a record not applied yet does time out: the
  // call above succeeded because it did not need the brokers.
  ends.back() = offsets.back() + 2;
  auto missing = services::CatchUpTo(*projection_, **reader, nowhere, ends);
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace rollbook::testing
