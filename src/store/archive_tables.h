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
#pragma once

#include <variant>
#include <vector>

#include "astrasweep/store/table.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep::proto {
class PointResult;
class WorkerStats;
}  // namespace astrasweep::proto

namespace astrasweep::store {

inline constexpr std::size_t kConfigPartBytes = 1024;

// A column whose type comes from data (a swept key, a result field).
using AnyCol = std::variant<Col<std::int64_t>, Col<double>, Col<bool>, Col<std::string_view>>;

class PointRows {
 public:
  explicit PointRows(const std::vector<sweep::SweptKey>& swept);
  const ColumnSet& columns() const { return columns_; }
  RowBuffer& rows() { return rows_; }
  void Add(const proto::PointResult& point);

 private:
  void AddSwept(const proto::PointResult& point);
  void AddResultFields(const proto::PointResult& point);
  ColumnSet columns_;
  Col<std::uint64_t> index_;
  Col<std::string_view> id_, status_, mode_;
  std::vector<AnyCol> swept_;
  std::vector<AnyCol> fields_;  // exec::ResultFields(), in order
  Col<double> eval_s_;
  Col<std::int64_t> worker_rank_;
  RowBuffer rows_;
};

class RankTimingRows {
 public:
  RankTimingRows();
  const ColumnSet& columns() const { return columns_; }
  RowBuffer& rows() { return rows_; }
  void Add(const proto::PointResult& point);

 private:
  ColumnSet columns_;
  Col<std::uint64_t> point_index_;
  Col<std::int64_t> npu_;
  Col<double> finish_s_, compute_s_, comm_s_, exposed_comm_s_;
  RowBuffer rows_;
};

class WorkerRows {
 public:
  WorkerRows();
  const ColumnSet& columns() const { return columns_; }
  RowBuffer& rows() { return rows_; }
  void Add(const proto::WorkerStats& worker, std::int64_t run);

 private:
  ColumnSet columns_;
  Col<std::int64_t> run_, rank_;
  Col<std::string_view> host_;
  Col<std::int64_t> points_;
  Col<double> busy_s_, idle_s_, comm_s_;
  Col<std::int64_t> sim_runs_, cache_hits_, cache_misses_;
  RowBuffer rows_;
};

class FailureRows {
 public:
  FailureRows();
  const ColumnSet& columns() const { return columns_; }
  RowBuffer& rows() { return rows_; }
  // A row when the point failed; nothing otherwise.
  void Add(const proto::PointResult& point);

 private:
  ColumnSet columns_;
  Col<std::uint64_t> point_index_;
  Col<std::string_view> point_id_, stage_, message_;
  RowBuffer rows_;
};

class ConfigRows {
 public:
  ConfigRows();
  const ColumnSet& columns() const { return columns_; }
  RowBuffer& rows() { return rows_; }
  void Add(const proto::PointResult& point);

 private:
  ColumnSet columns_;
  Col<std::uint64_t> point_index_;
  Col<std::int64_t> part_;
  Col<std::string_view> text_;
  RowBuffer rows_;
};

}  // namespace astrasweep::store
