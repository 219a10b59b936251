// Boost.MPI behind Transport. Messages are raw bytes (MPI_CHAR). Sends are
// non-blocking (isend): a large message needs the receiver to match it
// before it moves, and a worker only receives between batches, so a
// blocking send would hold rank 0 for a whole batch. Receives poll with a
// short back-off so an idle rank 0 neither spins a core nor misses a
// signal or a progress tick; every poll also moves pending sends along.
#include "astrasweep/dist/mpi.h"

#include <mpi.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/mpi/request.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <list>
#include <thread>

namespace astrasweep::dist {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class MpiTransport final : public Transport {
 public:
  int rank() const override { return world_.rank(); }
  int size() const override { return world_.size(); }

  Status Send(int dest, int tag, std::string bytes) override {
    const auto start = Clock::now();
    try {
      PendingSend& send = pending_.emplace_back();
      send.bytes = std::move(bytes);
      send.request = world_.isend(dest, tag, send.bytes.data(), static_cast<int>(send.bytes.size()));
      Reap();
    } catch (const boost::mpi::exception& e) {
      return MakeError(ErrorCode::kIo, "MPI send to rank " + std::to_string(dest) +
                                           " failed: " + e.what());
    }
    blocked_s_ += Since(start);
    return Ok();
  }

  std::optional<Message> Receive(std::chrono::milliseconds timeout) override {
    const auto deadline = Clock::now() + timeout;
    auto pause = std::chrono::microseconds(20);
    while (true) {
      Reap();
      if (auto status = world_.iprobe(boost::mpi::any_source, boost::mpi::any_tag)) {
        const auto start = Clock::now();
        Message m;
        m.source = status->source();
        m.tag = status->tag();
        const int count = status->count<char>().value_or(0);
        m.bytes.resize(static_cast<std::size_t>(count));
        world_.recv(m.source, m.tag, m.bytes.data(), count);
        blocked_s_ += Since(start);
        return m;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(2000));
    }
  }

  Expected<bool> Flush(std::chrono::milliseconds timeout) override {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    auto pause = std::chrono::microseconds(20);
    try {
      for (Reap(); !pending_.empty() && Clock::now() < deadline; Reap()) {
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(2000));
      }
    } catch (const boost::mpi::exception& e) {
      return MakeError(ErrorCode::kIo, std::string("MPI send failed: ") + e.what());
    }
    blocked_s_ += Since(start);
    return pending_.empty();
  }

  double blocked_seconds() const override { return blocked_s_; }

  int MaxAll(int value) override {
    return boost::mpi::all_reduce(world_, value, boost::mpi::maximum<int>());
  }

  std::vector<std::string> AllGather(const std::string& mine) override {
    std::vector<std::string> all;
    boost::mpi::all_gather(world_, mine, all);
    return all;
  }

  boost::mpi::communicator world_;

 private:
  // A send in flight and the bytes it reads from (kept until it completes).
  struct PendingSend {
    std::string bytes;
    boost::mpi::request request;
  };

  // Drops the sends that have completed; testing them is also what moves
  // them along.
  void Reap() {
    pending_.remove_if(
        [](PendingSend& send) { return !send.request.active() || bool(send.request.test()); });
  }

  std::list<PendingSend> pending_;  // stable addresses for the buffers
  double blocked_s_ = 0;
};

}  // namespace

struct MpiSession::Impl {
  boost::mpi::environment env{boost::mpi::threading::single, false};
  MpiTransport transport;
  NodeInfo node;
};

MpiSession::MpiSession(int& argc, char**& argv) {
  (void)argc;
  (void)argv;
  impl_ = std::make_unique<Impl>();
  MPI_Comm shared;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, impl_->transport.rank(), MPI_INFO_NULL,
                      &shared);
  boost::mpi::communicator node(shared, boost::mpi::comm_take_ownership);
  impl_->node.node_rank = node.rank();
  impl_->node.node_size = node.size();
  int leader = impl_->transport.rank();
  boost::mpi::broadcast(node, leader, 0);
  impl_->node.leader = leader;
}

MpiSession::~MpiSession() = default;

Transport& MpiSession::transport() { return impl_->transport; }
const NodeInfo& MpiSession::node() const { return impl_->node; }

void MpiSession::EndJob(int exit_code) {
  impl_->env.abort(exit_code);
  std::abort();
}

}  // namespace astrasweep::dist
