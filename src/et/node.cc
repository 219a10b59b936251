// Names of node and collective types, and attribute lookup.
#include "astrasweep/et/node.h"

#include <algorithm>

namespace astrasweep::et {

const char* NodeTypeName(NodeType type) {
  switch (type) {
    case NodeType::kInvalid: return "INVALID_NODE";
    case NodeType::kMetadata: return "METADATA_NODE";
    case NodeType::kMemLoad: return "MEM_LOAD_NODE";
    case NodeType::kMemStore: return "MEM_STORE_NODE";
    case NodeType::kCompute: return "COMP_NODE";
    case NodeType::kSend: return "COMM_SEND_NODE";
    case NodeType::kRecv: return "COMM_RECV_NODE";
    case NodeType::kCollective: return "COMM_COLL_NODE";
  }
  return "UNKNOWN_NODE";
}

const char* CollectiveTypeName(CollectiveType type) {
  switch (type) {
    case CollectiveType::kAllReduce: return "ALL_REDUCE";
    case CollectiveType::kReduce: return "REDUCE";
    case CollectiveType::kAllGather: return "ALL_GATHER";
    case CollectiveType::kGather: return "GATHER";
    case CollectiveType::kScatter: return "SCATTER";
    case CollectiveType::kBroadcast: return "BROADCAST";
    case CollectiveType::kAllToAll: return "ALL_TO_ALL";
    case CollectiveType::kReduceScatter: return "REDUCE_SCATTER";
    case CollectiveType::kReduceScatterBlock: return "REDUCE_SCATTER_BLOCK";
    case CollectiveType::kBarrier: return "BARRIER";
    case CollectiveType::kInvalid: return "INVALID_COMM_TYPE";
  }
  return "UNKNOWN_COMM_TYPE";
}

const Attribute* Node::Find(std::string_view attr_name) const {
  auto it = std::find_if(attrs.begin(), attrs.end(),
                         [&](const Attribute& a) { return a.name == attr_name; });
  return it == attrs.end() ? nullptr : &*it;
}

std::optional<std::int64_t> Node::Integer(std::string_view attr_name) const {
  const Attribute* attr = Find(attr_name);
  if (attr == nullptr) return std::nullopt;
  return std::visit(
      [](const auto& value) -> std::optional<std::int64_t> {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> ||
                      std::is_same_v<T, std::uint32_t> || std::is_same_v<T, std::uint64_t>)
          return static_cast<std::int64_t>(value);
        else
          return std::nullopt;
      },
      attr->value);
}

void Node::Set(std::string attr_name, AttributeValue value) {
  for (Attribute& attr : attrs) {
    if (attr.name == attr_name) {
      attr.value = std::move(value);
      return;
    }
  }
  attrs.push_back({std::move(attr_name), std::move(value)});
}

}  // namespace astrasweep::et
