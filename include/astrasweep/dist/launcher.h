// Who started this process and what the person who started it sees,
// found from the process's ancestors (/proc) and its environment: whether
// the output reaches a terminal through the launcher (mpiexec's ranks write
// to pipes that mpiexec copies to its own stderr), the command the run was
// started with (to print the one that resumes it), and whether the
// launcher follows its SIGTERM with a SIGKILL soon (Open MPI's does).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace astrasweep::dist {

// One process as /proc shows it.
struct ProcessInfo {
  int ppid = 0;
  std::vector<std::string> argv;  // /proc/PID/cmdline
  std::string stderr_target;      // what /proc/PID/fd/2 links to: /dev/pts/3, pipe:[1234]
};

// Reads processes from /proc, or from a folder laid out like it (tests).
class ProcessTable {
 public:
  explicit ProcessTable(std::string root = "/proc") : root_(std::move(root)) {}
  // nullopt when the process is gone or not ours to read.
  std::optional<ProcessInfo> Read(int pid) const;
  // /proc/PID/fd/FD: opening it opens what the process has open there.
  std::string FdPath(int pid, int fd) const;

 private:
  std::string root_;
};

enum class LauncherKind { kNone, kOpenMpi, kSlurm, kOtherMpi };

struct Launcher {
  LauncherKind kind = LauncherKind::kNone;
  // The launcher's process when it runs on this node, an ancestor (0: not
  // seen, as under srun, whose tasks are slurmstepd's children).
  int pid = 0;
  // The person who started the run sees a terminal on the launcher's
  // stderr, at `terminal_path` (to open for its width).
  bool terminal = false;
  std::string terminal_path;
  // The command the job was started with, launcher included: the
  // launcher's own command line when it is seen; else this process's,
  // behind the launcher's rebuilt from the environment (srun -N 2 -n 8
  // --mpi=pmix --pty ..., mpiexec -n 8 ...); without a launcher, this
  // process's alone.
  std::vector<std::string> command;
  // A SIGTERM from this process (Open MPI's mpiexec, or its orted on
  // another node: whoever started the rank) means the job is being ended: SIGKILL follows
  // `kill_after_s` later (Open MPI's odls_base_sigkill_timeout). 0: none.
  int killer_pid = 0;
  double kill_after_s = 0;
};

using GetEnv = std::function<const char*(const char*)>;

// The kind of launcher the environment shows (Open MPI's, PMIx's and PMI's
// rank variables, srun's task variables); kNone without one.
LauncherKind LauncherFromEnvironment(const GetEnv& getenv = {});

// This process's launcher. `argv`: this process's arguments; `getenv`:
// the environment (std::getenv when empty).
Launcher FindLauncher(const ProcessTable& processes, int pid, std::span<const std::string> argv,
                      const GetEnv& getenv = {});

// Whether a /proc/PID/fd link target is a terminal (/dev/pts/N, /dev/ttyX).
bool IsTerminalDevice(std::string_view target);

// The command that continues an interrupted run: `command` with --resume
// (once), quoted for the shell.
std::string ResumeCommand(std::vector<std::string> command);

}  // namespace astrasweep::dist
