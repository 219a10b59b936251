// An ET bundle written into a folder: every rank's trace
// (<prefix>.<rank>.et), written one rank at a time so memory does not grow
// with the ranks, then AstraSim's configuration files and manifest.json.
// The manifest summarises each rank's operations and holds a content hash
// of the traces and files; it is part of a cache key and never passed to
// AstraSim. Or the same bundle kept in memory, for the builtin simulator,
// with the same content hash.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/et/node.h"

namespace astrasweep::et {

// What one rank's trace holds.
struct RankSummary {
  std::uint64_t nodes = 0;
  std::uint64_t compute = 0, sends = 0, receives = 0, collectives = 0;
  std::uint64_t compute_micros = 0;
  std::uint64_t send_bytes = 0, collective_bytes = 0;
  void Count(const Node& node);
};

// AstraSim's configuration of the bundle, as text (astrasim_files.h).
struct BundleConfig {
  std::string network_yml;
  std::string system_json;
  std::string remote_memory_json;
  std::map<int, std::vector<int>> comm_groups;  // empty: no comm_groups.json
};

// A bundle in memory: what its folder would hold, and manifest.json's
// content hash.
struct MemoryBundle {
  std::vector<std::vector<Node>> traces;  // in rank order
  BundleConfig files;
  std::string content_hash;
};

// Where a bundle is written: a folder, or memory.
using BundleDestination = std::variant<std::string, MemoryBundle*>;

class BundleWriter {
 public:
  // A writer of a bundle of `ranks` ranks into `to`: a folder (created,
  // with its parents), or a MemoryBundle (filled by Finish).
  static Expected<BundleWriter> Create(const BundleDestination& to, int ranks,
                                       std::string prefix = "w");
  BundleWriter(BundleWriter&&) noexcept;
  BundleWriter& operator=(BundleWriter&&) noexcept;
  ~BundleWriter();

  // Ranks are written in order: BeginRank(0), Add..., BeginRank(1), ...
  Status BeginRank(int rank);
  Status Add(const Node& node);
  // Closes the last rank, writes the configuration files and the manifest
  // (in memory: the files and the content hash). Every rank must have been
  // begun.
  Status Finish(const BundleConfig& config);

  const std::string& prefix() const;

 private:
  struct Impl;
  explicit BundleWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The content hash manifest.json records for the bundle in `dir`: every
// rank's trace and every configuration file (a cache key's part).
Expected<std::string> ReadContentHash(const std::string& dir);

// The command line that runs a bundle in AstraSim's analytical binary
// `binary` (relative to the bundle folder, as AstraSim resolves them).
std::string AstraSimCommand(const std::string& binary, const std::string& prefix,
                            bool has_comm_groups);

}  // namespace astrasweep::et
