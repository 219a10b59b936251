// A table of an archive as a set of rows, for tests that compare archives
// written in different orders (resumed, sharded and merged, rerun).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "astrasweep/store/table.h"

namespace astrasweep::testing {

// A table's rows as byte strings, the columns in `skip` left out, sorted:
// equal for equal tables whatever order the rows were written in.
inline std::vector<std::string> SortedRows(const std::string& path, const std::string& name,
                                           const std::vector<std::string>& skip = {"eval_s",
                                                                                   "worker_rank"}) {
  auto file = store::File::Open(path, store::File::Access::kReadOnly);
  if (!file) {
    ADD_FAILURE() << file.error().ToString();
    return {};
  }
  auto table = store::Table::Open(*file, name);
  if (!table) {
    ADD_FAILURE() << table.error().ToString();
    return {};
  }
  store::ColumnSet columns;
  for (const store::Column& c : table->columns())
    if (std::find(skip.begin(), skip.end(), c.name) == skip.end()) columns.AddAsStored(c);
  store::RowBuffer rows(columns);
  EXPECT_TRUE(table->Read(0, table->rows(), rows));
  std::vector<std::string> out;
  for (std::size_t r = 0; r < rows.rows(); ++r)
    out.emplace_back(reinterpret_cast<const char*>(rows.data()) + r * rows.row_size(),
                     rows.row_size());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace astrasweep::testing
