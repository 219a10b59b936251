// Reading an archive back, for the commands that re-run, check and compare
// archives (verify, diff, merge, run --from-archive): opening one to read,
// its root attributes, its points with their configs, failures and per-NPU
// timings, and the files its sweep was read from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/presets.h"
#include "astrasweep/store/archive.h"
#include "astrasweep/store/table.h"
#include "astrasweep/sweep/spec.h"

namespace astrasweep::store {

// An archive opened to read. Refused, naming the file: a missing file, one
// a run is writing (which run, and where its log is), a file that is not
// an archive, and a schema newer than this astrasweep reads.
Expected<File> OpenArchiveToRead(const std::string& path);

// A root attribute as text: a string as it is, an integer in decimal, ""
// when absent.
std::string AttributeText(const File& file, std::string_view name);

struct ArchivedTiming {
  std::int64_t npu = 0;
  double finish_s = 0, compute_s = 0, comm_s = 0, exposed_comm_s = 0;
};

// A point as the archive holds it.
struct ArchivedPoint {
  std::uint64_t index = 0;
  std::string id, status, mode;
  // exec::ResultFields() in order, as stored (integers and flags as
  // numbers); nullopt for a field the archive has no column for.
  std::vector<std::optional<double>> fields;
  std::string failure_stage, failure_message;  // a failed point
  std::vector<ArchivedTiming> rank_timings;    // in the order stored
  std::string config;                          // canonical; "" if never built
  double eval_s = 0;
  std::int64_t worker_rank = 0;
};

// Every point's index, sorted.
Expected<std::vector<std::uint64_t>> ReadPointIndices(const File& file);
// The points whose indices are in `wanted` (sorted), sorted by index: one
// pass over each table; /configs only when `with_configs` (config stays ""
// otherwise).
Expected<std::vector<ArchivedPoint>> ReadArchivedPoints(const File& file,
                                                        const std::vector<std::uint64_t>& wanted,
                                                        bool with_configs = true);

// What an archive holds of the sweep that made it, to run it again.
struct ArchivedSweep {
  std::string spec_file;  // the path the run read the spec by
  std::string spec_sha256;
  std::string shard;              // "i/N", or ""
  std::vector<SourceFile> files;  // the spec first, then its includes
  // The presets the run could read; nullopt for an archive of schema 1,
  // which did not store them.
  std::optional<std::vector<config::PresetFile>> presets;

  // The spec's files from the archive, the presets from the archive (from
  // the usual search path for an archive of schema 1).
  sweep::SpecSource Source() const;
};

// Reads /sources (schema 2) or the `spec` attribute (schema 1), and checks
// them against spec_sha256: of the archive at `path` (OpenArchiveToRead),
// or of one open already.
Expected<ArchivedSweep> ReadArchivedSweep(const std::string& path);
Expected<ArchivedSweep> ReadArchivedSweep(const File& file);

}  // namespace astrasweep::store
