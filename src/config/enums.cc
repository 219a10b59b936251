// Enum name tables. Each table lists every value once; the templates below
// serve all enums from them.
#include "astrasweep/config/enums.h"

#include <array>
#include <utility>

namespace astrasweep::config {
namespace {

template <typename E>
struct Table;

#define ASTRASWEEP_ENUM_TABLE(E, ...)                                           \
  template <>                                                                   \
  struct Table<E> {                                                             \
    static constexpr std::pair<E, std::string_view> kEntries[] = {__VA_ARGS__}; \
  }

ASTRASWEEP_ENUM_TABLE(Ffn, {Ffn::kGelu, "gelu"}, {Ffn::kSwiglu, "swiglu"});
ASTRASWEEP_ENUM_TABLE(DType, {DType::kBf16, "bf16"}, {DType::kFp16, "fp16"}, {DType::kFp32, "fp32"},
                      {DType::kFp8, "fp8"});
ASTRASWEEP_ENUM_TABLE(Recompute, {Recompute::kNone, "none"}, {Recompute::kSelective, "selective"},
                      {Recompute::kFull, "full"});
ASTRASWEEP_ENUM_TABLE(Software, {Software::kCurrent, "current"},
                      {Software::kMegatron2021, "megatron-2021"});
ASTRASWEEP_ENUM_TABLE(TpOverlap, {TpOverlap::kNone, "none"}, {TpOverlap::kBackward, "backward"},
                      {TpOverlap::kFull, "full"});
ASTRASWEEP_ENUM_TABLE(Attention, {Attention::kFlash, "flash"}, {Attention::kUnfused, "unfused"});
ASTRASWEEP_ENUM_TABLE(Schedule, {Schedule::kGpipe, "gpipe"}, {Schedule::k1F1B, "1f1b"},
                      {Schedule::kInterleaved, "interleaved"});
ASTRASWEEP_ENUM_TABLE(Topology, {Topology::kRing, "ring"}, {Topology::kSwitch, "switch"},
                      {Topology::kFullyConnected, "fully_connected"});
ASTRASWEEP_ENUM_TABLE(ExecutionModel, {ExecutionModel::kAnalytical, "analytical"},
                      {ExecutionModel::kAstra, "astra"});
ASTRASWEEP_ENUM_TABLE(AstraMode, {AstraMode::kHybrid, "hybrid"},
                      {AstraMode::kHybridCongestion, "hybrid_congestion"},
                      {AstraMode::kFullAstrasim, "full_astrasim"},
                      {AstraMode::kFullAstrasimFlattened, "full_astrasim_flattened"});
ASTRASWEEP_ENUM_TABLE(SimulatorBackend, {SimulatorBackend::kBuiltin, "builtin"},
                      {SimulatorBackend::kAstrasim, "astrasim"});
ASTRASWEEP_ENUM_TABLE(NetworkModel, {NetworkModel::kCongestionUnaware, "congestion_unaware"},
                      {NetworkModel::kCongestionAware, "congestion_aware"});
ASTRASWEEP_ENUM_TABLE(CollectiveAlgorithm, {CollectiveAlgorithm::kAuto, "auto"},
                      {CollectiveAlgorithm::kRing, "ring"},
                      {CollectiveAlgorithm::kDirect, "direct"},
                      {CollectiveAlgorithm::kHalvingDoubling, "halving_doubling"},
                      {CollectiveAlgorithm::kDoubleBinaryTree, "double_binary_tree"});
#undef ASTRASWEEP_ENUM_TABLE

}  // namespace

template <typename E>
std::string_view EnumName(E value) {
  for (const auto& [v, name] : Table<E>::kEntries)
    if (v == value) return name;
  return "?";
}

template <typename E>
std::optional<E> ParseEnum(std::string_view name) {
  for (const auto& [v, n] : Table<E>::kEntries)
    if (n == name) return v;
  return std::nullopt;
}

template <typename E>
std::vector<std::string> EnumNames() {
  std::vector<std::string> names;
  for (const auto& entry : Table<E>::kEntries) names.emplace_back(entry.second);
  return names;
}

#define ASTRASWEEP_INSTANTIATE(E)                           \
  template std::string_view EnumName<E>(E);                 \
  template std::optional<E> ParseEnum<E>(std::string_view); \
  template std::vector<std::string> EnumNames<E>()
ASTRASWEEP_INSTANTIATE(Ffn);
ASTRASWEEP_INSTANTIATE(DType);
ASTRASWEEP_INSTANTIATE(Recompute);
ASTRASWEEP_INSTANTIATE(Attention);
ASTRASWEEP_INSTANTIATE(TpOverlap);
ASTRASWEEP_INSTANTIATE(Software);
ASTRASWEEP_INSTANTIATE(Schedule);
ASTRASWEEP_INSTANTIATE(Topology);
ASTRASWEEP_INSTANTIATE(ExecutionModel);
ASTRASWEEP_INSTANTIATE(AstraMode);
ASTRASWEEP_INSTANTIATE(SimulatorBackend);
ASTRASWEEP_INSTANTIATE(NetworkModel);
ASTRASWEEP_INSTANTIATE(CollectiveAlgorithm);
#undef ASTRASWEEP_INSTANTIATE

}  // namespace astrasweep::config
