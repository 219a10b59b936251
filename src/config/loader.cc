// BuildPoint: tree -> typed Config -> consistency checks -> canonical id.
#include "astrasweep/config/loader.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "astrasweep/base/checked.h"
#include "astrasweep/base/strings.h"
#include "astrasweep/base/units.h"
#include "astrasweep/config/enums.h"
#include "flat_reader.h"

namespace astrasweep::config {
namespace {

template <typename E>
Expected<E> ReadEnum(FlatReader& r, const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(std::string name, r.String(path));
  return *ParseEnum<E>(name);  // the reader checked the name against the schema
}

Status ReadModel(FlatReader& r, ModelConfig& m) {
  ASTRASWEEP_ASSIGN_OR_RETURN(m.name, r.String("model.name"));
  ASTRASWEEP_ASSIGN_OR_RETURN(m.layers, r.Int("model.layers"));
  ASTRASWEEP_ASSIGN_OR_RETURN(m.hidden, r.Int("model.hidden"));
  ASTRASWEEP_ASSIGN_OR_RETURN(m.heads, r.Int("model.heads"));
  ASTRASWEEP_ASSIGN_OR_RETURN(m.kv_heads, r.Int("model.kv_heads"));
  ASTRASWEEP_ASSIGN_OR_RETURN(m.ffn_hidden, r.Int("model.ffn_hidden"));
  ASTRASWEEP_ASSIGN_OR_RETURN(m.ffn, ReadEnum<Ffn>(r, "model.ffn"));
  ASTRASWEEP_ASSIGN_OR_RETURN(m.vocab, r.Int("model.vocab"));
  ASTRASWEEP_ASSIGN_OR_RETURN(m.seq_len, r.Int("model.seq_len"));
  return Ok();
}

Status ReadTraining(FlatReader& r, TrainingConfig& t) {
  ASTRASWEEP_ASSIGN_OR_RETURN(t.global_batch, r.Int("training.global_batch"));
  ASTRASWEEP_ASSIGN_OR_RETURN(t.micro_batch, r.Int("training.micro_batch"));
  ASTRASWEEP_ASSIGN_OR_RETURN(t.dtype, ReadEnum<DType>(r, "training.dtype"));
  ASTRASWEEP_ASSIGN_OR_RETURN(t.recompute, ReadEnum<Recompute>(r, "training.recompute"));
  ASTRASWEEP_ASSIGN_OR_RETURN(t.attention, ReadEnum<Attention>(r, "training.attention"));
  ASTRASWEEP_ASSIGN_OR_RETURN(t.tp_overlap, ReadEnum<TpOverlap>(r, "training.tp_overlap"));
  ASTRASWEEP_ASSIGN_OR_RETURN(t.sequence_parallel, r.Bool("training.sequence_parallel"));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto zero, r.Int("training.zero_stage"));
  t.zero_stage = static_cast<int>(zero);
  ASTRASWEEP_ASSIGN_OR_RETURN(t.schedule, ReadEnum<Schedule>(r, "training.schedule"));
  ASTRASWEEP_ASSIGN_OR_RETURN(t.virtual_stages, r.Int("training.virtual_stages"));
  ASTRASWEEP_ASSIGN_OR_RETURN(t.dp_overlap, r.Bool("training.dp_overlap"));
  ASTRASWEEP_ASSIGN_OR_RETURN(t.fp32_main_grads, r.Bool("training.fp32_main_grads"));
  return Ok();
}

Status ReadParallelism(FlatReader& r, ParallelismConfig& p) {
  ASTRASWEEP_ASSIGN_OR_RETURN(p.tp, r.Int("parallelism.tp"));
  ASTRASWEEP_ASSIGN_OR_RETURN(p.kp1, r.OptionalInt("parallelism.kp1"));
  ASTRASWEEP_ASSIGN_OR_RETURN(p.kp2, r.OptionalInt("parallelism.kp2"));
  ASTRASWEEP_ASSIGN_OR_RETURN(p.cp, r.Int("parallelism.cp"));
  ASTRASWEEP_ASSIGN_OR_RETURN(p.pp, r.Int("parallelism.pp"));
  ASTRASWEEP_ASSIGN_OR_RETURN(p.dp, r.Int("parallelism.dp"));
  if (p.kp1 || p.kp2) {
    if (!p.kp1 || !p.kp2)
      return InvalidInput("2-D tensor parallelism needs both kp1 and kp2",
                          r.ContextOf("parallelism.kp1"));
    if (p.tp != 1 && p.tp != *p.kp1 * *p.kp2)
      return InvalidInput(
          "tp = " + std::to_string(p.tp) + " but kp1 * kp2 = " + std::to_string(*p.kp1 * *p.kp2),
          r.ContextOf("parallelism.tp"));
    p.tp = *p.kp1 * *p.kp2;
    r.canonical()["parallelism.tp"] = std::to_string(p.tp);
  }
  if (const auto gpus = CheckedProduct({p.tp, p.cp, p.pp, p.dp}); !gpus || *gpus > kMaxGpus)
    return InvalidInput(
        "tp * cp * pp * dp = " + (gpus ? std::to_string(*gpus) : std::string("more than 2^63")) +
            " GPUs, more than astrasweep models (" + std::to_string(kMaxGpus) + ")",
        r.ContextOf("parallelism.dp"));
  return Ok();
}

Status ReadHardware(FlatReader& r, HardwareConfig& h) {
  ASTRASWEEP_ASSIGN_OR_RETURN(h.name, r.String("hardware.name"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.peak_flops.fp32, r.Quantity("hardware.peak_flops.fp32"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.peak_flops.bf16, r.Quantity("hardware.peak_flops.bf16"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.peak_flops.fp16, r.Quantity("hardware.peak_flops.fp16"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.peak_flops.fp8, r.OptionalQuantity("hardware.peak_flops.fp8"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.memory_bytes, r.Quantity("hardware.memory"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.memory_bandwidth, r.Quantity("hardware.memory_bandwidth"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.sms, r.Int("hardware.sms"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.gemm_efficiency, r.Number("hardware.gemm_efficiency"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.gemm_efficiency_fp8, r.Number("hardware.gemm_efficiency_fp8"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.software, ReadEnum<Software>(r, "hardware.software"));
  if (h.software == Software::kMegatron2021) {
    const std::string key = "hardware.gemm_efficiency_megatron_2021";
    if (r.Absent(key))
      return InvalidInput("hardware.software = megatron-2021, but hardware '" + h.name +
                              "' has no gemm_efficiency_megatron_2021 (no published run of "
                              "that software on it was fitted); set " +
                              key + ", or hardware.gemm_efficiency",
                          r.ContextOf("hardware.software"));
    ASTRASWEEP_ASSIGN_OR_RETURN(h.gemm_efficiency, r.Number(key));
  }
  ASTRASWEEP_ASSIGN_OR_RETURN(h.memory_efficiency, r.Number("hardware.memory_efficiency"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.kernel_launch, r.Quantity("hardware.kernel_launch"));
  ASTRASWEEP_ASSIGN_OR_RETURN(h.reserved_bytes, r.Quantity("hardware.reserved_memory"));
  return Ok();
}

// Reads the dimensions and resolves at most one `npus: auto` so that the
// product of npus is tp * cp * pp * dp.
Status ReadNetwork(FlatReader& r, std::int64_t gpus, std::vector<NetworkDimension>& dims) {
  const std::size_t count = r.ListSize("network");
  if (count == 0)
    return InvalidInput("missing required key 'network' (a list of dimensions)",
                        r.ContextOf("network"));
  std::optional<std::size_t> auto_dim;
  std::int64_t product = 1;
  std::string factors;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string prefix = "network." + std::to_string(i) + ".";
    NetworkDimension d;
    ASTRASWEEP_ASSIGN_OR_RETURN(d.topology, ReadEnum<Topology>(r, prefix + "topology"));
    ASTRASWEEP_ASSIGN_OR_RETURN(auto npus, r.Npus(prefix + "npus"));
    ASTRASWEEP_ASSIGN_OR_RETURN(d.bandwidth, r.Quantity(prefix + "bandwidth"));
    ASTRASWEEP_ASSIGN_OR_RETURN(d.latency, r.Quantity(prefix + "latency"));
    if (!npus) {
      if (auto_dim)
        return InvalidInput("only one dimension may have npus: auto", r.ContextOf(prefix + "npus"));
      auto_dim = i;
    } else {
      d.npus = *npus;
      const auto grown = CheckedProduct({product, *npus});
      if (!grown || *grown > kMaxGpus)
        return InvalidInput("the network's dimensions hold more than " + std::to_string(kMaxGpus) +
                                " NPUs, more than astrasweep models",
                            r.ContextOf(prefix + "npus"));
      product = *grown;
    }
    factors += (i ? " x " : "") + (npus ? std::to_string(*npus) : std::string("auto"));
    dims.push_back(d);
  }
  if (auto_dim) {
    const std::string path = "network." + std::to_string(*auto_dim) + ".npus";
    if (gpus % product != 0) {
      return InvalidInput(
          "npus: auto cannot be resolved: tp * cp * pp * dp = " + std::to_string(gpus) +
              " is not a multiple of the other dimensions' " + std::to_string(product) + " NPUs",
          r.ContextOf(path));
    }
    dims[*auto_dim].npus = gpus / product;
    r.canonical()[path] = std::to_string(gpus / product);
    product = gpus;
  }
  if (product != gpus) {
    const std::string shown = count > 1 ? " (" + factors + ")" : "";
    return InvalidInput("the network's npus multiply to " + std::to_string(product) + shown +
                            " but tp * cp * pp * dp = " + std::to_string(gpus) +
                            "; make them equal (a dimension may say npus: auto)",
                        r.ContextOf("network"));
  }
  return Ok();
}

Status ReadExecution(FlatReader& r, ExecutionBackendConfig& e) {
  ASTRASWEEP_ASSIGN_OR_RETURN(e.model, ReadEnum<ExecutionModel>(r, "execution_backend.model"));
  const std::string a = "execution_backend.astra.";
  ASTRASWEEP_ASSIGN_OR_RETURN(e.astra.mode, ReadEnum<AstraMode>(r, a + "mode"));
  ASTRASWEEP_ASSIGN_OR_RETURN(e.astra.backend, ReadEnum<SimulatorBackend>(r, a + "backend"));
  ASTRASWEEP_ASSIGN_OR_RETURN(e.astra.network, ReadEnum<NetworkModel>(r, a + "network"));
  auto& c = e.astra.collectives;
  ASTRASWEEP_ASSIGN_OR_RETURN(c.all_reduce,
                              ReadEnum<CollectiveAlgorithm>(r, a + "collectives.all_reduce"));
  ASTRASWEEP_ASSIGN_OR_RETURN(c.all_gather,
                              ReadEnum<CollectiveAlgorithm>(r, a + "collectives.all_gather"));
  ASTRASWEEP_ASSIGN_OR_RETURN(c.reduce_scatter,
                              ReadEnum<CollectiveAlgorithm>(r, a + "collectives.reduce_scatter"));
  ASTRASWEEP_ASSIGN_OR_RETURN(c.all_to_all,
                              ReadEnum<CollectiveAlgorithm>(r, a + "collectives.all_to_all"));
  return Ok();
}

// Where the value at `path` is, for a message; without a reader (a point
// assembled from kept sections, rebuilt afresh when a check fails) only
// the path.
ErrorContext ContextOf(const FlatReader* r, const std::string& path) {
  return r != nullptr ? r->ContextOf(path) : ErrorContext{.key_path = path};
}

std::string Str(std::int64_t v) { return std::to_string(v); }

// Context parallelism as Megatron-core runs it: load-balanced causal ring
// attention cuts each sequence into 2 cp chunks (rank i holds chunks i and
// 2 cp - 1 - i). The AstraSim modes' ET bundles have no cp ranks, so they
// refuse it rather than time something else.
Status CheckContextParallel(const FlatReader* r, const Config& c) {
  const std::int64_t cp = c.parallelism.cp, seq = c.model.seq_len;
  if (cp <= 1) return Ok();
  if (seq % (2 * cp) != 0)
    return InvalidInput("cp = " + Str(cp) + " needs model.seq_len = " + Str(seq) +
                            " to be a multiple of 2 * cp = " + Str(2 * cp) +
                            " (ring attention splits the sequence into 2 * cp chunks)",
                        ContextOf(r, "parallelism.cp"));
  if (c.execution_backend.model != ExecutionModel::kAnalytical)
    return InvalidInput("cp = " + Str(cp) +
                            ": context parallelism is timed by the analytical model only "
                            "(the AstraSim modes' ET bundles have no cp ranks); use "
                            "execution_backend.model: analytical",
                        ContextOf(r, "parallelism.cp"));
  return Ok();
}

// Tensor-parallel overlap: Transformer Engine's userbuffers overlap works on
// sequence-parallel all-gathers and reduce-scatters of 1-D tensor
// parallelism; the AstraSim modes' ET bundles order every collective before
// its consumer, so they refuse overlap rather than time something else.
Status CheckTensorParallelOverlap(const FlatReader* r, const Config& c) {
  const auto& t = c.training;
  if (t.tp_overlap == TpOverlap::kNone) return Ok();
  const std::string name = std::string(EnumName(t.tp_overlap));
  if (c.parallelism.kp1 || c.parallelism.kp2)
    return InvalidInput("tp_overlap = " + name +
                            " models 1-D tensor parallelism; drop parallelism.kp1/kp2 or "
                            "set training.tp_overlap: none",
                        ContextOf(r, "training.tp_overlap"));
  if (t.tp_overlap == TpOverlap::kFull && !t.sequence_parallel)
    return InvalidInput(
        "tp_overlap = full (Transformer Engine's userbuffers overlap) needs "
        "training.sequence_parallel: true, as NeMo's tp_comm_overlap does; "
        "set it, or use tp_overlap: backward",
        ContextOf(r, "training.tp_overlap"));
  if (c.execution_backend.model != ExecutionModel::kAnalytical)
    return InvalidInput("tp_overlap = " + name +
                            " is timed by the analytical model only (the AstraSim modes' ET "
                            "bundles block on every tensor-parallel collective); use "
                            "execution_backend.model: analytical or tp_overlap: none",
                        ContextOf(r, "training.tp_overlap"));
  return Ok();
}

// Checks between sections that the schema alone cannot express.
Status CheckConsistency(const FlatReader* r, const Config& c) {
  auto fail = [&](const std::string& path, const std::string& why) -> Status {
    return InvalidInput(why, ContextOf(r, path));
  };
  const auto& m = c.model;
  const auto& p = c.parallelism;
  if (c.hardware.reserved_bytes >= c.hardware.memory_bytes)
    return fail(
        "hardware.reserved_memory",
        "reserved_memory = " + HumanQuantity(c.hardware.reserved_bytes, QuantityKind::kBytes) +
            " leaves nothing of memory = " +
            HumanQuantity(c.hardware.memory_bytes, QuantityKind::kBytes));
  if (m.hidden % m.heads != 0)
    return fail("model.hidden",
                "hidden = " + Str(m.hidden) + " is not a multiple of heads = " + Str(m.heads));
  if (m.heads % m.kv_heads != 0)
    return fail("model.kv_heads",
                "kv_heads = " + Str(m.kv_heads) + " does not divide heads = " + Str(m.heads));
  if (m.heads % p.tp != 0)
    return fail("parallelism.tp",
                "tp = " + Str(p.tp) + " does not divide model.heads = " + Str(m.heads));
  // Megatron splits the key/value heads over the tensor-parallel ranks and
  // refuses a tp they cannot be split by (it does not replicate them).
  if (m.kv_heads % p.tp != 0)
    return fail("parallelism.tp", "tp = " + Str(p.tp) +
                                      " does not divide model.kv_heads = " + Str(m.kv_heads) +
                                      " (Megatron splits the key/value heads over tp)");
  if (m.ffn_hidden % p.tp != 0)
    return fail("parallelism.tp",
                "tp = " + Str(p.tp) + " does not divide model.ffn_hidden = " + Str(m.ffn_hidden));
  ASTRASWEEP_RETURN_IF_ERROR(CheckContextParallel(r, c));
  ASTRASWEEP_RETURN_IF_ERROR(CheckTensorParallelOverlap(r, c));
  const auto& t = c.training;
  const auto per_step = CheckedProduct({t.micro_batch, p.dp});
  if (!per_step || t.global_batch % *per_step != 0)
    return fail("training.micro_batch",
                "micro_batch * dp = " + Str(t.micro_batch) + " * " + Str(p.dp) +
                    " does not divide global_batch = " + Str(t.global_batch));
  const auto passes = CheckedProduct({t.global_batch / *per_step, p.pp, t.virtual_stages});
  if (!passes || *passes > kMaxStagePasses)
    return fail("training.global_batch",
                "a step of " + Str(t.global_batch / *per_step) + " micro-batches through pp = " +
                    Str(p.pp) + " stages of virtual_stages = " + Str(t.virtual_stages) +
                    " chunks is more than astrasweep schedules (" + Str(kMaxStagePasses) +
                    " passes); use larger micro-batches or fewer");
  if (t.virtual_stages > 1 && t.schedule != Schedule::kInterleaved)
    return fail("training.virtual_stages", "virtual_stages > 1 needs schedule: interleaved");
  if (t.dtype == DType::kFp8 && !c.hardware.peak_flops.fp8)
    return fail("training.dtype", "dtype fp8 but hardware '" + c.hardware.name +
                                      "' has no peak_flops.fp8 (it has no FP8 math)");
  return Ok();
}

// Drops what does not change the point (settings the mode ignores), so
// equal points get equal ids.
void PruneCanonical(const Config& c, std::map<std::string, std::string>& canonical) {
  std::erase_if(canonical, [&](const auto& kv) {
    const std::string& key = kv.first;
    if (c.execution_backend.model == ExecutionModel::kAnalytical &&
        key.starts_with("execution_backend.astra."))
      return true;
    return key == "training.virtual_stages" && c.training.schedule != Schedule::kInterleaved;
  });
}

// Nested YAML from sorted dotted paths.
std::string CanonicalText(const std::map<std::string, std::string>& canonical) {
  if (std::optional<std::string> text = EmitSortedPaths(canonical)) return std::move(*text);
  return EmitYaml(TreeOfPaths(canonical));
}

// ---- Sections kept across points -------------------------------------
//
// Each section of a point is read from that section alone: its defaults
// and checks look at no other (the network's npus: auto at the GPU count
// too), and the canonical text is its sections' blocks in key order. A
// sweep's points repeat their sections (one hardware and network for all,
// a few model and training variants), and reading one (flattening,
// normalising, defaults) is most of building a point. So every section of
// a point built without an error is kept with its typed values and its
// block of text, by the section's tree as written (and the GPU count for
// the network); a point whose sections are all kept is assembled from them
// and only the checks across sections run. Any other point, and any that
// fails such a check, is built afresh: errors always come from that path,
// with the file, line and key of the value.

// The top-level sections, in the canonical text's (sorted) order.
constexpr std::array<std::string_view, 6> kSections = {
    "execution_backend", "hardware", "model", "network", "parallelism", "training"};
enum SectionIndex { kExecution, kHardware, kModel, kNetwork, kParallelism, kTraining };

// The tree of a section as a key: every scalar's text and every map key,
// each with its length, and the shape around them.
void AppendTreeKey(const Node& node, std::string& key) {
  const auto text = [&](std::string_view t) {
    key += std::to_string(t.size());
    key += ':';
    key += t;
  };
  switch (node.kind()) {
    case Node::Kind::kNull: key += 'n'; return;
    case Node::Kind::kScalar:
      key += 's';
      text(node.text());
      return;
    case Node::Kind::kList:
      key += '[';
      for (const Node& item : node.items()) AppendTreeKey(item, key);
      key += ']';
      return;
    case Node::Kind::kMap:
      key += '{';
      for (const auto& [k, value] : node.entries()) {
        text(k);
        AppendTreeKey(value, key);
      }
      key += '}';
      return;
  }
}

template <typename T>
struct Kept {
  T value;
  std::string text;  // the section's block of the canonical text
};

template <typename T>
class KeptSection {
 public:
  const Kept<T>* Find(const std::string& key) const {
    const auto it = kept_.find(key);
    return it == kept_.end() ? nullptr : &it->second;
  }
  void Add(const std::string& key, const T& value, std::string text) {
    if (kept_.size() >= kMaxKept) kept_.clear();
    kept_.insert_or_assign(key, Kept<T>{value, std::move(text)});
  }

 private:
  static constexpr std::size_t kMaxKept = 4096;
  std::unordered_map<std::string, Kept<T>> kept_;
};

class KeptSections {
 public:
  // The sections' keys of `root` (after its presets are expanded), or false
  // when it has a key that is not a section (it is built afresh and fails).
  bool SetKeys(const Node& root) {
    if (!root.IsMap()) return false;
    for (const auto& [key, value] : root.entries()) {
      if (std::find(kSections.begin(), kSections.end(), key) == kSections.end()) return false;
    }
    for (std::size_t i = 0; i < kSections.size(); ++i) {
      keys_[i].clear();
      if (const Node* section = root.Find(kSections[i])) AppendTreeKey(*section, keys_[i]);
    }
    return true;
  }

  // The point of the keys set, when every section is kept.
  std::optional<ResolvedPoint> Assemble() {
    const auto* parallelism = parallelism_.Find(keys_[kParallelism]);
    if (parallelism == nullptr) return std::nullopt;
    const auto* training = training_.Find(keys_[kTraining]);
    const auto* model = model_.Find(keys_[kModel]);
    const auto* hardware = hardware_.Find(keys_[kHardware]);
    const auto* execution = execution_.Find(keys_[kExecution]);
    const auto* network = network_.Find(NetworkKey(parallelism->value.Gpus()));
    if (!training || !model || !hardware || !execution || !network) return std::nullopt;
    ResolvedPoint point;
    point.config = {.model = model->value,
                    .training = training->value,
                    .parallelism = parallelism->value,
                    .hardware = hardware->value,
                    .network = network->value,
                    .execution_backend = execution->value};
    if (!CheckConsistency(nullptr, point.config)) return std::nullopt;
    for (const std::string* text : {&execution->text, &hardware->text, &model->text, &network->text,
                                    &parallelism->text, &training->text})
      point.canonical += *text;
    point.id = PointIdOf(point.canonical);
    return point;
  }

  // Keeps the sections of `point`, built afresh from the tree of the keys
  // set; `canonical` is its pruned canonical map.
  void Keep(const ResolvedPoint& point, const std::map<std::string, std::string>& canonical) {
    std::array<std::string, kSections.size()> texts;
    std::string joined;
    for (std::size_t i = 0; i < kSections.size(); ++i) {
      const std::string prefix = std::string(kSections[i]) + ".";
      std::map<std::string, std::string> part(
          canonical.lower_bound(prefix), canonical.lower_bound(std::string(kSections[i]) + "/"));
      std::optional<std::string> text = EmitSortedPaths(part);
      if (!text) return;  // a form only the tree emitter writes: not kept
      texts[i] = std::move(*text);
      joined += texts[i];
    }
    if (joined != point.canonical) return;  // never expected; then nothing is kept
    const Config& c = point.config;
    execution_.Add(keys_[kExecution], c.execution_backend, std::move(texts[kExecution]));
    hardware_.Add(keys_[kHardware], c.hardware, std::move(texts[kHardware]));
    model_.Add(keys_[kModel], c.model, std::move(texts[kModel]));
    network_.Add(NetworkKey(c.parallelism.Gpus()), c.network, std::move(texts[kNetwork]));
    parallelism_.Add(keys_[kParallelism], c.parallelism, std::move(texts[kParallelism]));
    training_.Add(keys_[kTraining], c.training, std::move(texts[kTraining]));
  }

 private:
  const std::string& NetworkKey(std::int64_t gpus) {
    network_key_ = keys_[kNetwork];
    network_key_ += '#';
    network_key_ += std::to_string(gpus);
    return network_key_;
  }

  std::array<std::string, kSections.size()> keys_;
  std::string network_key_;
  KeptSection<ExecutionBackendConfig> execution_;
  KeptSection<HardwareConfig> hardware_;
  KeptSection<ModelConfig> model_;
  KeptSection<std::vector<NetworkDimension>> network_;
  KeptSection<ParallelismConfig> parallelism_;
  KeptSection<TrainingConfig> training_;
};

// Reads every key of the tree (presets expanded): the path of every error.
Expected<ResolvedPoint> BuildAfresh(const Node& root,
                                    std::map<std::string, std::string>* canonical_out) {
  ASTRASWEEP_ASSIGN_OR_RETURN(FlatReader r, FlatReader::Create(root));
  ResolvedPoint point;
  Config& c = point.config;
  ASTRASWEEP_RETURN_IF_ERROR(ReadModel(r, c.model));
  ASTRASWEEP_RETURN_IF_ERROR(ReadTraining(r, c.training));
  ASTRASWEEP_RETURN_IF_ERROR(ReadParallelism(r, c.parallelism));
  ASTRASWEEP_RETURN_IF_ERROR(ReadHardware(r, c.hardware));
  ASTRASWEEP_RETURN_IF_ERROR(ReadExecution(r, c.execution_backend));
  ASTRASWEEP_RETURN_IF_ERROR(CheckConsistency(&r, c));
  ASTRASWEEP_RETURN_IF_ERROR(ReadNetwork(r, c.parallelism.Gpus(), c.network));
  PruneCanonical(c, r.canonical());
  point.canonical = CanonicalText(r.canonical());
  point.id = PointIdOf(point.canonical);
  if (canonical_out != nullptr) *canonical_out = std::move(r.canonical());
  return point;
}

}  // namespace

Hash128 PointIdOf(const std::string& canonical) { return HashBytes(canonical); }

Expected<ResolvedPoint> BuildPoint(const Node& input, const PresetLibrary& presets) {
  Node root = input;
  return BuildPoint(std::move(root), presets);
}

Expected<ResolvedPoint> BuildPoint(Node&& root, const PresetLibrary& presets) {
  ASTRASWEEP_RETURN_IF_ERROR(presets.Expand(root));
  thread_local KeptSections kept;
  if (!kept.SetKeys(root)) return BuildAfresh(root, nullptr);
  if (std::optional<ResolvedPoint> point = kept.Assemble()) return std::move(*point);
  std::map<std::string, std::string> canonical;
  ASTRASWEEP_ASSIGN_OR_RETURN(ResolvedPoint point, BuildAfresh(root, &canonical));
  kept.Keep(point, canonical);
  return point;
}

Expected<ResolvedPoint> BuildPointAfresh(Node&& root, const PresetLibrary& presets) {
  ASTRASWEEP_RETURN_IF_ERROR(presets.Expand(root));
  return BuildAfresh(root, nullptr);
}

Expected<ResolvedPoint> LoadPointFile(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Node root, LoadYamlFile(path));
  auto presets = PresetLibrary::ForFileIn(std::filesystem::path(path).parent_path());
  auto point = BuildPoint(root, presets);
  if (!point) return std::unexpected(std::move(point).error().WithFile(path));
  return point;
}

}  // namespace astrasweep::config
