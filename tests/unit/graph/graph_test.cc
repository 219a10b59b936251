// The IR: validation names the offending node, topological order follows
// dependencies and stream order, DOT export.
#include "astrasweep/graph/graph.h"

#include <gtest/gtest.h>

#include "astrasweep/graph/scheduler.h"

namespace astrasweep::graph {
namespace {

Node Compute(StreamId stream, double duration, std::int32_t mb) {
  Node n;
  n.stream = stream;
  n.stage = 0;
  n.microbatch = mb;
  n.duration = duration;
  n.name = "forward";
  return n;
}

TEST(Graph, TopologicalOrderFollowsDependenciesAndStreams) {
  Graph g;
  const StreamId a = g.AddStream({StreamKind::kCompute, 0, -1});
  const StreamId b = g.AddStream({StreamKind::kCompute, 1, -1});
  const NodeId x = g.Add(Compute(a, 1, 0));
  const NodeId y = g.Add(Compute(b, 1, 0));
  const NodeId z = g.Add(Compute(a, 1, 1));  // after x on stream a
  g.AddDependency(x, y);                     // x waits for y
  auto order = g.TopologicalOrder();
  ASSERT_TRUE(order) << order.error().ToString();
  ASSERT_EQ(order->size(), 3u);
  auto pos = [&](NodeId id) {
    return std::find(order->begin(), order->end(), id) - order->begin();
  };
  EXPECT_LT(pos(y), pos(x));
  EXPECT_LT(pos(x), pos(z));
  EXPECT_TRUE(g.Validate());
}

TEST(Graph, DanglingEdgeNamesTheNode) {
  Graph g;
  const StreamId s = g.AddStream({});
  const NodeId x = g.Add(Compute(s, 1, 3));
  g.AddDependency(x, 7);
  auto status = g.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("forward #0 stage 0 mb 3"), std::string::npos)
      << status.error().message();
  EXPECT_NE(status.error().message().find("#7, which does not exist"), std::string::npos);
}

TEST(Graph, CycleThroughStreamOrderIsNamed) {
  Graph g;
  const StreamId s = g.AddStream({});
  const NodeId first = g.Add(Compute(s, 1, 0));
  const NodeId second = g.Add(Compute(s, 1, 1));
  g.AddDependency(first, second);  // first waits for second, which follows it on the stream
  auto status = g.Validate();
  ASSERT_FALSE(status);
  const std::string& msg = status.error().message();
  EXPECT_NE(msg.find("cycle"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mb 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mb 1"), std::string::npos) << msg;
  EXPECT_FALSE(Simulate(g));
}

TEST(Graph, NegativeDurationAndUnknownStreamAreErrors) {
  Graph g;
  const StreamId s = g.AddStream({});
  g.Add(Compute(s, -1, 0));
  EXPECT_FALSE(g.Validate());
  Graph h;
  h.Add(Compute(3, 1, 0));
  auto status = h.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("stream 3"), std::string::npos);
}

TEST(Graph, DotHasNodesDependenciesAndStreamOrder) {
  Graph g;
  const StreamId s = g.AddStream({});
  const NodeId x = g.Add(Compute(s, 0.002, 0));
  const NodeId y = g.Add(Compute(s, 0.001, 1));
  g.AddDependency(y, x);
  const std::string dot = g.ToDot();
  EXPECT_NE(dot.find("digraph"), std::string::npos);
  EXPECT_NE(dot.find("n0 [shape=box, label=\"forward #0 stage 0 mb 0\\n2 ms\"]"), std::string::npos)
      << dot;
  EXPECT_NE(dot.find("n0 -> n1;"), std::string::npos);
  EXPECT_NE(dot.find("n0 -> n1 [style=dotted"), std::string::npos);
}

TEST(Scheduler, StreamsSerialiseAndOverlap) {
  // Stream a: x (2 s) then z (1 s); stream b: y (3 s); z waits for y.
  Graph g;
  const StreamId a = g.AddStream({});
  const StreamId b = g.AddStream({});
  const NodeId x = g.Add(Compute(a, 2, 0));
  Node comm = Compute(b, 3, 0);
  comm.kind = NodeKind::kSendRecv;
  const NodeId y = g.Add(comm);
  const NodeId z = g.Add(Compute(a, 1, 1));
  g.AddDependency(z, y);
  auto s = Simulate(g);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->start[static_cast<std::size_t>(x)], 0);
  EXPECT_DOUBLE_EQ(s->start[static_cast<std::size_t>(y)], 0);
  EXPECT_DOUBLE_EQ(s->start[static_cast<std::size_t>(z)], 3);
  EXPECT_DOUBLE_EQ(s->makespan, 4);
  // Stage 0 computes 3 s; it waits 1 s (from 2 to 3) on the running transfer.
  auto stages = AnalyzeStages(g, *s);
  ASSERT_EQ(stages.size(), 1u);
  EXPECT_DOUBLE_EQ(stages[0].compute, 3);
  EXPECT_DOUBLE_EQ(stages[0].exposed_comm, 1);
  EXPECT_DOUBLE_EQ(stages[0].bubble, 0);
  EXPECT_DOUBLE_EQ(stages[0].pp_comm, 3);
}

}  // namespace
}  // namespace astrasweep::graph
