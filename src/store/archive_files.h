// What CreateArchive, ResumeArchive and MergeArchives share: making a new
// archive file (tables and provenance) and numbering the run its writer
// records.
#pragma once

#include "astrasweep/store/archive.h"
#include "astrasweep/store/table.h"

namespace astrasweep::store {

struct ArchiveFiles {
  // A new archive file at `path`, replacing any.
  static Expected<ArchiveWriter> Create(const std::string& path,
                                        const std::vector<sweep::SweptKey>& swept,
                                        const Provenance& provenance);
  // 0 for a new sweep, +1 per resume.
  static void SetRun(ArchiveWriter& writer, std::int64_t run);
  // The root attributes of the provenance; the status "partial" and no
  // finish time, until the writer finishes.
  static Status WriteProvenance(File& file, const Provenance& provenance);
};

}  // namespace astrasweep::store
