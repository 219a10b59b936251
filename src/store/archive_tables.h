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

}  // namespace astrasweep::store
