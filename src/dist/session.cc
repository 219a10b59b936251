// Choosing the session: MPI under a launcher, one in-process rank
// otherwise.
#include "astrasweep/dist/session.h"

#include <cstdlib>

#include "astrasweep/dist/launcher.h"
#include "astrasweep/dist/mpi.h"

namespace astrasweep::dist {
namespace {

// One rank in this process: no MPI at all.
class LocalSession final : public Session {
 public:
  LocalSession() : transports_(MakeInProcessTransports(1)) {}
  Transport& transport() override { return *transports_[0]; }
  const NodeInfo& node() const override { return node_; }
  [[noreturn]] void EndJob(int exit_code) override { std::exit(exit_code); }

 private:
  std::vector<std::unique_ptr<Transport>> transports_;
  NodeInfo node_;
};

}  // namespace

bool StartedByLauncher() { return LauncherFromEnvironment() != LauncherKind::kNone; }

std::unique_ptr<Session> OpenSession(int& argc, char**& argv) {
  if (StartedByLauncher()) return std::make_unique<MpiSession>(argc, argv);
  return std::make_unique<LocalSession>();
}

}  // namespace astrasweep::dist
