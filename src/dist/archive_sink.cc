// Rows are written in batches; the journal is synced at checkpoints.
#include "archive_sink.h"

#include "astrasweep.pb.h"

namespace astrasweep::dist {
namespace {

constexpr std::size_t kWriteRowsAt = 4096;
constexpr std::size_t kWriteJournalAtBytes = 8u << 20;

}  // namespace

Status ArchiveSink::Add(proto::PointResult& point) {
  opened_.journal.Add(point);
  ASTRASWEEP_RETURN_IF_ERROR(opened_.archive.Add(point));
  if (opened_.archive.buffered_rows() >= kWriteRowsAt ||
      opened_.journal.buffered_bytes() >= kWriteJournalAtBytes) {
    ASTRASWEEP_RETURN_IF_ERROR(opened_.journal.Flush(store::Durability::kWritten));
    ASTRASWEEP_RETURN_IF_ERROR(opened_.archive.WriteRows());
  }
  return Ok();
}

Status ArchiveSink::AddWorker(const proto::WorkerStats& worker) {
  proto::WorkerStats numbered = worker;
  numbered.set_run(static_cast<std::uint32_t>(opened_.archive.run()));
  opened_.journal.Add(numbered);
  return opened_.archive.AddWorker(numbered, opened_.archive.run());
}

Status ArchiveSink::Checkpoint() {
  ASTRASWEEP_RETURN_IF_ERROR(opened_.journal.Flush(store::Durability::kSynced));
  return opened_.archive.Flush();
}

}  // namespace astrasweep::dist
