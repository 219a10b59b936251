// The MPI side (Boost.MPI stays inside dist): the session of a rank of an
// MPI job, with the transport over MPI_COMM_WORLD.
#pragma once

#include <memory>

#include "astrasweep/dist/session.h"

namespace astrasweep::dist {

// Initialises MPI on construction and finalises it on destruction.
class MpiSession final : public Session {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession() override;
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  Transport& transport() override;
  const NodeInfo& node() const override;
  [[noreturn]] void EndJob(int exit_code) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrasweep::dist
