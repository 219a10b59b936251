// The /points columns a report reads, each by its name in the file: the
// swept keys as the spec writes them (parallelism.tp, model, gpus) and the
// fixed and result columns (status, tokens_per_s, peak_mem_bytes). Each is
// read once, with the type the file stores (HDF5 names a member of a
// compound type once), so the --where filter, --group-by and the lists can
// ask for the same column.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/exec/result_fields.h"
#include "stored_columns.h"

namespace astrasweep::store {

class PointColumns {
 public:
  // The columns every report reads; an error when /points lacks one.
  static Expected<PointColumns> Open(const Table& points);

  // The column of that name, read from now on. An unknown name is an error
  // naming the near names and what /points has; a config key the sweep
  // does not vary says so.
  Expected<StoredCol> Find(const std::string& name);
  const ColumnSet& set() const { return set_; }

  std::uint64_t Index(const RowBuffer& rows, std::size_t r) const;
  std::string_view Status(const RowBuffer& rows, std::size_t r) const;
  double TokensPerS(const RowBuffer& rows, std::size_t r) const;
  double PeakMemBytes(const RowBuffer& rows, std::size_t r) const;
  static double Number(const RowBuffer& rows, std::size_t r, const StoredCol& column);
  static std::string Text(const RowBuffer& rows, std::size_t r, const StoredCol& column) {
    return rows.Text(r, StoredIndex(column));
  }

  // The swept keys' columns, in /points order.
  const std::vector<std::string>& swept_names() const { return swept_names_; }
  // A point as the lists show it: its index, the summary fields of
  // exec::ResultFields(), then the swept keys but those in `except`.
  std::vector<std::string> SummaryHeader(std::span<const std::string> except = {}) const;
  std::vector<std::string> SummaryCells(const RowBuffer& rows, std::size_t r,
                                        std::span<const std::string> except = {}) const;
  // The swept keys' cells alone.
  std::vector<std::string> SweptCells(const RowBuffer& rows, std::size_t r,
                                      std::span<const std::string> except = {}) const;

 private:
  struct SummaryColumn {
    const exec::ResultField* field;
    StoredCol column;
  };
  explicit PointColumns(const Table& points);
  StoredCol Add(const Column& column);
  std::string Listing() const;

  std::vector<Column> table_columns_;
  ColumnSet set_;
  std::map<std::string, StoredCol, std::less<>> added_;
  StoredCol index_, status_, tokens_per_s_, peak_mem_bytes_;
  std::vector<SummaryColumn> summary_;
  std::vector<StoredCol> swept_;
  std::vector<std::string> swept_names_;
};

}  // namespace astrasweep::store
