// The /points columns a report reads, and how a point is shown in a list.
#include "point_columns.h"

#include <algorithm>
#include <cmath>

#include "astrasweep/base/strings.h"
#include "astrasweep/config/schema.h"

namespace astrasweep::store {
namespace {

bool Excluded(std::span<const std::string> except, const std::string& name) {
  return std::find(except.begin(), except.end(), name) != except.end();
}

// The columns a mistyped `name` may mean: those it ends a key path of
// ("tp": parallelism.tp), then the closest by spelling.
std::vector<std::string> NearNames(const std::string& name, const std::vector<std::string>& names) {
  std::vector<std::string> near;
  for (const std::string& column : names)
    if (column.ends_with("." + name)) near.push_back(column);
  for (std::string& close : CloseMatches(name, names))
    if (std::find(near.begin(), near.end(), close) == near.end()) near.push_back(std::move(close));
  return near;
}

}  // namespace

PointColumns::PointColumns(const Table& points) : table_columns_(points.columns()) {
  // The swept keys' columns sit between "mode" and the first result field.
  auto first = std::find_if(table_columns_.begin(), table_columns_.end(),
                            [](const Column& c) { return c.name == "mode"; });
  auto last = std::find_if(table_columns_.begin(), table_columns_.end(), [](const Column& c) {
    return c.name == exec::ResultFields().front().name;
  });
  for (auto it = first == table_columns_.end() ? first : first + 1; it < last; ++it)
    swept_names_.push_back(it->name);
}

Expected<PointColumns> PointColumns::Open(const Table& points) {
  PointColumns columns(points);
  ASTRASWEEP_ASSIGN_OR_RETURN(columns.index_, columns.Find("index"));
  ASTRASWEEP_ASSIGN_OR_RETURN(columns.status_, columns.Find("status"));
  ASTRASWEEP_ASSIGN_OR_RETURN(columns.tokens_per_s_, columns.Find("tokens_per_s"));
  ASTRASWEEP_ASSIGN_OR_RETURN(columns.peak_mem_bytes_, columns.Find("peak_mem_bytes"));
  for (const auto& field : exec::ResultFields()) {
    if (!field.in_summary) continue;
    ASTRASWEEP_ASSIGN_OR_RETURN(StoredCol column, columns.Find(std::string(field.name)));
    columns.summary_.push_back({&field, column});
  }
  for (const std::string& name : columns.swept_names_) {
    ASTRASWEEP_ASSIGN_OR_RETURN(StoredCol column, columns.Find(name));
    columns.swept_.push_back(column);
  }
  return columns;
}

StoredCol PointColumns::Add(const Column& column) {
  const StoredCol added = AddStored(set_, column);
  added_.emplace(column.name, added);
  return added;
}

Expected<StoredCol> PointColumns::Find(const std::string& name) {
  if (auto it = added_.find(name); it != added_.end()) return it->second;
  for (const Column& column : table_columns_)
    if (column.name == name) return Add(column);
  std::vector<std::string> names;
  for (const Column& column : table_columns_) names.push_back(column.name);
  if (config::FindField(name) != nullptr || config::IsSection(name))
    return InvalidInput("'" + name +
                        "' is a config key this sweep does not vary: every point has the "
                        "same value, so /points has no column for it; " +
                        Listing());
  return InvalidInput("unknown column '" + name + "'" + DidYouMeanOneOf(NearNames(name, names)) +
                      "; " + Listing());
}

// What a name may be: the swept keys, then every other column.
std::string PointColumns::Listing() const {
  std::vector<std::string> others;
  for (const Column& column : table_columns_)
    if (!Excluded(swept_names_, column.name)) others.push_back(column.name);
  return "the swept keys are " + (swept_names_.empty() ? "none" : Join(swept_names_, ", ")) +
         ", and the other columns " + Join(others, ", ");
}

double PointColumns::Number(const RowBuffer& rows, std::size_t r, const StoredCol& column) {
  return StoredNumber(rows, r, column).value_or(std::nan(""));
}

std::uint64_t PointColumns::Index(const RowBuffer& rows, std::size_t r) const {
  return rows.Get(r, std::get<Col<std::uint64_t>>(index_));
}

std::string_view PointColumns::Status(const RowBuffer& rows, std::size_t r) const {
  return rows.Get(r, std::get<Col<std::string_view>>(status_));
}

double PointColumns::TokensPerS(const RowBuffer& rows, std::size_t r) const {
  return Number(rows, r, tokens_per_s_);
}

double PointColumns::PeakMemBytes(const RowBuffer& rows, std::size_t r) const {
  return Number(rows, r, peak_mem_bytes_);
}

std::vector<std::string> PointColumns::SummaryHeader(std::span<const std::string> except) const {
  std::vector<std::string> header{"index"};
  for (const auto& s : summary_) header.emplace_back(s.field->label);
  for (const std::string& name : swept_names_)
    if (!Excluded(except, name)) header.push_back(name);
  return header;
}

std::vector<std::string> PointColumns::SummaryCells(const RowBuffer& rows, std::size_t r,
                                                    std::span<const std::string> except) const {
  std::vector<std::string> cells{std::to_string(Index(rows, r))};
  for (const auto& s : summary_)
    cells.push_back(exec::FormatFieldValue(*s.field, Number(rows, r, s.column)));
  for (std::string& cell : SweptCells(rows, r, except)) cells.push_back(std::move(cell));
  return cells;
}

std::vector<std::string> PointColumns::SweptCells(const RowBuffer& rows, std::size_t r,
                                                  std::span<const std::string> except) const {
  std::vector<std::string> cells;
  for (std::size_t i = 0; i < swept_.size(); ++i)
    if (!Excluded(except, swept_names_[i])) cells.push_back(Text(rows, r, swept_[i]));
  return cells;
}

}  // namespace astrasweep::store
