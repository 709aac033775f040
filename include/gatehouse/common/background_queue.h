#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace gatehouse {

/// A bounded queue drained by one background thread, so the request path hands work off
/// without waiting on the disk. `drain` gets everything queued since its last call.
template <class Item>
class BackgroundQueue {
 public:
  using Drain = std::function<void(std::vector<Item>& batch)>;

  BackgroundQueue(std::size_t max_queue, Drain drain)
      : max_queue_(max_queue), drain_(std::move(drain)), thread_([this] { run(); }) {}
  ~BackgroundQueue() { stop(); }
  BackgroundQueue(const BackgroundQueue&) = delete;
  BackgroundQueue& operator=(const BackgroundQueue&) = delete;

  /// False (and the item dropped) when the queue is full or stopped: memory stays bounded
  /// however fast the request path produces.
  bool push(Item item) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_ || queue_.size() >= max_queue_) {
        return false;
      }
      queue_.push_back(std::move(item));
    }
    wake_.notify_one();
    return true;
  }

  /// Drains what is queued and stops the thread. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        return;
      }
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  void run() {
    std::vector<Item> batch;
    for (;;) {
      bool last = false;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        batch.swap(queue_);
        last = stopping_;
      }
      if (!batch.empty()) {
        drain_(batch);
        batch.clear();
      }
      if (last) {
        return;
      }
    }
  }

  const std::size_t max_queue_;
  const Drain drain_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Item> queue_;  // Guarded by mutex_.
  bool stopping_ = false;    // Guarded by mutex_.
  std::thread thread_;       // Last: starts once everything above is constructed.
};

}  // namespace gatehouse
