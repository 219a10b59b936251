// AstraSimBinary: finding and checking the binaries, then running a bundle
// in them (one sandbox folder per attempt) and turning how the process
// ended into an answer or an error. What each ending means is documented
// in astrasim.h.
#include "astrasweep/netsim/astrasim.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "astrasweep/base/hash.h"
#include "astrasweep/base/logging.h"
#include "astrasweep/base/temp_dir.h"
#include "astrasweep/base/strings.h"
#include "astrasweep/et/astrasim_config.h"
#include "astrasweep/et/trace_io.h"
#include "child_process.h"

namespace astrasweep::netsim {
namespace {

namespace fs = std::filesystem;

constexpr int kTailLines = 15;
constexpr const char* kHowToName = "pass --astrasim-bin or set ASTRASIM_BIN";

// The child runs in its sandbox, so every path it gets is absolute.
std::string Absolute(const std::string& path) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  return ec ? path : absolute.string();
}

// `path` as an absolute path, if it names an executable regular file;
// `hint` says how to name another.
Expected<std::string> CheckExecutable(const std::string& path, std::string_view hint) {
  if (path.empty()) return InvalidInput("no AstraSim binary named: " + std::string(hint));
  struct stat info {};
  if (stat(path.c_str(), &info) != 0)
    return MakeError(ErrorCode::kNotFound, "AstraSim binary " + path + " cannot be used (" +
                                               std::strerror(errno) + "): " + std::string(hint));
  if (!S_ISREG(info.st_mode))
    return MakeError(ErrorCode::kInvalidInput,
                     "AstraSim binary " + path + " is not a regular file: " + std::string(hint));
  if (access(path.c_str(), X_OK) != 0)
    return MakeError(ErrorCode::kInvalidInput,
                     "AstraSim binary " + path + " is not executable: " + std::string(hint));
  return fs::path(Absolute(path)).lexically_normal().string();
}

// Where the aware binary sits when it is beside the unaware one:
// `Unaware` in the file name replaced by `Aware`; empty if the name has no
// `Unaware`.
std::string AwareBeside(const std::string& unaware) {
  const fs::path path(unaware);
  std::string name = path.filename().string();
  const std::size_t at = name.rfind("Unaware");
  if (at == std::string::npos) return {};
  name.replace(at, std::string_view("Unaware").size(), "Aware");
  return (path.parent_path() / name).string();
}

// The rank count of a network file: the product of npus_count (the file
// read as the builtin simulator reads it).
Expected<int> NpusCount(const std::string& network) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string text, ReadFile(network));
  ASTRASWEEP_ASSIGN_OR_RETURN(const auto dimensions, et::ParseNetworkYml(text, network));
  long long ranks = 1;
  for (const auto& dimension : dimensions) {
    ranks *= dimension.npus;
    if (ranks > (1 << 20))
      return InvalidInput("npus_count makes more than 2^20 ranks", {.file = network});
  }
  return static_cast<int>(ranks);
}

// A bundle checked and put as AstraSim's flags, every path absolute.
struct Invocation {
  std::string workload;  // the prefix, for messages
  int ranks = 0;
  std::vector<std::string> flags;
};

Status RequireFile(const std::string& path, std::string_view what, const std::string& workload) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return Ok();
  return MakeError(ErrorCode::kNotFound, "the bundle has no " + std::string(what) + " " + path,
                   {.file = workload});
}

Expected<Invocation> Prepare(const BundlePaths& bundle) {
  Invocation run{.workload = Absolute(bundle.workload)};
  const std::string system = Absolute(bundle.system);
  const std::string network = Absolute(bundle.network);
  ASTRASWEEP_RETURN_IF_ERROR(RequireFile(system, "system configuration", run.workload));
  ASTRASWEEP_RETURN_IF_ERROR(RequireFile(network, "network configuration", run.workload));
  ASTRASWEEP_ASSIGN_OR_RETURN(run.ranks, NpusCount(network));
  for (int rank = 0; rank < run.ranks; ++rank)
    ASTRASWEEP_RETURN_IF_ERROR(RequireFile(
        et::TracePath(run.workload, rank),
        "trace (npus_count says " + std::to_string(run.ranks) + " ranks):", run.workload));
  run.flags = {"--workload-configuration=" + run.workload, "--system-configuration=" + system,
               "--network-configuration=" + network};
  if (!bundle.comm_groups.empty()) {
    const std::string groups = Absolute(bundle.comm_groups);
    ASTRASWEEP_RETURN_IF_ERROR(RequireFile(groups, "comm group configuration", run.workload));
    run.flags.push_back("--comm-group-configuration=" + groups);
  }
  if (!bundle.remote_memory.empty()) {
    const std::string memory = Absolute(bundle.remote_memory);
    ASTRASWEEP_RETURN_IF_ERROR(RequireFile(memory, "remote memory configuration", run.workload));
    run.flags.push_back("--remote-memory-configuration=" + memory);
  }
  return run;
}

std::unexpected<Error> RunError(const Invocation& run, std::string message) {
  return MakeError(ErrorCode::kUnavailable, std::move(message), {.file = run.workload});
}

std::string WithTail(std::string message, const std::string& output) {
  const std::string tail = LastLines(output, kTailLines);
  if (tail.empty()) return message + "; it printed nothing";
  return message + "; the last lines it printed:\n" + tail;
}

// How one attempt ended, as an answer or an error (see astrasim.h).
Expected<SimResult> Interpret(const ChildOutcome& outcome, const std::string& output,
                              const Invocation& run, const std::string& binary,
                              std::chrono::seconds timeout) {
  const std::string name = fs::path(binary).filename().string();
  if (outcome.end == ChildOutcome::End::kTimedOut)
    return RunError(run, WithTail(name + " timed out after " + std::to_string(timeout.count()) +
                                      " s and was killed",
                                  output));
  auto result = ParseAstraSimOutput(output, run.ranks);
  if (outcome.end == ChildOutcome::End::kSignaled) {
    const std::string signal = SignalName(outcome.signal);
    if (!result)
      return RunError(
          run, WithTail(name + " was killed by " + signal + " (" + result.error().message() + ")",
                        output));
    log::Warn(name + " was killed by " + signal + " after every rank of " + run.workload +
              " reported: its answer is kept (AstraSim crashes in its teardown at times)");
    return result;
  }
  if (outcome.exit_code != 0)
    return RunError(
        run, WithTail(name + " exited with status " + std::to_string(outcome.exit_code), output));
  if (!result)
    return RunError(
        run, WithTail(name + " exited 0 but did not report every rank: " + result.error().message(),
                      output));
  return result;
}

// The first rank that reported 0 cycles, or -1.
int FirstZeroRank(const SimResult& result) {
  for (std::size_t rank = 0; rank < result.ranks.size(); ++rank)
    if (result.ranks[rank].finish_ns == 0) return static_cast<int>(rank);
  return -1;
}

Expected<SimResult> RunOnce(const std::string& binary, const Invocation& run,
                            const AstraSimOptions& options) {
  auto sandbox = TempDir::Create("astrasim-", options.sandbox_parent);
  if (!sandbox)
    return RunError(run, "no sandbox folder for AstraSim: " + sandbox.error().message());
  ChildRequest request{.argv = {binary},
                       .cwd = sandbox->path(),
                       .output = sandbox->path() / "output.txt",
                       .timeout = options.timeout};
  request.argv.insert(request.argv.end(), run.flags.begin(), run.flags.end());
  request.argv.push_back("--logging-folder=" + (sandbox->path() / "log").string());
  auto outcome = RunChild(request);
  if (!outcome) return RunError(run, outcome.error().message());
  auto output = ReadFile(request.output.string());
  if (!output) return RunError(run, output.error().message());
  return Interpret(*outcome, *output, run, binary, options.timeout);
}

}  // namespace

AstraSimBinary::AstraSimBinary(Binary unaware, std::optional<Binary> aware,
                               std::string aware_looked_for, Options options)
    : unaware_(std::move(unaware)),
      aware_(std::move(aware)),
      aware_looked_for_(std::move(aware_looked_for)),
      options_(std::move(options)) {}

Expected<AstraSimBinary> AstraSimBinary::Open(std::string unaware_binary, Options options) {
  if (options.timeout.count() <= 0 || options.retries < 0)
    return InvalidInput("AstraSim's timeout must be positive and its retries not negative");
  auto hashed = [](const std::string& path, std::string_view hint) -> Expected<Binary> {
    ASTRASWEEP_ASSIGN_OR_RETURN(std::string absolute, CheckExecutable(path, hint));
    ASTRASWEEP_ASSIGN_OR_RETURN(std::string bytes, ReadFile(absolute));
    return Binary{.path = absolute, .sha256 = Sha256Hex(bytes)};
  };
  ASTRASWEEP_ASSIGN_OR_RETURN(Binary unaware, hashed(unaware_binary, kHowToName));
  std::optional<Binary> aware;
  std::string looked_for = options.aware_binary;
  if (!looked_for.empty()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(aware, hashed(looked_for, "name the congestion-aware binary"));
  } else {
    looked_for = AwareBeside(unaware.path);
    if (!looked_for.empty() && CheckExecutable(looked_for, "")) {
      ASTRASWEEP_ASSIGN_OR_RETURN(aware, hashed(looked_for, "name the congestion-aware binary"));
    }
  }
  return AstraSimBinary(std::move(unaware), std::move(aware), std::move(looked_for),
                        std::move(options));
}

const std::optional<AstraSimBinary::Binary>& AstraSimBinary::Of(Congestion congestion) const {
  return congestion == Congestion::kAware ? aware_ : unaware_;
}

bool AstraSimBinary::Has(Congestion congestion) const { return Of(congestion).has_value(); }

Status AstraSimBinary::Usable(Congestion congestion) const {
  if (!Has(congestion)) return Ok();
  struct stat info {};
  const std::string& path = Of(congestion)->path;
  std::string problem;
  if (stat(path.c_str(), &info) != 0)
    problem = std::strerror(errno);
  else if (!S_ISREG(info.st_mode))
    problem = "no longer a regular file";
  else if (access(path.c_str(), X_OK) != 0)
    problem = std::string("no longer executable: ") + std::strerror(errno);
  if (problem.empty()) return Ok();
  return MakeError(ErrorCode::kUnavailable,
                   "the AstraSim binary " + path + " cannot be run any more (" + problem + ")");
}

const std::string& AstraSimBinary::BinaryPath(Congestion congestion) const {
  static const std::string kNone;
  return Has(congestion) ? Of(congestion)->path : kNone;
}

std::string AstraSimBinary::Identity(Congestion congestion) const {
  const std::string model = std::string("astrasim-") + CongestionName(congestion);
  if (!Has(congestion)) return model + " (no binary)";
  return model + " sha256:" + Of(congestion)->sha256;
}

Expected<SimResult> AstraSimBinary::Run(const BundlePaths& bundle, Congestion congestion) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Invocation run, Prepare(bundle));
  if (!Has(congestion)) {
    const std::string where = aware_looked_for_.empty()
                                  ? "the unaware binary's name has no 'Unaware' to replace"
                                  : aware_looked_for_ + " is not an executable file";
    return RunError(run, std::string("no ") + CongestionName(congestion) +
                             " AstraSim binary: " + where + "; name the congestion-aware binary");
  }
  const std::string& binary = Of(congestion)->path;
  const int attempts = options_.retries + 1;
  for (int attempt = 1;; ++attempt) {
    ASTRASWEEP_ASSIGN_OR_RETURN(SimResult result, RunOnce(binary, run, options_));
    const int zero = FirstZeroRank(result);
    if (zero < 0) return result;
    if (attempt == attempts)
      return RunError(run, "rank " + std::to_string(zero) + " reported 0 cycles after " +
                               std::to_string(attempts) + " attempts");
    log::Warn("AstraSim: rank " + std::to_string(zero) + " of " + run.workload +
              " reported 0 cycles; running it again (attempt " + std::to_string(attempt + 1) +
              " of " + std::to_string(attempts) + ")");
  }
}

}  // namespace astrasweep::netsim
