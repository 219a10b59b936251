// Attribute kinds map one to one onto the oneof fields of AttributeProto.
#include "proto_convert.h"

namespace astrasweep::et {
namespace {

template <typename List, typename Values>
void FillList(List* list, const Values& values) {
  list->mutable_values()->Reserve(static_cast<int>(values.size()));
  for (const auto& value : values) list->add_values(value);
}

void ToProto(const Attribute& attr, chakra::AttributeProto& out) {
  out.set_name(attr.name);
  std::visit(
      [&out](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, bool>) out.set_bool_val(value);
        else if constexpr (std::is_same_v<T, std::int32_t>) out.set_int32_val(value);
        else if constexpr (std::is_same_v<T, std::int64_t>) out.set_int64_val(value);
        else if constexpr (std::is_same_v<T, std::uint32_t>) out.set_uint32_val(value);
        else if constexpr (std::is_same_v<T, std::uint64_t>) out.set_uint64_val(value);
        else if constexpr (std::is_same_v<T, float>) out.set_float_val(value);
        else if constexpr (std::is_same_v<T, double>) out.set_double_val(value);
        else if constexpr (std::is_same_v<T, std::string>) out.set_string_val(value);
        else if constexpr (std::is_same_v<T, std::vector<bool>>)
          FillList(out.mutable_bool_list(), value);
        else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>)
          FillList(out.mutable_int64_list(), value);
        else
          FillList(out.mutable_uint64_list(), value);
      },
      attr.value);
}

template <typename Proto>
std::vector<typename std::decay_t<decltype(Proto().values(0))>> ListOf(const Proto& list) {
  return {list.values().begin(), list.values().end()};
}

Status FromProto(const chakra::AttributeProto& attr, Attribute& out) {
  using P = chakra::AttributeProto;
  out.name = attr.name();
  switch (attr.value_case()) {
    case P::kBoolVal: out.value = attr.bool_val(); break;
    case P::kInt32Val: out.value = attr.int32_val(); break;
    case P::kInt64Val: out.value = attr.int64_val(); break;
    case P::kUint32Val: out.value = attr.uint32_val(); break;
    case P::kUint64Val: out.value = attr.uint64_val(); break;
    case P::kFloatVal: out.value = attr.float_val(); break;
    case P::kDoubleVal: out.value = attr.double_val(); break;
    case P::kStringVal: out.value = attr.string_val(); break;
    case P::kBoolList: out.value = ListOf(attr.bool_list()); break;
    case P::kInt64List: out.value = ListOf(attr.int64_list()); break;
    case P::kUint64List: out.value = ListOf(attr.uint64_list()); break;
    default:
      return InvalidInput("attribute '" + attr.name() + "' has a value kind (field " +
                          std::to_string(static_cast<int>(attr.value_case())) +
                          " of AttributeProto) astrasweep does not read");
  }
  return Ok();
}

template <typename Attrs>
Status AttributesFromProto(const Attrs& attrs, std::vector<Attribute>& out) {
  out.resize(static_cast<std::size_t>(attrs.size()));
  for (int i = 0; i < attrs.size(); ++i)
    ASTRASWEEP_RETURN_IF_ERROR(FromProto(attrs.Get(i), out[static_cast<std::size_t>(i)]));
  return Ok();
}

void IoToProto(const IoInfo& io, chakra::IOInfo& out) {
  out.set_values(io.values);
  out.set_shapes(io.shapes);
  out.set_types(io.types);
}

IoInfo IoFromProto(const chakra::IOInfo& io) { return {io.values(), io.shapes(), io.types()}; }

}  // namespace

void ToProto(const Node& node, chakra::Node& out) {
  out.Clear();
  out.set_id(node.id);
  out.set_name(node.name);
  out.set_type(static_cast<chakra::NodeType>(node.type));
  out.mutable_ctrl_deps()->Add(node.ctrl_deps.begin(), node.ctrl_deps.end());
  out.mutable_data_deps()->Add(node.data_deps.begin(), node.data_deps.end());
  out.set_start_time_micros(node.start_time_micros);
  out.set_duration_micros(node.duration_micros);
  if (!node.inputs.empty()) IoToProto(node.inputs, *out.mutable_inputs());
  if (!node.outputs.empty()) IoToProto(node.outputs, *out.mutable_outputs());
  for (const Attribute& attr : node.attrs) ToProto(attr, *out.add_attr());
}

void ToProto(const GlobalMetadata& metadata, chakra::GlobalMetadata& out) {
  out.Clear();
  out.set_version(metadata.version);
  for (const Attribute& attr : metadata.attrs) ToProto(attr, *out.add_attr());
}

Status FromProto(const chakra::Node& node, Node& out) {
  out.id = node.id();
  out.name = node.name();
  out.type = static_cast<NodeType>(node.type());
  out.ctrl_deps.assign(node.ctrl_deps().begin(), node.ctrl_deps().end());
  out.data_deps.assign(node.data_deps().begin(), node.data_deps().end());
  out.start_time_micros = node.start_time_micros();
  out.duration_micros = node.duration_micros();
  out.inputs = node.has_inputs() ? IoFromProto(node.inputs()) : IoInfo{};
  out.outputs = node.has_outputs() ? IoFromProto(node.outputs()) : IoInfo{};
  return AttributesFromProto(node.attr(), out.attrs);
}

Status FromProto(const chakra::GlobalMetadata& metadata, GlobalMetadata& out) {
  out.version = metadata.version();
  return AttributesFromProto(metadata.attr(), out.attrs);
}

}  // namespace astrasweep::et
