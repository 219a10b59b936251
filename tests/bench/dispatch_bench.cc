// Dispatch and store with a trivial evaluation: the real run path (lazy
// expansion on rank 0, batches over MPI, the journal and the HDF5 archive)
// with each point's evaluation replaced by filling in a result row of
// realistic size. Run under mpiexec by tests/bench/run_dispatch_bench;
// rank 0 prints points/s and its peak RSS.
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "astrasweep.pb.h"
#include "astrasweep/dist/run.h"
#include "astrasweep/dist/session.h"
#include "astrasweep/exec/result_fields.h"

int main(int argc, char** argv) {
  using namespace astrasweep;
  if (argc < 3) {
    std::fprintf(stderr, "usage: dispatch_bench SPEC OUT.h5\n");
    return 2;
  }
  auto session = dist::OpenSession(argc, argv);
  dist::RunOptions options;
  options.spec = argv[1];
  options.out = argv[2];
  options.progress = dist::ProgressStyle::kLines;
  options.progress_interval_s = 20;
  options.command_line = "dispatch_bench";
  const std::string config(600, 'c');
  exec::PointOutcome outcome;
  outcome.metrics = {.step_time_s = 2.0, .tokens_per_s = 5e5, .mfu = 0.4, .compute_s = 0.8,
                     .peak_mem_bytes = 4e10, .fits_memory = true};  // a canonical config is ~2 kB; half is a fair middle
  options.evaluate = [&](std::uint64_t index, proto::PointResult& out) {
    out.set_index(index);
    out.set_id("0123456789abcdef0123456789abcdef");
    out.set_status(index % 10 == 0 ? proto::POINT_STATUS_INFEASIBLE : proto::POINT_STATUS_OK);
    out.set_mode("analytical");
    // Every result field, as a real evaluation fills them.
    for (const auto& field : exec::ResultFields()) out.add_fields(field.read(outcome));
    for (int k = 0; k < 7; ++k) out.add_swept(std::to_string((index >> (3 * k)) % 10));
    out.set_canonical_config(config);
    for (std::uint32_t npu = 0; npu < 2; ++npu) {
      auto* t = out.add_rank_timings();
      t->set_npu(npu);
      t->set_finish_s(1.0);
    }
    out.set_eval_s(1e-6);
  };
  dist::Transport& transport = session->transport();
  const auto run = dist::RunSweep(transport, options);
  transport.MaxAll(0);
  if (transport.rank() != 0) return 0;
  const auto& result = run.result;
  if (!result) {
    std::fprintf(stderr, "dispatch_bench: %s\n", result.error().ToString().c_str());
    return 1;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "ranks %d  points %llu  %.2f s  %.0f points/s  rank-0 peak RSS %.1f MB  archive %.0f MB\n",
      transport.size(), static_cast<unsigned long long>(result->evaluated_now),
      result->elapsed_s, static_cast<double>(result->evaluated_now) / result->elapsed_s,
      static_cast<double>(usage.ru_maxrss) / 1024.0,
      static_cast<double>(std::filesystem::file_size(options.out)) / 1e6);
  return 0;
}
