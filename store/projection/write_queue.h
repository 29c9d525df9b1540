// The row writes of a bulk load, run in order on a thread of their own.
//
// A rebuild is the fold (CPU on the calling thread) followed by SQLite's work
// for the rows it produced (CPU again): on one thread they take turns. The
// bulk-load writer (projection.cc) instead hands each group of statements to
// this queue as RowWrites and goes on folding; one background thread runs
// them on the same connection, which is opened serialized for it.
//
// Contract:
//  - Jobs run in the order they were submitted, one at a time. A job that
//    fails stops the queue: the jobs after it are dropped, and status() and
//    Drain() return that first failure from then on. (A bulk load is all or
//    nothing, so a write's failure may surface at a later call.)
//  - Completed() is the sequence number of the last job that has run, with
//    acquire ordering: what a job with a number up to it wrote is in the
//    connection, so the submitting thread may read it there.
//  - Memory is bounded: Submit() waits while max_queued_jobs jobs are waiting.
//  - Pause() stops the thread between two jobs (or before its next chunk)
//    until Resume(), so the submitting thread may read through the shared
//    connection without contending for it call by call. SQLite's connection
//    mutex is not fair: a read made while the thread ran its statements woke
//    and slept again and again (in a 1M rebuild, ~50,000 times in 30 s for
//    rollbacks' template reads). While paused the submitting thread must not
//    Submit(), Flush() or Drain(); use the Paused guard.
//  - WaitFor(n) waits for job n alone (and those before it), not for the
//    whole queue. ClearFailure() makes an idle queue run jobs again after a
//    failure (a writer that rolled its batch back and starts another).
//  - The destructor waits for the queued jobs, then joins the thread.
//  - Jobs come back to the submitting thread once they ran (at its next
//    Flush() or Drain()): their buffers were allocated there, and freeing
//    them on the write thread made both threads contend for malloc's arena
//    (measured: a quarter of the folding thread's time went to malloc). Their
//    Values and chunk buffers are kept for reuse (RecycledValues()), so a
//    steady load allocates no row buffers at all.
// Submit(), Flush() and Drain() are for one submitting thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/status.h"
#include "store/projection/sqlite.h"

namespace rollbook::store {

// One write: the statement `sql` with `values`, prepared once into *slot by
// the thread that runs it (so a slot belongs to one thread); with no slot,
// `sql` is run by Db::Exec (BEGIN, COMMIT); or a function of the connection
// (Call), for work that must run in order with the writes around it.
struct RowWrite {
  RowWrite(std::optional<Stmt>* slot, const char* sql) : slot(slot), sql(sql) {}
  static RowWrite Exec(const char* sql) { return RowWrite(nullptr, sql); }
  static RowWrite Call(std::function<Status(Db&)> fn) {
    RowWrite w(nullptr, nullptr);
    w.call = std::move(fn);
    return w;
  }
  Status Run(Db& db) const;

  std::optional<Stmt>* slot;
  const char* sql;
  Values values;
  std::function<Status(Db&)> call;
};

class WriteQueue {
 public:
  using Job = RowWrite;

  // Jobs are handed over in chunks of this many (or at Flush()): one lock and
  // wake-up per chunk rather than per statement.
  static constexpr size_t kChunk = 128;
  static constexpr size_t kMaxQueuedJobs = 16 * kChunk;

  explicit WriteQueue(Db& db, size_t max_queued_jobs = kMaxQueuedJobs);
  ~WriteQueue();
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Queues `job` and returns its sequence number (1, 2, ...).
  uint64_t Submit(Job job);
  // An empty Values with the buffer of a write that already ran, if any.
  Values RecycledValues();
  // Hands the jobs submitted so far to the thread without waiting for them.
  void Flush();
  // Waits until every submitted job has run; the first failure, if any.
  [[nodiscard]] Status Drain();
  // The first failure so far (Ok while none).
  [[nodiscard]] Status status() const;
  uint64_t Completed() const { return completed_.load(std::memory_order_acquire); }
  // Waits until job `seq` has run (or the queue failed); the first failure, if any.
  [[nodiscard]] Status WaitFor(uint64_t seq);
  // Forgets a failure so that later jobs run. Only while idle (after Drain()).
  void ClearFailure();

  void Pause();
  void Resume();
  // Pauses `queue` (if any) for its lifetime.
  class Paused {
   public:
    explicit Paused(WriteQueue* queue) : queue_(queue) {
      if (queue_ != nullptr) queue_->Pause();
    }
    ~Paused() {
      if (queue_ != nullptr) queue_->Resume();
    }
    Paused(const Paused&) = delete;
    Paused& operator=(const Paused&) = delete;

   private:
    WriteQueue* queue_;
  };

 private:
  void Run();

  Db& db_;
  const size_t max_queued_jobs_;
  // Returns what ran to the submitting thread's pools (Flush and Drain).
  void Recycle(std::vector<std::vector<Job>>& ran);
  static constexpr size_t kMaxSpareValues = 512;
  static constexpr size_t kMaxRecycledBytes = 2048;

  // The submitting thread's: submitted, not yet handed over; spare buffers.
  std::vector<Job> pending_;
  uint64_t submitted_ = 0;
  std::vector<Values> spare_values_;
  std::vector<std::vector<Job>> spare_chunks_;

  mutable std::mutex mu_;
  std::condition_variable wake_;  // the thread: work arrived or stop
  std::condition_variable room_;  // the submitter: room in the queue, or all done
  std::deque<std::vector<Job>> chunks_;
  std::vector<std::vector<Job>> ran_;  // run, to be destroyed by the submitting thread
  size_t queued_jobs_ = 0;
  bool busy_ = false;                         // the thread is running a chunk
  bool paused_ = false;                       // the thread waits, mid-chunk, for Resume()
  std::atomic<bool> pause_requested_{false};  // set and cleared under mu_; read between jobs
  bool stop_ = false;
  Status failure_;
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> completed_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace rollbook::store
