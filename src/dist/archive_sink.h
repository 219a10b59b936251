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

 private:
  store::OpenedArchive& opened_;
};

}  // namespace astrasweep::dist
