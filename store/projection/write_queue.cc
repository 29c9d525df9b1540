#include "store/projection/write_queue.h"

namespace rollbook::store {

Status RowWrite::Run(Db& db) const {
  if (call) return call(db);
  if (slot == nullptr) return db.Exec(sql);
  if (!*slot) {
    RB_ASSIGN_OR_RETURN(Stmt s, db.Prepare(sql));
    slot->emplace(std::move(s));
  }
  return (*slot)->Reset().RunWith(values);
}

WriteQueue::WriteQueue(Db& db, size_t max_queued_jobs)
    : db_(db), max_queued_jobs_(max_queued_jobs), thread_([this] { Run(); }) {}

WriteQueue::~WriteQueue() {
  Flush();
  {
    std::unique_lock lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

uint64_t WriteQueue::Submit(Job job) {
  pending_.push_back(std::move(job));
  if (pending_.size() >= kChunk) Flush();
  return ++submitted_;
}

Values WriteQueue::RecycledValues() {
  if (spare_values_.empty()) return Values();
  Values v = std::move(spare_values_.back());
  spare_values_.pop_back();
  return v;
}

void WriteQueue::Recycle(std::vector<std::vector<Job>>& ran) {
  for (std::vector<Job>& chunk : ran) {
    for (Job& job : chunk) {
      // A buffer keeps its capacity: recycling the big ones (a 5 KB state)
      // for small rows measured ~30 MiB more RSS and no more speed.
      if (spare_values_.size() >= kMaxSpareValues || job.values.Capacity() > kMaxRecycledBytes) continue;
      job.values.Clear();
      spare_values_.push_back(std::move(job.values));
    }
    chunk.clear();
    if (spare_chunks_.size() < 2) spare_chunks_.push_back(std::move(chunk));
  }
  ran.clear();
}

void WriteQueue::Flush() {
  if (pending_.empty()) return;
  std::vector<Job> chunk = std::move(pending_);
  pending_.clear();
  if (!spare_chunks_.empty()) {
    pending_ = std::move(spare_chunks_.back());
    spare_chunks_.pop_back();
  } else {
    pending_.reserve(kChunk);
  }
  std::vector<std::vector<Job>> ran;  // recycled here, after the lock is released
  {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return queued_jobs_ < max_queued_jobs_; });
    queued_jobs_ += chunk.size();
    chunks_.push_back(std::move(chunk));
    ran.swap(ran_);
  }
  wake_.notify_one();
  Recycle(ran);
}

Status WriteQueue::Drain() {
  Flush();
  std::vector<std::vector<Job>> ran;
  Status failure;
  {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return chunks_.empty() && !busy_; });
    ran.swap(ran_);
    failure = failure_;
  }
  Recycle(ran);
  return failure;
}

Status WriteQueue::WaitFor(uint64_t seq) {
  if (Completed() >= seq) return status();
  Flush();
  std::unique_lock lock(mu_);
  room_.wait(lock, [&] { return completed_.load(std::memory_order_acquire) >= seq || !failure_.ok(); });
  return failure_;
}

void WriteQueue::ClearFailure() {
  std::unique_lock lock(mu_);
  failure_ = Status::Ok();
  failed_.store(false, std::memory_order_release);
}

void WriteQueue::Pause() {
  std::unique_lock lock(mu_);
  pause_requested_.store(true, std::memory_order_relaxed);
  room_.wait(lock, [&] { return !busy_ || paused_; });
}

void WriteQueue::Resume() {
  {
    std::unique_lock lock(mu_);
    pause_requested_.store(false, std::memory_order_relaxed);
  }
  wake_.notify_one();
}

Status WriteQueue::status() const {
  if (!failed_.load(std::memory_order_acquire)) return Status::Ok();
  std::unique_lock lock(mu_);
  return failure_;
}

void WriteQueue::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return (stop_ || !chunks_.empty()) && !pause_requested_.load(); });
    if (chunks_.empty()) return;  // stop_, and nothing left to run
    std::vector<Job> chunk = std::move(chunks_.front());
    chunks_.pop_front();
    busy_ = true;
    const bool failed = failed_.load(std::memory_order_relaxed);
    lock.unlock();
    uint64_t ran = 0;
    Status first;
    for (Job& job : chunk) {
      if (pause_requested_.load(std::memory_order_relaxed)) {
        std::unique_lock paused(mu_);
        paused_ = true;
        room_.notify_all();
        wake_.wait(paused, [&] { return !pause_requested_.load(); });
        paused_ = false;
      }
      ++ran;
      if (failed || !first.ok()) continue;  // dropped: the load has already failed
      first = job.Run(db_);
    }
    completed_.fetch_add(ran, std::memory_order_release);
    lock.lock();
    ran_.push_back(std::move(chunk));
    if (!first.ok() && failure_.ok()) {
      failure_ = std::move(first);
      failed_.store(true, std::memory_order_release);
    }
    queued_jobs_ -= ran;
    busy_ = false;
    room_.notify_all();
  }
}

}  // namespace rollbook::store
