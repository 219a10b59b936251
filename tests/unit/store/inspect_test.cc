// inspect over a small archive whose every point is known: the --where
// filter keeps exactly the points it names, --group-by gives the best point
// of each group, infeasible points are set against their GPU's usable
// memory, failures are grouped by reason, and bad expressions and names say
// what is wrong.
#include "astrasweep/store/inspect.h"

#include <gtest/gtest.h>

#include <cmath>

#include "astrasweep.pb.h"
#include "astrasweep/base/temp_dir.h"
#include "astrasweep/exec/result_fields.h"
#include "astrasweep/store/archive.h"
#include "report_lines.h"

namespace astrasweep::store {
namespace {

using testing::LinesAfter;
using testing::Words;

constexpr double kGiB = 1073741824.0;

struct TestPoint {
  std::string model;
  int tp;
  std::string hardware;
  proto::PointStatus status;
  double tokens_per_s;
  double peak_gib;
  std::string stage = "", message = "";
};

// a100-40gb: 36 GiB usable; a100-80gb: 74 GiB usable.
const std::vector<TestPoint>& Points() {
  using enum proto::PointStatus;
  static const std::vector<TestPoint> points = {
      {"gpt-a", 1, "a100-80gb", POINT_STATUS_OK, 1000, 30},
      {"gpt-a", 2, "a100-80gb", POINT_STATUS_OK, 3000, 20},
      {"gpt-a", 4, "a100-80gb", POINT_STATUS_INFEASIBLE, 5000, 80},  // 8.1% over
      {"gpt-a", 1, "a100-40gb", POINT_STATUS_INFEASIBLE, 900, 37},   // 2.8% over
      {"gpt-a", 2, "a100-40gb", POINT_STATUS_OK, 2000, 30},
      {"gpt-b", 1, "a100-80gb", POINT_STATUS_INFEASIBLE, 100, 100},  // 35% over
      {"gpt-b", 2, "a100-80gb", POINT_STATUS_FAILED, 0, 0, "pipeline",
       "needs the micro-batches per pipeline (= 6) to be a multiple of pp = 4"},
      {"gpt-b", 4, "a100-80gb", POINT_STATUS_FAILED, 0, 0, "pipeline",
       "needs the micro-batches per pipeline (= 3) to be a multiple of pp = 2"},
      {"gpt-b", 1, "a100-40gb", POINT_STATUS_FAILED, 0, 0, "graph", "network.1.npus: 3 is not 4"},
      {"gpt-b", 2, "a100-40gb", POINT_STATUS_INFEASIBLE, 300, 50},  // 39% over
      {"gpt-a", 16, "a100-80gb", POINT_STATUS_OK, 100, 10},
  };
  return points;
}

std::string Config(const std::string& hardware) {
  const bool big = hardware == "a100-80gb";
  return "hardware:\n  memory: " + std::to_string(static_cast<long long>((big ? 80 : 40) * kGiB)) +
         " B\n  name: " + hardware +
         "\n  reserved_memory: " + std::to_string(static_cast<long long>((big ? 6 : 4) * kGiB)) +
         " B\nmodel:\n  layers: 2\n";
}

proto::PointResult Result(std::uint64_t index, const TestPoint& point) {
  proto::PointResult p;
  p.set_index(index);
  p.set_id(std::string(32, 'a'));
  p.set_status(point.status);
  p.set_mode("analytical");
  std::vector<double> fields(exec::ResultFields().size(), 0.0);
  fields[*exec::FindResultField("tokens_per_s")] = point.tokens_per_s;
  fields[*exec::FindResultField("step_time_s")] = 1.0;
  fields[*exec::FindResultField("peak_mem_bytes")] = point.peak_gib * kGiB;
  for (double value : fields) p.add_fields(value);
  p.add_swept(point.model);
  p.add_swept(std::to_string(point.tp));
  p.add_swept(point.hardware);
  p.set_canonical_config(Config(point.hardware));
  p.set_failure_stage(point.stage);
  p.set_failure_message(point.message);
  return p;
}

void WriteArchive(const std::string& path, const std::vector<TestPoint>& points) {
  const std::vector<sweep::SweptKey> swept = {
      {"model", sweep::SweptKey::Kind::kText, 16},
      {"parallelism.tp", sweep::SweptKey::Kind::kInteger, 0},
      {"hardware", sweep::SweptKey::Kind::kText, 16}};
  Provenance provenance;
  provenance.spec_sha256 = "abc";
  provenance.points_total = points.size();
  auto opened = CreateArchive(path, swept, provenance);
  ASSERT_TRUE(opened) << opened.error().ToString();
  for (std::size_t i = 0; i < points.size(); ++i)
    ASSERT_TRUE(opened->archive.Add(Result(i, points[i])));
  ASSERT_TRUE(opened->archive.Finish(ArchiveStatus::kComplete, "now"));
}

class InspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create();
    ASSERT_TRUE(dir);
    dir_.emplace(std::move(*dir));
    path_ = (dir_->path() / "out.h5").string();
    WriteArchive(path_, Points());
  }

  std::string Inspect(InspectOptions options) {
    auto text = InspectArchive(path_, options);
    EXPECT_TRUE(text) << text.error().ToString();
    return text ? *text : "";
  }
  Error InspectError(InspectOptions options) {
    auto text = InspectArchive(path_, options);
    EXPECT_FALSE(text) << "should be refused:\n" << *text;
    if (text) return Error(ErrorCode::kInternal, "no error");
    EXPECT_EQ(text.error().code(), ErrorCode::kInvalidInput) << text.error().ToString();
    return text.error();
  }

  std::optional<TempDir> dir_;
  std::string path_;
};

// The first word of each line but the header: the index in the lists.
std::vector<std::string> FirstWords(const std::vector<std::string>& lines) {
  std::vector<std::string> words;
  for (std::size_t i = 1; i < lines.size(); ++i) words.push_back(Words(lines[i], 1).at(0));
  return words;
}

TEST_F(InspectTest, CountsTheBestAndEveryStatus) {
  const std::string text = Inspect({});
  EXPECT_NE(text.find("points      11 in /points:  4 ok  4 infeasible  3 failed"),
            std::string::npos)
      << text;
  EXPECT_EQ(FirstWords(LinesAfter(text, "best 4 points by throughput")),
            (std::vector<std::string>{"1", "4", "0", "10"}))
      << text;
  EXPECT_EQ(text.find("where "), std::string::npos) << "no filter, no where line:\n" << text;
}

TEST_F(InspectTest, WhereKeepsExactlyThePointsItNames) {
  std::string text = Inspect({.where = "model == \"gpt-b\" and parallelism.tp >= 2"});
  EXPECT_NE(text.find("keeps 3:  0 ok  1 infeasible  2 failed"), std::string::npos) << text;
  EXPECT_NE(text.find("points      11 in /points"), std::string::npos) << "the whole count too";
  EXPECT_NE(text.find("failures    2:  2 at pipeline, for 1 reason\n"), std::string::npos)
      << "only the kept points' failures:\n"
      << text;
  EXPECT_NE(text.find("infeasible  1 of 3 points"), std::string::npos) << text;

  text = Inspect({.where = "status == 'ok' and tokens_per_s > 1500 and hardware != 'x'"});
  EXPECT_NE(text.find("keeps 2:  2 ok  0 infeasible  0 failed"), std::string::npos) << text;
  EXPECT_EQ(FirstWords(LinesAfter(text, "best 2 points by throughput")),
            (std::vector<std::string>{"1", "4"}))
      << text;
  EXPECT_EQ(text.find("\nfailures"), std::string::npos) << text;

  text = Inspect({.where = "index % 2 == 1 and peak_mem_bytes > 40 * 2**30"});
  EXPECT_NE(text.find("keeps 2:  0 ok  2 infeasible  0 failed"), std::string::npos)
      << "points 5 and 9:\n"
      << text;
}

TEST_F(InspectTest, GroupByGivesTheBestPointOfEachGroup) {
  std::string text = Inspect({.group_by = {"model"}});
  auto rows = LinesAfter(text, "best point per model");
  ASSERT_EQ(rows.size(), 3u) << text;
  EXPECT_EQ(Words(rows[0], 4), (std::vector<std::string>{"model", "points", "ok", "index"}));
  EXPECT_EQ(Words(rows[1], 4), (std::vector<std::string>{"gpt-a", "6", "4", "1"}))
      << "6 points, 4 ok, the best is point 1:\n"
      << text;
  EXPECT_NE(rows[1].find("3000 tokens/s"), std::string::npos) << text;
  EXPECT_EQ(Words(rows[2], 3), (std::vector<std::string>{"gpt-b", "5", "0"})) << text;
  EXPECT_NE(rows[2].find("no point ok: 3 failed, 2 infeasible"), std::string::npos) << text;

  text = Inspect({.where = "model == 'gpt-a'", .group_by = {"parallelism.tp", "hardware"}});
  rows = LinesAfter(text, "best point per parallelism.tp, hardware");
  ASSERT_EQ(rows.size(), 7u) << text;
  EXPECT_EQ(Words(rows[1]), (std::vector<std::string>{"1", "a100-40gb", "1", "0", "no", "point",
                                                      "ok:", "1", "infeasible"}))
      << text;
  EXPECT_EQ(Words(rows[2], 5), (std::vector<std::string>{"1", "a100-80gb", "1", "1", "0"})) << text;
  EXPECT_EQ(Words(rows[6], 5), (std::vector<std::string>{"16", "a100-80gb", "1", "1", "10"}))
      << "numbers in numeric order:\n"
      << text;
}

TEST_F(InspectTest, InfeasiblePointsAgainstTheirGpusUsableMemory) {
  const std::string text = Inspect({});
  EXPECT_NE(text.find("infeasible  4 of 11 points do not fit in GPU memory:\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("  hardware=a100-40gb (2 points): peak memory 37 to 50 GiB per GPU "
                      "against 36 GiB usable (a100-40gb: 40 GiB less 4 GiB reserved)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hardware=a100-80gb (2 points): peak memory 80 to 100 GiB per GPU "
                      "against 74 GiB usable"),
            std::string::npos)
      << text;
  const auto rows = LinesAfter(text, "4 nearest to fitting");
  EXPECT_EQ(FirstWords(rows), (std::vector<std::string>{"3", "2", "5", "9"}))
      << "by peak over usable:\n"
      << text;
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(Words(rows[0], 6),
            (std::vector<std::string>{"index", "peak", "memory", "usable", "over", "by"}));
  EXPECT_EQ(Words(rows[1]), (std::vector<std::string>{"3", "37", "GiB", "36", "GiB", "1", "GiB",
                                                      "(2.8%)", "gpt-a", "1", "a100-40gb"}))
      << text;

  const std::string one = Inspect({.top = 1, .where = "hardware == 'a100-80gb'"});
  EXPECT_NE(one.find("infeasible  2 of 7 points do not fit in GPU memory: peak memory 80 to 100 "
                     "GiB per GPU against 74 GiB usable (a100-80gb: 80 GiB less 6 GiB reserved)"),
            std::string::npos)
      << one;
  EXPECT_EQ(FirstWords(LinesAfter(one, "1 nearest to fitting")), (std::vector<std::string>{"2"}));
}

TEST_F(InspectTest, FailuresAreGroupedByReasonWithAnExample) {
  std::string text = Inspect({});
  EXPECT_NE(text.find("failures    3:  1 at graph  2 at pipeline, for 2 reasons"),
            std::string::npos)
      << text;
  const auto rows = LinesAfter(text, "failures    3:");
  ASSERT_EQ(rows.size(), 3u) << text;
  EXPECT_EQ(Words(rows[1], 3), (std::vector<std::string>{"2", "pipeline", "6"})) << text;
  EXPECT_NE(rows[1].find("needs the micro-batches per pipeline (= 6) to be a multiple of pp = 4  "
                         "(the numbers vary)"),
            std::string::npos)
      << text;
  EXPECT_EQ(Words(rows[2]),
            (std::vector<std::string>{"1", "graph", "8", "network.1.npus:", "3", "is", "not", "4"}))
      << "a number inside a key path is kept, and one message does not vary:\n"
      << text;

  text = Inspect({.top = 1});
  EXPECT_NE(text.find("... and 1 points for other reasons"), std::string::npos) << text;
}

TEST_F(InspectTest, BadExpressionsAndNamesSayWhatIsWrong) {
  std::string message = InspectError({.where = "paralelism.tp == 8"}).message();
  EXPECT_NE(message.find("unknown column 'paralelism.tp' (did you mean 'parallelism.tp'?)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("the swept keys are model, parallelism.tp, hardware"), std::string::npos)
      << message;

  message = InspectError({.where = "tp == 8"}).message();
  EXPECT_NE(message.find("unknown column 'tp' (did you mean 'parallelism.tp' or 'tp_comm_s'?)"),
            std::string::npos)
      << "a key path's last part first:\n"
      << message;

  message = InspectError({.where = "training.recompute == 'full'"}).message();
  EXPECT_NE(message.find("'training.recompute' is a config key this sweep does not vary"),
            std::string::npos)
      << message;

  message = InspectError({.where = "parallelism.tp == "}).message();
  EXPECT_NE(message.find("at column 19: the expression ends too early"), std::string::npos)
      << message;
  message = InspectError({.where = "model < 'b'"}).message();
  EXPECT_NE(message.find("only be compared with == and !="), std::string::npos) << message;
  message = InspectError({.where = "model"}).message();
  EXPECT_NE(message.find("not a string"), std::string::npos) << message;

  message = InspectError({.group_by = {"model", "modelz"}}).message();
  EXPECT_NE(message.find("--group-by modelz: unknown column 'modelz' (did you mean 'model'?)"),
            std::string::npos)
      << message;
}

TEST_F(InspectTest, GroupingByAColumnOfManyValuesIsRefused) {
  const TestPoint point = Points().front();
  std::vector<TestPoint> points;
  for (int i = 0; i <= 1000; ++i) points.push_back(point);
  WriteArchive((dir_->path() / "many.h5").string(), points);
  auto text = InspectArchive((dir_->path() / "many.h5").string(), {.group_by = {"index"}});
  ASSERT_FALSE(text) << "1001 groups";
  EXPECT_NE(text.error().message().find("--group-by index makes more than 1000 groups; group by "
                                        "columns of few values, such as the swept keys (model, "
                                        "parallelism.tp, hardware)"),
            std::string::npos)
      << text.error().message();
}

}  // namespace
}  // namespace astrasweep::store
