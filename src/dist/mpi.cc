// Boost.MPI behind Transport. Messages are raw bytes (MPI_CHAR); receives
// poll with a short back-off so an idle rank 0 neither spins a core nor
// misses a signal or a progress tick.
#include "astrasweep/dist/mpi.h"

#include <mpi.h>

#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <thread>

namespace astrasweep::dist {
namespace {

class MpiTransport final : public Transport {
 public:
  int rank() const override { return world_.rank(); }
  int size() const override { return world_.size(); }

  Status Send(int dest, int tag, std::string_view bytes) override {
    try {
      world_.send(dest, tag, bytes.data(), static_cast<int>(bytes.size()));
    } catch (const boost::mpi::exception& e) {
      return MakeError(ErrorCode::kIo, std::string("MPI send to rank ") + std::to_string(dest) +
                                           " failed: " + e.what());
    }
    return Ok();
  }

  std::optional<Message> Receive(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds(20);
    while (true) {
      if (auto status = world_.iprobe(boost::mpi::any_source, boost::mpi::any_tag)) {
        Message m;
        m.source = status->source();
        m.tag = status->tag();
        const int count = status->count<char>().value_or(0);
        m.bytes.resize(static_cast<std::size_t>(count));
        world_.recv(m.source, m.tag, m.bytes.data(), count);
        return m;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(2000));
    }
  }

  int MaxAll(int value) override {
    return boost::mpi::all_reduce(world_, value, boost::mpi::maximum<int>());
  }

  std::vector<std::string> Hosts() override {
    std::vector<std::string> hosts;
    boost::mpi::all_gather(world_, HostName(), hosts);
    return hosts;
  }

  boost::mpi::communicator world_;
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

void MpiSession::Abort(int code) {
  impl_->env.abort(code);
  std::abort();
}

}  // namespace astrasweep::dist
