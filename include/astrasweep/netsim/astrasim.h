// AstraSim's analytical binaries as a NetworkSimulator. AstraSim exits the
// process on its errors and reports its results only as log text, so each
// run is a child process (no shell) in a fresh sandbox folder, with a
// timeout, its output captured to a file and read by one parser,
// ParseAstraSimOutput.
//
// What a run's outcome means:
//   - exit 0 and every rank's `finished` and `Wall time` lines: the answer;
//   - exit 0 with a rank missing: an error at once (AstraSim can stop early
//     and still exit 0; running it again gives the same);
//   - a rank reporting 0 cycles: run again, up to `retries` more times;
//   - killed by a signal AFTER every rank's lines were printed: the answer,
//     with a warning logged. AstraSim crashes in its teardown now and then
//     (seen with two-member comm groups: SIGABRT or SIGSEGV from run to
//     run) when the simulation itself is over and every line is out;
//   - killed by a signal before that, a non-zero exit, or the timeout: an
//     error with the signal or exit code and the last lines of output.
// Errors of a run carry ErrorCode::kUnavailable and name the bundle (its
// workload prefix, as the error's file); a bundle lacking a file it needs
// is kNotFound before anything runs.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "astrasweep/base/error.h"
#include "astrasweep/netsim/simulator.h"

namespace astrasweep::netsim {

// Reads AstraSim's console output (spdlog lines such as `[...] [workload]
// [info] sys[3] finished, 117780 cycles, exposed communication 117780
// cycles.`, `[...] [statistics] [info] sys[3], Wall time: 117780` and
// `sys[3], Comm time: 117780`). Every rank 0..ranks-1 needs exactly one
// `finished` and one `Wall time` line; a rank out of range, reported twice
// or missing is an error naming the ranks. compute = finish - exposed;
// comm is the `Comm time` line's, 0 without one. Other lines are ignored.
Expected<SimResult> ParseAstraSimOutput(std::string_view output, int ranks);

struct AstraSimOptions {
  // Per attempt; the child's process group is killed after it.
  std::chrono::seconds timeout{600};
  // More attempts when a rank reports 0 cycles.
  int retries = 5;
  // Where each run's sandbox folder is made; empty: TempDir's default.
  std::filesystem::path sandbox_parent;
  // The congestion-aware binary. Empty: the unaware binary's path with
  // `Unaware` in its file name replaced by `Aware`, when that file exists.
  std::string aware_binary;
};

class AstraSimBinary : public NetworkSimulator {
 public:
  using Options = AstraSimOptions;

  // `unaware_binary` must be an executable regular file (the error says to
  // pass --astrasim-bin or ASTRASIM_BIN). Hashes each binary once.
  static Expected<AstraSimBinary> Open(std::string unaware_binary, Options options = {});

  // "astrasim-<unaware|aware> sha256:<hex>"; "astrasim-aware (no binary)"
  // when there is no aware binary (Run says why).
  std::string Identity(Congestion congestion) const override;
  // The rank count is npus_count's product in the network file, and
  // <workload>.<rank>.et must exist for each. comm_groups and remote_memory
  // are passed when named, and then must exist.
  Expected<SimResult> Run(const BundlePaths& bundle, Congestion congestion) override;

  bool Has(Congestion congestion) const;
  // Whether the binary for `congestion` can still be run: Open checked it,
  // but a run lasting days may see it removed or made not executable
  // meanwhile (a reinstall, a cleanup). An error naming the binary and
  // what is wrong with it; Ok when there is no binary for `congestion`.
  Status Usable(Congestion congestion) const;
  // The binary run for `congestion`; empty when there is none.
  const std::string& BinaryPath(Congestion congestion) const;

 private:
  struct Binary {
    std::string path;
    std::string sha256;
  };
  AstraSimBinary(Binary unaware, std::optional<Binary> aware, std::string aware_looked_for,
                 Options options);
  const std::optional<Binary>& Of(Congestion congestion) const;

  std::optional<Binary> unaware_;
  std::optional<Binary> aware_;
  std::string aware_looked_for_;  // where an aware binary was looked for
  Options options_;
};

}  // namespace astrasweep::netsim
