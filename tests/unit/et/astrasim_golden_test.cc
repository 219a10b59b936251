// What the real AstraSim answers for this project's bundles, recorded in
// tests/data/et-golden/ (AstraSim's answers are facts, so CI knows them
// without the binary). Each golden names the bundle (config, collective,
// size, group), and holds its manifest (per-rank operations, content hash):
//   - always: the bundle built today has that manifest and content hash,
//     so the recorded answer is still the answer for it (a builder change
//     shows here: re-record with the binary);
//   - with ASTRASIM_BIN (and ASTRASIM_AWARE_BIN) naming AstraSim's
//     analytical binaries: the bundle runs in them and every rank's finish
//     and exposed-communication cycles equal the golden. Without, that
//     test is skipped, saying so.
// ASTRASWEEP_RECORD_GOLDEN=1 with the binaries (re)writes the goldens.
// Bundles: collectives over groups of two small configs, and their
// pipeline, block and flattened bundles (most on two network dimensions,
// which only the congestion-unaware binary runs); and every kind of a
// one-switch config, which both binaries run.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/et/block_bundle.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/et/collective_bundle.h"
#include "astrasweep/et/flattened_bundle.h"
#include "astrasweep/et/pipeline_bundle.h"
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
  auto point = config::LoadPointFile((kData / "points" / (std::string(c.config) + ".yaml")).string());
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
  const std::int64_t size = group == "tp" ? p.tp : group == "pp" ? p.pp : group == "dp" ? p.dp : p.Gpus();
  auto written = WriteCollectiveBundle(
      point->config, {.collective = c.collective, .bytes = c.bytes, .stride = stride, .size = size},
      dir.string());
  EXPECT_TRUE(written) << written.error().ToString();
  return json::parse(FileText(dir / "manifest.json"));
}

// Every rank's `sys[i] finished, T cycles, exposed communication E cycles.`
// and the exit status. Every rank must report, finished and `Wall time`
// lines both: AstraSim can exit 0 with ranks missing, and (seen here with
// two-member comm groups) crash in its teardown after every rank finished,
// with SIGABRT or SIGSEGV from run to run; the status is kept beside the
// answers as a fact, and not compared.
json RunAstraSim(const std::string& binary, const fs::path& dir, int ranks) {
  const std::string command = "cd '" + dir.string() + "' && '" + binary + "' " +
                              AstraSimCommand("", "w", fs::exists(dir / "comm_groups.json")).substr(1) +
                              " --logging-folder=log 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  while (pipe && std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = pipe ? pclose(pipe) : -1;
  const std::regex finished(R"(sys\[(\d+)\] finished, (\d+) cycles, exposed communication (\d+) cycles)");
  const std::regex wall(R"(sys\[(\d+)\], Wall time: (\d+))");
  std::map<int, std::pair<long long, long long>> by_rank;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), finished);
       it != std::sregex_iterator(); ++it)
    by_rank[std::stoi((*it)[1])] = {std::stoll((*it)[2]), std::stoll((*it)[3])};
  const auto walls = std::distance(std::sregex_iterator(output.begin(), output.end(), wall),
                                   std::sregex_iterator());
  EXPECT_EQ(static_cast<int>(by_rank.size()), ranks) << output.substr(0, 4000);
  EXPECT_EQ(walls, ranks) << "every rank's Wall time line";
  json out = {{"finish_cycles", json::array()},
              {"exposed_comm_cycles", json::array()}};
  for (const auto& [rank, cycles] : by_rank) {
    out["finish_cycles"].push_back(cycles.first);
    out["exposed_comm_cycles"].push_back(cycles.second);
  }
  if (status != 0) out["exit_status_seen"] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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
                   {"unaware", RunAstraSim(unaware, dir->path(), manifest["ranks"])}};
    if (c.aware && aware != nullptr && *aware != '\0')
      answer["aware"] = RunAstraSim(aware, dir->path(), manifest["ranks"]);
    const fs::path golden = kData / "et-golden" / (Name(c) + ".json");
    if (record) {
      std::ofstream(golden) << answer.dump(1) << "\n";
      continue;
    }
    json expected = json::parse(FileText(golden));
    for (json* result : {&answer, &expected})
      for (const char* binary : {"unaware", "aware"})
        if (result->contains(binary)) (*result)[binary].erase("exit_status_seen");
    EXPECT_EQ(answer["unaware"], expected["unaware"]) << Name(c);
    if (answer.contains("aware")) {
      EXPECT_EQ(answer["aware"], expected["aware"]) << Name(c);
    }
  }
}

}  // namespace
}  // namespace astrasweep::et
