// The fold's check: the representatives' traces say which ranks they talk
// to and over which comm groups; every shift of the symmetry must keep
// those pairs' delays and those lists' algorithms (see fold.h).
#include "astrasweep/netsim/fold.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "astrasweep/et/astrasim_files.h"
#include "network_rules.h"

namespace astrasweep::netsim {
namespace {

using Algorithm = config::CollectiveAlgorithm;

constexpr model::Collective kCollectives[] = {
    model::Collective::kAllReduce, model::Collective::kAllGather, model::Collective::kReduceScatter,
    model::Collective::kAllToAll};

// What a representative's trace uses: the ranks it sends to and receives
// from, and the comm groups of its collectives (0: none).
struct Usage {
  std::set<int> peers;
  std::set<int> groups;
};

std::expected<Usage, std::string> UsageOf(const std::vector<et::Node>& trace, int rank) {
  Usage usage;
  for (const et::Node& node : trace) {
    if (node.type == et::NodeType::kSend || node.type == et::NodeType::kRecv) {
      const auto peer = node.Integer(node.type == et::NodeType::kSend ? "comm_dst" : "comm_src");
      if (peer) usage.peers.insert(static_cast<int>(*peer));
      continue;
    }
    if (node.type != et::NodeType::kCollective) continue;
    const auto group = CommGroupOf(node);
    if (!group)
      return std::unexpected("rank " + std::to_string(rank) + ", node " + std::to_string(node.id) +
                             ": " + group.error());
    usage.groups.insert(*group);
  }
  return usage;
}

// The position `mapped` is rotated by against `target` (mapped[i] ==
// target[(i + k) % n] for all i), or nullopt when it is not a rotation.
std::optional<std::size_t> Rotation(const std::vector<int>& mapped,
                                    const std::vector<int>& target) {
  if (mapped.size() != target.size() || mapped.empty()) return std::nullopt;
  const auto at = std::find(target.begin(), target.end(), mapped[0]);
  if (at == target.end()) return std::nullopt;
  const auto k = static_cast<std::size_t>(at - target.begin());
  for (std::size_t i = 0; i < mapped.size(); ++i)
    if (mapped[i] != target[(i + k) % target.size()]) return std::nullopt;
  return k;
}

// Ring and direct step relative to a member's own position.
bool RotationInvariant(Algorithm algorithm) {
  return algorithm == Algorithm::kRing || algorithm == Algorithm::kDirect;
}

// The algorithms of `algorithms` that are not rotation invariant, by name.
std::string PositionalNames(const std::set<Algorithm>& algorithms) {
  std::string out;
  for (Algorithm algorithm : algorithms) {
    if (RotationInvariant(algorithm)) continue;
    if (!out.empty()) out += " and ";
    out += et::AstraName(algorithm);
  }
  return out;
}

class Checker {
 public:
  Checker(const Setup& setup, const et::RankSymmetry& symmetry)
      : setup_(setup), symmetry_(symmetry), strides_(Strides(setup.network)) {
    for (const auto& [id, members] : setup.comm_groups) {
      std::vector<int> sorted = members;
      std::sort(sorted.begin(), sorted.end());
      groups_by_members_[sorted].push_back(id);
    }
  }

  // Why `rank`'s use of the network breaks the symmetry; empty: it does not.
  std::string CheckRank(int rank, const Usage& usage,
                        std::unordered_map<int, std::vector<int>>& images) {
    for (int peer : usage.peers)
      if (auto why = CheckPair(rank, peer); !why.empty()) return why;
    for (int group : usage.groups) {
      if (auto why = CheckCollectives(rank, group, images); !why.empty()) return why;
    }
    return {};
  }

 private:
  // What a message's unaware delay depends on besides its size.
  Crossing CrossingBetween(int a, int b) const { return CrossingOf(setup_.network, strides_, a, b); }

  std::string CheckPair(int rank, int peer) const {
    if (peer < 0 || peer >= symmetry_.ranks()) return {};  // the simulation reports it
    const Crossing crossing = CrossingBetween(rank, peer);
    for (int shift = 1; shift < symmetry_.shifts(); ++shift) {
      const int a = symmetry_.Apply(shift, rank), b = symmetry_.Apply(shift, peer);
      if (CrossingBetween(a, b) != crossing)
        return "ranks " + std::to_string(a) + " and " + std::to_string(b) +
               " are not as far apart on the network as ranks " + std::to_string(rank) + " and " +
               std::to_string(peer);
    }
    return {};
  }

  std::string CheckPairs(int rank, const std::vector<int>& members) const {
    for (int member : members)
      if (member != rank)
        if (auto why = CheckPair(rank, member); !why.empty()) return why;
    return {};
  }

  std::vector<int> Line(int rank, std::size_t d) const {
    return DimensionLine(rank, setup_.network[d].npus, strides_[d]);
  }

  std::vector<int> Mapped(int shift, const std::vector<int>& members) const {
    std::vector<int> out;
    out.reserve(members.size());
    for (int member : members) out.push_back(symmetry_.Apply(shift, member));
    return out;
  }

  // `list` (a collective of `rank` runs over it with `algorithms`) against
  // what the image of `rank` under each shift runs over (`image_list`).
  template <class ImageList>
  std::string CheckList(int rank, const std::vector<int>& list,
                        const std::set<Algorithm>& algorithms, const std::string& what,
                        ImageList image_list) const {
    if (auto why = CheckPairs(rank, list); !why.empty()) return why;
    const bool rotates = std::all_of(algorithms.begin(), algorithms.end(), RotationInvariant);
    for (int shift = 1; shift < symmetry_.shifts(); ++shift) {
      const auto mapped = Mapped(shift, list);
      const auto rotation = Rotation(mapped, image_list(shift, mapped));
      if (!rotation)
        return what + " of rank " + std::to_string(rank) + " does not map onto that of rank " +
               std::to_string(symmetry_.Apply(shift, rank));
      if (*rotation != 0 && !rotates)
        return what + " of rank " + std::to_string(rank) + " maps onto a rotated list and runs " +
               PositionalNames(algorithms) + ", which steps by absolute positions";
    }
    return {};
  }

  // The one comm group whose members are `mapped`'s, or -1.
  int GroupOf(const std::vector<int>& mapped) const {
    std::vector<int> sorted = mapped;
    std::sort(sorted.begin(), sorted.end());
    const auto it = groups_by_members_.find(sorted);
    return it == groups_by_members_.end() || it->second.size() != 1 ? -1 : it->second[0];
  }

  std::string CheckCollectives(int rank, int group,
                               std::unordered_map<int, std::vector<int>>& images) {
    const std::vector<int>* members = nullptr;
    if (group != 0) {
      const auto it = setup_.comm_groups.find(group);
      if (it == setup_.comm_groups.end())
        return "comm group " + std::to_string(group) + " is not defined";
      members = &it->second;
      auto& image = images[group];
      image.assign(static_cast<std::size_t>(symmetry_.shifts()), group);
      for (int shift = 1; shift < symmetry_.shifts(); ++shift) {
        image[static_cast<std::size_t>(shift)] = GroupOf(Mapped(shift, *members));
        if (image[static_cast<std::size_t>(shift)] < 0)
          return "comm group " + std::to_string(group) +
                 " does not map onto exactly one comm group";
      }
      if (static_cast<int>(members->size()) != setup_.npus()) {
        std::set<Algorithm> algorithms;
        for (auto kind : kCollectives)
          algorithms.insert(GroupImplementation(setup_.system.Implementations(kind)).algorithm);
        return CheckList(rank, *members, algorithms, "comm group " + std::to_string(group),
                         [&](int shift, const std::vector<int>&) -> const std::vector<int>& {
                           return setup_.comm_groups.at(image[static_cast<std::size_t>(shift)]);
                         });
      }
    }
    // The whole network: dimension by dimension, or one flat ring.
    for (auto kind : kCollectives) {
      for (const auto& impl : setup_.system.Implementations(kind)) {
        if (!impl.one) continue;
        std::vector<int> all(static_cast<std::size_t>(setup_.npus()));
        for (int r = 0; r < setup_.npus(); ++r) all[static_cast<std::size_t>(r)] = r;
        if (auto why = CheckList(rank, all, {impl.algorithm}, "the flat ring",
                                 [&](int, const std::vector<int>&) { return all; });
            !why.empty())
          return why;
      }
      const auto& impls = setup_.system.Implementations(kind);
      for (std::size_t d = 0; d < setup_.network.size() && d < impls.size(); ++d) {
        if (setup_.network[d].npus < 2 || impls[d].one) continue;
        if (auto why = CheckList(rank, Line(rank, d), {impls[d].algorithm},
                                 "the line of dimension " + std::to_string(d),
                                 [&](int shift, const std::vector<int>&) {
                                   return Line(symmetry_.Apply(shift, rank), d);
                                 });
            !why.empty())
          return why;
      }
    }
    return {};
  }

  const Setup& setup_;
  const et::RankSymmetry& symmetry_;
  std::vector<int> strides_;
  std::map<std::vector<int>, std::vector<int>> groups_by_members_;
};

}  // namespace

std::expected<FoldMap, std::string> FoldMap::Check(const Setup& setup,
                                                   const et::RankSymmetry& symmetry,
                                                   const Traces& representatives,
                                                   Congestion congestion) {
  if (congestion != Congestion::kUnaware)
    return std::unexpected(
        std::string("congestion-aware links are shared, so a rank's timing depends on "
                    "every rank's traffic"));
  if (symmetry.ranks() != setup.npus())
    return std::unexpected("the symmetry has " + std::to_string(symmetry.ranks()) +
                           " ranks, the network " + std::to_string(setup.npus()));
  if (symmetry.shifts() < 2) return std::unexpected(std::string("no rank is folded onto another"));
  FoldMap fold(symmetry);
  fold.representatives_ = symmetry.Representatives();
  if (representatives.size() != fold.representatives_.size())
    return std::unexpected("the symmetry has " + std::to_string(fold.representatives_.size()) +
                           " representatives, but there are " +
                           std::to_string(representatives.size()) + " traces");
  Checker checker(setup, symmetry);
  for (std::size_t i = 0; i < representatives.size(); ++i) {
    const int rank = fold.representatives_[i];
    auto usage = UsageOf(representatives[i], rank);
    if (!usage) return std::unexpected(usage.error());
    if (auto why = checker.CheckRank(rank, *usage, fold.group_images_); !why.empty())
      return std::unexpected(why);
  }
  return fold;
}

FoldMap::Route FoldMap::Deliver(int src, int dst, int group) const {
  const int shift = symmetry_.ShiftToRepresentative(dst);
  if (shift == 0) return {src, dst, group};
  return {symmetry_.Apply(shift, src), symmetry_.Apply(shift, dst),
          group == 0 ? 0 : group_images_.at(group)[static_cast<std::size_t>(shift)]};
}

}  // namespace astrasweep::netsim
