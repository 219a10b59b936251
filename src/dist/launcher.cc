// Finding the launcher among this process's ancestors, and what follows
// from it.
#include "astrasweep/dist/launcher.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "astrasweep/base/strings.h"

namespace astrasweep::dist {
namespace {

// How far up the ancestors to look: a launcher starts its ranks directly,
// or through a daemon or a wrapper script or two.
constexpr int kMaxAncestors = 16;
// Open MPI's mpiexec waits this long between its SIGTERM and its SIGKILL
// unless odls_base_sigkill_timeout says otherwise.
constexpr double kOpenMpiKillAfterSeconds = 1;

bool IsMpiLauncher(std::string_view name) {
  for (std::string_view launcher : {"mpiexec", "mpirun", "orterun", "prterun", "oshrun"}) {
    if (name == launcher) return true;
    // Debian's mpiexec.openmpi, MPICH's mpiexec.hydra
    if (name.starts_with(launcher) && name[launcher.size()] == '.') return true;
  }
  return false;
}

std::string Env(const GetEnv& getenv, const char* name) {
  const char* value = getenv ? getenv(name) : std::getenv(name);
  return value ? value : "";
}

// The launcher's command when it is not seen: rebuilt around `argv` from
// what the environment says of the job.
std::vector<std::string> RebuiltCommand(LauncherKind kind, std::span<const std::string> argv,
                                        const GetEnv& getenv) {
  std::vector<std::string> command;
  const auto add = [&](std::string flag, const std::string& value) {
    if (!value.empty()) command.insert(command.end(), {std::move(flag), value});
  };
  if (kind == LauncherKind::kSlurm) {
    command.push_back("srun");
    add("-N", Env(getenv, "SLURM_STEP_NUM_NODES"));
    add("-n", Env(getenv, "SLURM_STEP_NUM_TASKS"));
    if (const std::string mpi = Env(getenv, "SLURM_MPI_TYPE"); !mpi.empty())
      command.push_back("--mpi=" + mpi);
    if (!Env(getenv, "SLURM_PTY_PORT").empty()) command.push_back("--pty");
  } else if (kind != LauncherKind::kNone) {
    command.push_back("mpiexec");
    const std::string size = Env(getenv, "OMPI_COMM_WORLD_SIZE");
    add("-n", size.empty() ? Env(getenv, "PMI_SIZE") : size);
  }
  command.insert(command.end(), argv.begin(), argv.end());
  return command;
}

}  // namespace

LauncherKind LauncherFromEnvironment(const GetEnv& getenv) {
  // Open MPI's mpiexec, also when it runs inside a Slurm allocation.
  if (!Env(getenv, "OMPI_COMM_WORLD_SIZE").empty()) return LauncherKind::kOpenMpi;
  if (!Env(getenv, "SLURM_STEP_NUM_TASKS").empty()) return LauncherKind::kSlurm;
  // PMIx (Open MPI 5), PMI-1/2 (MPICH's hydra)
  for (const char* name : {"PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (!Env(getenv, name).empty()) return LauncherKind::kOtherMpi;
  return LauncherKind::kNone;
}

std::optional<ProcessInfo> ProcessTable::Read(int pid) const {
  const std::string dir = root_ + "/" + std::to_string(pid);
  auto status = ReadFile(dir + "/status");
  if (!status) return std::nullopt;
  ProcessInfo info;
  for (const std::string& line : Split(*status, '\n')) {
    if (!line.starts_with("PPid:")) continue;
    info.ppid = std::atoi(line.c_str() + 5);
    break;
  }
  if (auto cmdline = ReadFile(dir + "/cmdline"); cmdline && !cmdline->empty()) {
    if (cmdline->back() == '\0') cmdline->pop_back();
    info.argv = Split(*cmdline, '\0');
  }
  std::error_code ec;
  info.stderr_target = std::filesystem::read_symlink(FdPath(pid, 2), ec).string();
  return info;
}

std::string ProcessTable::FdPath(int pid, int fd) const {
  return root_ + "/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
}

bool IsTerminalDevice(std::string_view target) {
  return target.starts_with("/dev/pts/") || target.starts_with("/dev/tty");
}

Launcher FindLauncher(const ProcessTable& processes, int pid, std::span<const std::string> argv,
                      const GetEnv& getenv) {
  Launcher launcher;
  launcher.kind = LauncherFromEnvironment(getenv);
  launcher.command = RebuiltCommand(launcher.kind, argv, getenv);
  if (launcher.kind == LauncherKind::kNone) return launcher;
  const std::optional<ProcessInfo> self = processes.Read(pid);
  // The nearest ancestor that is an MPI launcher, or Open MPI's daemon (on
  // another node than the launcher).
  int starter = 0;
  for (int depth = 0, ancestor = self ? self->ppid : 0; depth < kMaxAncestors && ancestor > 1;
       ++depth) {
    const std::optional<ProcessInfo> info = processes.Read(ancestor);
    if (!info) break;
    const std::string name =
        info->argv.empty() ? "" : std::filesystem::path(info->argv[0]).filename().string();
    if (IsMpiLauncher(name)) {
      starter = launcher.pid = ancestor;
      launcher.command = info->argv;
      launcher.terminal = IsTerminalDevice(info->stderr_target);
      if (launcher.terminal) launcher.terminal_path = processes.FdPath(ancestor, 2);
      break;
    }
    if (name == "orted" || name == "prted") {
      starter = ancestor;
      break;
    }
    ancestor = info->ppid;
  }
  if (launcher.kind == LauncherKind::kOpenMpi) {
    // Whoever started the rank on this node signals it (else: the parent).
    launcher.killer_pid = starter ? starter : self && self->ppid > 1 ? self->ppid : 0;
    launcher.kill_after_s = ParseDouble(Env(getenv, "OMPI_MCA_odls_base_sigkill_timeout"))
                                .value_or(kOpenMpiKillAfterSeconds);
  }
  return launcher;
}

std::string ResumeCommand(std::vector<std::string> command) {
  const bool resumes = std::any_of(command.begin(), command.end(), [](const std::string& word) {
    return word == "--resume" || word.starts_with("--resume=");
  });
  if (!resumes) command.push_back("--resume");
  return ShellCommand(command);
}

}  // namespace astrasweep::dist
