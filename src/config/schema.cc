// The rows of the config schema. Adding a key to the config means adding a
// row here and reading it in loader.cc.
#include "astrasweep/config/schema.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <unordered_map>

#include "astrasweep/base/strings.h"
#include "astrasweep/config/enums.h"

namespace astrasweep::config {
namespace {

using FT = FieldType;
using DK = DefaultKind;
using QK = QuantityKind;

constexpr double kMaxInt = 9.0e15;  // beyond this, doubles lose integers

const std::vector<FieldSpec>& Rows() {
  // clang-format off
  static const std::vector<FieldSpec> rows = {
      // model
      {"model.name", FT::kString, DK::kConstant, "custom", {}, nullptr, 0, 0, "a label"},
      {"model.layers", FT::kInt, DK::kRequired, "", {}, nullptr, 1, kMaxInt, "transformer layers"},
      {"model.hidden", FT::kInt, DK::kRequired, "", {}, nullptr, 1, kMaxInt, "hidden size"},
      {"model.heads", FT::kInt, DK::kRequired, "", {}, nullptr, 1, kMaxInt, "attention heads"},
      {"model.kv_heads", FT::kInt, DK::kDependent, "model.heads", {}, nullptr, 1, kMaxInt,
       "key/value heads; fewer than heads means grouped-query attention"},
      {"model.ffn_hidden", FT::kInt, DK::kDependent, "4 * model.hidden", {}, nullptr, 1, kMaxInt,
       "FFN inner size"},
      {"model.ffn", FT::kEnum, DK::kConstant, "gelu", {}, &EnumNames<Ffn>, 0, 0, "FFN kind"},
      {"model.vocab", FT::kInt, DK::kRequired, "", {}, nullptr, 1, kMaxInt, "vocabulary size"},
      {"model.seq_len", FT::kInt, DK::kRequired, "", {}, nullptr, 1, kMaxInt, "sequence length"},
      // training
      {"training.global_batch", FT::kInt, DK::kRequired, "", {}, nullptr, 1, kMaxInt,
       "sequences per step"},
      {"training.micro_batch", FT::kInt, DK::kConstant, "1", {}, nullptr, 1, kMaxInt,
       "sequences per micro-batch"},
      {"training.dtype", FT::kEnum, DK::kConstant, "bf16", {}, &EnumNames<DType>, 0, 0,
       "math precision"},
      {"training.recompute", FT::kEnum, DK::kConstant, "none", {}, &EnumNames<Recompute>, 0, 0,
       "activation recomputation"},
      {"training.sequence_parallel", FT::kBool, DK::kConstant, "false", {}, nullptr, 0, 0,
       "Megatron sequence parallelism"},
      {"training.zero_stage", FT::kInt, DK::kConstant, "0", {}, nullptr, 0, 3, "ZeRO stage"},
      {"training.schedule", FT::kEnum, DK::kConstant, "1f1b", {}, &EnumNames<Schedule>, 0, 0,
       "pipeline schedule"},
      {"training.virtual_stages", FT::kInt, DK::kConstant, "1", {}, nullptr, 1, kMaxInt,
       "model chunks per stage (interleaved only)"},
      {"training.dp_overlap", FT::kBool, DK::kConstant, "true", {}, nullptr, 0, 0,
       "overlap gradient reduction with backward"},
      // parallelism
      {"parallelism.tp", FT::kInt, DK::kConstant, "1", {}, nullptr, 1, kMaxInt, "tensor parallel"},
      {"parallelism.kp1", FT::kInt, DK::kOptional, "", {}, nullptr, 1, kMaxInt,
       "2-D tensor parallel, first dimension"},
      {"parallelism.kp2", FT::kInt, DK::kOptional, "", {}, nullptr, 1, kMaxInt,
       "2-D tensor parallel, second dimension"},
      {"parallelism.pp", FT::kInt, DK::kConstant, "1", {}, nullptr, 1, kMaxInt, "pipeline stages"},
      {"parallelism.dp", FT::kInt, DK::kConstant, "1", {}, nullptr, 1, kMaxInt, "data parallel"},
      // hardware
      {"hardware.name", FT::kString, DK::kConstant, "custom", {}, nullptr, 0, 0, "a label"},
      {"hardware.peak_flops.fp32", FT::kQuantity, DK::kRequired, "", QK::kFlopRate, nullptr, 0, 0,
       "dense matmul rate for fp32 training (TF32 tensor cores where present)"},
      {"hardware.peak_flops.bf16", FT::kQuantity, DK::kRequired, "", QK::kFlopRate, nullptr, 0, 0,
       "dense BF16 matmul rate"},
      {"hardware.peak_flops.fp16", FT::kQuantity, DK::kDependent, "hardware.peak_flops.bf16",
       QK::kFlopRate, nullptr, 0, 0, "dense FP16 matmul rate"},
      {"hardware.peak_flops.fp8", FT::kQuantity, DK::kOptional, "", QK::kFlopRate, nullptr, 0, 0,
       "dense FP8 matmul rate; absent when the device has none"},
      {"hardware.memory", FT::kQuantity, DK::kRequired, "", QK::kBytes, nullptr, 0, 0,
       "HBM capacity"},
      {"hardware.memory_bandwidth", FT::kQuantity, DK::kRequired, "", QK::kBandwidth, nullptr, 0,
       0, "HBM bandwidth"},
      {"hardware.sms", FT::kInt, DK::kRequired, "", {}, nullptr, 1, kMaxInt,
       "streaming multiprocessors (compute units)"},
      {"hardware.gemm_efficiency", FT::kNumber, DK::kConstant, "0.72", {}, nullptr, 0.01, 1, "fraction of peak FLOP/s a large GEMM sustains in training (0.72: calibrated on A100, tests/validation)"},
      {"hardware.memory_efficiency", FT::kNumber, DK::kConstant, "0.85", {}, nullptr, 0.01, 1, "fraction of memory bandwidth a streaming kernel reaches"},
      {"hardware.kernel_launch", FT::kQuantity, DK::kConstant, "4 us", QK::kTime, nullptr, 0, 0, "fixed cost of each kernel"},
      // network, innermost dimension first
      {"network.*.topology", FT::kEnum, DK::kConstant, "switch", {}, &EnumNames<Topology>, 0, 0,
       "dimension topology"},
      {"network.*.npus", FT::kNpus, DK::kRequired, "", {}, nullptr, 1, kMaxInt,
       "NPUs in this dimension, or auto"},
      {"network.*.bandwidth", FT::kQuantity, DK::kRequired, "", QK::kBandwidth, nullptr, 0, 0,
       "per-NPU link bandwidth"},
      {"network.*.latency", FT::kQuantity, DK::kConstant, "0 s", QK::kTime, nullptr, 0, 0,
       "link latency"},
      // execution backend
      {"execution_backend.model", FT::kEnum, DK::kConstant, "analytical", {},
       &EnumNames<ExecutionModel>, 0, 0, "how a point is timed"},
      {"execution_backend.astra.mode", FT::kEnum, DK::kConstant, "hybrid", {},
       &EnumNames<AstraMode>, 0, 0, "AstraSim execution mode"},
      {"execution_backend.astra.backend", FT::kEnum, DK::kConstant, "builtin", {},
       &EnumNames<SimulatorBackend>, 0, 0, "network simulator"},
      {"execution_backend.astra.network", FT::kEnum, DK::kConstant, "congestion_unaware", {},
       &EnumNames<NetworkModel>, 0, 0, "network model"},
      {"execution_backend.astra.collectives.all_reduce", FT::kEnum, DK::kConstant, "auto", {},
       &EnumNames<CollectiveAlgorithm>, 0, 0, "all-reduce algorithm"},
      {"execution_backend.astra.collectives.all_gather", FT::kEnum, DK::kConstant, "auto", {},
       &EnumNames<CollectiveAlgorithm>, 0, 0, "all-gather algorithm"},
      {"execution_backend.astra.collectives.reduce_scatter", FT::kEnum, DK::kConstant, "auto", {},
       &EnumNames<CollectiveAlgorithm>, 0, 0, "reduce-scatter algorithm"},
      {"execution_backend.astra.collectives.all_to_all", FT::kEnum, DK::kConstant, "auto", {},
       &EnumNames<CollectiveAlgorithm>, 0, 0, "all-to-all algorithm"},
  };
  // clang-format on
  return rows;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::span<const FieldSpec> Schema() { return Rows(); }

std::string PatternOf(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t start = 0;;) {
    const std::size_t dot = path.find('.', start);
    const std::string_view part =
        path.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (start > 0) out += '.';
    out += IsDigits(part) ? std::string_view("*") : part;
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

namespace {

// The rows indexed once: the loader asks for every key of every point.
struct SchemaIndex {
  std::unordered_map<std::string, const FieldSpec*> fields;
  // Section pattern ("" for the root) -> the keys directly below it, in row order.
  std::unordered_map<std::string, std::vector<std::string>> children;
};

const SchemaIndex& Index() {
  static const SchemaIndex index = [] {
    SchemaIndex built;
    for (const auto& row : Rows()) {
      built.fields.emplace(std::string(row.path), &row);
      std::string section;
      for (const auto& key : Split(row.path, '.')) {
        auto& keys = built.children[section];
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
        section += (section.empty() ? "" : ".") + key;
      }
    }
    return built;
  }();
  return index;
}

}  // namespace

const FieldSpec* FindField(std::string_view path) {
  const auto& fields = Index().fields;
  auto it = fields.find(PatternOf(path));
  return it == fields.end() ? nullptr : it->second;
}

bool IsSection(std::string_view path) {
  return !path.empty() && Index().children.contains(PatternOf(path));
}

const std::vector<std::string>& ChildKeys(std::string_view section_pattern) {
  static const std::vector<std::string> none;
  const auto& children = Index().children;
  auto it = children.find(std::string(section_pattern));
  return it == children.end() ? none : it->second;
}

std::vector<std::string> AllFieldPaths() {
  std::vector<std::string> paths;
  for (const auto& row : Rows()) paths.emplace_back(row.path);
  return paths;
}

std::string DescribeType(const FieldSpec& field) {
  switch (field.type) {
    case FieldType::kInt: return "an integer";
    case FieldType::kNumber: return "a number";
    case FieldType::kBool: return "true or false";
    case FieldType::kString: return "a string";
    case FieldType::kEnum: return "one of " + Join(field.enum_names(), ", ");
    case FieldType::kQuantity:
      return std::string(QuantityKindName(field.quantity)) + " with a unit, e.g. '" +
             QuantityExample(field.quantity) + "'";
    case FieldType::kNpus: return "an integer or 'auto'";
  }
  return "a value";
}

std::optional<DependentDefault> ParseDependentDefault(std::string_view text) {
  DependentDefault out;
  std::size_t star = text.find('*');
  if (star != std::string_view::npos) {
    std::string_view factor = text.substr(0, star);
    while (!factor.empty() && factor.back() == ' ') factor.remove_suffix(1);
    auto [end, ec] = std::from_chars(factor.data(), factor.data() + factor.size(), out.factor);
    if (ec != std::errc() || end != factor.data() + factor.size()) return std::nullopt;
    text = text.substr(star + 1);
  }
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  out.source = std::string(text);
  if (!FindField(out.source)) return std::nullopt;
  return out;
}

}  // namespace astrasweep::config
