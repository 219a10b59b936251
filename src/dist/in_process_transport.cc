// Endpoints sharing one mailbox per rank: for tests, and for a run of one
// process started without a launcher.
#include <unistd.h>

#include <barrier>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>

#include "astrasweep/dist/transport.h"

namespace astrasweep::dist {
namespace {

struct Mailbox {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Message> messages;
};

struct Shared {
  explicit Shared(int size)
      : boxes(static_cast<std::size_t>(size)), sync(size), gathered(boxes.size()) {}
  std::vector<Mailbox> boxes;
  std::barrier<> sync;
  std::mutex reduce_mutex;
  int reduce_value = std::numeric_limits<int>::min();
  std::vector<std::string> gathered;  // AllGather's, a slot per rank
};

class InProcessTransport final : public Transport {
 public:
  InProcessTransport(std::shared_ptr<Shared> shared, int rank)
      : shared_(std::move(shared)), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(shared_->boxes.size()); }

  Status Send(int dest, int tag, std::string bytes) override {
    if (dest < 0 || dest >= size())
      return MakeError(ErrorCode::kInternal,
                       "send to rank " + std::to_string(dest) + " of " + std::to_string(size()));
    Mailbox& box = shared_->boxes[static_cast<std::size_t>(dest)];
    {
      std::lock_guard lock(box.mutex);
      box.messages.push_back({rank_, tag, std::move(bytes)});
    }
    box.ready.notify_one();
    return Ok();
  }

  std::optional<Message> Receive(std::chrono::milliseconds timeout) override {
    Mailbox& box = shared_->boxes[static_cast<std::size_t>(rank_)];
    std::unique_lock lock(box.mutex);
    if (!box.ready.wait_for(lock, timeout, [&] { return !box.messages.empty(); }))
      return std::nullopt;
    Message m = std::move(box.messages.front());
    box.messages.pop_front();
    return m;
  }

  // A mailbox holds every message at once: nothing is ever pending.
  Expected<bool> Flush(std::chrono::milliseconds) override { return true; }
  double blocked_seconds() const override { return 0; }

  int MaxAll(int value) override {
    // Phase 1: everyone contributes; phase 2: everyone reads; phase 3:
    // the value is reset for the next call.
    shared_->sync.arrive_and_wait();
    {
      std::lock_guard lock(shared_->reduce_mutex);
      shared_->reduce_value = std::max(shared_->reduce_value, value);
    }
    shared_->sync.arrive_and_wait();
    int result;
    {
      std::lock_guard lock(shared_->reduce_mutex);
      result = shared_->reduce_value;
    }
    shared_->sync.arrive_and_wait();
    if (rank_ == 0) {
      std::lock_guard lock(shared_->reduce_mutex);
      shared_->reduce_value = std::numeric_limits<int>::min();
    }
    shared_->sync.arrive_and_wait();
    return result;
  }

  std::vector<std::string> AllGather(const std::string& mine) override {
    // Each writes its slot, then all read; the next call waits until every
    // rank has read.
    {
      std::lock_guard lock(shared_->reduce_mutex);
      shared_->gathered[static_cast<std::size_t>(rank_)] = mine;
    }
    shared_->sync.arrive_and_wait();
    std::vector<std::string> all;
    {
      std::lock_guard lock(shared_->reduce_mutex);
      all = shared_->gathered;
    }
    shared_->sync.arrive_and_wait();
    return all;
  }

 private:
  std::shared_ptr<Shared> shared_;
  int rank_;
};

}  // namespace

std::vector<std::unique_ptr<Transport>> MakeInProcessTransports(int size) {
  auto shared = std::make_shared<Shared>(size);
  std::vector<std::unique_ptr<Transport>> out;
  for (int r = 0; r < size; ++r) out.push_back(std::make_unique<InProcessTransport>(shared, r));
  return out;
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

}  // namespace astrasweep::dist
