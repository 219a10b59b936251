// RunChild with posix_spawn: unlike fork it is safe in a process with
// threads (MPI's, spdlog's) and reports a failed exec as an error. The
// child gets its own process group so that a timeout kills whatever it
// started too.
#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace astrasweep::netsim {
namespace {

// posix_spawn's two C structs, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attributes_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attributes_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // Each call returns 0 or an errno value, as the posix_spawn family does.
  int Prepare(const ChildRequest& request) {
    int failed =
        posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (failed == 0)
      failed = posix_spawn_file_actions_addopen(&actions_, STDOUT_FILENO, request.output.c_str(),
                                                O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (failed == 0)
      failed = posix_spawn_file_actions_adddup2(&actions_, STDOUT_FILENO, STDERR_FILENO);
    if (failed == 0) failed = posix_spawn_file_actions_addchdir_np(&actions_, request.cwd.c_str());
    // The parent's other descriptors (MPI's sockets, open archives) are
    // none of the child's business.
    if (failed == 0)
      failed = posix_spawn_file_actions_addclosefrom_np(&actions_, STDERR_FILENO + 1);
    if (failed == 0) failed = posix_spawnattr_setpgroup(&attributes_, 0);
    // The child starts with no signal blocked and default handlers for the
    // ones a parent commonly ignores or catches (an MPI runtime does).
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int signal :
         {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2})
      sigaddset(&defaults, signal);
    if (failed == 0) failed = posix_spawnattr_setsigmask(&attributes_, &none);
    if (failed == 0) failed = posix_spawnattr_setsigdefault(&attributes_, &defaults);
    if (failed == 0)
      failed = posix_spawnattr_setflags(
          &attributes_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    return failed;
  }

  int Spawn(const ChildRequest& request, pid_t* pid) {
    std::vector<char*> argv;
    for (const std::string& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    return posix_spawn(pid, argv[0], &actions_, &attributes_, argv.data(), environ);
  }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

// waitpid without blocking; true once the child is reaped.
Expected<bool> Reaped(pid_t pid, int* status) {
  for (;;) {
    const pid_t done = waitpid(pid, status, WNOHANG);
    if (done == pid) return true;
    if (done == 0) return false;
    if (errno != EINTR)
      return MakeError(ErrorCode::kInternal, "cannot wait for child process " +
                                                 std::to_string(pid) + ": " + std::strerror(errno));
  }
}

ChildOutcome OutcomeOf(int status) {
  if (WIFSIGNALED(status)) return {.end = ChildOutcome::End::kSignaled, .signal = WTERMSIG(status)};
  return {.end = ChildOutcome::End::kExited, .exit_code = WEXITSTATUS(status)};
}

// Kills the child's process group and reaps the child.
void KillGroup(pid_t pid) {
  kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

Expected<ChildOutcome> RunChild(const ChildRequest& request) {
  if (request.argv.empty()) return MakeError(ErrorCode::kInternal, "RunChild without a program");
  SpawnSetup setup;
  pid_t pid = 0;
  int failed = setup.Prepare(request);
  if (failed == 0) failed = setup.Spawn(request, &pid);
  if (failed != 0)
    return MakeError(ErrorCode::kUnavailable,
                     "cannot run " + request.argv[0] + ": " + std::strerror(failed));
  // Polling with a growing pause: a run of AstraSim takes milliseconds, a
  // long one minutes, and either way a pause of at most 50 ms is noise.
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    int status = 0;
    auto reaped = Reaped(pid, &status);
    if (!reaped) {
      KillGroup(pid);
      return std::unexpected(std::move(reaped).error());
    }
    if (*reaped) return OutcomeOf(status);
    if (std::chrono::steady_clock::now() >= deadline) {
      KillGroup(pid);
      return ChildOutcome{.end = ChildOutcome::End::kTimedOut};
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

std::string SignalName(int signal) {
  const char* abbreviation = sigabbrev_np(signal);
  const char* description = sigdescr_np(signal);
  std::string name = abbreviation != nullptr ? std::string("SIG") + abbreviation
                                             : "signal " + std::to_string(signal);
  if (description != nullptr) name += std::string(" (") + description + ")";
  return name;
}

std::string LastLines(std::string_view text, int count) {
  constexpr std::size_t kMaxBytes = 4096;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  // `start` steps back from newline to newline, `count` times at most.
  std::size_t start = text.size();
  for (int lines = 0; lines < count; ++lines) {
    const std::size_t newline = start == 0 ? std::string_view::npos : text.rfind('\n', start - 1);
    if (newline == std::string_view::npos) {
      start = 0;
      break;
    }
    start = newline;
  }
  std::string_view tail = text.substr(std::min(start, text.size()));
  if (!tail.empty() && tail.front() == '\n') tail.remove_prefix(1);
  if (tail.size() > kMaxBytes) tail = tail.substr(tail.size() - kMaxBytes);
  return std::string(tail);
}

}  // namespace astrasweep::netsim
