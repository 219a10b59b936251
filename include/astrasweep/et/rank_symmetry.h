// A symmetry a bundle builder claims of its ranks: the ranks are the points
// of a grid of axes, innermost first (rank = sum of coordinate_k x
// stride_k), and along its cyclic axes every rank's trace is its
// neighbour's with the peer ranks shifted and the comm groups mapped
// alike. The flattened bundle claims it of the tensor-parallel ranks and
// the data-parallel replicas of each stage. A simulator may then simulate
// one rank of each orbit, once netsim/fold.h has checked that the network
// and the collective algorithms keep the symmetry too.
#pragma once

#include <string>
#include <vector>

namespace astrasweep::et {

struct RankAxis {
  std::string name;  // "tp"
  int size = 1;
  bool cyclic = false;  // traces invariant under cyclic shifts along the axis
};

class RankSymmetry {
 public:
  explicit RankSymmetry(std::vector<RankAxis> axes);

  const std::vector<RankAxis>& axes() const { return axes_; }
  int ranks() const { return ranks_; }
  // The shifts of the symmetry (the product of the cyclic axes' sizes):
  // the ranks of an orbit. Shift 0 moves nothing.
  int shifts() const { return shifts_; }

  // The ranks whose cyclic coordinates are all 0, ascending: one per orbit.
  std::vector<int> Representatives() const;
  int Representative(int rank) const;
  // The shift that takes `rank` to its representative.
  int ShiftToRepresentative(int rank) const;
  // `rank` moved by `shift` (in [0, shifts())).
  int Apply(int shift, int rank) const;

  // "tp 8 cyclic x pp 8 x dp 16 cyclic": logs and cache keys.
  std::string ToString() const;

 private:
  std::vector<RankAxis> axes_;
  std::vector<int> strides_;        // of each axis among the ranks
  std::vector<int> shift_strides_;  // of each cyclic axis among the shifts (0: not cyclic)
  int ranks_ = 1, shifts_ = 1;
};

}  // namespace astrasweep::et
