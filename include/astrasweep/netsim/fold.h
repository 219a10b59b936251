// Folding a symmetric workload: ranks that an et::RankSymmetry claims
// interchangeable (their traces images of one another) finish at the same
// times when the network and the collective algorithms keep the symmetry
// too, so the builtin simulator can run one rank per orbit (SimulateFolded
// in builtin.h): a message a simulated rank sends to a folded one arrives
// at the folded rank's representative as if from the sender's image.
//
// What Check proves on the setup and the representatives' traces, for
// every shift g of the symmetry, before it folds:
// - links are not shared (congestion unaware): a message's delay depends on
//   its endpoints alone;
// - every pair of ranks a representative can exchange messages with (its
//   sends' and receives' peers, the members of every list its collectives
//   run over) maps to a pair that crosses the same network dimension first
//   and, on a Ring, as many hops: the same delay;
// - every list a collective runs over (a comm group's ring, a dimension's
//   line through the rank, the one* implementations' flat ring) maps onto
//   the list the image rank runs over, rotated only where the algorithm is
//   ring or direct (each step relative to the rank's own position);
//   halvingDoubling and doubleBinaryTree depend on absolute positions and
//   need the list unrotated. Every algorithm a collective of any kind may
//   run with on that list is held to this.
// - a comm group's image is exactly one comm group (stream tags carry it).
// That the traces themselves are images of one another is the builder's
// claim (et::FlattenedWorkload's is checked by its test).
//
// Events of the same nanosecond run in the order they were scheduled, as
// in AstraSim. A folded message is scheduled by its real sender, not by
// the image sender the whole simulation would have, so its place among a
// receiver's events of that very nanosecond may differ; the answer changes
// only if that decides which of two ready nodes takes a slot. fold_test
// compares folded and whole simulations rank by rank to catch that.
#pragma once

#include <expected>
#include <string>
#include <unordered_map>
#include <vector>

#include "astrasweep/et/rank_symmetry.h"
#include "astrasweep/netsim/builtin.h"

namespace astrasweep::netsim {

class FoldMap {
 public:
  // The fold of `symmetry` on `setup`, `representatives` holding the traces
  // of symmetry.Representatives() in order; or why it does not hold (then
  // simulate every rank: nothing is approximated).
  static std::expected<FoldMap, std::string> Check(const Setup& setup,
                                                   const et::RankSymmetry& symmetry,
                                                   const Traces& representatives,
                                                   Congestion congestion);

  const et::RankSymmetry& symmetry() const { return symmetry_; }
  const std::vector<int>& representatives() const { return representatives_; }

  // Where a message from `src` to `dst` (of a collective on comm group
  // `group`, or 0) is received in the folded simulation: `dst` itself when
  // it is a representative, else its representative, from the image of
  // `src` under the shift that takes `dst` there, on the group's image.
  struct Route {
    int src, dst, group;
  };
  Route Deliver(int src, int dst, int group) const;

 private:
  explicit FoldMap(et::RankSymmetry symmetry) : symmetry_(std::move(symmetry)) {}

  et::RankSymmetry symmetry_;
  std::vector<int> representatives_;
  // group id -> its image under each shift
  std::unordered_map<int, std::vector<int>> group_images_;
};

}  // namespace astrasweep::netsim
