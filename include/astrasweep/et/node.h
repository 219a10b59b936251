// One rank's execution trace in memory, as plain values: the Chakra ET
// nodes AstraSim runs (compute, send, receive, collective), their
// dependencies and attributes. The protobuf wire form stays inside the et
// module (trace_io.h reads and writes it); everything else, builders and
// simulators alike, works on these types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace astrasweep::et {

// Chakra's NodeType numbers.
enum class NodeType : int {
  kInvalid = 0,
  kMetadata = 1,
  kMemLoad = 2,
  kMemStore = 3,
  kCompute = 4,
  kSend = 5,
  kRecv = 6,
  kCollective = 7,
};
const char* NodeTypeName(NodeType type);  // "COMP_NODE", ...

// Chakra's CollectiveCommType numbers: the comm_type of a collective.
enum class CollectiveType : int {
  kAllReduce = 0,
  kReduce = 1,
  kAllGather = 2,
  kGather = 3,
  kScatter = 4,
  kBroadcast = 5,
  kAllToAll = 6,
  kReduceScatter = 7,
  kReduceScatterBlock = 8,
  kBarrier = 9,
  kInvalid = 99,
};
const char* CollectiveTypeName(CollectiveType type);  // "ALL_REDUCE", ...

// The value kinds of Chakra's AttributeProto this project reads and
// writes. The kind is part of the meaning: AstraSim reads comm_size from
// int64_val, pg_name from string_val, involved_dim from bool_list.
using AttributeValue =
    std::variant<bool, std::int32_t, std::int64_t, std::uint32_t, std::uint64_t, float, double,
                 std::string, std::vector<bool>, std::vector<std::int64_t>,
                 std::vector<std::uint64_t>>;

struct Attribute {
  std::string name;
  AttributeValue value;
  bool operator==(const Attribute&) const = default;
};

// What a profiler recorded of a node's inputs or outputs, as text.
struct IoInfo {
  std::string values, shapes, types;
  bool empty() const { return values.empty() && shapes.empty() && types.empty(); }
  bool operator==(const IoInfo&) const = default;
};

struct Node {
  std::uint64_t id = 0;
  std::string name;
  NodeType type = NodeType::kInvalid;
  std::vector<std::uint64_t> ctrl_deps;  // order only
  std::vector<std::uint64_t> data_deps;  // order and data
  std::uint64_t start_time_micros = 0;
  std::uint64_t duration_micros = 0;  // compute nodes: how long they run
  IoInfo inputs, outputs;
  std::vector<Attribute> attrs;

  bool operator==(const Node&) const = default;

  // The attribute named `name`, or null.
  const Attribute* Find(std::string_view name) const;
  // An integer attribute of any integer kind, or nullopt when absent or
  // not an integer.
  std::optional<std::int64_t> Integer(std::string_view name) const;
  // Sets (or replaces) an attribute.
  void Set(std::string name, AttributeValue value);
};

// The first message of a rank's file.
struct GlobalMetadata {
  std::string version;
  std::vector<Attribute> attrs;
  bool operator==(const GlobalMetadata&) const = default;
};

// The version string this project writes into GlobalMetadata (Chakra's
// schema version that AstraSim's reader accepts).
inline constexpr std::string_view kChakraVersion = "0.0.4";

}  // namespace astrasweep::et
