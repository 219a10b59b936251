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
// The cases are those of golden_cases.h.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/netsim/astrasim.h"
#include "golden_cases.h"

namespace astrasweep::et {
namespace {

using testing::FileText;
using testing::GoldenCase;
using testing::GoldenFile;
using testing::IsGraph;
using testing::kGoldenCases;
using testing::Name;
using testing::WriteBundle;

namespace fs = std::filesystem;
using nlohmann::json;

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
    const fs::path golden = GoldenFile(c);
    ASSERT_TRUE(fs::exists(golden)) << golden << " is missing";
    const json manifest = WriteBundle(c, dir->path());
    if (manifest.is_null()) continue;  // reported
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
    if (manifest.is_null()) continue;  // reported
    json answer = {{"bundle", bundle},
                   {"content_hash", manifest["content_hash"]},
                   {"manifest", manifest},
                   {"unaware", RunAstraSim(*binary, netsim::Congestion::kUnaware, dir->path())}};
    if (c.aware && binary->Has(netsim::Congestion::kAware))
      answer["aware"] = RunAstraSim(*binary, netsim::Congestion::kAware, dir->path());
    const fs::path golden = GoldenFile(c);
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
