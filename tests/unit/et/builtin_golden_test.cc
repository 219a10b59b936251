// The builtin simulator on the project's own bundles (golden_cases.h:
// collectives, pipeline, block and flattened bundles of three small
// configs) against what the real AstraSim answered on them
// (tests/data/et-golden): every rank's finish within 1% of the
// congestion-unaware binary and, where the aware binary ran the bundle,
// 5% of it. Prints the table: case, ranks, worst deviation per model.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/netsim/builtin.h"
#include "golden_cases.h"

namespace astrasweep::et {
namespace {

using nlohmann::json;
using testing::FileText;
using testing::GoldenCase;
using testing::kGoldenCases;
using testing::Name;

constexpr double kUnawareTolerance = 0.01;
constexpr double kAwareTolerance = 0.05;

double Deviation(std::uint64_t got, std::uint64_t want) {
  if (want == 0) return got == 0 ? 0 : 1;
  return std::abs(static_cast<double>(got) - static_cast<double>(want)) / static_cast<double>(want);
}

// The worst deviation of the builtin's per-rank finish from the golden
// answer `want` (finish_cycles per rank), each rank held to `tolerance`.
double WorstDeviation(const std::string& name, const netsim::BundlePaths& bundle,
                      netsim::Congestion congestion, const json& want, double tolerance) {
  netsim::BuiltinSimulator simulator;
  const auto result = simulator.Run(bundle, congestion);
  if (!result) {
    ADD_FAILURE() << name << " (" << netsim::CongestionName(congestion)
                  << "): " << result.error().ToString();
    return 1;
  }
  const auto finish = want.at("finish_cycles").get<std::vector<std::uint64_t>>();
  EXPECT_EQ(result->ranks.size(), finish.size()) << name;
  double worst = 0;
  for (std::size_t r = 0; r < result->ranks.size() && r < finish.size(); ++r) {
    const double deviation = Deviation(result->ranks[r].finish_ns, finish[r]);
    EXPECT_LE(deviation, tolerance)
        << name << " (" << netsim::CongestionName(congestion) << ") rank " << r << ": builtin "
        << result->ranks[r].finish_ns << " ns, AstraSim " << finish[r];
    worst = std::max(worst, deviation);
  }
  return worst;
}

std::string Percent(std::optional<double> deviation) {
  if (!deviation) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.4f%%", 100 * *deviation);
  return text;
}

TEST(BuiltinGolden, EveryRankFinishesWithinToleranceOfTheRealAstraSim) {
  std::printf("\n%-36s %6s %12s %12s\n", "case", "ranks", "unaware", "aware");
  for (const GoldenCase& c : kGoldenCases) {
    auto dir = TempDir::Create("builtin-golden-");
    ASSERT_TRUE(dir);
    const json manifest = testing::WriteBundle(c, dir->path());
    if (manifest.is_null()) continue;  // reported
    const json golden = json::parse(FileText(testing::GoldenFile(c)));
    const auto bundle = netsim::BundlePaths::InFolder(dir->path().string(), "w");
    const std::optional<double> unaware = WorstDeviation(
        Name(c), bundle, netsim::Congestion::kUnaware, golden.at("unaware"), kUnawareTolerance);
    std::optional<double> aware;
    if (golden.contains("aware"))
      aware = WorstDeviation(Name(c), bundle, netsim::Congestion::kAware, golden.at("aware"),
                             kAwareTolerance);
    std::printf("%-36s %6d %12s %12s\n", Name(c).c_str(), manifest.at("ranks").get<int>(),
                Percent(unaware).c_str(), Percent(aware).c_str());
  }
  std::printf("(worst deviation of a rank's finish; tolerance %.0f%% unaware, %.0f%% aware)\n",
              100 * kUnawareTolerance, 100 * kAwareTolerance);
}

}  // namespace
}  // namespace astrasweep::et
