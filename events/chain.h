// Hash chain of change records: the tamper evidence of the log.
//
// A record's hash is SHA-256 over its value bytes exactly as stored in Kafka.
// Every record carries `prev_record_hash`: the hash of the last record that was
// APPLIED to the same aggregate (namespace/name) when the writer validated its
// change — empty for the first record of an aggregate. Applied records of one
// aggregate therefore form a single chain in log order; a rejected record (a
// concurrent loser, say) points at an earlier link and forks off harmlessly.
// The projection keeps each aggregate's chain head; `rollbook verify` re-reads
// the log and reports any record that does not extend its chain (altered,
// removed, reordered or injected).
#pragma once

#include <string>
#include <string_view>

namespace rollbook::events {

inline constexpr size_t kRecordHashBytes = 32;

// SHA-256 of `value` (32 raw bytes).
std::string RecordHash(std::string_view value);

// Readies what RecordHash() uses: the first use in a process initialises
// OpenSSL's providers (~1 ms, 40% of a CLI's first apply). A CLI write calls
// this on another thread while it catches up; RecordHash() never needs it.
void LoadRecordHash();

// First `bytes` bytes of a hash in lower-case hex, for messages ("-" if empty).
std::string ShortHash(std::string_view hash, size_t bytes = 6);

// Full lower-case hex.
std::string HexHash(std::string_view hash);

}  // namespace rollbook::events
