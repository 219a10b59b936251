// The fold: simulating one rank per orbit of the flattened workload's
// symmetry answers exactly what simulating every rank answers (every
// rank's finish, compute, communication and exposed time), on small
// points with the tensor-parallel group inside one network dimension and
// across two, on one- and multi-dimensional networks; and the fold is
// refused where the symmetry does not hold (a tree or halving-doubling
// algorithm over a rotated group, congestion-aware links, a ring whose
// distances a shift changes).
#include "astrasweep/netsim/fold.h"

#include <gtest/gtest.h>

#include "astrasweep/config/loader.h"
#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/flattened_bundle.h"

namespace astrasweep::netsim {
namespace {

using config::Topology;

struct Point {
  int tp, pp, dp;
  std::vector<std::pair<Topology, int>> network;  // innermost first
  config::CollectiveAlgorithms collectives = {};
};

constexpr config::CollectiveAlgorithms kRings{.all_reduce = config::CollectiveAlgorithm::kRing,
                                              .all_gather = config::CollectiveAlgorithm::kRing,
                                              .reduce_scatter = config::CollectiveAlgorithm::kRing};

std::string Describe(const Point& p) {
  std::string out = "tp " + std::to_string(p.tp) + " pp " + std::to_string(p.pp) + " dp " +
                    std::to_string(p.dp) + " on";
  for (const auto& [topology, npus] : p.network)
    out += std::string(" ") + et::TopologyName(topology) + " " + std::to_string(npus);
  return out;
}

void PrintTo(const Point& p, std::ostream* os) { *os << Describe(p); }

// et-small-16 (gpt-1.3b, 16 micro-batches per pipeline) with `p`'s
// parallelism and network.
config::Config ConfigOf(const Point& p) {
  auto point = config::LoadPointFile(std::string(ASTRASWEEP_SOURCE_DIR) +
                                     "/tests/data/points/et-small-16.yaml");
  EXPECT_TRUE(point) << point.error().ToString();
  config::Config c = point->config;
  c.parallelism.tp = p.tp;
  c.parallelism.pp = p.pp;
  c.parallelism.dp = p.dp;
  c.network.clear();
  double bandwidth = 400e9, latency = 500e-9;
  for (const auto& [topology, npus] : p.network) {
    c.network.push_back(
        {.topology = topology, .npus = npus, .bandwidth = bandwidth, .latency = latency});
    bandwidth /= 4;
    latency *= 3;
  }
  c.execution_backend.astra.collectives = p.collectives;
  return c;
}

struct Workload {
  et::FlattenedWorkload flattened;
  netsim::Setup setup;
};

Workload Build(const Point& p) {
  auto flattened = et::FlattenedWorkload::Build(ConfigOf(p));
  EXPECT_TRUE(flattened) << flattened.error().ToString();
  auto setup = ParseSetup(flattened->files());
  EXPECT_TRUE(setup) << setup.error().ToString();
  return {std::move(*flattened), std::move(*setup)};
}

Traces TracesOf(const et::FlattenedWorkload& workload, const std::vector<int>& ranks) {
  Traces traces;
  for (int rank : ranks) traces.push_back(workload.Trace(rank));
  return traces;
}

std::expected<FoldMap, std::string> Fold(const Workload& w, Congestion congestion) {
  const auto symmetry = w.flattened.symmetry();
  return FoldMap::Check(w.setup, symmetry, TracesOf(w.flattened, symmetry.Representatives()),
                        congestion);
}

class FoldEqualsFull : public ::testing::TestWithParam<Point> {};

TEST_P(FoldEqualsFull, EveryRanksTimesExactly) {
  const Point& p = GetParam();
  const Workload w = Build(p);
  std::vector<int> all(static_cast<std::size_t>(w.setup.npus()));
  for (int r = 0; r < w.setup.npus(); ++r) all[static_cast<std::size_t>(r)] = r;
  auto full = Simulate(w.setup, TracesOf(w.flattened, all), Congestion::kUnaware);
  ASSERT_TRUE(full) << full.error().ToString();

  auto fold = Fold(w, Congestion::kUnaware);
  ASSERT_TRUE(fold) << Describe(p) << ": the fold was refused: " << fold.error();
  EXPECT_EQ(fold->representatives().size(), static_cast<std::size_t>(p.pp));
  auto folded = SimulateFolded(w.setup, *fold, TracesOf(w.flattened, fold->representatives()));
  ASSERT_TRUE(folded) << folded.error().ToString();
  ASSERT_EQ(folded->ranks.size(), full->ranks.size());
  for (std::size_t r = 0; r < full->ranks.size(); ++r) {
    const auto& want = full->ranks[r];
    const auto& got = folded->ranks[r];
    EXPECT_EQ(got.finish_ns, want.finish_ns) << Describe(p) << ", rank " << r;
    EXPECT_EQ(got.compute_ns, want.compute_ns) << Describe(p) << ", rank " << r;
    EXPECT_EQ(got.comm_ns, want.comm_ns) << Describe(p) << ", rank " << r;
    EXPECT_EQ(got.exposed_ns, want.exposed_ns) << Describe(p) << ", rank " << r;
  }
  // The point has communication worth simulating.
  EXPECT_GT(full->ranks[0].exposed_ns, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    SmallPoints, FoldEqualsFull,
    ::testing::Values(
        // tp inside the switch of a node, dp across nodes (et-small-16).
        Point{2, 2, 4, {{Topology::kSwitch, 8}, {Topology::kFullyConnected, 2}}},
        Point{4, 2, 2, {{Topology::kSwitch, 8}, {Topology::kFullyConnected, 2}}},
        // one dimension: every group a ring inside it.
        Point{2, 2, 4, {{Topology::kRing, 16}}}, Point{4, 2, 2, {{Topology::kSwitch, 16}}, kRings},
        // tp split over two dimensions, dp over the third.
        Point{4, 2, 2, {{Topology::kRing, 2}, {Topology::kRing, 2}, {Topology::kSwitch, 4}}},
        // dp split over two dimensions.
        Point{2, 2, 4, {{Topology::kSwitch, 4}, {Topology::kRing, 2}, {Topology::kRing, 2}}},
        // no pipeline: every rank one orbit.
        Point{4, 1, 4, {{Topology::kSwitch, 4}, {Topology::kFullyConnected, 4}}}));

// Four ranks (x fastest, cyclic; y not) on one switch, comm groups {0, 3}
// and {1, 2}: the shift of x maps one group onto the other, so a message
// of rank 0 to rank 3 arrives at rank 2 on the other group's stream tags.
TEST(FoldEqualsFull, WhenAShiftMapsAGroupOntoAnother) {
  netsim::Setup setup;
  setup.network = {
      {.topology = Topology::kSwitch, .npus = 4, .bandwidth_gbps = 100, .latency_ns = 700}};
  setup.system.preferred_dataset_splits = 2;
  setup.system.local_mem_bw_gbps = 1000;
  for (auto& implementations : setup.system.implementations)
    implementations = {et::AstraImplementation{}};
  setup.comm_groups = {{1, {0, 3}}, {2, {1, 2}}};
  const auto trace = [](int rank) {
    const std::string group = rank == 0 || rank == 3 ? "1" : "2";
    std::vector<et::Node> nodes;
    for (std::uint64_t i = 0; i < 3; ++i) {
      et::Node compute{.id = 2 * i, .name = "compute", .type = et::NodeType::kCompute};
      compute.duration_micros = 5 + 10 * i;
      if (i > 0) compute.data_deps = {2 * i - 1};
      et::Node reduce{.id = 2 * i + 1, .name = "all-reduce", .type = et::NodeType::kCollective};
      reduce.data_deps = {2 * i};
      reduce.Set("comm_type", std::int64_t{static_cast<int>(et::CollectiveType::kAllReduce)});
      reduce.Set("comm_size", static_cast<std::int64_t>((i + 1) << 20));
      reduce.Set("pg_name", group);
      nodes.push_back(std::move(compute));
      nodes.push_back(std::move(reduce));
    }
    return nodes;
  };
  auto full = Simulate(setup, {trace(0), trace(1), trace(2), trace(3)}, Congestion::kUnaware);
  ASSERT_TRUE(full) << full.error().ToString();
  const et::RankSymmetry symmetry(
      {{.name = "x", .size = 2, .cyclic = true}, {.name = "y", .size = 2, .cyclic = false}});
  ASSERT_EQ(symmetry.Representatives(), (std::vector<int>{0, 2}));
  const Traces representatives = {trace(0), trace(2)};
  auto fold = FoldMap::Check(setup, symmetry, representatives, Congestion::kUnaware);
  ASSERT_TRUE(fold) << fold.error();
  auto folded = SimulateFolded(setup, *fold, representatives);
  ASSERT_TRUE(folded) << folded.error().ToString();
  EXPECT_EQ(*folded, *full);
}

// Why the fold of `p` is refused; empty when it is not.
std::string Refusal(const Point& p, Congestion congestion) {
  const auto fold = Fold(Build(p), congestion);
  return fold ? std::string() : fold.error();
}

TEST(FoldRefused, WhereTheSymmetryDoesNotHold) {
  // doubleBinaryTree over a rotated tp group (one dimension: the group runs
  // the dimension's implementation).
  config::CollectiveAlgorithms trees = kRings;
  trees.all_reduce = config::CollectiveAlgorithm::kDoubleBinaryTree;
  const std::string tree =
      Refusal({2, 2, 4, {{Topology::kSwitch, 16}}, trees}, Congestion::kUnaware);
  EXPECT_NE(tree.find("doubleBinaryTree"), std::string::npos) << tree;
  // halvingDoubling likewise (auto on a Switch).
  const std::string halving = Refusal({2, 2, 4, {{Topology::kSwitch, 16}}}, Congestion::kUnaware);
  EXPECT_NE(halving.find("halvingDoubling"), std::string::npos) << halving;
  EXPECT_EQ(halving.find("doubleBinaryTree"), std::string::npos) << halving;
  // Shared links.
  const std::string aware =
      Refusal({2, 2, 4, {{Topology::kSwitch, 16}}, kRings}, Congestion::kAware);
  EXPECT_NE(aware.find("congestion-aware"), std::string::npos) << aware;
  // A tp group of 4 on a ring of 8: ranks 3 and 0 are 3 hops apart, their
  // images 0 and 1 one.
  const std::string ring = Refusal({4, 2, 1, {{Topology::kRing, 8}}}, Congestion::kUnaware);
  EXPECT_NE(ring.find("not as far apart"), std::string::npos) << ring;
}

}  // namespace
}  // namespace astrasweep::netsim
