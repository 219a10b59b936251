// The table of result fields (see result_fields.h). The meanings are the
// README's metric definitions, in one line each.
#include "astrasweep/exec/result_fields.h"

#include <fmt/format.h>

#include "astrasweep/base/units.h"

namespace astrasweep::exec {
namespace {

using U = FieldUnit;

// clang-format off
constexpr ResultField kFields[] = {
    {.name = "step_time_s", .unit = U::kSeconds, .label = "step time",
     .meaning = "one training step: every micro-batch forward and backward, the gradient "
                "reduction and the optimizer step, until the last GPU finishes",
     .read = [](const PointOutcome& o) { return o.metrics.step_time_s; }, .in_summary = true},
    {.name = "tokens_per_s", .unit = U::kTokensPerSecond, .label = "throughput",
     .meaning = "global_batch x seq_len / step_time_s",
     .read = [](const PointOutcome& o) { return o.metrics.tokens_per_s; }, .in_summary = true},
    {.name = "model_tflops_per_gpu", .unit = U::kTflopsPerSecond, .label = "model TFLOP/s per GPU",
     .meaning = "model FLOPs per step / step_time_s / GPUs / 10^12",
     .read = [](const PointOutcome& o) { return o.metrics.model_tflops_per_gpu; }},
    {.name = "mfu", .unit = U::kFraction, .label = "MFU",
     .meaning = "model FLOPs per step / (step_time_s x GPUs x the dtype's peak FLOP/s)",
     .read = [](const PointOutcome& o) { return o.metrics.mfu; }, .in_summary = true},
    {.name = "compute_s", .unit = U::kSeconds, .label = "compute",
     .meaning = "kernel time of the critical stage's GPU (the stage with the least bubble)",
     .read = [](const PointOutcome& o) { return o.metrics.compute_s; }},
    {.name = "tp_comm_s", .unit = U::kSeconds, .label = "tensor-parallel comm",
     .meaning = "its tensor-parallel communication, overlapped or not",
     .read = [](const PointOutcome& o) { return o.metrics.tp_comm_s; }},
    {.name = "pp_comm_s", .unit = U::kSeconds, .label = "pipeline comm",
     .meaning = "its pipeline communication (sent), overlapped or not",
     .read = [](const PointOutcome& o) { return o.metrics.pp_comm_s; }},
    {.name = "dp_comm_s", .unit = U::kSeconds, .label = "data-parallel comm",
     .meaning = "its data-parallel communication, overlapped or not",
     .read = [](const PointOutcome& o) { return o.metrics.dp_comm_s; }},
    {.name = "exposed_comm_s", .unit = U::kSeconds, .label = "exposed comm",
     .meaning = "the part of its step spent waiting for communication",
     .read = [](const PointOutcome& o) { return o.metrics.exposed_comm_s; }},
    {.name = "bubble_s", .unit = U::kSeconds, .label = "bubble",
     .meaning = "the rest of its step, waiting for other stages: "
                "compute_s + exposed_comm_s + bubble_s = step_time_s",
     .read = [](const PointOutcome& o) { return o.metrics.bubble_s; }},
    {.name = "peak_mem_bytes", .unit = U::kBytes, .label = "peak memory",
     .meaning = "the memory model's peak per GPU",
     .read = [](const PointOutcome& o) { return o.metrics.peak_mem_bytes; }, .in_summary = true},
    {.name = "fits_memory", .unit = U::kFlag, .label = "fits in memory",
     .meaning = "peak_mem_bytes is within the hardware's memory",
     .read = [](const PointOutcome& o) { return o.metrics.fits_memory ? 1.0 : 0.0; }},
    {.name = "sim_runs", .unit = U::kCount, .label = "simulator runs",
     .meaning = "network simulator runs this point needed",
     .read = [](const PointOutcome& o) { return static_cast<double>(o.sim_runs); },
     .per_run = true},
    {.name = "cache_hits", .unit = U::kCount, .label = "cache hits",
     .meaning = "simulator answers this point found in the cache",
     .read = [](const PointOutcome& o) { return static_cast<double>(o.cache_hits); },
     .per_run = true},
    {.name = "cache_misses", .unit = U::kCount, .label = "cache misses",
     .meaning = "simulator answers this point looked for in the cache and did not find "
                "(0 with NO_CACHE)",
     .read = [](const PointOutcome& o) { return static_cast<double>(o.cache_misses); },
     .per_run = true},
};
// clang-format on

}  // namespace

FieldType TypeOf(FieldUnit unit) {
  switch (unit) {
    case FieldUnit::kFlag: return FieldType::kFlag;
    case FieldUnit::kCount: return FieldType::kInteger;
    default: return FieldType::kReal;
  }
}

std::string_view UnitName(FieldUnit unit) {
  switch (unit) {
    case FieldUnit::kSeconds: return "s";
    case FieldUnit::kTokensPerSecond: return "tokens/s";
    case FieldUnit::kTflopsPerSecond: return "TFLOP/s";
    case FieldUnit::kFraction: return "fraction";
    case FieldUnit::kBytes: return "B";
    case FieldUnit::kFlag: return "flag";
    case FieldUnit::kCount: return "count";
  }
  return "";
}

std::span<const ResultField> ResultFields() { return kFields; }

std::optional<std::size_t> FindResultField(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kFields); ++i)
    if (kFields[i].name == name) return i;
  return std::nullopt;
}

std::string FormatFieldValue(const ResultField& field, double value) {
  switch (field.unit) {
    case FieldUnit::kSeconds: return HumanQuantity(value, QuantityKind::kTime);
    case FieldUnit::kTokensPerSecond: return fmt::format("{:.0f} tokens/s", value);
    case FieldUnit::kTflopsPerSecond: return fmt::format("{:.4g} TFLOP/s", value);
    case FieldUnit::kFraction: return fmt::format("{:.1f}%", 100 * value);
    case FieldUnit::kBytes: return HumanQuantity(value, QuantityKind::kBytes);
    case FieldUnit::kFlag: return value != 0 ? "yes" : "no";
    case FieldUnit::kCount: return fmt::format("{:.0f}", value);
  }
  return fmt::format("{:g}", value);
}

}  // namespace astrasweep::exec
