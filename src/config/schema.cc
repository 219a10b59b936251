// The rows of the config schema. Adding a key to the config means adding a
// row here and reading it in loader.cc.
#include "astrasweep/config/schema.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>
#include <unordered_map>

#include "astrasweep/base/strings.h"
#include "astrasweep/config/enums.h"

namespace astrasweep::config {
namespace {

using FT = FieldType;
using DK = DefaultKind;
using QK = QuantityKind;

constexpr double kMaxInt = 9.0e15;  // beyond this, doubles lose integers
// astrasweep's limits on what it multiplies, far above any real run: a
// product of two stays exact in 64-bit integers, and the loader bounds the
// products it forms (GPUs, micro-batches; config.h).
constexpr double kMaxGpuCount = 16777216;     // 2^24 GPUs in any one dimension
constexpr double kMaxModelSize = 1073741824;  // 2^30: layers, hidden sizes, vocab, tokens
constexpr double kMaxBatch = 1099511627776;   // 2^40 sequences

// Each row reads as a sentence: its path, type, default and bounds, and help.
const std::vector<FieldSpec>& Rows() {
  // clang-format off
  static const std::vector<FieldSpec> rows = {
      // model
      {.path = "model.name", .type = FT::kString,
       .default_kind = DK::kConstant, .default_text = "custom",
       .help = "a label"},
      {.path = "model.layers", .type = FT::kInt,
       .default_kind = DK::kRequired, .min = 1, .max = kMaxModelSize,
       .help = "transformer layers"},
      {.path = "model.hidden", .type = FT::kInt,
       .default_kind = DK::kRequired, .min = 1, .max = kMaxModelSize,
       .help = "hidden size"},
      {.path = "model.heads", .type = FT::kInt,
       .default_kind = DK::kRequired, .min = 1, .max = kMaxModelSize,
       .help = "attention heads"},
      {.path = "model.kv_heads", .type = FT::kInt,
       .default_kind = DK::kDependent, .default_text = "model.heads", .min = 1, .max = kMaxModelSize,
       .help = "key/value heads; fewer than heads means grouped-query attention"},
      {.path = "model.ffn_hidden", .type = FT::kInt,
       .default_kind = DK::kDependent, .default_text = "4 * model.hidden", .min = 1, .max = kMaxModelSize,
       .help = "FFN inner size"},
      {.path = "model.ffn", .type = FT::kEnum, .enum_names = &EnumNames<Ffn>,
       .default_kind = DK::kConstant, .default_text = "gelu",
       .help = "FFN kind"},
      {.path = "model.vocab", .type = FT::kInt,
       .default_kind = DK::kRequired, .min = 1, .max = kMaxModelSize,
       .help = "vocabulary size"},
      {.path = "model.seq_len", .type = FT::kInt,
       .default_kind = DK::kRequired, .min = 1, .max = kMaxModelSize,
       .help = "sequence length"},
      // training
      {.path = "training.global_batch", .type = FT::kInt,
       .default_kind = DK::kRequired, .min = 1, .max = kMaxBatch,
       .help = "sequences per step"},
      {.path = "training.micro_batch", .type = FT::kInt,
       .default_kind = DK::kConstant, .default_text = "1", .min = 1, .max = kMaxBatch,
       .help = "sequences per micro-batch"},
      {.path = "training.dtype", .type = FT::kEnum, .enum_names = &EnumNames<DType>,
       .default_kind = DK::kConstant, .default_text = "bf16",
       .help = "math precision"},
      {.path = "training.recompute", .type = FT::kEnum, .enum_names = &EnumNames<Recompute>,
       .default_kind = DK::kConstant, .default_text = "none",
       .help = "activation recomputation"},
      {.path = "training.attention", .type = FT::kEnum, .enum_names = &EnumNames<Attention>,
       .default_kind = DK::kConstant, .default_text = "flash",
       .help = "attention kernel: flash (fused, no s x s scores stored) or unfused"},
      {.path = "training.sequence_parallel", .type = FT::kBool,
       .default_kind = DK::kConstant, .default_text = "false",
       .help = "Megatron sequence parallelism"},
      {.path = "training.tp_overlap", .type = FT::kEnum, .enum_names = &EnumNames<TpOverlap>,
       .default_kind = DK::kConstant, .default_text = "none",
       .help = "tensor-parallel comm hidden behind GEMMs: none, backward (Megatron's async "
               "all-reduce under the weight-gradient GEMMs) or full (Transformer Engine's "
               "userbuffers overlap; needs sequence_parallel)"},
      {.path = "training.zero_stage", .type = FT::kInt,
       .default_kind = DK::kConstant, .default_text = "0", .min = 0, .max = 3,
       .help = "ZeRO stage"},
      {.path = "training.schedule", .type = FT::kEnum, .enum_names = &EnumNames<Schedule>,
       .default_kind = DK::kConstant, .default_text = "1f1b",
       .help = "pipeline schedule"},
      {.path = "training.virtual_stages", .type = FT::kInt,
       .default_kind = DK::kConstant, .default_text = "1", .min = 1, .max = kMaxModelSize,
       .help = "model chunks per stage (interleaved only)"},
      {.path = "training.dp_overlap", .type = FT::kBool,
       .default_kind = DK::kConstant, .default_text = "true",
       .help = "overlap gradient reduction with backward"},
      {.path = "training.fp32_main_grads", .type = FT::kBool,
       .default_kind = DK::kConstant, .default_text = "true",
       .help = "16-bit training keeps fp32 gradients (Megatron's main_grad): 4 bytes each"},
      // parallelism
      {.path = "parallelism.tp", .type = FT::kInt,
       .default_kind = DK::kConstant, .default_text = "1", .min = 1, .max = kMaxGpuCount,
       .help = "tensor parallel"},
      {.path = "parallelism.kp1", .type = FT::kInt,
       .default_kind = DK::kOptional, .min = 1, .max = kMaxGpuCount,
       .help = "2-D tensor parallel, first dimension"},
      {.path = "parallelism.kp2", .type = FT::kInt,
       .default_kind = DK::kOptional, .min = 1, .max = kMaxGpuCount,
       .help = "2-D tensor parallel, second dimension"},
      {.path = "parallelism.cp", .type = FT::kInt,
       .default_kind = DK::kConstant, .default_text = "1", .min = 1, .max = kMaxGpuCount,
       .help = "context parallel: ring attention over the sequence, split in cp parts"},
      {.path = "parallelism.pp", .type = FT::kInt,
       .default_kind = DK::kConstant, .default_text = "1", .min = 1, .max = kMaxGpuCount,
       .help = "pipeline stages"},
      {.path = "parallelism.dp", .type = FT::kInt,
       .default_kind = DK::kConstant, .default_text = "1", .min = 1, .max = kMaxGpuCount,
       .help = "data parallel"},
      // hardware
      {.path = "hardware.name", .type = FT::kString,
       .default_kind = DK::kConstant, .default_text = "custom",
       .help = "a label"},
      {.path = "hardware.peak_flops.fp32", .type = FT::kQuantity, .quantity = QK::kFlopRate,
       .default_kind = DK::kRequired,
       .help = "dense matmul rate for fp32 training (TF32 tensor cores where present)"},
      {.path = "hardware.peak_flops.bf16", .type = FT::kQuantity, .quantity = QK::kFlopRate,
       .default_kind = DK::kRequired,
       .help = "dense BF16 matmul rate"},
      {.path = "hardware.peak_flops.fp16", .type = FT::kQuantity, .quantity = QK::kFlopRate,
       .default_kind = DK::kDependent, .default_text = "hardware.peak_flops.bf16",
       .help = "dense FP16 matmul rate"},
      {.path = "hardware.peak_flops.fp8", .type = FT::kQuantity, .quantity = QK::kFlopRate,
       .default_kind = DK::kOptional,
       .help = "dense FP8 matmul rate; absent when the device has none"},
      {.path = "hardware.memory", .type = FT::kQuantity, .quantity = QK::kBytes,
       .default_kind = DK::kRequired,
       .help = "HBM capacity"},
      {.path = "hardware.memory_bandwidth", .type = FT::kQuantity, .quantity = QK::kBandwidth,
       .default_kind = DK::kRequired,
       .help = "HBM bandwidth"},
      {.path = "hardware.sms", .type = FT::kInt,
       .default_kind = DK::kRequired, .min = 1, .max = kMaxInt,
       .help = "streaming multiprocessors (compute units)"},
      {.path = "hardware.gemm_efficiency", .type = FT::kNumber,
       .default_kind = DK::kConstant, .default_text = "0.72", .min = 0.01, .max = 1,
       .help = "fraction of peak FLOP/s a large 16-bit GEMM sustains in training with "
               "today's software (the presets name the runs they fitted it to)"},
      {.path = "hardware.gemm_efficiency_fp8", .type = FT::kNumber,
       .default_kind = DK::kDependent, .default_text = "hardware.gemm_efficiency", .min = 0.01,
       .max = 1,
       .help = "fraction of the FP8 peak an FP8 GEMM sustains in training (dtype fp8)"},
      {.path = "hardware.software", .type = FT::kEnum, .enum_names = &EnumNames<Software>,
       .default_kind = DK::kConstant, .default_text = "current",
       .help = "software generation of the run's kernels: current, or megatron-2021 (GEMMs at "
               "gemm_efficiency_megatron_2021)"},
      {.path = "hardware.gemm_efficiency_megatron_2021", .type = FT::kNumber,
       .default_kind = DK::kOptional, .min = 0.01, .max = 1,
       .help = "gemm_efficiency with the kernels of 2021 (Megatron-LM, PyTorch 20.12), "
               "fitted in the preset where published runs exist"},
      {.path = "hardware.memory_efficiency", .type = FT::kNumber,
       .default_kind = DK::kConstant, .default_text = "0.85", .min = 0.01, .max = 1,
       .help = "fraction of memory bandwidth a streaming kernel reaches"},
      {.path = "hardware.kernel_launch", .type = FT::kQuantity, .quantity = QK::kTime,
       .default_kind = DK::kConstant, .default_text = "4 us",
       .help = "fixed cost of each kernel"},
      {.path = "hardware.reserved_memory", .type = FT::kQuantity, .quantity = QK::kBytes,
       .default_kind = DK::kConstant, .default_text = "0 B",
       .help = "memory training cannot use (CUDA context, NCCL buffers, fragmentation); "
               "the presets set it"},
      // network, innermost dimension first
      {.path = "network.*.topology", .type = FT::kEnum, .enum_names = &EnumNames<Topology>,
       .default_kind = DK::kConstant, .default_text = "switch",
       .help = "dimension topology"},
      {.path = "network.*.npus", .type = FT::kNpus,
       .default_kind = DK::kRequired, .min = 1, .max = kMaxGpuCount,
       .help = "NPUs in this dimension, or auto"},
      {.path = "network.*.bandwidth", .type = FT::kQuantity, .quantity = QK::kBandwidth,
       .default_kind = DK::kRequired,
       .help = "per-NPU link bandwidth"},
      {.path = "network.*.latency", .type = FT::kQuantity, .quantity = QK::kTime,
       .default_kind = DK::kConstant, .default_text = "0 s",
       .help = "link latency"},
      // execution backend
      {.path = "execution_backend.model", .type = FT::kEnum,
       .enum_names = &EnumNames<ExecutionModel>,
       .default_kind = DK::kConstant, .default_text = "analytical",
       .help = "how a point is timed"},
      {.path = "execution_backend.astra.mode", .type = FT::kEnum,
       .enum_names = &EnumNames<AstraMode>,
       .default_kind = DK::kConstant, .default_text = "hybrid",
       .help = "AstraSim execution mode"},
      {.path = "execution_backend.astra.backend", .type = FT::kEnum,
       .enum_names = &EnumNames<SimulatorBackend>,
       .default_kind = DK::kConstant, .default_text = "builtin",
       .help = "network simulator"},
      {.path = "execution_backend.astra.network", .type = FT::kEnum,
       .enum_names = &EnumNames<NetworkModel>,
       .default_kind = DK::kConstant, .default_text = "congestion_unaware",
       .help = "network model"},
      {.path = "execution_backend.astra.collectives.all_reduce", .type = FT::kEnum,
       .enum_names = &EnumNames<CollectiveAlgorithm>,
       .default_kind = DK::kConstant, .default_text = "auto",
       .help = "all-reduce algorithm"},
      {.path = "execution_backend.astra.collectives.all_gather", .type = FT::kEnum,
       .enum_names = &EnumNames<CollectiveAlgorithm>,
       .default_kind = DK::kConstant, .default_text = "auto",
       .help = "all-gather algorithm"},
      {.path = "execution_backend.astra.collectives.reduce_scatter", .type = FT::kEnum,
       .enum_names = &EnumNames<CollectiveAlgorithm>,
       .default_kind = DK::kConstant, .default_text = "auto",
       .help = "reduce-scatter algorithm"},
      {.path = "execution_backend.astra.collectives.all_to_all", .type = FT::kEnum,
       .enum_names = &EnumNames<CollectiveAlgorithm>,
       .default_kind = DK::kConstant, .default_text = "auto",
       .help = "all-to-all algorithm"},
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

bool IsNumeric(FieldType type) {
  return type == FieldType::kInt || type == FieldType::kNumber || type == FieldType::kQuantity ||
         type == FieldType::kNpus;
}

// The rows indexed once: the loader asks for every key of every point.
// Looks strings up by view, without a copy.
struct ViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
using FieldsByPath = std::unordered_map<std::string, const FieldSpec*, ViewHash, std::equal_to<>>;

struct SchemaIndex {
  FieldsByPath fields;
  // Section pattern ("" for the root) -> the keys directly below it, in row order.
  std::unordered_map<std::string, std::vector<std::string>, ViewHash, std::equal_to<>> children;
  // The kDependent fields' defaults, by path; a row whose text does not
  // parse has none (the schema test checks that every one does).
  std::unordered_map<std::string_view, DependentDefault> dependents;
};

// "F * key" or "key", where key is a numeric field of `fields`.
std::optional<DependentDefault> ParseDependentDefault(std::string_view text,
                                                      const FieldsByPath& fields) {
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
  auto source = fields.find(PatternOf(out.source));
  if (source == fields.end() || !IsNumeric(source->second->type)) return std::nullopt;
  return out;
}

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
    for (const auto& row : Rows()) {
      if (row.default_kind != DefaultKind::kDependent) continue;
      if (auto dependent = ParseDependentDefault(row.default_text, built.fields))
        built.dependents.emplace(row.path, std::move(*dependent));
    }
    return built;
  }();
  return index;
}

}  // namespace

const FieldSpec* FindField(std::string_view path) {
  const auto& fields = Index().fields;
  // Most paths have no list index: they are their own pattern.
  bool indexed = false;
  for (std::size_t i = 0; i < path.size() && !indexed; ++i)
    indexed = (i == 0 || path[i - 1] == '.') && std::isdigit(static_cast<unsigned char>(path[i]));
  auto it = indexed ? fields.find(PatternOf(path)) : fields.find(path);
  return it == fields.end() ? nullptr : it->second;
}

bool IsSection(std::string_view path) {
  return !path.empty() && Index().children.contains(PatternOf(path));
}

const std::vector<std::string>& ChildKeys(std::string_view section_pattern) {
  static const std::vector<std::string> none;
  const auto& children = Index().children;
  auto it = children.find(section_pattern);
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

const DependentDefault* FindDependentDefault(const FieldSpec& field) {
  const auto& dependents = Index().dependents;
  auto it = dependents.find(field.path);
  return it == dependents.end() ? nullptr : &it->second;
}

Expected<std::string> EvaluateDependentDefault(const FieldSpec& field,
                                               const SourceValue& source_value) {
  const DependentDefault* dependent = FindDependentDefault(field);
  if (dependent == nullptr)
    return MakeError(ErrorCode::kInternal, "bad default for " + std::string(field.path));
  ASTRASWEEP_ASSIGN_OR_RETURN(double source, source_value(dependent->source));
  const double value = dependent->Apply(source);
  return field.type == FieldType::kQuantity ? FormatQuantity(value, field.quantity)
                                            : FormatNumber(value);
}

}  // namespace astrasweep::config
