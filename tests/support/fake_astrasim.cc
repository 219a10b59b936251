// fake_astrasim: a stand-in for AstraSim's analytical binaries, so the
// tests of netsim::AstraSimBinary can make it misbehave in every way the
// real one does (or might). It takes the real binaries' flags
// (--workload-configuration=<prefix> --network-configuration=<file> ...,
// unknown ones ignored), reads the rank count from `npus_count: [a, b]` in
// the network file, exits 1 when a <prefix>.<rank>.et is missing (as
// AstraSim does), and prints spdlog-style lines for every rank:
//   [time] [workload] [info] sys[r] finished, T cycles, exposed communication E cycles.
//   [time] [statistics] [info] sys[r], Wall time: T
//   [time] [statistics] [info] sys[r], Comm time: C
// with T = $FAKE_ASTRASIM_CYCLES (default 1000) + 100 * r, E = T / 2 and
// C = 3 * T / 4.
//
// Its environment chooses how it behaves (the runner passes its own on):
//   FAKE_ASTRASIM_MODE     ok (default) | crash: abort() before any rank line
//                          | hang: sleep forever | garbage: random text, exit 0
//                          | drop-rank: no lines for rank 1, exit 0
//                          | zeros-then-ok: rank 0 reports 0 cycles on the first
//                            $FAKE_ASTRASIM_ZERO_RUNS (default 2) runs, counted in
//                            the file $FAKE_ASTRASIM_COUNTER, then correct lines
//                          | zeros: rank 0 always reports 0 cycles
//                          | exit1: an error message, exit 1
//                          | teardown-crash: every line, then abort()
//   FAKE_ASTRASIM_COUNTER  a file counting its runs, whatever the mode
//   FAKE_ASTRASIM_ARGS     a file it writes its working directory and then
//                          each argument to, one per line (to check what the
//                          runner passed)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string Env(const char* name, const std::string& otherwise) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : otherwise;
}

// --name=value flags.
std::map<std::string, std::string> Flags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::size_t equals = arg.find('=');
    if (arg.starts_with("--") && equals != std::string::npos)
      flags[arg.substr(2, equals - 2)] = arg.substr(equals + 1);
  }
  return flags;
}

// The product of the numbers in `npus_count: [a, b, ...]`; 0 if unreadable.
int Ranks(const std::string& network_file) {
  std::ifstream in(network_file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("npus_count:")) continue;
    const std::size_t open = line.find('['), close = line.find(']');
    if (open == std::string::npos || close == std::string::npos) return 0;
    std::stringstream list(line.substr(open + 1, close - open - 1));
    int ranks = 1;
    std::string item;
    while (std::getline(list, item, ',')) ranks *= std::atoi(item.c_str());
    return ranks;
  }
  return 0;
}

void WriteArgs(int argc, char** argv) {
  const std::string path = Env("FAKE_ASTRASIM_ARGS", "");
  if (path.empty()) return;
  std::ofstream out(path);
  char cwd[4096];
  out << (getcwd(cwd, sizeof cwd) != nullptr ? cwd : "?") << "\n";
  for (int i = 1; i < argc; ++i) out << argv[i] << "\n";
}

// How many runs came before this one, counted in $FAKE_ASTRASIM_COUNTER.
int RunsBefore() {
  const std::string path = Env("FAKE_ASTRASIM_COUNTER", "");
  if (path.empty()) return 0;
  int runs = 0;
  std::ifstream(path) >> runs;
  std::ofstream(path) << runs + 1;
  return runs;
}

void PrintRank(int rank, bool zero) {
  const long long cycles =
      zero ? 0 : std::atoll(Env("FAKE_ASTRASIM_CYCLES", "1000").c_str()) + 100 * rank;
  const char* stamp = "[2026-03-25 10:00:00.123]";
  std::cout << stamp << " [workload] [info] sys[" << rank << "] finished, " << cycles
            << " cycles, exposed communication " << cycles / 2 << " cycles.\n"
            << stamp << " [statistics] [info] sys[" << rank
            << "]. Post statistics processing end.\n"
            << stamp << " [statistics] [info] sys[" << rank << "], Wall time: " << cycles << "\n"
            << stamp << " [statistics] [info] sys[" << rank << "], Comm time: " << 3 * cycles / 4
            << "\n";
}

void PrintGarbage() {
  std::srand(static_cast<unsigned>(getpid()));
  for (int line = 0; line < 20; ++line) {
    std::string text;
    for (int i = 0; i < 60; ++i) text += static_cast<char>(' ' + std::rand() % 94);
    std::cout << text << "\n";
  }
}

int RealMain(int argc, char** argv) {
  WriteArgs(argc, argv);
  const int runs_before = RunsBefore();
  const auto flags = Flags(argc, argv);
  const std::string mode = Env("FAKE_ASTRASIM_MODE", "ok");
  const int ranks =
      Ranks(flags.contains("network-configuration") ? flags.at("network-configuration") : "");
  if (ranks <= 0) {
    std::cerr << "[error] cannot read npus_count from the network configuration\n";
    return 1;
  }
  const std::string prefix =
      flags.contains("workload-configuration") ? flags.at("workload-configuration") : "";
  for (int rank = 0; rank < ranks; ++rank) {
    const std::string trace = prefix + "." + std::to_string(rank) + ".et";
    if (!std::ifstream(trace)) {
      std::cerr << "[error] cannot open " << trace << "\n";
      return 1;
    }
  }
  std::cout << "[2026-03-25 10:00:00.000] [system::topology::RingTopology] [info] ring of node 0\n";
  if (mode == "crash") {
    std::cout.flush();
    std::abort();
  }
  if (mode == "hang") {
    std::cout.flush();
    for (;;) pause();
  }
  if (mode == "exit1") {
    std::cerr << "[error] fake_astrasim was told to fail\n";
    return 1;
  }
  if (mode == "garbage") {
    PrintGarbage();
    return 0;
  }
  const bool zero =
      mode == "zeros" || (mode == "zeros-then-ok" &&
                          runs_before < std::atoi(Env("FAKE_ASTRASIM_ZERO_RUNS", "2").c_str()));
  for (int rank = 0; rank < ranks; ++rank)
    if (!(mode == "drop-rank" && rank == 1)) PrintRank(rank, zero && rank == 0);
  std::cout << "[2026-03-25 10:00:00.200] [system] [warning] Exiting\n";
  if (mode == "teardown-crash") {
    std::cout.flush();
    std::abort();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return RealMain(argc, argv); }
