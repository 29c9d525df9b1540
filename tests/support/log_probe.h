// Looks at what the rollbook binaries left behind, independently of them:
// the topic (end offsets, every message in log order) and the projection file
// (a canonical dump of its tables).
//
// Tests use these to prove that a command wrote nothing (end offsets and
// projection dump unchanged) and that the projection equals a replay of the
// log.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/kafka_log.h"
#include "tests/support/cli_runner.h"

namespace rollbook::testing {

events::KafkaConfig KafkaConfigFor(const CliEnv& env);

// High watermark of every partition of env's topic; empty when the topic
// does not exist. Fails the calling test on a broker error.
std::vector<int64_t> EndOffsets(const CliEnv& env);

// Every message of env's topic from offset 0 up to the end offsets seen at
// the start, in partition then offset order.
std::vector<events::LogMessage> ReadTopic(const CliEnv& env);

// Every row of every table of the SQLite file at `path` (tables by name, rows
// sorted by all columns), one line per row, read in one transaction (the WAL
// included, as SQLite sees it).
// Empty when the file does not exist.
std::string DumpDatabase(const std::string& path);

// Runs one SQL query on `path` that yields a single integer.
int64_t QueryInt(const std::string& path, const std::string& sql);

// Runs `sql` on the SQLite file at `path` (created when missing), read-write.
void ExecSql(const std::string& path, const std::string& sql);

}  // namespace rollbook::testing
