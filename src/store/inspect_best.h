// inspect's rankings by throughput: the best points of the archive, and
// with --group-by the best point of each group of points that share the
// values of some columns ("best point per model", "selective vs full
// recompute"). Points are fed one row at a time; a ranking keeps a few
// rows' cells, never the table.
#pragma once

#include <cstdint>
#include <map>
#include <queue>
#include <string>
#include <vector>

#include "point_columns.h"

namespace astrasweep::store {

// A point in a ranking: its throughput, index and cells. Higher
// throughput first; the lower index breaks a tie.
struct RankedPoint {
  double tokens_per_s = 0;
  std::uint64_t index = 0;
  std::vector<std::string> cells;
  bool operator>(const RankedPoint& other) const {
    return tokens_per_s != other.tokens_per_s ? tokens_per_s > other.tokens_per_s
                                              : index < other.index;
  }
};

// The best `top` points that are ok.
class BestPoints {
 public:
  BestPoints(const PointColumns& columns, std::size_t top) : columns_(&columns), top_(top) {}
  void Visit(const RowBuffer& rows, std::size_t r);
  std::string Text();

 private:
  const PointColumns* columns_;  // not null
  std::size_t top_;
  std::priority_queue<RankedPoint, std::vector<RankedPoint>, std::greater<RankedPoint>>
      best_;  // a min-heap of the top
};

// The best point of each group, one row per group in the order of its
// values (numbers as numbers); a group with no point ok says what its
// points are instead.
class BestPerGroup {
 public:
  // More groups than this is a mistake (a column of measurements).
  static constexpr std::size_t kMaxGroups = 1000;
  static Expected<BestPerGroup> Create(PointColumns& columns, std::vector<std::string> keys);
  Status Visit(const RowBuffer& rows, std::size_t r);
  std::string Text() const;

 private:
  struct KeyCell {
    double number;  // NaN for text
    std::string text;
    bool operator<(const KeyCell& other) const;
  };
  struct Group {
    std::map<std::string, std::uint64_t, std::less<>> by_status;
    std::uint64_t points = 0;
    std::optional<RankedPoint> best;
  };
  BestPerGroup(const PointColumns& columns, std::vector<std::string> keys)
      : columns_(&columns), keys_(std::move(keys)) {}

  const PointColumns* columns_;  // not null
  std::vector<std::string> keys_;
  std::vector<StoredCol> key_columns_;
  std::map<std::vector<KeyCell>, Group> groups_;
};

}  // namespace astrasweep::store
