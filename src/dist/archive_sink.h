// The archive and its journal as the coordinator's ResultSink: the journal
// gets every record before the archive's tables do, so a crash at any
// moment loses no finished point.
#pragma once

#include "astrasweep/dist/coordinator.h"
#include "astrasweep/store/archive.h"

namespace astrasweep::dist {

class ArchiveSink final : public ResultSink {
 public:
  explicit ArchiveSink(store::OpenedArchive& opened) : opened_(opened) {}

  Status Add(proto::PointResult& point) override;
  Status AddWorker(const proto::WorkerStats& worker) override;
  Status Checkpoint() override;

  // What the progress may count: `progress` as far as the last checkpoint
  // got it onto the disk, so a kill never takes points the progress had
  // shown done.
  Progress Saved(const Progress& progress) const;

 private:
  store::OpenedArchive& opened_;
  std::uint64_t added_ = 0, added_failed_ = 0;  // this run's points
  std::uint64_t saved_ = 0, saved_failed_ = 0;  // of them, synced
};

}  // namespace astrasweep::dist
