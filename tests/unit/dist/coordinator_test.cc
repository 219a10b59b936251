// The coordinator and workers over the in-process transport: every point
// evaluated exactly once at any rank count, batches sized by cost, and a
// stop that loses nothing finished.
#include "astrasweep/dist/coordinator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "astrasweep.pb.h"
#include "astrasweep/dist/run.h"

namespace astrasweep::dist {
namespace {

class RangeSource final : public IndexSource {
 public:
  explicit RangeSource(std::uint64_t n) : n_(n) {}
  std::size_t Next(std::size_t max, std::vector<std::uint64_t>& out) override {
    std::size_t k = 0;
    for (; k < max && next_ < n_; ++k) out.push_back(next_++);
    batches_.push_back(k);
    return k;
  }
  std::uint64_t total() const override { return n_; }
  std::vector<std::size_t> batches_;

 private:
  std::uint64_t n_, next_ = 0;
};

class MemorySink final : public ResultSink {
 public:
  Status Add(proto::PointResult& p) override {
    ++seen[p.index()];
    ranks.insert(p.worker_rank());
    return Ok();
  }
  Status AddWorker(const proto::WorkerStats& w) override {
    workers.push_back(w);
    return Ok();
  }
  Status Checkpoint() override {
    ++checkpoints;
    return Ok();
  }
  std::map<std::uint64_t, int> seen;
  std::set<int> ranks;
  std::vector<proto::WorkerStats> workers;
  int checkpoints = 0;
};

void Evaluate(std::uint64_t index, proto::PointResult& out) {
  out.set_index(index);
  out.set_status(index % 7 == 0 ? proto::POINT_STATUS_FAILED : proto::POINT_STATUS_OK);
  out.set_eval_s(1e-5);
}

struct Outcome {
  Expected<RunSummary> summary = MakeError(ErrorCode::kInternal, "not run");
  MemorySink sink;
};

Outcome RunRanks(int ranks, std::uint64_t points, const CoordinatorOptions& options,
                 const EvaluateFn& evaluate = Evaluate,
                 const std::atomic<bool>* worker_stop = nullptr) {
  auto transports = MakeInProcessTransports(ranks);
  Outcome outcome;
  RangeSource source(points);
  std::vector<std::thread> workers;
  std::vector<Status> worker_status(static_cast<std::size_t>(ranks), Ok());
  for (int r = 1; r < ranks; ++r)
    workers.emplace_back([&, r] {
      worker_status[static_cast<std::size_t>(r)] =
          Work(*transports[static_cast<std::size_t>(r)], evaluate, worker_stop);
    });
  outcome.summary = Coordinate(*transports[0], source, outcome.sink, evaluate, options);
  for (auto& t : workers) t.join();
  for (const auto& s : worker_status) EXPECT_TRUE(s) << s.error().ToString();
  return outcome;
}

class EveryRankCount : public ::testing::TestWithParam<int> {};

TEST_P(EveryRankCount, EveryPointOnceAndAStatsRowPerRank) {
  const int ranks = GetParam();
  CoordinatorOptions options;
  options.batch_seconds = 0.001;  // many batches
  Outcome o = RunRanks(ranks, 5000, options);
  ASSERT_TRUE(o.summary) << o.summary.error().ToString();
  EXPECT_FALSE(o.summary->interrupted);
  EXPECT_EQ(o.summary->progress.done, 5000u);
  EXPECT_EQ(o.summary->progress.failed, 715u);  // multiples of 7 below 5000
  ASSERT_EQ(o.sink.seen.size(), 5000u);
  for (const auto& [index, count] : o.sink.seen) ASSERT_EQ(count, 1) << "point " << index;
  EXPECT_EQ(o.sink.workers.size(), static_cast<std::size_t>(ranks));
  std::uint64_t points = 0;
  for (const auto& w : o.sink.workers) points += w.points();
  EXPECT_EQ(points, 5000u);
  // With workers, rank 0 only coordinates.
  if (ranks > 1) {
    EXPECT_EQ(o.sink.ranks.count(0), 0u);
  }
  EXPECT_GE(o.sink.checkpoints, 1);
}

INSTANTIATE_TEST_SUITE_P(Ranks, EveryRankCount, ::testing::Values(1, 2, 4),
                         [](const auto& param_info) { return std::to_string(param_info.param) + "_ranks"; });

TEST(BatchSize, HalfASecondOfWorkShrinkingNearTheEnd) {
  CoordinatorOptions options;
  EXPECT_EQ(BatchSize(0, 1000000, 4, options), 1u);  // cost unknown: measure it
  EXPECT_EQ(BatchSize(1e-3, 1000000, 4, options), 500u);
  EXPECT_EQ(BatchSize(1e-3, 800, 4, options), 100u);  // a share of what is left
  EXPECT_EQ(BatchSize(1e-3, 3, 4, options), 1u);
  EXPECT_EQ(BatchSize(1e-9, 1e12, 4, options), options.max_batch);
}

TEST(Stop, AStoppedRunKeepsEveryFinishedPointAndSaysInterrupted) {
  std::atomic<bool> stop{false};
  std::atomic<int> evaluated{0};
  const EvaluateFn slow = [&](std::uint64_t index, proto::PointResult& out) {
    Evaluate(index, out);
    if (++evaluated == 300) stop = true;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  };
  for (int ranks : {1, 3}) {
    stop = false;
    evaluated = 0;
    CoordinatorOptions options;
    options.stop = &stop;
    options.batch_seconds = 0.002;
    Outcome o = RunRanks(ranks, 100000, options, slow, &stop);
    ASSERT_TRUE(o.summary) << o.summary.error().ToString();
    EXPECT_TRUE(o.summary->interrupted) << ranks << " ranks";
    EXPECT_FALSE(o.summary->abandoned_workers);
    EXPECT_LT(o.sink.seen.size(), 100000u);
    // Every point evaluated and not cut short reached the sink.
    EXPECT_GE(o.sink.seen.size(), 300u - static_cast<std::size_t>(ranks));
    for (const auto& [index, count] : o.sink.seen) ASSERT_EQ(count, 1);
  }
}

TEST(Shard, ParsesIOverN) {
  auto s = ParseShard("2/5");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 2u);
  EXPECT_EQ(s->count, 5u);
  for (const char* bad : {"5/5", "1", "a/b", "1/0", "1/2x"}) EXPECT_FALSE(ParseShard(bad)) << bad;
}

}  // namespace
}  // namespace astrasweep::dist
