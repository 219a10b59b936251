// How ranks talk (README.md, "Running a sweep"): byte messages with a tag between
// numbered ranks. The MPI transport (mpi.h) is the real one; the in-process
// one lets tests run a coordinator and workers as threads of one process.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::dist {

enum Tag : int {
  kTagResults = 1,  // worker -> rank 0: proto::ResultBatch
  kTagWork = 2,     // rank 0 -> worker: proto::WorkBatch
};

struct Message {
  int source = -1;
  int tag = 0;
  std::string bytes;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Hands `bytes` to the transport and returns without waiting for `dest`
  // to receive them: a busy receiver never blocks the sender. The
  // transport keeps them until they are delivered.
  virtual Status Send(int dest, int tag, std::string bytes) = 0;
  // The next message from any rank, waiting at most `timeout`; nullopt when
  // none came. Moves pending sends along meanwhile.
  virtual std::optional<Message> Receive(std::chrono::milliseconds timeout) = 0;
  // Waits until every send has been delivered, at most `timeout`; false
  // when some are still pending then.
  virtual Expected<bool> Flush(std::chrono::milliseconds timeout) = 0;
  // Seconds spent blocked in communication so far: sending, receiving a
  // message that has arrived, and waiting in Flush (not waiting for a
  // message to arrive, which is idle time).
  virtual double blocked_seconds() const = 0;
  // Every rank calls this together; all get the largest value given. Used
  // to agree on whether to start and on the exit code.
  virtual int MaxAll(int value) = 0;
  // Every rank calls this together; all get each rank's `mine`, in rank
  // order (host names; why a rank could not start).
  virtual std::vector<std::string> AllGather(const std::string& mine) = 0;
};

// `size` connected in-process endpoints; endpoint r is rank r. Each may be
// used by one thread.
std::vector<std::unique_ptr<Transport>> MakeInProcessTransports(int size);

std::string HostName();

}  // namespace astrasweep::dist
