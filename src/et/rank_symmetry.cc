// Shifts as mixed-radix numbers over the cyclic axes, applied coordinate
// by coordinate.
#include "astrasweep/et/rank_symmetry.h"

namespace astrasweep::et {

RankSymmetry::RankSymmetry(std::vector<RankAxis> axes) : axes_(std::move(axes)) {
  for (const RankAxis& axis : axes_) {
    strides_.push_back(ranks_);
    ranks_ *= axis.size;
    shift_strides_.push_back(axis.cyclic ? shifts_ : 0);
    if (axis.cyclic) shifts_ *= axis.size;
  }
}

std::vector<int> RankSymmetry::Representatives() const {
  std::vector<int> out;
  for (int rank = 0; rank < ranks_; ++rank)
    if (Representative(rank) == rank) out.push_back(rank);
  return out;
}

int RankSymmetry::Representative(int rank) const {
  return Apply(ShiftToRepresentative(rank), rank);
}

int RankSymmetry::ShiftToRepresentative(int rank) const {
  int shift = 0;
  for (std::size_t k = 0; k < axes_.size(); ++k) {
    if (!axes_[k].cyclic) continue;
    const int n = axes_[k].size;
    const int coordinate = (rank / strides_[k]) % n;
    shift += ((n - coordinate) % n) * shift_strides_[k];
  }
  return shift;
}

int RankSymmetry::Apply(int shift, int rank) const {
  for (std::size_t k = 0; k < axes_.size(); ++k) {
    if (!axes_[k].cyclic) continue;
    const int n = axes_[k].size;
    const int coordinate = (rank / strides_[k]) % n;
    const int by = (shift / shift_strides_[k]) % n;
    rank += ((coordinate + by) % n - coordinate) * strides_[k];
  }
  return rank;
}

std::string RankSymmetry::ToString() const {
  std::string out;
  for (const RankAxis& axis : axes_) {
    if (!out.empty()) out += " x ";
    out += axis.name + " " + std::to_string(axis.size) + (axis.cyclic ? " cyclic" : "");
  }
  return out;
}

}  // namespace astrasweep::et
