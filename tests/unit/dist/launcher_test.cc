// Finding the launcher from a /proc laid out in a temporary folder: the
// terminal the person who started the run sees through mpiexec, the
// command to resume with, launcher included, and Open MPI's kill after
// its SIGTERM.
#include "astrasweep/dist/launcher.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "astrasweep/base/temp_dir.h"

namespace astrasweep::dist {
namespace {

namespace fs = std::filesystem;

class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("astrasweep-proc-");
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
  }

  // A process with its parent, command line and what its fd 2 links to.
  void Process(int pid, int ppid, const std::vector<std::string>& argv,
               const std::string& stderr_target) {
    const fs::path dir = dir_->path() / std::to_string(pid);
    fs::create_directories(dir / "fd");
    std::ofstream(dir / "status") << "Name:\tx\nState:\tS (sleeping)\nTgid:\t" << pid << "\nPid:\t"
                                  << pid << "\nPPid:\t" << ppid << "\n";
    std::string cmdline;
    for (const auto& arg : argv) cmdline += arg + '\0';
    std::ofstream(dir / "cmdline", std::ios::binary) << cmdline;
    fs::create_symlink(stderr_target, dir / "fd/2");
  }

  Launcher Find(int pid, const std::vector<std::string>& argv) {
    return FindLauncher(ProcessTable(dir_->path().string()), pid, argv,
                        [this](const char* name) -> const char* {
                          auto it = env_.find(name);
                          return it == env_.end() ? nullptr : it->second.c_str();
                        });
  }

  std::optional<TempDir> dir_;
  std::map<std::string, std::string> env_;
  const std::vector<std::string> argv_ = {"build/astrasweep", "run", "spec.yaml", "-o", "out.h5"};
};

TEST_F(FakeProc, MpiexecOnATerminalIsTheLaunchersTerminalAndCommand) {
  env_["OMPI_COMM_WORLD_SIZE"] = "3";
  const std::vector<std::string> mpiexec = {
      "mpiexec", "--oversubscribe", "-n", "3",     "build/astrasweep",
      "run",     "spec.yaml",       "-o", "out.h5"};
  Process(100, 1, {"-bash"}, "/dev/pts/4");
  Process(200, 100, mpiexec, "/dev/pts/4");
  Process(300, 200, argv_, "pipe:[5678]");
  const Launcher launcher = Find(300, argv_);
  EXPECT_EQ(launcher.kind, LauncherKind::kOpenMpi);
  EXPECT_EQ(launcher.pid, 200);
  EXPECT_TRUE(launcher.terminal) << "mpiexec's stderr is the terminal rank 0's pipe reaches";
  EXPECT_EQ(launcher.terminal_path, (dir_->path() / "200/fd/2").string());
  EXPECT_EQ(launcher.command, mpiexec);
  EXPECT_EQ(launcher.killer_pid, 200) << "mpiexec SIGKILLs its ranks after its SIGTERM";
  EXPECT_EQ(launcher.kill_after_s, 1);
}

TEST_F(FakeProc, ALauncherFurtherUpAndItsKillTimeout) {
  env_["OMPI_COMM_WORLD_SIZE"] = "2";
  env_["OMPI_MCA_odls_base_sigkill_timeout"] = "5";
  Process(200, 1, {"/usr/bin/mpirun.openmpi", "-n", "2", "sh", "-c", "astrasweep run s -o o"},
          "/dev/tty1");
  Process(250, 200, {"sh", "-c", "astrasweep run s -o o"}, "pipe:[1]");
  Process(300, 250, argv_, "pipe:[2]");
  const Launcher launcher = Find(300, argv_);
  EXPECT_EQ(launcher.pid, 200) << "a wrapper between the launcher and the rank";
  EXPECT_TRUE(launcher.terminal);
  EXPECT_EQ(launcher.command.front(), "/usr/bin/mpirun.openmpi");
  EXPECT_EQ(launcher.killer_pid, 200) << "mpiexec signals its child's process group";
  EXPECT_EQ(launcher.kill_after_s, 5);
}

TEST_F(FakeProc, MpiexecWritingToAFileOrPipeIsNoTerminal) {
  env_["OMPI_COMM_WORLD_SIZE"] = "2";
  Process(200, 1, {"mpiexec", "-n", "2", "astrasweep"}, "/home/me/run.log");
  Process(300, 200, argv_, "pipe:[2]");
  EXPECT_FALSE(Find(300, argv_).terminal);
}

TEST_F(FakeProc, ARankUnderAnotherNodesDaemonRebuildsTheCommand) {
  env_["OMPI_COMM_WORLD_SIZE"] = "8";
  Process(50, 1, {"sshd: me"}, "/dev/null");
  Process(200, 50, {"orted", "-mca", "ess", "env"}, "/dev/null");
  Process(300, 200, argv_, "pipe:[2]");
  const Launcher launcher = Find(300, argv_);
  EXPECT_EQ(launcher.pid, 0);
  EXPECT_FALSE(launcher.terminal);
  EXPECT_EQ(launcher.killer_pid, 200) << "orted kills its ranks as mpiexec does";
  EXPECT_EQ(launcher.command, (std::vector<std::string>{"mpiexec", "-n", "8", "build/astrasweep",
                                                        "run", "spec.yaml", "-o", "out.h5"}));
}

TEST_F(FakeProc, UnderSrunTheCommandIsRebuiltAndNothingKillsAtOnce) {
  env_["SLURM_STEP_NUM_TASKS"] = "8";
  env_["SLURM_STEP_NUM_NODES"] = "2";
  env_["SLURM_MPI_TYPE"] = "pmix";
  Process(200, 1, {"slurmstepd: [12.0]"}, "/dev/null");
  Process(300, 200, argv_, "pipe:[2]");
  const Launcher launcher = Find(300, argv_);
  EXPECT_EQ(launcher.kind, LauncherKind::kSlurm);
  EXPECT_FALSE(launcher.terminal) << "srun's terminal is not seen from a task";
  EXPECT_EQ(launcher.killer_pid, 0) << "Slurm waits KillWait (30 s) after its SIGTERM";
  EXPECT_EQ(launcher.command,
            (std::vector<std::string>{"srun", "-N", "2", "-n", "8", "--mpi=pmix",
                                      "build/astrasweep", "run", "spec.yaml", "-o", "out.h5"}));
}

TEST_F(FakeProc, SrunWithAPtyIsRebuiltWithIt) {
  env_["SLURM_STEP_NUM_TASKS"] = "3";
  env_["SLURM_PTY_PORT"] = "46299";  // srun --pty: task 0's stderr is the terminal itself
  Process(300, 1, argv_, "/dev/pts/1");
  EXPECT_EQ(Find(300, argv_).command,
            (std::vector<std::string>{"srun", "-n", "3", "--pty", "build/astrasweep", "run",
                                      "spec.yaml", "-o", "out.h5"}));
}

TEST_F(FakeProc, WithoutALauncherTheCommandIsThisProcesssAndNoAncestorIsRead) {
  Process(200, 1, {"mpiexec", "-n", "2", "x"}, "/dev/pts/1");  // not ours: no rank variables
  Process(300, 200, argv_, "/dev/pts/1");
  const Launcher launcher = Find(300, argv_);
  EXPECT_EQ(launcher.kind, LauncherKind::kNone);
  EXPECT_EQ(launcher.pid, 0);
  EXPECT_EQ(launcher.command, argv_);
  EXPECT_EQ(launcher.killer_pid, 0);
}

TEST(Launcher, TerminalDevices) {
  EXPECT_TRUE(IsTerminalDevice("/dev/pts/12"));
  EXPECT_TRUE(IsTerminalDevice("/dev/tty3"));
  EXPECT_FALSE(IsTerminalDevice("pipe:[123]"));
  EXPECT_FALSE(IsTerminalDevice("/dev/null"));
  EXPECT_FALSE(IsTerminalDevice("socket:[9]"));
}

TEST(Launcher, TheResumeCommandIsTheCommandAsRunWithResumeOnceAndQuoted) {
  EXPECT_EQ(
      ResumeCommand({"mpiexec", "-n", "3", "build/astrasweep", "run", "s.yaml", "-o", "my out.h5"}),
      "mpiexec -n 3 build/astrasweep run s.yaml -o 'my out.h5' --resume");
  EXPECT_EQ(
      ResumeCommand({"astrasweep", "run", "s.yaml", "-o", "o.h5", "--resume", "--grace", "5"}),
      "astrasweep run s.yaml -o o.h5 --resume --grace 5")
      << "a run that resumed already resumes the same way";
}

TEST(Launcher, ThisProcessIsReadFromProc) {
  const ProcessTable processes;
  const auto self = processes.Read(::getpid());
  ASSERT_TRUE(self);
  EXPECT_EQ(self->ppid, ::getppid());
  ASSERT_FALSE(self->argv.empty());
  EXPECT_NE(self->argv[0].find("dist_unit_tests"), std::string::npos) << self->argv[0];
  EXPECT_FALSE(self->stderr_target.empty());
  EXPECT_FALSE(processes.Read(-5));
}

}  // namespace
}  // namespace astrasweep::dist
