// The stop flags that SIGTERM and SIGINT set.
#include <signal.h>

#include "astrasweep/dist/run.h"

namespace astrasweep::dist {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_hurry{false};
std::atomic<pid_t> g_killer{0};

extern "C" void OnStopSignal(int signal, siginfo_t* info, void*) {
  // hurry before stop: whoever sees stop sees the hurry that came with it
  if (const pid_t killer = g_killer.load();
      killer != 0 && info != nullptr && info->si_pid == killer)
    g_hurry.store(true);
  g_stop.store(true);
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigaction(signal, &fallback, nullptr);  // the next one ends the process
}

}  // namespace

StopFlags InstallStopSignals(int killer) {
  g_killer.store(killer);
  // Once: a signal already taken has left its fallback in place.
  static std::atomic<bool> installed{false};
  if (installed.exchange(true)) return {.stop = &g_stop, .hurry = &g_hurry};
  struct sigaction action {};
  action.sa_sigaction = OnStopSignal;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  return {.stop = &g_stop, .hurry = &g_hurry};
}

}  // namespace astrasweep::dist
