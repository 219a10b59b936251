// The archive's five tables (README.md, "The archive"): each one's columns,
// typed, and how a finished point or a worker's totals become its rows.
//
//   /points        index, id, status, mode, a column per swept key, the
//                  result fields of exec::ResultFields(), eval_s, worker_rank
//   /rank_timings  one row per simulated NPU of a point
//   /workers       one row per MPI rank and run
//   /failures      one row per failed point: stage and message
//   /configs       the canonical config of each point, in parts of
//                  kConfigPartBytes
//   /sources       the files the sweep was read from (spec, includes,
//                  presets), in parts of kConfigPartBytes
#pragma once

#include <variant>
#include <vector>

#include "astrasweep/store/archive.h"
#include "astrasweep/store/table.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep::proto {
class PointResult;
class WorkerStats;
}  // namespace astrasweep::proto

namespace astrasweep::store {

inline constexpr std::size_t kConfigPartBytes = 1024;

// A table's name, title (the HDF5 Table's TITLE) and rows per chunk.
struct TableInfo {
  const char* name;
  const char* title;
  std::size_t chunk_rows;
};
inline constexpr TableInfo kPointsTable{"points", "one row per config point", 4096};
inline constexpr TableInfo kRankTimingsTable{"rank_timings", "one row per simulated NPU of a point",
                                             4096};
inline constexpr TableInfo kWorkersTable{"workers", "one row per MPI rank and run", 256};
inline constexpr TableInfo kFailuresTable{"failures", "one row per failed point", 256};
inline constexpr TableInfo kConfigsTable{
    "configs", "canonical config of each point, in parts to join by point_index", 1024};
inline constexpr TableInfo kSourcesTable{
    "sources",
    "the files the sweep was read from (spec, includes, presets), in parts to join by name", 256};

// A column whose type comes from data (a swept key, a result field).
using AnyCol = std::variant<Col<std::int64_t>, Col<double>, Col<bool>, Col<std::string_view>>;

// What every table's rows hold: its columns, and a buffer of rows not yet
// written. A table adds its typed columns in its constructor, then calls
// Seal.
class TableRows {
 public:
  const ColumnSet& columns() const { return columns_; }
  RowBuffer& rows() { return rows_; }

 protected:
  void Seal() { rows_ = RowBuffer(columns_); }
  ColumnSet columns_;
  RowBuffer rows_;
};

class PointRows : public TableRows {
 public:
  explicit PointRows(const std::vector<sweep::SweptKey>& swept);
  void Add(const proto::PointResult& point);

 private:
  void AddSwept(const proto::PointResult& point);
  void AddResultFields(const proto::PointResult& point);
  Col<std::uint64_t> index_;
  Col<std::string_view> id_, status_, mode_;
  std::vector<AnyCol> swept_;
  std::vector<AnyCol> fields_;  // exec::ResultFields(), in order
  Col<double> eval_s_;
  Col<std::int64_t> worker_rank_;
};

class RankTimingRows : public TableRows {
 public:
  RankTimingRows();
  void Add(const proto::PointResult& point);

 private:
  Col<std::uint64_t> point_index_;
  Col<std::int64_t> npu_;
  Col<double> finish_s_, compute_s_, comm_s_, exposed_comm_s_;
};

class WorkerRows : public TableRows {
 public:
  WorkerRows();
  void Add(const proto::WorkerStats& worker, std::int64_t run);

 private:
  Col<std::int64_t> run_, rank_;
  Col<std::string_view> host_;
  Col<std::int64_t> points_;
  Col<double> busy_s_, idle_s_, comm_s_;
  Col<std::int64_t> sim_runs_, cache_hits_, cache_misses_;
};

class FailureRows : public TableRows {
 public:
  FailureRows();
  // A row when the point failed; nothing otherwise.
  void Add(const proto::PointResult& point);

 private:
  Col<std::uint64_t> point_index_;
  Col<std::string_view> point_id_, stage_, message_;
};

class ConfigRows : public TableRows {
 public:
  ConfigRows();
  void Add(const proto::PointResult& point);

 private:
  Col<std::uint64_t> point_index_;
  Col<std::int64_t> part_;
  Col<std::string_view> text_;
};

class SourceRows : public TableRows {
 public:
  // Name and path columns as wide as the longest of `files`.
  explicit SourceRows(const std::vector<SourceFile>& files);
  void Add(const SourceFile& file);
  // Names of the columns, for readers.
  static constexpr const char* kKind = "kind";
  static constexpr const char* kName = "name";
  static constexpr const char* kPath = "path";
  static constexpr const char* kPart = "part";
  static constexpr const char* kText = "text";

 private:
  Col<std::string_view> kind_, name_, path_;
  Col<std::int64_t> part_;
  Col<std::string_view> text_;
};

}  // namespace astrasweep::store
