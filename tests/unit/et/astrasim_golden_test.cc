// What the real AstraSim answers for this project's bundles, recorded in
// tests/data/et-golden/ (AstraSim's answers are facts, so CI knows them
// without the binary). Each golden names the bundle (config, collective,
// size, group), and holds its manifest (per-rank operations, content hash):
//   - always: the bundle built today has that manifest and content hash,
//     so the recorded answer is still the answer for it (a builder change
//     shows here: re-record with the binary);
//   - with ASTRASIM_BIN (and ASTRASIM_AWARE_BIN, else the aware binary
//     beside it) naming AstraSim's analytical binaries: the bundle runs in
//     them through netsim::AstraSimBinary and every rank's finish and
//     exposed-communication cycles equal the golden. Without, that test is
//     skipped, saying so.
// ASTRASWEEP_RECORD_GOLDEN=1 with the binaries (re)writes the goldens.
// Bundles: collectives over groups of two small configs, and their
// pipeline, block and flattened bundles (most on two network dimensions,
// which only the congestion-unaware binary runs); and every kind of a
// one-switch config, which both binaries run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/et/block_bundle.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/et/collective_bundle.h"
#include "astrasweep/et/flattened_bundle.h"
#include "astrasweep/et/pipeline_bundle.h"
#include "astrasweep/netsim/astrasim.h"
#include "et_test_util.h"

namespace astrasweep::et {
namespace {

using testing::FileText;

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kData = fs::path(ASTRASWEEP_SOURCE_DIR) / "tests/data";

struct GoldenCase {
  const char* config;  // under tests/data/points
  model::Collective collective;
  const char* group;  // "pipeline", "block" or "flattened": the point's bundle of that graph
  std::uint64_t bytes;
  bool aware;  // one dimension and no Ring of 2: the aware binary runs it
};

const GoldenCase kGoldenCases[] = {
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

bool IsGraph(const GoldenCase& c) {
  const std::string group = c.group;
  return group == "pipeline" || group == "block" || group == "flattened";
}

std::string Name(const GoldenCase& c) {
  if (IsGraph(c)) return std::string(c.config) + "-" + c.group;
  return std::string(c.config) + "-" + model::CollectiveName(c.collective) + "-" + c.group;
}

// Writes the case's bundle into `dir`; returns its manifest.
json WriteBundle(const GoldenCase& c, const fs::path& dir) {
  auto point =
      config::LoadPointFile((kData / "points" / (std::string(c.config) + ".yaml")).string());
  EXPECT_TRUE(point) << point.error().ToString();
  if (IsGraph(c)) {
    const std::string graph = c.group;
    auto written = graph == "pipeline" ? WritePipelineBundle(point->config, dir.string())
                   : graph == "block"  ? WriteBlockBundle(point->config, dir.string())
                                       : WriteFlattenedBundle(point->config, dir.string());
    EXPECT_TRUE(written) << written.error().ToString();
    return json::parse(FileText(dir / "manifest.json"));
  }
  const auto& p = point->config.parallelism;
  const std::string group = c.group;
  const std::int64_t stride = group == "dp" ? p.tp * p.pp : group == "pp" ? p.tp : 1;
  const std::int64_t size = group == "tp"   ? p.tp
                            : group == "pp" ? p.pp
                            : group == "dp" ? p.dp
                                            : p.Gpus();
  auto written = WriteCollectiveBundle(
      point->config, {.collective = c.collective, .bytes = c.bytes, .stride = stride, .size = size},
      dir.string());
  EXPECT_TRUE(written) << written.error().ToString();
  return json::parse(FileText(dir / "manifest.json"));
}

// Every rank's finish and exposed-communication cycles, as
// netsim::AstraSimBinary reads them: it requires every rank's finished and
// `Wall time` lines (AstraSim can exit 0 with ranks missing), and keeps the
// answer, with a warning, when AstraSim crashes in its teardown after every
// rank reported (seen here with two-member comm groups, SIGABRT or SIGSEGV
// from run to run).
json RunAstraSim(netsim::AstraSimBinary& binary, netsim::Congestion congestion,
                 const fs::path& dir) {
  auto result = binary.Run(netsim::BundlePaths::InFolder(dir.string(), "w"), congestion);
  if (!result) {
    ADD_FAILURE() << result.error().ToString();
    return {{"error", result.error().message()}};
  }
  json out = {{"finish_cycles", json::array()}, {"exposed_comm_cycles", json::array()}};
  for (const netsim::RankTiming& rank : result->ranks) {
    out["finish_cycles"].push_back(rank.finish_ns);
    out["exposed_comm_cycles"].push_back(rank.exposed_ns);
  }
  return out;
}

TEST(AstraSimGolden, TheRecordedAnswersAreForTheBundlesBuiltToday) {
  for (const GoldenCase& c : kGoldenCases) {
    auto dir = TempDir::Create("golden-test");
    ASSERT_TRUE(dir);
    const fs::path golden = kData / "et-golden" / (Name(c) + ".json");
    ASSERT_TRUE(fs::exists(golden)) << golden << " is missing";
    const json manifest = WriteBundle(c, dir->path());
    const json recorded = json::parse(FileText(golden));
    EXPECT_EQ(manifest["content_hash"], recorded["content_hash"])
        << Name(c) << ": the bundle changed since AstraSim's answer was recorded; re-record it "
        << "(ASTRASIM_BIN=... ASTRASWEEP_RECORD_GOLDEN=1)";
    EXPECT_EQ(manifest, recorded["manifest"]) << Name(c) << ": the golden manifest differs";
  }
}

TEST(AstraSimGolden, TheRealAstraSimAnswersWhatWasRecorded) {
  const char* unaware = std::getenv("ASTRASIM_BIN");
  const char* aware = std::getenv("ASTRASIM_AWARE_BIN");
  if (unaware == nullptr || *unaware == '\0')
    GTEST_SKIP() << "ASTRASIM_BIN is not set: the bundles are not run in the real AstraSim here "
                    "(CI checks them against the recorded answers only)";
  const bool record = std::getenv("ASTRASWEEP_RECORD_GOLDEN") != nullptr;
  auto binary =
      netsim::AstraSimBinary::Open(unaware, {.aware_binary = aware != nullptr ? aware : ""});
  ASSERT_TRUE(binary) << binary.error().ToString();
  for (const GoldenCase& c : kGoldenCases) {
    auto dir = TempDir::Create("golden-test");
    ASSERT_TRUE(dir);
    json bundle = {{"config", std::string("tests/data/points/") + c.config + ".yaml"}};
    if (IsGraph(c)) {
      bundle["graph"] = c.group;
    } else {
      bundle["graph"] = "collective";
      bundle["collective"] = model::CollectiveName(c.collective);
      bundle["group"] = c.group;
      bundle["bytes"] = c.bytes;
    }
    const json manifest = WriteBundle(c, dir->path());
    json answer = {{"bundle", bundle},
                   {"content_hash", manifest["content_hash"]},
                   {"manifest", manifest},
                   {"unaware", RunAstraSim(*binary, netsim::Congestion::kUnaware, dir->path())}};
    if (c.aware && binary->Has(netsim::Congestion::kAware))
      answer["aware"] = RunAstraSim(*binary, netsim::Congestion::kAware, dir->path());
    const fs::path golden = kData / "et-golden" / (Name(c) + ".json");
    if (record) {
      // A failed run was reported above; its golden is left as it was.
      if (!answer["unaware"].contains("error") &&
          !answer.value("aware", json::object()).contains("error"))
        std::ofstream(golden) << answer.dump(1) << "\n";
      continue;
    }
    json expected = json::parse(FileText(golden));
    // Goldens recorded through a shell hold the exit status of a teardown
    // crash (134), a fact kept beside the answer and never compared.
    for (json* result : {&answer, &expected})
      for (const char* model : {"unaware", "aware"})
        if (result->contains(model)) (*result)[model].erase("exit_status_seen");
    EXPECT_EQ(answer["unaware"], expected["unaware"]) << Name(c);
    if (answer.contains("aware")) {
      EXPECT_EQ(answer["aware"], expected["aware"]) << Name(c);
    }
  }
}

}  // namespace
}  // namespace astrasweep::et
