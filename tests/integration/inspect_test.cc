// `astrasweep inspect` on the mixed sweep (ok, infeasible and failed
// points), checked against the archive's own tables: --where keeps exactly
// the points it names, --group-by gives each group's best point, the
// infeasible points are set against the A100's usable memory in GiB, the
// failures are grouped by reason with their counts, and a bad expression or
// column is refused with exit code 2 and a message that says why.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/store/table.h"
#include "report_lines.h"
#include "shell.h"

namespace astrasweep {
namespace {

using testing::LinesAfter;
using testing::Words;

const std::string kBin = ASTRASWEEP_BIN;
const std::string kSource = ASTRASWEEP_SOURCE_DIR;

using Cli = testing::Ran;
Cli Astrasweep(const std::string& args) { return testing::Run(kBin + " " + args); }

// What the test needs of one point of /points.
struct Row {
  std::uint64_t index;
  std::string status, model;
  std::int64_t tp;
  double tokens_per_s;
};

std::vector<Row> ReadPoints(const std::string& path) {
  auto file = store::File::Open(path, store::File::Access::kReadOnly);
  EXPECT_TRUE(file) << file.error().ToString();
  auto table = store::Table::Open(*file, "points");
  EXPECT_TRUE(table) << table.error().ToString();
  store::ColumnSet columns;
  const auto index = columns.Add<std::uint64_t>("index");
  const auto status = columns.Add<std::string_view>("status", 16);
  const auto model = columns.Add<std::string_view>("model", 32);
  const auto tp = columns.Add<std::int64_t>("parallelism.tp");
  const auto tokens = columns.Add<double>("tokens_per_s");
  store::RowBuffer rows(columns);
  EXPECT_TRUE(table->Read(0, table->rows(), rows));
  std::vector<Row> out;
  for (std::size_t r = 0; r < rows.rows(); ++r)
    out.push_back({rows.Get(r, index), std::string(rows.Get(r, status)),
                   std::string(rows.Get(r, model)), rows.Get(r, tp), rows.Get(r, tokens)});
  return out;
}

class InspectCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir(*TempDir::Create("astrasweep-inspect-test-"));
    archive_ = (dir_->path() / "mixed.h5").string();
    const Cli run = Astrasweep("run " + kSource + "/tests/data/sweeps/mixed.yaml -o " + archive_);
    ASSERT_EQ(run.code, 0) << run.output;
    points_ = new std::vector<Row>(ReadPoints(archive_));
  }
  static void TearDownTestSuite() {
    delete points_;
    delete dir_;
  }

  static TempDir* dir_;
  static std::string archive_;
  static std::vector<Row>* points_;
};

TempDir* InspectCli::dir_ = nullptr;
std::string InspectCli::archive_;
std::vector<Row>* InspectCli::points_ = nullptr;

TEST_F(InspectCli, WhereKeepsExactlyTheNamedPoints) {
  std::map<std::string, int> expected;
  for (const Row& row : *points_)
    if (row.tp == 8 && row.model == "gpt-13b") ++expected[row.status];
  const Cli cli =
      Astrasweep("inspect " + archive_ + " --where 'parallelism.tp == 8 and model == \"gpt-13b\"'");
  ASSERT_EQ(cli.code, 0) << cli.output;
  const std::string counts =
      "keeps " + std::to_string(expected["ok"] + expected["infeasible"] + expected["failed"]) +
      ":  " + std::to_string(expected["ok"]) + " ok  " + std::to_string(expected["infeasible"]) +
      " infeasible  " + std::to_string(expected["failed"]) + " failed";
  EXPECT_NE(cli.output.find(counts), std::string::npos) << counts << " in:\n" << cli.output;
  const auto best = LinesAfter(cli.output, "best ");
  ASSERT_GT(best.size(), 1u) << cli.output;
  for (std::size_t i = 1; i < best.size(); ++i)
    EXPECT_NE(best[i].find("gpt-13b"), std::string::npos) << best[i];
}

TEST_F(InspectCli, GroupByGivesEachGroupsBestPoint) {
  std::map<std::string, const Row*> best;
  for (const Row& row : *points_) {
    if (row.status != "ok") continue;
    const Row*& current = best[row.model];
    if (current == nullptr || row.tokens_per_s > current->tokens_per_s ||
        (row.tokens_per_s == current->tokens_per_s && row.index < current->index))
      current = &row;
  }
  const Cli cli = Astrasweep("inspect " + archive_ + " --group-by model --top 3");
  ASSERT_EQ(cli.code, 0) << cli.output;
  const auto rows = LinesAfter(cli.output, "best point per model");
  ASSERT_EQ(rows.size(), best.size() + 1) << cli.output;
  std::vector<std::string> order;
  for (std::size_t i = 1; i < rows.size(); ++i) order.push_back(Words(rows[i]).at(0));
  EXPECT_EQ(order, (std::vector<std::string>{"gpt-1.3b", "gpt-2.7b", "gpt-6.7b", "gpt-13b"}))
      << "names in natural order:\n"
      << cli.output;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto words = Words(rows[i]);
    ASSERT_GE(words.size(), 4u) << rows[i];
    ASSERT_TRUE(best.contains(words[0])) << rows[i];
    EXPECT_EQ(words[3], std::to_string(best[words[0]]->index)) << rows[i];
  }
}

TEST_F(InspectCli, InfeasiblePointsShowGibAgainstTheGpusMemory) {
  std::size_t infeasible = 0;
  for (const Row& row : *points_) infeasible += row.status == "infeasible";
  const Cli cli = Astrasweep("inspect " + archive_ + " --top 5");
  ASSERT_EQ(cli.code, 0) << cli.output;
  EXPECT_NE(cli.output.find("infeasible  " + std::to_string(infeasible) + " of " +
                            std::to_string(points_->size()) +
                            " points do not fit in GPU memory: peak memory "),
            std::string::npos)
      << cli.output;
  EXPECT_NE(cli.output.find(" GiB per GPU against 74 GiB usable (a100-80gb: 80 GiB less 6 GiB "
                            "reserved)"),
            std::string::npos)
      << cli.output;
  const auto rows = LinesAfter(cli.output, "5 nearest to fitting");
  ASSERT_EQ(rows.size(), 6u) << cli.output;
  double last = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto words = Words(rows[i]);
    ASSERT_GE(words.size(), 8u) << rows[i];
    EXPECT_EQ(words[2], "GiB") << rows[i];
    EXPECT_EQ(words[3] + " " + words[4], "74 GiB") << rows[i];
    const double peak = std::stod(words[1]);
    EXPECT_GT(peak, 74) << rows[i];
    EXPECT_GE(peak, last) << "nearest to fitting first:\n" << cli.output;
    last = peak;
  }
}

TEST_F(InspectCli, FailuresAreGroupedByReasonWithCounts) {
  std::size_t failed = 0;
  for (const Row& row : *points_) failed += row.status == "failed";
  const Cli cli = Astrasweep("inspect " + archive_);
  ASSERT_EQ(cli.code, 0) << cli.output;
  const std::string heading = "failures    " + std::to_string(failed) + ":";
  const auto rows = LinesAfter(cli.output, heading);
  ASSERT_EQ(rows.size(), 3u) << "two reasons:\n" << cli.output;
  std::size_t counted = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) counted += std::stoul(Words(rows[i]).at(0));
  EXPECT_EQ(counted, failed) << cli.output;
  EXPECT_NE(rows[1].find("the interleaved schedule needs parallelism.pp >= 2"), std::string::npos)
      << cli.output;
  EXPECT_NE(rows[2].find("to be a multiple of pp ="), std::string::npos) << cli.output;
  EXPECT_NE(rows[2].find("(the numbers vary)"), std::string::npos) << cli.output;
}

TEST_F(InspectCli, BadExpressionsAndColumnsExitTwoSayingWhy) {
  Cli cli = Astrasweep("inspect " + archive_ + " --where 'parallelism.tq == 8'");
  EXPECT_EQ(cli.code, 2) << cli.output;
  EXPECT_NE(cli.output.find("unknown column 'parallelism.tq' (did you mean 'parallelism.tp'?)"),
            std::string::npos)
      << cli.output;
  cli = Astrasweep("inspect " + archive_ + " --where 'tokens_per_s >'");
  EXPECT_EQ(cli.code, 2) << cli.output;
  EXPECT_NE(cli.output.find("at column 15"), std::string::npos) << cli.output;
  cli = Astrasweep("inspect " + archive_ + " --group-by model,gpu");
  EXPECT_EQ(cli.code, 2) << cli.output;
  EXPECT_NE(cli.output.find("--group-by gpu: unknown column 'gpu' (did you mean 'gpus'?)"),
            std::string::npos)
      << cli.output;
}

// A table rewritten by h5py or pandas may narrow its columns (u1 peak
// memory, f4 throughput, i4 tp): inspect reads each through HDF5's
// conversion into its own type, never past the values it was given.
TEST_F(InspectCli, ColumnsNarrowedByAnotherToolAreReadByValue) {
  const std::string python = testing::PythonWithH5();
  if (python.empty()) GTEST_SKIP() << "no python3 with h5py and numpy";
  const std::string narrowed = (dir_->path() / "narrowed.h5").string();
  std::filesystem::copy_file(archive_, narrowed);
  const std::string script = (dir_->path() / "narrow.py").string();
  std::ofstream(script) << R"py(import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r+')
d = f['points'][...]
narrow = {'peak_mem_bytes': 'u1', 'tokens_per_s': 'f4', 'parallelism.tp': 'i4', 'index': 'u2'}
dt = [(n, np.dtype(narrow.get(n, d.dtype[n]))) for n in d.dtype.names]
nd = np.zeros(d.shape, dtype=dt)
for n in d.dtype.names:
    nd[n] = np.minimum(d[n], 255) if n == 'peak_mem_bytes' else d[n]
attrs = dict(f['points'].attrs)
del f['points']
ds = f.create_dataset('points', data=nd, maxshape=(None,), chunks=True)
for k, v in attrs.items():
    ds.attrs[k] = v
f.close()
)py";
  int code = 0;
  const std::string out = testing::Capture(python + " " + script + " " + narrowed, &code);
  ASSERT_EQ(code, 0) << out;
  const Cli cli =
      Astrasweep("inspect " + narrowed + " --where 'parallelism.tp == 2' --group-by model");
  ASSERT_EQ(cli.code, 0) << cli.output;
  // The same groups as the original archive gives.
  const Cli original =
      Astrasweep("inspect " + archive_ + " --where 'parallelism.tp == 2' --group-by model");
  ASSERT_EQ(original.code, 0) << original.output;
  for (const char* model : {"gpt-1.3b", "gpt-6.7b"})
    EXPECT_NE(cli.output.find(model), std::string::npos) << cli.output;
  EXPECT_EQ(LinesAfter(cli.output, "best").size(), LinesAfter(original.output, "best").size())
      << cli.output << "\n---\n"
      << original.output;
  // A 1-byte column reads by value (255), not as a flag (1).
  const Cli by_value = Astrasweep("inspect " + narrowed +
                                  " --where 'parallelism.tp == 2 and peak_mem_bytes == 255' "
                                  "--group-by model");
  ASSERT_EQ(by_value.code, 0) << by_value.output;
  EXPECT_EQ(LinesAfter(by_value.output, "best").size(), LinesAfter(cli.output, "best").size())
      << by_value.output;
}

}  // namespace
}  // namespace astrasweep
