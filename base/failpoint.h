// Named failure points for crash tests.
//
// A failure point is a place in the code where a crash is most interesting
// (between applying a batch and committing it, between appending a record and
// seeing it applied, ...). Normally FailPoint() is a cheap no-op. When the
// environment variable ROLLBOOK_FAILPOINTS is set to a comma-separated list of
// `name` or `name:N`, the process kills itself with SIGKILL the Nth time (the
// first when N is omitted) it passes the point `name`: no destructors, no
// flushes, no SQLite cleanup — as abrupt as a power cut of the process.
//
// Points in the code (grep "FailPoint(" for the list):
//   projection.before_commit   ApplyBatch folded the batch, COMMIT not yet run
//   projection.after_commit    the batch is committed, the call not yet returned
//   projection.commit_queued   a pipelined batch's writes and COMMIT are queued
//                              (maybe not run), the call not yet returned
//   write.after_append         the CLI's record is in Kafka, not yet applied
//   rebuild.before_swap        the rebuilt file is complete, not yet renamed
#pragma once

#include <string_view>

namespace rollbook {

void FailPoint(std::string_view name);

}  // namespace rollbook
