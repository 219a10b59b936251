// `et --check`: every reference bundle (what the real AstraSim ran) is
// sound, and each way of breaking a bundle is caught with its rank and node.
#include "astrasweep/et/check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "astrasweep/base/temp_dir.h"
#include "astrasweep/et/trace_io.h"
#include "et_test_util.h"

namespace astrasweep::et {
namespace {

using testing::kReferenceCases;

namespace fs = std::filesystem;


std::string Joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += p + "\n";
  return out;
}

TEST(Check, EveryReferenceBundleIsSound) {
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(kReferenceCases)) {
    // The reference cases keep their traces in et/ and the config files
    // beside it; a bundle has them in one folder.
    auto dir = TempDir::Create("check-test");
    ASSERT_TRUE(dir);
    fs::copy(entry.path() / "et", dir->path());
    for (const char* file : {"network.yml", "comm_groups.json"})
      if (fs::exists(entry.path() / file)) fs::copy(entry.path() / file, dir->path() / file);
    auto report = CheckBundle(dir->path().string());
    ASSERT_TRUE(report) << entry.path() << ": " << report.error().ToString();
    EXPECT_TRUE(report->ok()) << entry.path() << ":\n" << Joined(report->problems);
    EXPECT_GT(report->nodes, 0u);
    ++cases;
  }
  EXPECT_EQ(cases, 84);
}

// A copy of a reference bundle with one rank's trace changed by `edit`.
class Broken : public ::testing::Test {
 protected:
  void Copy(const std::string& name) {
    auto made = TempDir::Create("check-test");
    ASSERT_TRUE(made);
    dir_.emplace(std::move(*made));
    fs::copy(kReferenceCases / name / "et", dir_->path());
    for (const char* file : {"network.yml", "comm_groups.json"})
      if (fs::exists(kReferenceCases / name / file)) fs::copy(kReferenceCases / name / file, dir_->path() / file);
  }
  void Edit(int rank, const std::function<void(Trace&)>& edit) {
    const std::string path = TracePath((dir_->path() / "w").string(), rank);
    auto trace = ReadTrace(path);
    ASSERT_TRUE(trace) << trace.error().ToString();
    edit(*trace);
    ASSERT_TRUE(WriteTrace(path, *trace));
  }
  // The report's problems, which must include every one of `expected`.
  void ExpectProblem(std::initializer_list<std::string> expected) {
    auto report = CheckBundle(dir_->path().string());
    ASSERT_TRUE(report) << report.error().ToString();
    ASSERT_FALSE(report->ok()) << "the broken bundle passed the check";
    const std::string text = Joined(report->problems);
    for (const auto& part : expected) EXPECT_NE(text.find(part), std::string::npos) << text;
  }
  std::optional<TempDir> dir_;
};

TEST_F(Broken, AMissingRankFile) {
  Copy("all_reduce_ring4_1KiB");
  fs::remove(TracePath((dir_->path() / "w").string(), 2));
  ExpectProblem({"rank 2", "missing"});
}

TEST_F(Broken, ADuplicateIdADanglingDependencyAndACycle) {
  Copy("chain_ring8_50layers");
  Edit(3, [](Trace& t) {
    t.nodes[1].id = t.nodes[0].id;
    t.nodes[5].data_deps.push_back(987654);
  });
  Edit(4, [](Trace& t) { t.nodes[0].ctrl_deps.push_back(t.nodes[2].id); });
  ExpectProblem({"rank 3 node", "used twice", "depends on node 987654", "rank 4", "cycle"});
}

TEST_F(Broken, ASendWithoutItsReceiveAndASizeMismatch) {
  Copy("sendrecv_pipeline4_gpipe");
  Edit(0, [](Trace& t) {
    for (Node& n : t.nodes)
      if (n.type == NodeType::kSend) {
        n.Set("comm_size", std::int64_t{12345});
        break;
      }
  });
  ExpectProblem({"rank 0: a send to rank 1", "12345 bytes) has no matching receive",
                 "has no matching send"});
}

TEST_F(Broken, ACollectiveOfAnotherSizeOrMissingOnOneMember) {
  Copy("pipeline2_dp4_groups");
  Edit(2, [](Trace& t) {
    for (Node& n : t.nodes)
      if (n.type == NodeType::kCollective) n.Set("comm_size", std::int64_t{7});
  });
  Edit(3, [](Trace& t) {
    std::erase_if(t.nodes, [](const Node& n) { return n.type == NodeType::kCollective; });
  });
  ExpectProblem({"rank 2 node", "7 bytes", "issue order", "rank 3: issues 0 collectives"});
}

TEST_F(Broken, NodesAstraSimCannotRunOrRead) {
  Copy("all_reduce_ring4_1KiB");
  Edit(1, [](Trace& t) {
    t.nodes.push_back({.id = 900, .name = "load", .type = NodeType::kMemLoad});
    Node bad{.id = 901, .name = "coll", .type = NodeType::kCollective};
    bad.Set("comm_type", std::int64_t{0});
    bad.Set("comm_size", 1.5);  // a double: AstraSim reads integers
    t.nodes.push_back(bad);
    Node group{.id = 902, .name = "grouped", .type = NodeType::kCollective};
    group.Set("comm_type", std::int64_t{0});
    group.Set("comm_size", std::int64_t{8});
    group.Set("pg_name", std::int64_t{3});
    t.nodes.push_back(group);
  });
  ExpectProblem({"rank 1 node 900 'load': a MEM_LOAD_NODE", "node 901", "no integer attribute 'comm_size'",
                 "node 902", "pg_name is not a string_val"});
}

}  // namespace
}  // namespace astrasweep::et
