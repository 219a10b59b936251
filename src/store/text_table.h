// Columns of text aligned for a terminal, as inspect prints its lists:
// right-aligned (numbers line up) unless a column is set to the left. A
// row with fewer cells than the header ends in a note that runs on past
// the columns ("no point ok: 12 infeasible"), and does not widen them.
#pragma once

#include <string>
#include <vector>

namespace astrasweep::store {

class TextTable {
 public:
  enum class Align { kRight, kLeft };
  explicit TextTable(std::vector<std::string> header);
  void SetAlign(std::size_t column, Align align);
  void Add(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  // The header and the rows, each line ending in '\n'.
  std::string Text() const;

 private:
  std::vector<std::string> header_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace astrasweep::store
