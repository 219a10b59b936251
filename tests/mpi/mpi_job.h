// What the tests of runs under mpiexec share: a job started in a session of
// its own (so it can be found and signalled whole), waited for, its log
// read, and archives compared. Needs ASTRASWEEP_BIN, ASTRASWEEP_SOURCE_DIR
// and MPIEXEC_EXECUTABLE defined (tests/mpi/CMakeLists.txt).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "astrasweep/base/strings.h"
#include "astrasweep/store/table.h"
#include "sorted_rows.h"

namespace astrasweep::testing {

inline const std::string kBin = ASTRASWEEP_BIN;
inline const std::string kSource = ASTRASWEEP_SOURCE_DIR;
inline const std::string kMpiexec = MPIEXEC_EXECUTABLE;

// An analytical sweep written to <dir>/<name>.yaml, returned: GPT models of
// 1.3B to 13B parameters on 8 to 64 GPUs over tp, pp and micro-batches,
// global batches from 512 to 4096 in steps of `batch_step`, with the
// constraints every point needs and, when given, `extra` besides.
inline std::string WriteGptSweep(const std::filesystem::path& dir, const std::string& name,
                                 int batch_step, const std::string& extra = "") {
  const std::string spec = (dir / (name + ".yaml")).string();
  std::ofstream(spec) << "name: " << name << "\nbase: " << kSource
                      << "/sweeps/points/gpt-1.3b-a100.yaml\n"
                      << R"yaml(vars: {gpus: 8}
axes:
  model: [gpt-1.3b, gpt-2.7b, gpt-6.7b, gpt-13b]
  gpus: [8, 32, 64]
  parallelism.tp: [1, 2, 4, 8]
  parallelism.pp: {pow2: [1, 8]}
  training.micro_batch: [1, 2]
  training.global_batch: {range: [512, 4096, )yaml"
                      << batch_step << R"yaml(]}
derive:
  parallelism.dp: "gpus // (parallelism.tp * parallelism.pp)"
constraints:
  - "gpus % (parallelism.tp * parallelism.pp) == 0"
  - "model.layers // parallelism.pp >= 4"
  - "training.global_batch % (training.micro_batch * parallelism.dp) == 0"
)yaml";
  if (!extra.empty()) std::ofstream(spec, std::ios::app) << "  - \"" << extra << "\"\n";
  return spec;
}

// Starts a command in its own session (mpiexec puts each rank in its own
// process group, but they stay in the session, so the whole job can be
// signalled at once), with stdout and stderr appended to `log`; with
// `input`, its stdin is a pipe whose writing end that is.
inline pid_t Launch(const std::vector<std::string>& args, const std::string& log,
                    int* input = nullptr) {
  int in[2] = {-1, -1};
  if (input != nullptr && pipe(in) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    setsid();
    if (input != nullptr) {
      dup2(in[0], 0);
      close(in[1]);
    }
    FILE* f = std::fopen(log.c_str(), "a");
    if (f) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  if (input != nullptr) {
    close(in[0]);
    *input = in[1];
  }
  return pid;
}

// The exit code, or 128 + the signal that ended it.
inline int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// A log's text ("" when it is not there yet).
inline std::string ReadText(const std::string& path) { return ReadFile(path).value_or(""); }

// `astrasweep run` under mpiexec with `ranks` ranks (0: without mpiexec).
inline std::vector<std::string> RunArgs(int ranks, const std::string& spec, const std::string& out,
                                        bool resume, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args;
  if (ranks > 0)
    args = {kMpiexec, "--oversubscribe", "--allow-run-as-root", "-n", std::to_string(ranks)};
  args.insert(args.end(), {kBin, "run", spec, "-o", out, "--progress", "none"});
  if (resume) args.push_back("--resume");
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// The run's exit code; the test fails unless it is 0.
inline int RunSweep(int ranks, const std::string& spec, const std::string& out, bool resume = false,
                    const std::vector<std::string>& extra = {}) {
  const std::string log = out + ".test.log";
  const int code = Wait(Launch(RunArgs(ranks, spec, out, resume, extra), log));
  if (code != 0) ADD_FAILURE() << "exit " << code << ":\n" << ReadText(log);
  return code;
}

// A root attribute of an archive ("" when it cannot be read).
inline std::string Attribute(const std::string& path, const char* name) {
  auto file = store::File::Open(path, store::File::Access::kReadOnly);
  if (!file) return "";
  return file->StringAttribute(name).value_or("");
}

// The same results in every table (none of them empty but /failures).
inline void ExpectSameResults(const std::string& a, const std::string& b,
                              const std::vector<std::string>& skip = {"eval_s", "worker_rank"}) {
  for (const char* table : {"points", "rank_timings", "failures", "configs"}) {
    const auto ra = SortedRows(a, table, skip), rb = SortedRows(b, table, skip);
    EXPECT_FALSE(ra.empty() && std::string(table) != "failures") << table;
    EXPECT_EQ(ra.size(), rb.size()) << table;
    EXPECT_TRUE(ra == rb) << "/" << table << " differs between " << a << " and " << b;
  }
}

}  // namespace astrasweep::testing
