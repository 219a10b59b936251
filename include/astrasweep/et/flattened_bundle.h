// The flattened bundle: every GPU of the point explicit,
//   rank = (dp_index * pp + stage) * tp + tp_rank
// (the README's layout), on the point's whole network. Each compute node of
// the pipeline graph is expanded on every tensor-parallel rank into its
// kernel chain (the embedding's, each layer's, the head's: the block
// bundle's chains, with their tensor-parallel collectives over the stage's
// tp group); the graph's transfers become a send and a receive between the
// same tensor-parallel rank of neighbouring stages; its data-parallel
// collectives run over the replicas of each (stage, tp rank), depending on
// the expanded nodes. Node ids: graph node id x 2^20 + the position in its
// expansion, the last of an expansion at 2^20 - 1 (so a dependency on a
// graph node is one on that id); a receive's is 2^40 + the transfer's.
//
// Rank (d, s, t)'s trace is rank (0, s, 0)'s with its peers and groups
// shifted by d replicas and t tensor-parallel ranks (cyclically): the
// symmetry the workload claims (flattened_bundle_test checks it rank by
// rank), so a simulator may build and simulate one rank per stage.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/et/node.h"
#include "astrasweep/et/rank_symmetry.h"

namespace astrasweep::et {

inline constexpr std::uint64_t kExpansionStride = std::uint64_t{1} << 20;

// The flattened workload of a point, any rank's trace on demand.
class FlattenedWorkload {
 public:
  static Expected<FlattenedWorkload> Build(const config::Config& config);
  FlattenedWorkload(FlattenedWorkload&&) noexcept;
  FlattenedWorkload& operator=(FlattenedWorkload&&) noexcept;
  ~FlattenedWorkload();

  int ranks() const;
  // network.yml, system.json, remote_memory.json and the comm groups.
  const BundleConfig& files() const;
  // tp (cyclic) x pp x dp (cyclic).
  RankSymmetry symmetry() const;
  std::vector<Node> Trace(int rank) const;
  // Every rank's trace and the files into `to`, one rank at a time.
  Status Write(const BundleDestination& to) const;

 private:
  struct Impl;
  explicit FlattenedWorkload(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

Status WriteFlattenedBundle(const config::Config& config, const BundleDestination& to);

}  // namespace astrasweep::et
