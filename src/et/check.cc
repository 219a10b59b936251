// The bundle checks of check.h.
#include "astrasweep/et/check.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "astrasweep/config/node.h"
#include "astrasweep/et/trace_io.h"

namespace astrasweep::et {
namespace {

namespace fs = std::filesystem;

// A send or receive as both ends must agree on it.
struct PointToPoint {
  std::int64_t src, dst, tag, size;
  auto operator<=>(const PointToPoint&) const = default;
};

// A collective as every member of its group must issue it.
struct CollectiveCall {
  std::int64_t type, size;
  bool operator==(const CollectiveCall&) const = default;
};

Expected<int> RankCount(const fs::path& dir) {
  ASTRASWEEP_ASSIGN_OR_RETURN(config::Node network, config::LoadYamlFile((dir / "network.yml").string()));
  const config::Node* npus = network.Find("npus_count");
  if (npus == nullptr || !npus->IsList() || npus->items().empty())
    return InvalidInput("network.yml has no npus_count list", {.file = (dir / "network.yml").string()});
  long long ranks = 1;
  for (const auto& item : npus->items()) ranks *= std::stoll(item.text());
  return static_cast<int>(ranks);
}

// comm_groups.json: pg_name -> ranks; empty when the file is absent.
Expected<std::map<std::string, std::vector<int>>> Groups(const fs::path& dir) {
  std::map<std::string, std::vector<int>> groups;
  const fs::path path = dir / "comm_groups.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return groups;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  try {
    const nlohmann::json json = nlohmann::json::parse(text.str());
    for (const auto& group : json.items()) groups[group.key()] = group.value().get<std::vector<int>>();
  } catch (const nlohmann::json::exception& e) {
    return InvalidInput(std::string("not a comm_groups file: ") + e.what(), {.file = path.string()});
  }
  return groups;
}

class Checker {
 public:
  Checker(int ranks, std::map<std::string, std::vector<int>> groups, std::size_t max_problems)
      : ranks_(ranks), groups_(std::move(groups)), max_problems_(max_problems) {
    report_.ranks = ranks;
  }

  Status CheckRank(int rank, const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      Problem(fmt::format("rank {}: {} is missing", rank, path));
      return Ok();
    }
    ASTRASWEEP_ASSIGN_OR_RETURN(Trace trace, ReadTrace(path));
    report_.nodes += trace.nodes.size();
    CheckGraph(rank, trace.nodes);
    for (const Node& node : trace.nodes) CheckNode(rank, node);
    return Ok();
  }

  CheckReport Finish() {
    CheckPairs();
    return std::move(report_);
  }

 private:
  void Problem(std::string text) {
    if (report_.problems.size() < max_problems_) report_.problems.push_back(std::move(text));
  }

  static std::string Name(int rank, const Node& node) {
    return fmt::format("rank {} node {} '{}'", rank, node.id, node.name);
  }

  // Unique ids, dependencies inside the rank, no cycle (Kahn's walk).
  void CheckGraph(int rank, const std::vector<Node>& nodes) {
    std::unordered_map<std::uint64_t, std::size_t> index;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (!index.emplace(nodes[i].id, i).second)
        Problem(fmt::format("{}: the id is used twice", Name(rank, nodes[i])));
    std::vector<int> indegree(nodes.size());
    std::vector<std::vector<std::size_t>> successors(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      for (const auto* deps : {&nodes[i].ctrl_deps, &nodes[i].data_deps}) {
        for (std::uint64_t dep : *deps) {
          auto it = index.find(dep);
          if (it == index.end()) {
            Problem(fmt::format("{}: depends on node {}, which rank {} does not have",
                                Name(rank, nodes[i]), dep, rank));
            continue;
          }
          successors[it->second].push_back(i);
          ++indegree[i];
        }
      }
    }
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (indegree[i] == 0) ready.push_back(i);
    std::size_t visited = 0;
    while (!ready.empty()) {
      const std::size_t at = ready.back();
      ready.pop_back();
      ++visited;
      for (std::size_t next : successors[at])
        if (--indegree[next] == 0) ready.push_back(next);
    }
    if (visited == nodes.size()) return;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (indegree[i] > 0) {
        Problem(fmt::format("{}: its dependencies form a cycle", Name(rank, nodes[i])));
        return;
      }
  }

  std::optional<std::int64_t> Required(int rank, const Node& node, const char* attr) {
    auto value = node.Integer(attr);
    if (!value)
      Problem(fmt::format("{}: no integer attribute '{}' (AstraSim reads it from an int field)",
                          Name(rank, node), attr));
    return value;
  }

  void CheckNode(int rank, const Node& node) {
    switch (node.type) {
      case NodeType::kCompute: return;
      case NodeType::kSend:
      case NodeType::kRecv: return CheckPointToPoint(rank, node);
      case NodeType::kCollective: return CheckCollective(rank, node);
      default:
        Problem(fmt::format("{}: a {}, which AstraSim's analytical binaries do not run",
                            Name(rank, node), NodeTypeName(node.type)));
    }
  }

  void CheckPointToPoint(int rank, const Node& node) {
    const auto src = Required(rank, node, "comm_src"), dst = Required(rank, node, "comm_dst");
    const auto tag = Required(rank, node, "comm_tag"), size = Required(rank, node, "comm_size");
    if (!src || !dst || !tag || !size) return;
    const bool send = node.type == NodeType::kSend;
    if ((send ? *src : *dst) != rank)
      Problem(fmt::format("{}: a {} whose comm_{} is {}, not this rank", Name(rank, node),
                          send ? "send" : "receive", send ? "src" : "dst", send ? *src : *dst));
    (send ? sends_ : receives_).push_back({*src, *dst, *tag, *size});
    if (send) ++report_.sends;
  }

  void CheckCollective(int rank, const Node& node) {
    const auto type = Required(rank, node, "comm_type"), size = Required(rank, node, "comm_size");
    if (!type || !size) return;
    std::string group;
    if (const Attribute* pg = node.Find("pg_name")) {
      if (const auto* text = std::get_if<std::string>(&pg->value)) {
        group = *text;
      } else {
        Problem(fmt::format("{}: pg_name is not a string_val", Name(rank, node)));
        return;
      }
      if (!groups_.contains(group)) {
        Problem(fmt::format("{}: group '{}' is not in comm_groups.json", Name(rank, node), group));
        return;
      }
    }
    ++report_.collectives;
    Compare(group, rank, node, {*type, *size}, issued_[group][rank]++);
  }

  // The first member to issue a group's n-th collective sets it; every other
  // member must issue the same. Only that sequence is kept, not every
  // member's.
  void Compare(const std::string& group, int rank, const Node& node, CollectiveCall call,
               std::size_t n) {
    auto& reference = reference_[group];
    if (n == reference.size()) {
      reference.push_back(call);
      return;
    }
    if (!(reference[n] == call))
      Problem(fmt::format(
          "{}: collective {} of group '{}' is type {} of {} bytes, but another member's is type {} "
          "of {} bytes (AstraSim matches a group's collectives by issue order)",
          Name(rank, node), n, group.empty() ? "all" : group, call.type, call.size,
          reference[n].type, reference[n].size));
  }

  void CheckPairs() {
    std::sort(sends_.begin(), sends_.end());
    std::sort(receives_.begin(), receives_.end());
    std::vector<PointToPoint> unmatched_sends, unmatched_receives;
    std::set_difference(sends_.begin(), sends_.end(), receives_.begin(), receives_.end(),
                        std::back_inserter(unmatched_sends));
    std::set_difference(receives_.begin(), receives_.end(), sends_.begin(), sends_.end(),
                        std::back_inserter(unmatched_receives));
    for (const auto& s : unmatched_sends)
      Problem(fmt::format("rank {}: a send to rank {} (tag {}, {} bytes) has no matching receive",
                          s.src, s.dst, s.tag, s.size));
    for (const auto& r : unmatched_receives)
      Problem(fmt::format("rank {}: a receive from rank {} (tag {}, {} bytes) has no matching send",
                          r.dst, r.src, r.tag, r.size));
    for (const auto& [group, by_rank] : issued_) {
      const std::size_t expected = reference_[group].size();
      for (int rank : Members(group)) {
        const auto it = by_rank.find(rank);
        const std::size_t issued = it == by_rank.end() ? 0 : it->second;
        if (issued != expected)
          Problem(fmt::format("rank {}: issues {} collectives of group '{}', another member {}",
                              rank, issued, group.empty() ? "all" : group, expected));
      }
    }
  }

  std::vector<int> Members(const std::string& group) const {
    if (!group.empty()) return groups_.at(group);
    std::vector<int> all(static_cast<std::size_t>(ranks_));
    for (int r = 0; r < ranks_; ++r) all[static_cast<std::size_t>(r)] = r;
    return all;
  }

  int ranks_;
  std::map<std::string, std::vector<int>> groups_;
  std::size_t max_problems_;
  CheckReport report_;
  std::vector<PointToPoint> sends_, receives_;
  std::map<std::string, std::map<int, std::size_t>> issued_;  // group -> rank -> count
  std::map<std::string, std::vector<CollectiveCall>> reference_;
};

}  // namespace

Expected<CheckReport> CheckBundle(const std::string& dir, const std::string& prefix,
                                  std::size_t max_problems) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const int ranks, RankCount(dir));
  ASTRASWEEP_ASSIGN_OR_RETURN(auto groups, Groups(dir));
  Checker checker(ranks, std::move(groups), max_problems);
  for (int rank = 0; rank < ranks; ++rank)
    ASTRASWEEP_RETURN_IF_ERROR(
        checker.CheckRank(rank, TracePath((fs::path(dir) / prefix).string(), rank)));
  return checker.Finish();
}

}  // namespace astrasweep::et
