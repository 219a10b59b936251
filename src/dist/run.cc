// RunSweep: the sweep's index source, the point evaluation, the archive as
// the coordinator's sink, progress, and the start/finish agreement of ranks.
#include "astrasweep/dist/run.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "astrasweep.pb.h"
#include "astrasweep/base/hash.h"
#include "astrasweep/base/logging.h"
#include "astrasweep/base/strings.h"
#include "astrasweep/dist/coordinator.h"
#include "astrasweep/exec/evaluate.h"
#include "astrasweep/store/archive.h"
#include "astrasweep/sweep/expander.h"

#ifndef ASTRASWEEP_VERSION
#define ASTRASWEEP_VERSION "unknown"
#endif
#ifndef ASTRASWEEP_GIT_SHA
#define ASTRASWEEP_GIT_SHA "unknown"
#endif

namespace astrasweep::dist {
namespace {

using Clock = std::chrono::steady_clock;

std::string UtcNow() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

// The valid points of the sweep (or of one shard: every Nth valid point),
// less those finished already, in index order.
class SweepIndexSource final : public IndexSource {
 public:
  SweepIndexSource(const sweep::Expander& expander, Shard shard,
                   const std::vector<std::uint64_t>& done, std::uint64_t shard_valid)
      : expander_(expander), shard_(shard), done_(done), total_(shard_valid - done.size()) {}

  std::size_t Next(std::size_t max, std::vector<std::uint64_t>& out) override {
    const std::size_t before = out.size();
    if (cursor_ >= expander_.total()) return 0;
    std::uint64_t last = expander_.total() - 1;
    bool stopped_early = false;
    expander_.ForEachValid(cursor_, expander_.total(), [&](std::uint64_t index) {
      last = index;
      const std::uint64_t ordinal = ordinal_++;
      if (ordinal % shard_.count != shard_.index) return true;
      while (done_at_ < done_.size() && done_[done_at_] < index) ++done_at_;
      if (done_at_ < done_.size() && done_[done_at_] == index) return true;
      out.push_back(index);
      if (out.size() - before >= max) {
        stopped_early = true;
        return false;
      }
      return true;
    });
    cursor_ = stopped_early ? last + 1 : expander_.total();
    return out.size() - before;
  }

  std::uint64_t total() const override { return total_; }

 private:
  const sweep::Expander& expander_;
  Shard shard_;
  const std::vector<std::uint64_t>& done_;
  std::uint64_t total_;
  std::uint64_t cursor_ = 0;
  std::uint64_t ordinal_ = 0;  // of the next valid point
  std::size_t done_at_ = 0;
};

// The archive and its journal as the coordinator's sink: the journal gets
// every record before the archive's tables do.
class ArchiveSink final : public ResultSink {
 public:
  ArchiveSink(store::OpenedArchive& opened) : a_(opened) {}

  Status Add(const proto::PointResult& point) override {
    a_.journal.Add(point);
    ASTRASWEEP_RETURN_IF_ERROR(a_.archive.Add(point));
    if (a_.archive.buffered_rows() >= 4096 || a_.journal.buffered_bytes() >= (8u << 20)) {
      ASTRASWEEP_RETURN_IF_ERROR(a_.journal.Flush(false));
      ASTRASWEEP_RETURN_IF_ERROR(a_.archive.WriteRows());
    }
    return Ok();
  }

  Status AddWorker(const proto::WorkerStats& worker) override {
    proto::WorkerStats w = worker;
    w.set_run(static_cast<std::uint32_t>(a_.archive.run()));
    a_.journal.Add(w);
    return a_.archive.AddWorker(w, a_.archive.run());
  }

  Status Checkpoint() override {
    ASTRASWEEP_RETURN_IF_ERROR(a_.journal.Flush(true));
    return a_.archive.Flush();
  }

 private:
  store::OpenedArchive& a_;
};

std::string FormatDuration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto total = static_cast<long long>(s + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

// Progress on rank 0's stderr: a bar redrawn in place on a terminal,
// periodic lines otherwise.
class ProgressPrinter {
 public:
  ProgressPrinter(ProgressStyle style, double interval_s, std::uint64_t already_done,
                  std::uint64_t grand_total)
      : interval_s_(interval_s), already_(already_done), grand_total_(grand_total) {
    if (style == ProgressStyle::kAuto)
      style = ::isatty(STDERR_FILENO) ? ProgressStyle::kBar : ProgressStyle::kLines;
    style_ = style;
  }

  void operator()(const Progress& p) {
    const bool last = p.done >= p.total || p.stopping;
    const bool log_due = (last && !logged_last_) || p.elapsed_s - last_logged_s_ >= interval_s_;
    const bool line_due = style_ == ProgressStyle::kBar ||
                          (style_ == ProgressStyle::kLines &&
                           ((last && !printed_last_) || p.elapsed_s - last_line_s_ >= interval_s_));
    if (!log_due && !line_due) return;
    const double rate = p.elapsed_s > 0 ? static_cast<double>(p.done) / p.elapsed_s : 0;
    const double eta =
        rate > 0 ? static_cast<double>(p.total - std::min(p.total, p.done)) / rate : -1;
    const std::uint64_t done = already_ + p.done;
    const double fraction =
        grand_total_ ? static_cast<double>(done) / static_cast<double>(grand_total_) : 1.0;
    std::string text =
        fmt::format("{}/{} points ({:.1f}%)  {:.0f} pt/s  ETA {}  failed {}", done, grand_total_,
                    100 * fraction, rate, FormatDuration(eta), p.failed);
    if (p.sim_runs + p.cache_hits > 0)
      text +=
          fmt::format("  cache hits {:.0f}%", 100.0 * static_cast<double>(p.cache_hits) /
                                                  static_cast<double>(p.sim_runs + p.cache_hits));
    if (p.stopping) text += "  (stopping)";
    // The rank-0 log gets a line per interval whatever the console shows,
    // so a run started with --progress none can still be followed.
    if (log_due) {
      log::Info(text);
      last_logged_s_ = p.elapsed_s;
      logged_last_ = last;
    }
    if (!line_due || (last && printed_last_)) return;
    if (style_ == ProgressStyle::kBar) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(fraction * kWidth);
      std::fprintf(
          stderr, "\r[%s%s] %s\033[K", std::string(static_cast<std::size_t>(filled), '#').c_str(),
          std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), text.c_str());
      if (last) std::fputc('\n', stderr);
    } else {
      std::fprintf(stderr, "astrasweep: %s\n", text.c_str());
    }
    std::fflush(stderr);
    last_line_s_ = p.elapsed_s;
    printed_last_ = last;
  }

 private:
  ProgressStyle style_ = ProgressStyle::kLines;
  double interval_s_;
  std::uint64_t already_, grand_total_;
  double last_line_s_ = -1e9;
  double last_logged_s_ = -1e9;
  bool logged_last_ = false;
  bool printed_last_ = false;
};

std::string JoinHosts(const std::vector<std::string>& hosts) {
  std::vector<std::string> unique;
  for (const auto& h : hosts)
    if (std::find(unique.begin(), unique.end(), h) == unique.end()) unique.push_back(h);
  std::string out;
  for (const auto& h : unique) out += (out.empty() ? "" : ",") + h;
  return out;
}

proto::PointStatus ToProto(exec::PointStatus s) {
  switch (s) {
    case exec::PointStatus::kOk: return proto::POINT_STATUS_OK;
    case exec::PointStatus::kInfeasible: return proto::POINT_STATUS_INFEASIBLE;
    case exec::PointStatus::kFailed: return proto::POINT_STATUS_FAILED;
  }
  return proto::POINT_STATUS_FAILED;
}

// What rank 0 needs to run the sweep, set up before the ranks agree to start.
struct Rank0State {
  std::optional<store::ArchiveLock> lock;
  std::optional<store::OpenedArchive> archive;
  std::uint64_t shard_valid = 0;
};

Expected<Rank0State> SetUpRank0(Transport& transport, const sweep::Expander& expander,
                                const RunOptions& options, const std::vector<std::string>& hosts) {
  Rank0State state;
  ASTRASWEEP_ASSIGN_OR_RETURN(auto lock, store::ArchiveLock::Acquire(options.out));
  state.lock.emplace(std::move(lock));
  const std::uint64_t valid = expander.Count().valid;
  const Shard& shard = options.shard;
  state.shard_valid =
      valid > shard.index ? (valid - shard.index + shard.count - 1) / shard.count : 0;

  store::Provenance prov;
  prov.astrasweep_version = ASTRASWEEP_VERSION;
  prov.git_sha = ASTRASWEEP_GIT_SHA;
  prov.spec_file = options.spec;
  for (const auto& file : expander.spec().files) {
    ASTRASWEEP_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
    prov.spec_text += "# ---- " + file + "\n" + text + "\n";
  }
  prov.spec_sha256 = Sha256Hex(prov.spec_text);
  prov.command_line = options.command_line;
  prov.created_utc = UtcNow();
  prov.mpi_size = transport.size();
  prov.hosts = JoinHosts(hosts);
  prov.simulator = "none: analytical model only (this build has no network simulator)";
  prov.shard = shard.whole() ? "" : fmt::format("{}/{}", shard.index, shard.count);
  prov.points_total = state.shard_valid;
  ASTRASWEEP_ASSIGN_OR_RETURN(
      auto opened, store::OpenArchive(options.out, expander.SweptKeyInfo(), prov, options.resume));
  state.archive.emplace(std::move(opened));
  if (!state.archive->scan.damage.empty())
    log::Warn(fmt::format(
        "{}: the journal ends in {} after {} points; those are kept and the "
        "rest is evaluated again",
        store::JournalPath(options.out), state.archive->scan.damage, state.archive->scan.points));
  proto::RunStart start;
  start.set_run(static_cast<std::uint32_t>(state.archive->archive.run()));
  start.set_started_utc(prov.created_utc);
  start.set_command_line(options.command_line);
  start.set_mpi_size(transport.size());
  state.archive->journal.Add(start);
  ASTRASWEEP_RETURN_IF_ERROR(state.archive->journal.Flush(true));
  return state;
}

}  // namespace

Expected<Shard> ParseShard(const std::string& text) {
  Shard shard;
  unsigned long long i = 0, n = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%llu/%llu%c", &i, &n, &extra) != 2 || n == 0 || i >= n)
    return InvalidInput("--shard '" + text + "': expected i/N with 0 <= i < N, e.g. 0/4");
  shard.index = i;
  shard.count = n;
  return shard;
}

std::string RankLogPath(const std::string& out, int rank) {
  return out + ".logs/rank-" + std::to_string(rank) + ".log";
}

void EvaluateSweepPoint(const sweep::Expander& expander, std::uint64_t index,
                        proto::PointResult& out) {
  const auto t0 = Clock::now();
  out.set_index(index);
  auto point = expander.Materialize(index);
  if (!point) {
    out.set_status(proto::POINT_STATUS_FAILED);
    out.set_failure_stage("config");
    out.set_failure_message(point.error().ToString());
    for (auto& text : expander.SweptText(index)) out.add_swept(std::move(text));
  } else {
    out.set_id(point->point.id.Hex());
    out.set_canonical_config(point->point.canonical);
    for (auto& v : point->swept) out.add_swept(std::move(v.text));
    const exec::PointOutcome outcome = exec::Evaluate(point->point.config);
    out.set_status(ToProto(outcome.status));
    out.set_mode(outcome.mode);
    const exec::Metrics& m = outcome.metrics;
    out.set_step_time_s(m.step_time_s);
    out.set_tokens_per_s(m.tokens_per_s);
    out.set_model_tflops_per_gpu(m.model_tflops_per_gpu);
    out.set_mfu(m.mfu);
    out.set_compute_s(m.compute_s);
    out.set_tp_comm_s(m.tp_comm_s);
    out.set_pp_comm_s(m.pp_comm_s);
    out.set_dp_comm_s(m.dp_comm_s);
    out.set_exposed_comm_s(m.exposed_comm_s);
    out.set_bubble_s(m.bubble_s);
    out.set_peak_mem_bytes(m.peak_mem_bytes);
    out.set_fits_memory(m.fits_memory);
    out.set_failure_stage(outcome.failure_stage);
    out.set_failure_message(outcome.failure_message);
    for (const auto& stage : outcome.stages) {
      auto* t = out.add_rank_timings();
      t->set_npu(static_cast<std::uint32_t>(stage.rank));
      t->set_finish_s(stage.finish);
      t->set_compute_s(stage.compute);
      t->set_comm_s(stage.tp_comm + stage.pp_comm + stage.dp_comm);
      t->set_exposed_comm_s(stage.exposed_comm);
    }
  }
  out.set_eval_s(std::chrono::duration<double>(Clock::now() - t0).count());
}

Expected<RunResult> RunSweep(Transport& transport, const RunOptions& options) {
  const int rank = transport.rank();
  const auto start = Clock::now();
  // Each rank's log file beside the archive.
  {
    std::error_code ec;
    std::filesystem::create_directories(options.out + ".logs", ec);
    log::Options lo;
    lo.console = rank == 0;
    lo.console_level = options.console_level;
    lo.rank = rank;
    lo.file = ec ? "" : RankLogPath(options.out, rank);
    log::Setup(lo);
  }
  log::Info(fmt::format("astrasweep {} ({}) rank {} of {} on {}: {}", ASTRASWEEP_VERSION,
                        ASTRASWEEP_GIT_SHA, rank, transport.size(), HostName(),
                        options.command_line));
  const std::vector<std::string> hosts = transport.Hosts();

  // Set up, then agree: every rank starts, or none does.
  auto expander = sweep::OpenSweep(options.spec);
  std::optional<Rank0State> state;
  std::optional<Error> setup_error;
  if (!expander) {
    setup_error = expander.error();
  } else if (rank == 0) {
    auto s = SetUpRank0(transport, *expander, options, hosts);
    if (s)
      state.emplace(std::move(*s));
    else
      setup_error = s.error();
  }
  if (transport.MaxAll(setup_error ? 1 : 0) != 0) {
    if (setup_error) {
      log::Info("not starting: " + setup_error->ToString());
      return std::unexpected(*setup_error);
    }
    return MakeError(ErrorCode::kCancelled,
                     "another rank could not start the sweep (rank 0 says why)");
  }

  const EvaluateFn evaluate =
      options.evaluate ? options.evaluate : [&](std::uint64_t index, proto::PointResult& out) {
        EvaluateSweepPoint(*expander, index, out);
      };
  RunResult result;
  if (rank != 0) {
    ASTRASWEEP_RETURN_IF_ERROR(Work(transport, evaluate, options.stop));
    result.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
  }

  store::OpenedArchive& opened = *state->archive;
  SweepIndexSource source(*expander, options.shard, opened.done, state->shard_valid);
  ArchiveSink sink(opened);
  ProgressPrinter printer(options.progress, options.progress_interval_s, opened.done.size(),
                          state->shard_valid);
  if (state->shard_valid == 0)
    log::Warn(
        fmt::format("{} has no valid points{}: every point fails a constraint (astrasweep "
                    "expand --count shows which)",
                    options.spec, options.shard.whole() ? "" : " in this shard"));
  if (!opened.done.empty())
    log::Warn(fmt::format("resuming: {} of {} points are finished; evaluating the other {}",
                          opened.done.size(), state->shard_valid, source.total()));
  CoordinatorOptions co;
  co.grace_seconds = options.grace_seconds;
  co.stop = options.stop;
  co.progress = [&](const Progress& p) { printer(p); };
  auto summary = Coordinate(transport, source, sink, evaluate, co);
  if (!summary) {
    // Keep what was done: the journal has it; try to leave the archive
    // consistent too.
    (void)opened.journal.Flush(true);
    (void)opened.archive.Finish(false, UtcNow());
    if (transport.size() > 1 && options.abort_job) options.abort_job(summary.error());
    return std::unexpected(std::move(summary).error());
  }
  const store::ArchiveCounts& counts = opened.archive.counts();
  result.total = state->shard_valid;
  result.done = counts.done;
  result.ok = counts.ok;
  result.failed = counts.failed;
  result.infeasible = counts.infeasible;
  result.interrupted = summary->interrupted;
  result.abandoned_workers = summary->abandoned_workers;
  result.evaluated_now = summary->progress.done;
  result.complete = !result.interrupted && counts.done == state->shard_valid;
  ASTRASWEEP_RETURN_IF_ERROR(opened.journal.Flush(true));
  ASTRASWEEP_RETURN_IF_ERROR(opened.archive.Finish(result.complete, UtcNow()));
  result.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  log::Info(
      fmt::format("{}: {} of {} points ({} ok, {} failed, {} infeasible), {} this run in {:.1f} s",
                  result.complete ? "complete" : "partial", result.done, result.total, result.ok,
                  result.failed, result.infeasible, result.evaluated_now, result.elapsed_s));
  if (!result.complete && !result.interrupted)
    return MakeError(ErrorCode::kInternal,
                     fmt::format("the run ended with {} of {} points; the archive is partial "
                                 "(--resume evaluates the rest)",
                                 result.done, result.total),
                     {.file = options.out});
  return result;
}

}  // namespace astrasweep::dist

namespace astrasweep::dist {
namespace {
std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int signal) {
  g_stop.store(true);
  std::signal(signal, SIG_DFL);  // the next one ends the process
}
}  // namespace

const std::atomic<bool>& InstallStopSignals() {
  std::signal(SIGTERM, OnStopSignal);
  std::signal(SIGINT, OnStopSignal);
  return g_stop;
}

}  // namespace astrasweep::dist
