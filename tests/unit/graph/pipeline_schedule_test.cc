// The stage orders of pipeline_schedule.h, written out: "F1.3" is the
// forward of micro-batch 3 on chunk 1.
#include "astrasweep/graph/pipeline_schedule.h"

#include <gtest/gtest.h>

#include <string>

namespace astrasweep::graph {
namespace {

std::string Order(config::Schedule schedule, const PipelineShape& shape, std::int64_t stage) {
  std::string text;
  for (const StageUnit& unit : StageOrder(schedule, shape, stage)) {
    if (!text.empty()) text += ' ';
    text += unit.pass == Pass::kForward ? 'F' : 'B';
    text += std::to_string(unit.chunk) + "." + std::to_string(unit.microbatch);
  }
  return text;
}

TEST(StageOrder, GpipeRunsAllForwardsFirst) {
  EXPECT_EQ(Order(config::Schedule::kGpipe, {.stages = 2, .chunks = 1, .microbatches = 3}, 1),
            "F0.0 F0.1 F0.2 B0.0 B0.1 B0.2");
}

TEST(StageOrder, OneFOneBWarmsUpWithTheStagesAfterIt) {
  const PipelineShape shape{.stages = 4, .chunks = 1, .microbatches = 4};
  EXPECT_EQ(Order(config::Schedule::k1F1B, shape, 1), "F0.0 F0.1 F0.2 B0.0 F0.3 B0.1 B0.2 B0.3")
      << "stage 1 of 4: two warm-up forwards, then one forward and one backward in turn";
  EXPECT_EQ(Order(config::Schedule::k1F1B, shape, 3), "F0.0 B0.0 F0.1 B0.1 F0.2 B0.2 F0.3 B0.3")
      << "the last stage runs each backward right after its forward";
}

TEST(StageOrder, InterleavedTakesChunksInTurnAndBackwardsInReverse) {
  const PipelineShape shape{.stages = 2, .chunks = 2, .microbatches = 4};
  EXPECT_EQ(Order(config::Schedule::kInterleaved, shape, 0),
            "F0.0 F0.1 F1.0 F1.1 F0.2 B1.0 F0.3 B1.1 F1.2 B0.0 F1.3 B0.1 B1.2 B1.3 B0.2 B0.3");
  EXPECT_EQ(Order(config::Schedule::kInterleaved, shape, 1),
            "F0.0 F0.1 F1.0 B1.0 F1.1 B1.1 F0.2 B0.0 F0.3 B0.1 F1.2 B1.2 F1.3 B1.3 B0.2 B0.3");
}

TEST(StageOrder, InterleavedWithAsManyMicroBatchesAsStagesRunsAllForwardsFirst) {
  const PipelineShape shape{.stages = 2, .chunks = 2, .microbatches = 2};
  EXPECT_EQ(Order(config::Schedule::kInterleaved, shape, 1),
            "F0.0 F0.1 F1.0 F1.1 B1.0 B1.1 B0.0 B0.1");
}

TEST(StageSequence, IndexOfFindsEveryUnitWhereAtPutsIt) {
  for (const auto schedule :
       {config::Schedule::kGpipe, config::Schedule::k1F1B, config::Schedule::kInterleaved}) {
    const std::int64_t chunks = schedule == config::Schedule::kInterleaved ? 3 : 1;
    const PipelineShape shape{.stages = 4, .chunks = chunks, .microbatches = 12};
    for (std::int64_t stage = 0; stage < 4; ++stage) {
      const StageSequence seq(schedule, shape, stage);
      ASSERT_EQ(seq.size(), 2 * 12 * chunks);
      for (std::int64_t i = 0; i < seq.size(); ++i)
        EXPECT_EQ(seq.IndexOf(seq.At(i)), i)
            << static_cast<int>(schedule) << " stage " << stage << " position " << i;
    }
  }
}

TEST(StageSequence, TheSteadyStateRepeatsEveryPeriodAFewMicroBatchesOn) {
  const PipelineShape shape{.stages = 4, .chunks = 2, .microbatches = 16};
  const StageSequence seq(config::Schedule::kInterleaved, shape, 1);
  EXPECT_EQ(seq.period(), 16) << "one forward and one backward of p micro-batches per chunk";
  EXPECT_EQ(seq.period_microbatches(), 4);
  EXPECT_EQ(seq.steady_begin(), 2 * (4 - 1 - 1) + (2 - 1) * 4);
  for (std::int64_t i = seq.steady_begin(); i + seq.period() < seq.steady_end(); ++i) {
    const StageUnit a = seq.At(i), b = seq.At(i + seq.period());
    EXPECT_EQ(b.chunk, a.chunk) << i;
    EXPECT_EQ(b.pass, a.pass) << i;
    EXPECT_EQ(b.microbatch, a.microbatch + 4) << i;
  }
}

TEST(PipelineShape, VirtualStageCOnStageKIsCPPlusK) {
  const PipelineShape shape{.stages = 4, .chunks = 3, .microbatches = 8};
  EXPECT_EQ(shape.virtual_stages(), 12);
  EXPECT_EQ(shape.VirtualStage(1, 2), 9);
}

}  // namespace
}  // namespace astrasweep::graph
