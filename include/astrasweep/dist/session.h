// The ranks of one run and how the job ends: an MPI job when a launcher
// (mpiexec, mpirun, srun) started this process, otherwise this process
// alone, without initialising MPI (which would fork Open MPI's daemon and
// cost about half a second before the first point).
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

class Session {
 public:
  virtual ~Session() = default;
  virtual Transport& transport() = 0;
  virtual const NodeInfo& node() const = 0;
  // Ends every rank of the job at once, with this exit code: for when rank
  // 0 cannot wait for a worker any longer.
  [[noreturn]] virtual void EndJob(int exit_code) = 0;
};

// True when the environment shows a launcher's rank variables (Open MPI,
// PMIx, PMI as MPICH and Slurm's srun set them).
bool StartedByLauncher();

// An MPI session under a launcher; one in-process rank otherwise.
std::unique_ptr<Session> OpenSession(int& argc, char**& argv);

}  // namespace astrasweep::dist
