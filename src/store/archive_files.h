// What CreateArchive, ResumeArchive and MergeArchives share: making a new
// archive file (tables and provenance) and numbering the run its writer
// records.
#pragma once

#include "astrasweep/store/archive.h"
#include "astrasweep/store/table.h"

namespace astrasweep::store {

struct ArchiveFiles {
  // A new archive file at `path` (nothing may be there), or at `build_at`
  // when given, named `path` in messages (ResumeArchive renames it there).
  static Expected<ArchiveWriter> Create(const std::string& path,
                                        const std::vector<sweep::SweptKey>& swept,
                                        const Provenance& provenance,
                                        const std::string& build_at = {});
  // 0 for a new sweep, +1 per resume.
  static void SetRun(ArchiveWriter& writer, std::int64_t run);
  // The archive's accepted_changes attribute (Provenance::accepted_changes).
  static Status SetAcceptedChanges(ArchiveWriter& writer, const std::string& lines);
  // The root attributes of the provenance; the status "partial" and no
  // finish time, until the writer finishes.
  static Status WriteProvenance(File& file, const Provenance& provenance);
};

// The names of exec::ResultFields(), in order: what a journal's header
// records of its points.
std::vector<std::string> ResultFieldNames();

}  // namespace astrasweep::store
