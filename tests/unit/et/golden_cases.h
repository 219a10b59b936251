// The golden bundles of tests/data/et-golden/: which bundles they are and
// how each is written, for every test that holds a simulator to what the
// real AstraSim answered on them (astrasim_golden_test.cc records and
// checks the answers, builtin_golden_test.cc holds the builtin to them).
// Bundles: collectives over groups of two small configs, and their
// pipeline, block and flattened bundles (most on two network dimensions,
// which only the congestion-unaware binary runs); and every kind of a
// one-switch config, which both binaries run.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "astrasweep/config/loader.h"
#include "astrasweep/et/block_bundle.h"
#include "astrasweep/et/collective_bundle.h"
#include "astrasweep/et/flattened_bundle.h"
#include "astrasweep/et/pipeline_bundle.h"
#include "astrasweep/model/collectives.h"
#include "et_test_util.h"

namespace astrasweep::et::testing {

inline const std::filesystem::path kTestData =
    std::filesystem::path(ASTRASWEEP_SOURCE_DIR) / "tests/data";

struct GoldenCase {
  const char* config;  // under tests/data/points
  model::Collective collective;
  const char* group;  // "pipeline", "block" or "flattened": the point's bundle of that graph
  std::uint64_t bytes;
  bool aware;  // one dimension and no Ring of 2: the aware binary runs it
};

inline constexpr GoldenCase kGoldenCases[] = {
    {"et-small-8", model::Collective::kAllReduce, "tp", 1u << 20, true},
    {"et-small-8", model::Collective::kAllGather, "dp", 64u << 20, true},
    {"et-small-8", model::Collective::kReduceScatter, "all", 64u << 20, false},
    {"et-small-8", model::Collective::kAllToAll, "tp", 1u << 20, true},
    {"et-small-16", model::Collective::kAllReduce, "tp", 64u << 20, true},
    {"et-small-16", model::Collective::kAllGather, "dp", 1u << 20, false},
    {"et-small-16", model::Collective::kReduceScatter, "pp", 1u << 20, true},
    {"et-small-16", model::Collective::kAllToAll, "all", 64u << 20, false},
    {"et-small-8", model::Collective::kAllReduce, "pipeline", 0, true},
    {"et-small-16", model::Collective::kAllReduce, "pipeline", 0, false},
    {"et-small-8", model::Collective::kAllReduce, "block", 0, false},
    {"et-small-16", model::Collective::kAllReduce, "block", 0, false},
    {"et-small-8", model::Collective::kAllReduce, "flattened", 0, false},
    {"et-small-16", model::Collective::kAllReduce, "flattened", 0, false},
    {"et-small-8-switch", model::Collective::kAllToAll, "all", 4u << 20, true},
    {"et-small-8-switch", model::Collective::kAllReduce, "pipeline", 0, true},
    {"et-small-8-switch", model::Collective::kAllReduce, "block", 0, true},
    {"et-small-8-switch", model::Collective::kAllReduce, "flattened", 0, true},
};

inline bool IsGraph(const GoldenCase& c) {
  const std::string group = c.group;
  return group == "pipeline" || group == "block" || group == "flattened";
}

// "et-small-8-pipeline", "et-small-8-all_reduce-tp": the golden's file name.
inline std::string Name(const GoldenCase& c) {
  if (IsGraph(c)) return std::string(c.config) + "-" + c.group;
  return std::string(c.config) + "-" + model::CollectiveName(c.collective) + "-" + c.group;
}

inline std::filesystem::path GoldenFile(const GoldenCase& c) {
  return kTestData / "et-golden" / (Name(c) + ".json");
}

// Writes the case's bundle (prefix "w") into `dir`; returns its manifest,
// or null after reporting a failure.
inline nlohmann::json WriteBundle(const GoldenCase& c, const std::filesystem::path& dir) {
  auto point =
      config::LoadPointFile((kTestData / "points" / (std::string(c.config) + ".yaml")).string());
  if (!point) {
    ADD_FAILURE() << Name(c) << ": " << point.error().ToString();
    return nullptr;
  }
  Status written;
  if (IsGraph(c)) {
    const std::string graph = c.group;
    written = graph == "pipeline" ? WritePipelineBundle(point->config, dir.string())
              : graph == "block"  ? WriteBlockBundle(point->config, dir.string())
                                  : WriteFlattenedBundle(point->config, dir.string());
  } else {
    const auto& p = point->config.parallelism;
    const std::string group = c.group;
    const std::int64_t stride = group == "dp" ? p.tp * p.pp : group == "pp" ? p.tp : 1;
    const std::int64_t size = group == "tp"   ? p.tp
                              : group == "pp" ? p.pp
                              : group == "dp" ? p.dp
                                              : p.Gpus();
    written = WriteCollectiveBundle(
        point->config,
        {.collective = c.collective, .bytes = c.bytes, .stride = stride, .size = size},
        dir.string());
  }
  if (!written) {
    ADD_FAILURE() << Name(c) << ": " << written.error().ToString();
    return nullptr;
  }
  return nlohmann::json::parse(FileText(dir / "manifest.json"));
}

}  // namespace astrasweep::et::testing
