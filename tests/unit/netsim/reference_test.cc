// The builtin simulator against what the real AstraSim analytical binaries
// answered on the reference cases (tests/data/astrasim-reference): every
// rank's finish time within 1% of the congestion-unaware binary and 5% of
// the congestion-aware one, exposed communication alike. Prints the table.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "astrasweep/netsim/builtin.h"

namespace astrasweep::netsim {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(ASTRASWEEP_SOURCE_DIR) / "tests/data/astrasim-reference/cases";

struct Expected {
  std::vector<std::uint64_t> finish, exposed;
};

std::optional<Expected> ReadExpected(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  const auto json = nlohmann::json::parse(in);
  return Expected{json.at("finish_cycles").get<std::vector<std::uint64_t>>(),
                  json.at("exposed_comm_cycles").get<std::vector<std::uint64_t>>()};
}

double Deviation(std::uint64_t got, std::uint64_t want) {
  if (want == 0) return got == 0 ? 0 : 1;
  return std::abs(static_cast<double>(got) - static_cast<double>(want)) / static_cast<double>(want);
}

struct Row {
  std::string name;
  double worst = 0;
  std::uint64_t want = 0, got = 0;
};

// Runs every case under one congestion model; returns the rows.
std::vector<Row> RunAll(Congestion congestion, double tolerance) {
  std::vector<Row> rows;
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(kCases)) cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  BuiltinSimulator simulator;
  for (const auto& dir : cases) {
    const auto expected = ReadExpected(dir / (std::string("expected.") + CongestionName(congestion) + ".json"));
    if (!expected) continue;
    BundlePaths paths = BundlePaths::InFolder(dir.string(), "et/w");
    const auto result = simulator.Run(paths, congestion);
    Row row{dir.filename().string()};
    if (!result) {
      ADD_FAILURE() << row.name << ": " << result.error().message();
      row.worst = 1;
      rows.push_back(row);
      continue;
    }
    EXPECT_EQ(result->ranks.size(), expected->finish.size()) << row.name;
    for (std::size_t r = 0; r < result->ranks.size() && r < expected->finish.size(); ++r) {
      const double dev = Deviation(result->ranks[r].finish_ns, expected->finish[r]);
      EXPECT_LE(dev, tolerance) << row.name << " rank " << r << ": builtin "
                                << result->ranks[r].finish_ns << " ns, AstraSim "
                                << expected->finish[r];
      EXPECT_LE(Deviation(result->ranks[r].exposed_ns, expected->exposed[r]), tolerance)
          << row.name << " rank " << r << " exposed";
      if (dev >= row.worst) {
        row.worst = dev;
        row.want = expected->finish[r];
        row.got = result->ranks[r].finish_ns;
      }
    }
    rows.push_back(row);
  }
  return rows;
}

void Print(const char* title, const std::vector<Row>& rows) {
  std::printf("\n%s: %zu cases\n%-46s %14s %14s %9s\n", title, rows.size(), "case",
              "AstraSim ns", "builtin ns", "worst");
  for (const auto& row : rows)
    std::printf("%-46s %14llu %14llu %8.4f%%\n", row.name.c_str(),
                static_cast<unsigned long long>(row.want), static_cast<unsigned long long>(row.got),
                100 * row.worst);
}

TEST(ReferenceCases, CongestionUnawareWithinOnePercentOfAstraSim) {
  const auto rows = RunAll(Congestion::kUnaware, 0.01);
  EXPECT_GE(rows.size(), 80u);
  Print("congestion unaware (tolerance 1%)", rows);
}

TEST(ReferenceCases, CongestionAwareWithinFivePercentOfAstraSim) {
  const auto rows = RunAll(Congestion::kAware, 0.05);
  EXPECT_GE(rows.size(), 60u);
  Print("congestion aware (tolerance 5%)", rows);
}

}  // namespace
}  // namespace astrasweep::netsim
