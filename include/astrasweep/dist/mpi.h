// The MPI side (Boost.MPI stays inside dist): one session per process,
// and the transport over MPI_COMM_WORLD.
#pragma once

#include <memory>

#include "astrasweep/dist/transport.h"

namespace astrasweep::dist {

// Ranks that share a node (MPI_Comm_split_type shared): they share the
// node-local cache.
struct NodeInfo {
  int node_rank = 0;  // this rank's position among the ranks of its node
  int node_size = 1;
  int leader = 0;  // world rank of the node's first rank
};

// Initialises MPI on construction (a singleton run works without mpiexec)
// and finalises it on destruction.
class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  Transport& transport();
  const NodeInfo& node() const;
  // Ends every rank of the job at once, with this exit code: for when rank
  // 0 cannot wait for a worker any longer.
  [[noreturn]] void Abort(int code);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrasweep::dist
