// Chakra ET files: every rank of every reference bundle (what the real
// AstraSim ran) reads, and writes back byte for byte; nodes of every
// attribute kind round-trip; torn, damaged and foreign files are refused
// with the file and the node named.
#include "astrasweep/et/trace_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "astrasweep/base/strings.h"
#include "astrasweep/base/temp_dir.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/et/block_bundle.h"
#include "astrasweep/et/collective_bundle.h"
#include "astrasweep/et/flattened_bundle.h"
#include "astrasweep/et/pipeline_bundle.h"
#include "et_test_util.h"

namespace astrasweep::et {
namespace {

using testing::FileText;
using testing::kReferenceCases;

namespace fs = std::filesystem;



TEST(TraceIo, EveryReferenceBundleReadsAndWritesBackByteForByte) {
  auto dir = TempDir::Create("et-test");
  ASSERT_TRUE(dir);
  int cases = 0, files = 0;
  for (const auto& entry : fs::directory_iterator(kReferenceCases)) {
    const auto info = nlohmann::json::parse(FileText(entry.path() / "case.json"));
    const int npus = info.at("npus").get<int>();
    for (int rank = 0; rank < npus; ++rank) {
      const std::string path = TracePath((entry.path() / "et" / "w").string(), rank);
      auto trace = ReadTrace(path);
      ASSERT_TRUE(trace) << trace.error().ToString();
      EXPECT_EQ(trace->metadata.version, kChakraVersion) << path;
      EXPECT_FALSE(trace->nodes.empty()) << path;
      const std::string copy = (dir->path() / "copy.et").string();
      ASSERT_TRUE(WriteTrace(copy, *trace));
      EXPECT_EQ(FileText(copy), FileText(path)) << "writing " << path << " back changed its bytes";
      auto again = ReadTrace(copy);
      ASSERT_TRUE(again) << again.error().ToString();
      EXPECT_EQ(*again, *trace) << path;
      ++files;
    }
    ++cases;
  }
  EXPECT_EQ(cases, 84) << "the reference bundles in tests/data/astrasim-reference";
  EXPECT_GT(files, 500);
}

TEST(TraceIo, EveryBundleKindOfTheProjectReadsAndWritesBackByteForByte) {
  auto point = config::LoadPointFile(std::string(ASTRASWEEP_SOURCE_DIR) +
                                     "/tests/data/points/et-small-16.yaml");
  ASSERT_TRUE(point) << point.error().ToString();
  const auto& c = point->config;
  auto dir = TempDir::Create("et-test");
  ASSERT_TRUE(dir);
  const std::pair<std::string, std::function<Status(const std::string&)>> kinds[] = {
      {"collective",
       [&](const std::string& out) {
         return WriteCollectiveBundle(c, {.bytes = 1 << 20, .stride = 1, .size = 2}, out);
       }},
      {"pipeline", [&](const std::string& out) { return WritePipelineBundle(c, out); }},
      {"block", [&](const std::string& out) { return WriteBlockBundle(c, out); }},
      {"flattened", [&](const std::string& out) { return WriteFlattenedBundle(c, out); }}};
  for (const auto& [kind, write] : kinds) {
    const fs::path out = dir->path() / kind;
    ASSERT_TRUE(write(out.string())) << kind;
    int files = 0;
    for (const auto& entry : fs::directory_iterator(out)) {
      if (entry.path().extension() != ".et") continue;
      auto trace = ReadTrace(entry.path().string());
      ASSERT_TRUE(trace) << trace.error().ToString();
      const std::string copy = (dir->path() / "copy.et").string();
      ASSERT_TRUE(WriteTrace(copy, *trace));
      EXPECT_EQ(FileText(copy), FileText(entry.path())) << kind << " " << entry.path();
      ++files;
    }
    EXPECT_GT(files, 1) << kind;
  }
}

TEST(TraceIo, NodesOfEveryAttributeKindRoundTrip) {
  Node node{.id = 7, .name = "all_reduce", .type = NodeType::kCollective};
  node.ctrl_deps = {1, 2};
  node.data_deps = {3};
  node.duration_micros = 12;
  node.inputs = {.values = "v", .shapes = "[[2]]", .types = "float"};
  node.Set("comm_type", std::int64_t{static_cast<int>(CollectiveType::kAllReduce)});
  node.Set("comm_size", std::int64_t{1} << 40);
  node.Set("is_cpu_op", false);
  node.Set("pg_name", std::string("3"));
  node.Set("involved_dim", std::vector<bool>{true, false});
  node.Set("a32", std::int32_t{-3});
  node.Set("u32", std::uint32_t{4000000000u});
  node.Set("u64", std::uint64_t{1} << 63);
  node.Set("f", 0.5f);
  node.Set("d", 0.25);
  node.Set("li", std::vector<std::int64_t>{-1, 2});
  node.Set("lu", std::vector<std::uint64_t>{3, 4});
  const Trace trace{.metadata = {.version = std::string(kChakraVersion), .attrs = {}},
                    .nodes = {node, Node{.id = 8, .type = NodeType::kCompute}}};
  auto dir = TempDir::Create("et-test");
  ASSERT_TRUE(dir);
  const std::string path = TracePath((dir->path() / "w").string(), 0);
  EXPECT_EQ(fs::path(path).filename(), "w.0.et");
  ASSERT_TRUE(WriteTrace(path, trace));
  auto back = ReadTrace(path);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, trace);
  EXPECT_EQ(back->nodes[0].Integer("comm_size"), std::int64_t{1} << 40);
  EXPECT_EQ(back->nodes[0].Integer("pg_name"), std::nullopt) << "a string is not an integer";

  // The content hash of the nodes in memory is the writer's.
  auto writer = TraceWriter::Create(path, trace.metadata);
  ASSERT_TRUE(writer);
  for (const Node& each : trace.nodes) ASSERT_TRUE(writer->Add(each));
  EXPECT_EQ(ContentHash(trace.metadata, trace.nodes), writer->content_hash())
      << "the in-memory hash differs from the file's";
  EXPECT_NE(ContentHash(trace.metadata, {node}), writer->content_hash());
}

TEST(TraceIo, TornDamagedAndForeignFilesAreRefusedNamingTheFileAndNode) {
  auto dir = TempDir::Create("et-test");
  ASSERT_TRUE(dir);
  const std::string good = (dir->path() / "good.et").string();
  Trace trace{.metadata = {.version = "0.0.4", .attrs = {}}, .nodes = {}};
  for (std::uint64_t id = 0; id < 3; ++id)
    trace.nodes.push_back({.id = id, .name = "comp", .type = NodeType::kCompute});
  ASSERT_TRUE(WriteTrace(good, trace));
  const std::string bytes = FileText(good);

  const std::string torn = (dir->path() / "torn.et").string();
  std::ofstream(torn, std::ios::binary) << bytes.substr(0, bytes.size() - 3);
  auto read = ReadTrace(torn);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().ToString().find("torn.et"), std::string::npos) << read.error().ToString();
  EXPECT_NE(read.error().ToString().find("node 2"), std::string::npos) << read.error().ToString();

  const std::string foreign = (dir->path() / "foreign.et").string();
  std::ofstream(foreign, std::ios::binary) << "hello, this is not a trace at all";
  EXPECT_FALSE(ReadTrace(foreign));
  EXPECT_FALSE(ReadTrace((dir->path() / "missing.et").string()));

  // A node whose attribute holds a sint64_val (a kind this reader does not
  // keep): refused, naming the attribute, not read as something else.
  const std::string odd = (dir->path() / "odd.et").string();
  const std::string attr = std::string("\x0a\x01x\x88\x01\x02", 6);
  const std::string node = std::string("\x08\x05\x52", 3) + char(attr.size()) + attr;
  std::ofstream(odd, std::ios::binary)
      << std::string("\x03\x0a\x01v", 4) << char(node.size()) << node;
  auto odd_read = ReadTrace(odd);
  ASSERT_FALSE(odd_read);
  EXPECT_NE(odd_read.error().ToString().find("attribute 'x'"), std::string::npos)
      << odd_read.error().ToString();
  EXPECT_NE(odd_read.error().ToString().find("id 5"), std::string::npos)
      << odd_read.error().ToString();
}

}  // namespace
}  // namespace astrasweep::et
