// The stop flag that SIGTERM and SIGINT set.
#include <csignal>

#include "astrasweep/dist/run.h"

namespace astrasweep::dist {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void OnStopSignal(int signal) {
  g_stop.store(true);
  std::signal(signal, SIG_DFL);  // the next one ends the process
}

}  // namespace

const std::atomic<bool>& InstallStopSignals() {
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  return g_stop;
}

}  // namespace astrasweep::dist
