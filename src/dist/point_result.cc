// Results from evaluations.
#include "astrasweep/dist/point_result.h"

#include <chrono>
#include <new>

#include "astrasweep.pb.h"
#include "astrasweep/exec/result_fields.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep::dist {
namespace {

static_assert(static_cast<int>(exec::PointStatus::kOk) == proto::POINT_STATUS_OK);
static_assert(static_cast<int>(exec::PointStatus::kFailed) == proto::POINT_STATUS_FAILED);
static_assert(static_cast<int>(exec::PointStatus::kInfeasible) ==
              proto::POINT_STATUS_INFEASIBLE);

// The count field at position `at` of exec::ResultFields().
std::uint64_t CountAt(const proto::PointResult& result, std::size_t at) {
  if (at >= static_cast<std::size_t>(result.fields_size())) return 0;
  return static_cast<std::uint64_t>(result.fields(static_cast<int>(at)));
}

}  // namespace

void FillPointResult(const exec::PointOutcome& outcome, proto::PointResult& out) {
  out.set_status(static_cast<proto::PointStatus>(outcome.status));
  out.set_mode(outcome.mode);
  for (const exec::ResultField& field : exec::ResultFields())
    out.add_fields(field.read(outcome));
  out.set_failure_stage(outcome.failure_stage);
  out.set_failure_message(outcome.failure_message);
  for (const auto& npu : outcome.sim_ranks) {
    auto* timing = out.add_rank_timings();
    timing->set_npu(npu.npu);
    timing->set_finish_s(npu.finish_s);
    timing->set_compute_s(npu.compute_s);
    timing->set_comm_s(npu.comm_s);
    timing->set_exposed_comm_s(npu.exposed_comm_s);
  }
  // The analytical schedule's stages, when no NPU was simulated.
  if (outcome.sim_ranks.empty()) {
    for (const auto& stage : outcome.stages) {
      auto* timing = out.add_rank_timings();
      timing->set_npu(static_cast<std::uint32_t>(stage.rank));
      timing->set_finish_s(stage.finish);
      timing->set_compute_s(stage.compute);
      timing->set_comm_s(stage.tp_comm + stage.pp_comm + stage.dp_comm);
      timing->set_exposed_comm_s(stage.exposed_comm);
    }
  }
}

namespace {

// Point `index`'s config, with its id, canonical text and swept values set
// in `out`; or why it cannot be built, with the swept values as text.
Expected<sweep::ExpandedPoint> DescribePoint(const sweep::Expander& expander, std::uint64_t index,
                                             proto::PointResult& out) {
  out.clear_swept();
  auto point = expander.Materialize(index);
  if (!point) {
    for (auto& text : expander.SweptText(index)) out.add_swept(std::move(text));
    return point;
  }
  out.set_id(point->point.id.Hex());
  out.set_canonical_config(point->point.canonical);
  for (auto& value : point->swept) out.add_swept(std::move(value.text));
  return point;
}

}  // namespace

void EvaluateSweepPoint(const sweep::Expander& expander, std::uint64_t index,
                        proto::PointResult& out) {
  const auto start = std::chrono::steady_clock::now();
  out.set_index(index);
  auto point = DescribePoint(expander, index, out);
  if (!point) {
    out.set_status(proto::POINT_STATUS_FAILED);
    out.set_failure_stage("config");
    out.set_failure_message(point.error().ToString());
  } else {
    // One point must never end a sweep: the loader bounds what a config
    // may ask for, and memory running out past those bounds fails the
    // point alone.
    try {
      FillPointResult(exec::Evaluate(point->point.config), out);
    } catch (const std::bad_alloc&) {
      out.set_status(proto::POINT_STATUS_FAILED);
      out.set_failure_stage("evaluate");
      out.set_failure_message("ran out of memory evaluating this point");
    }
  }
  out.set_eval_s(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

Status RestorePointConfig(const sweep::Expander& expander, proto::PointResult& point) {
  auto built = DescribePoint(expander, point.index(), point);
  if (built || point.failure_stage() == "config") return Ok();
  return MakeError(ErrorCode::kInvalidInput,
                   "point " + std::to_string(point.index()) +
                       " was evaluated, but its config no longer builds from these files: " +
                       built.error().ToString());
}

std::uint64_t SimRuns(const proto::PointResult& result) {
  static const std::size_t at = *exec::FindResultField("sim_runs");
  return CountAt(result, at);
}

std::uint64_t CacheHits(const proto::PointResult& result) {
  static const std::size_t at = *exec::FindResultField("cache_hits");
  return CountAt(result, at);
}

std::uint64_t CacheMisses(const proto::PointResult& result) {
  static const std::size_t at = *exec::FindResultField("cache_misses");
  return CountAt(result, at);
}

}  // namespace astrasweep::dist
