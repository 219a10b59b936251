// What a resume takes from the old archive when its journal lacks it: the
// header and run records of a journal that was lost or emptied
// (ReadArchiveRecord), and the points and /workers rows that a damaged or
// lost journal no longer holds (RecoverFromArchive), journaled again so
// that no later resume needs the old archive for them.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "astrasweep.pb.h"
#include "astrasweep/store/archive.h"
#include "astrasweep/store/journal.h"
#include "astrasweep/store/table.h"

namespace astrasweep::store {

// A journal's header and run-start records as the archive they went into
// records them: its provenance (spec digest, shard, model, /sources), the
// result columns of /points, its `runs` and `accepted_changes`.
struct ArchiveRecord {
  JournalInfo info;
  std::vector<proto::RunStart> runs;
};
Expected<ArchiveRecord> ReadArchiveRecord(const File& file);

// What a resume does with a finished point whose config is not the one it
// was evaluated with (the journal's ConfigCheck, the archive's id): refuse,
// or leave it out to be evaluated again (--accept-changes).
enum class Changed { kRefuse, kEvaluateAgain };

// For point `index`, found with another config than it was evaluated with
// (`held` says where it was found, after the index; "" for the journal):
// Ok when `changed` evaluates it again, else the refusal, naming `file`.
Status OnChangedConfig(Changed changed, std::uint64_t index, std::string_view held,
                       const std::string& file);

// A /workers row's key: (run, rank).
using WorkerKey = std::pair<std::uint32_t, std::int32_t>;

struct Recovery {
  std::uint64_t points = 0;   // taken from the archive
  std::uint64_t stale = 0;    // left out to be evaluated again: their config changed
  std::uint64_t workers = 0;  // /workers rows taken
  std::uint32_t runs = 0;     // the archive's `runs` attribute
  std::string unreadable;     // why the archive could not be read; "" if it was
};

// The points the archive at `path` holds that the journal does not record
// (`recorded`, sorted, whether kept or to be evaluated again): each
// point's config built again by `restore` and checked against the id
// the archive holds (a point whose config changed is refused or left out
// to be evaluated again, as `changed` says: OnChangedConfig), then added to
// `archive`, to `journal` (synced before this returns) and to `done`
// (sorted; it stays so). Likewise its /workers rows that `journaled` lacks.
// An archive that cannot be read (a kill left it damaged, a link at the
// path, which is never followed) gives nothing and says why in
// `unreadable`: the journal is the record, the archive only a second copy.
Expected<Recovery> RecoverFromArchive(const std::string& path, const RestoreConfig& restore,
                                      Changed changed, const std::vector<std::uint64_t>& recorded,
                                      const std::set<WorkerKey>& journaled,
                                      std::vector<std::uint64_t>& done, ArchiveWriter& archive,
                                      JournalWriter& journal);

}  // namespace astrasweep::store
