#include "astrasweep/netsim/builtin.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <deque>
#include <filesystem>
#include <optional>
#include <unordered_map>
#include <utility>

#include "astrasweep/base/strings.h"
#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/trace_io.h"
#include "astrasweep/netsim/fold.h"
#include "network_rules.h"

namespace astrasweep::netsim {
namespace {

using AstraAlgorithm = config::CollectiveAlgorithm;
using AstraTopology = config::Topology;
using Coll = model::Collective;

// AstraSim's version of the replay semantics this file follows; part of
// the cache key, so a change of semantics must bump it.
constexpr int kSemanticsVersion = 1;

// ---------------------------------------------------------------- workload

struct SimNode {
  enum class Kind : std::uint8_t { kCompute, kSend, kRecv, kColl, kNoop };
  Kind kind = Kind::kNoop;
  Coll coll = Coll::kAllReduce;
  std::uint32_t parents = 0;  // unfinished parents
  std::uint64_t id = 0;
  std::uint64_t duration_ns = 0;
  std::uint64_t bytes = 0;
  int peer = -1;
  std::uint32_t tag = 0;
  int group = 0;                    // comm group id, 0: every rank
  std::uint32_t involved = ~0u;     // bit d: dimension d takes part
  std::uint32_t first_child = 0, child_count = 0;
};

struct RankTrace {
  std::vector<SimNode> nodes;
  std::vector<std::uint32_t> children;
};

// Small values by key: open addressing in a power-of-two table at most
// half full, linear probing, deletion by backward shift. The replay's maps
// (node ids, channels in flight, pending nanoseconds) are looked up for
// every node, message or event, where std::unordered_map's allocation per
// entry would cost more than the work itself.
template <typename Key, typename Hash>
class FlatIndex {
 public:
  explicit FlatIndex(std::size_t expected = 16) : slots_(std::bit_ceil(2 * expected + 2)) {}
  // The key's value, or nullptr.
  std::uint32_t* Find(const Key& key) {
    Slot& slot = slots_[Probe(key)];
    return slot.value == kEmpty ? nullptr : &slot.value;
  }
  // The key's value, `value` added when the key had none (then true).
  std::pair<std::uint32_t, bool> Emplace(const Key& key, std::uint32_t value) {
    std::size_t at = Probe(key);
    if (slots_[at].value != kEmpty) return {slots_[at].value, false};
    if (2 * (size_ + 1) > slots_.size()) {
      Grow();
      at = Probe(key);
    }
    slots_[at] = Slot{key, value};
    ++size_;
    return {value, true};
  }
  void Erase(const Key& key) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t hole = Probe(key);
    if (slots_[hole].value == kEmpty) return;
    --size_;
    // Shift back every later key of the run that the hole would hide.
    for (std::size_t at = (hole + 1) & mask; slots_[at].value != kEmpty; at = (at + 1) & mask) {
      const std::size_t home = Hash{}(slots_[at].key) & mask;
      if (((at - home) & mask) >= ((at - hole) & mask)) {
        slots_[hole] = slots_[at];
        hole = at;
      }
    }
    slots_[hole].value = kEmpty;
  }

 private:
  static constexpr std::uint32_t kEmpty = ~0u;
  struct Slot {
    Key key{};
    std::uint32_t value = kEmpty;
  };
  // The key's slot, or the empty one where it would go.
  std::size_t Probe(const Key& key) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = Hash{}(key) & mask;; at = (at + 1) & mask)
      if (slots_[at].value == kEmpty || slots_[at].key == key) return at;
  }
  void Grow() {
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(2 * slots_.size()));
    for (const Slot& slot : old)
      if (slot.value != kEmpty) slots_[Probe(slot.key)] = slot;
  }
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

struct HashId {
  std::size_t operator()(std::uint64_t id) const {
    const std::uint64_t hash = id * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(hash ^ (hash >> 29));
  }
};

// Compiles one rank's nodes as they are read, so a bundle's traces are
// never held as et::Node (their strings and attribute lists cost more than
// replaying them): each node becomes a SimNode and its parents' ids are
// kept until Finish, which resolves them into children once every id is
// known (a node may depend on one later in the file).
class RankCompiler {
 public:
  explicit RankCompiler(int rank) : rank_(rank) {}
  Status Add(const et::Node& n);
  Expected<RankTrace> Finish() &&;

 private:
  int rank_;
  RankTrace out_;
  std::vector<std::uint64_t> parent_ids_;  // every node's parents, in node order
};

Status RankCompiler::Add(const et::Node& n) {
  const auto fail = [&](const std::string& what) {
    return InvalidInput("rank " + std::to_string(rank_) + ", node " + std::to_string(n.id) + " (" +
                        n.name + "): " + what);
  };
  SimNode& s = out_.nodes.emplace_back();
  s.id = n.id;
  const auto is_cpu = n.Find("is_cpu_op");
  if (is_cpu && std::holds_alternative<bool>(is_cpu->value) && std::get<bool>(is_cpu->value) &&
      n.type != et::NodeType::kCompute)
    return fail("a communication node cannot be a CPU op");
  switch (n.type) {
    case et::NodeType::kCompute:
      s.kind = SimNode::Kind::kCompute;
      s.duration_ns = n.duration_micros == 0 ? 1 : n.duration_micros * 1000;
      break;
    case et::NodeType::kSend:
    case et::NodeType::kRecv: {
      const bool send = n.type == et::NodeType::kSend;
      s.kind = send ? SimNode::Kind::kSend : SimNode::Kind::kRecv;
      const auto size = n.Integer("comm_size");
      const auto tag = n.Integer("comm_tag");
      const auto peer = n.Integer(send ? "comm_dst" : "comm_src");
      const auto self = n.Integer(send ? "comm_src" : "comm_dst");
      if (!size || !tag || !peer)
        return fail(std::string("needs integer comm_size, comm_tag and ") +
                    (send ? "comm_dst" : "comm_src"));
      if (self && *self != rank_)
        return fail(std::string(send ? "comm_src" : "comm_dst") + " is not its own rank");
      s.bytes = static_cast<std::uint64_t>(*size);
      s.tag = static_cast<std::uint32_t>(*tag % 500000000);
      s.peer = static_cast<int>(*peer);
      if (s.bytes == 0) return fail("comm_size must be > 0");
      break;
    }
    case et::NodeType::kCollective: {
      s.kind = SimNode::Kind::kColl;
      const auto type = n.Integer("comm_type");
      const auto size = n.Integer("comm_size");
      if (!type || !size) return fail("needs integer comm_type and comm_size");
      switch (static_cast<et::CollectiveType>(*type)) {
        case et::CollectiveType::kAllReduce: s.coll = Coll::kAllReduce; break;
        case et::CollectiveType::kAllGather: s.coll = Coll::kAllGather; break;
        case et::CollectiveType::kReduceScatter: s.coll = Coll::kReduceScatter; break;
        case et::CollectiveType::kAllToAll: s.coll = Coll::kAllToAll; break;
        case et::CollectiveType::kBroadcast:
          // AstraSim replays a broadcast as a compute-like delay.
          s.kind = SimNode::Kind::kCompute;
          s.duration_ns = n.duration_micros == 0 ? 1 : n.duration_micros * 1000;
          break;
        default: return fail("unsupported collective type " + std::to_string(*type));
      }
      s.bytes = static_cast<std::uint64_t>(*size);
      const auto group = CommGroupOf(n);
      if (!group) return fail(group.error());
      s.group = *group;
      if (const auto* dims = n.Find("involved_dim")) {
        if (!std::holds_alternative<std::vector<bool>>(dims->value))
          return fail("involved_dim must be a bool list");
        const auto& list = std::get<std::vector<bool>>(dims->value);
        s.involved = 0;
        for (std::size_t d = 0; d < list.size() && d < 32; ++d)
          if (list[d]) s.involved |= 1u << d;
      }
      break;
    }
    case et::NodeType::kMetadata:
    case et::NodeType::kInvalid: s.kind = SimNode::Kind::kNoop; break;
    default:
      return fail(std::string("node type ") + et::NodeTypeName(n.type) +
                  " needs remote memory, which the builtin simulator does not model");
  }
  s.parents = static_cast<std::uint32_t>(n.data_deps.size() + n.ctrl_deps.size());
  parent_ids_.insert(parent_ids_.end(), n.data_deps.begin(), n.data_deps.end());
  parent_ids_.insert(parent_ids_.end(), n.ctrl_deps.begin(), n.ctrl_deps.end());
  return Ok();
}

Expected<RankTrace> RankCompiler::Finish() && {
  std::vector<SimNode>& nodes = out_.nodes;
  const auto node_count = static_cast<std::uint32_t>(nodes.size());
  FlatIndex<std::uint64_t, HashId> index(node_count);
  for (std::uint32_t i = 0; i < node_count; ++i)
    if (!index.Emplace(nodes[i].id, i).second)
      return InvalidInput("rank " + std::to_string(rank_) + ": node id " +
                          std::to_string(nodes[i].id) + " appears twice");
  // Each parent's position, then the children in one array: counted,
  // placed, filled (a child in the order its parents list it).
  std::vector<std::uint32_t> parents(parent_ids_.size());
  std::size_t at = 0;
  for (std::uint32_t i = 0; i < node_count; ++i) {
    for (std::uint32_t k = 0; k < nodes[i].parents; ++k, ++at) {
      const auto parent = index.Find(parent_ids_[at]);
      if (!parent)
        return InvalidInput("rank " + std::to_string(rank_) + ", node " +
                            std::to_string(nodes[i].id) + ": depends on node " +
                            std::to_string(parent_ids_[at]) + ", which is not in the trace");
      parents[at] = *parent;
      ++nodes[*parent].child_count;
    }
  }
  std::uint32_t first = 0;
  for (SimNode& node : nodes) {
    node.first_child = first;
    first += node.child_count;
    node.child_count = 0;
  }
  out_.children.resize(first);
  at = 0;
  for (std::uint32_t i = 0; i < node_count; ++i)
    for (std::uint32_t k = 0; k < nodes[i].parents; ++k, ++at) {
      SimNode& parent = nodes[parents[at]];
      out_.children[parent.first_child + parent.child_count++] = i;
    }
  return std::move(out_);
}

// ---------------------------------------------------------------- engine

enum class EventKind : std::uint8_t {
  kComputeDone,   // rank, a = node
  kBundleDone,    // rank, a = stream: the endpoint (and memory) crossing ended
  kDeliver,       // b = message: arrived at its destination
  kRecvLate,      // rank, a = target kind, b = target index: a receive posted after arrival
  kLinkArrive,    // b = message: reached the next device of its route (aware)
  kLinkFree,      // a = link (aware)
};

// A vector of T whose places are handed out and taken back: a place taken
// back keeps its T, and the T its memory, for the next one handed out. The
// replay's messages, channels and event lists each live about as long as
// one message, and must not allocate for each.
template <typename T>
class Recycled {
 public:
  // The place Take() hands out next.
  std::uint32_t Next() const {
    return free_.empty() ? static_cast<std::uint32_t>(items_.size()) : free_.back();
  }
  std::uint32_t Take() {
    const std::uint32_t id = Next();
    if (free_.empty())
      items_.emplace_back();
    else
      free_.pop_back();
    return id;
  }
  void Give(std::uint32_t id) { free_.push_back(id); }
  T& operator[](std::uint32_t id) { return items_[id]; }
  const T& operator[](std::uint32_t id) const { return items_[id]; }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> free_;
};

struct Event {
  EventKind kind;
  int rank;
  std::uint32_t a;
  std::uint64_t b;
};

// The events to come, earliest first, those of one nanosecond in the order
// they were scheduled (AstraSim's order). Events come in bursts at one
// nanosecond (the ranks of a collective step together), so each pending
// nanosecond keeps its events in a list and only the nanoseconds are
// ordered, by a heap: most events cost an append and a read.
class EventQueue {
  struct Bucket {
    std::uint64_t time = 0;
    std::vector<Event> events;  // from events[next] on still to run
    std::size_t next = 0;
  };
  struct Later {
    const Recycled<Bucket>* buckets;
    bool operator()(std::uint32_t x, std::uint32_t y) const {
      return (*buckets)[x].time > (*buckets)[y].time;
    }
  };

 public:
  bool empty() const { return heap_.empty(); }
  void Push(std::uint64_t time, const Event& e) {
    const auto [bucket, added] = index_.Emplace(time, buckets_.Next());
    if (added) {
      buckets_.Take();
      buckets_[bucket].time = time;
      heap_.push_back(bucket);
      std::push_heap(heap_.begin(), heap_.end(), Later{&buckets_});
    }
    buckets_[bucket].events.push_back(e);
  }
  // The earliest event; `time` becomes its nanosecond.
  Event Pop(std::uint64_t& time) {
    const std::uint32_t id = heap_.front();
    Bucket& bucket = buckets_[id];
    time = bucket.time;
    const Event e = bucket.events[bucket.next++];
    if (bucket.next == bucket.events.size()) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{&buckets_});
      heap_.pop_back();
      index_.Erase(bucket.time);
      bucket.events.clear();
      bucket.next = 0;
      buckets_.Give(id);
    }
    return e;
  }

 private:
  Recycled<Bucket> buckets_;
  std::vector<std::uint32_t> heap_;  // buckets_ by time, earliest on top
  FlatIndex<std::uint64_t, HashId> index_;  // nanosecond -> its bucket
};

// Who hears about a message: a rank's node, or a stream of its collective.
struct Target {
  enum class Kind : std::uint8_t { kNone, kNode, kStream };
  Kind kind = Kind::kNone;
  int rank = -1;
  std::uint32_t index = 0;
};

struct MatchKey {
  std::uint32_t tag;
  int src, dst;
  std::uint64_t bytes;
  bool operator==(const MatchKey&) const = default;
};
std::size_t HashOf(const MatchKey& k) {
  const std::uint64_t h =
      (k.tag + (static_cast<std::uint64_t>(k.src) << 32 ^ static_cast<std::uint32_t>(k.dst)) * 31 +
       k.bytes) * 0x9E3779B97F4A7C15ull;
  return static_cast<std::size_t>(h >> 32 ^ h);
}

struct MatchEntry {
  bool arrived = false, posted = false;
  Target send, recv;
};
// The sends and receives of one MatchKey, paired in issue order. A channel
// whose every entry is matched holds nothing and is dropped (Trim says
// when): a new one numbers from 0 again and pairs in the same order, and
// the table stays as small as the messages in flight (every collective
// chunk has tags of its own, so kept channels would grow with the run).
struct Channel {
  std::uint64_t base = 0, sends = 0, recvs = 0;
  std::vector<MatchEntry> entries;  // seq base + i at entries[head + i]
  std::size_t head = 0;
  MatchEntry& At(std::uint64_t seq) {
    const std::size_t at = head + static_cast<std::size_t>(seq - base);
    if (entries.size() <= at) entries.resize(at + 1);
    return entries[at];
  }
  // Drops the matched entries at the front; true when none is left.
  bool Trim() {
    while (head < entries.size() && entries[head].arrived && entries[head].posted) {
      ++head;
      ++base;
    }
    return head == entries.size();
  }
  // Empty again, keeping the memory of its entries.
  void Reset() {
    base = sends = recvs = 0;
    entries.clear();
    head = 0;
  }
};

// The channels of the messages in flight by key. Every message looks its
// channel up twice (sent, received) and a channel lives about as long as
// one message, so neither may allocate: keys index recycled channels,
// whose places stay put while they live (a message keeps its channel's).
class Channels {
 public:
  // The key's channel, a new empty one if it has none.
  std::uint32_t Of(const MatchKey& key) {
    const auto [channel, added] = index_.Emplace(key, pool_.Next());
    if (added) pool_.Take();
    return channel;
  }
  Channel& operator[](std::uint32_t channel) { return pool_[channel]; }
  void Drop(const MatchKey& key, std::uint32_t channel) {
    index_.Erase(key);
    pool_[channel].Reset();
    pool_.Give(channel);
  }

 private:
  struct HashKey {
    std::size_t operator()(const MatchKey& k) const { return HashOf(k); }
  };
  FlatIndex<MatchKey, HashKey> index_;
  Recycled<Channel> pool_;
};

struct Message {
  MatchKey key;
  std::uint64_t seq;
  std::uint32_t channel;  // channels_' place of the key's channel
  int at = 0;             // aware: the device it has reached
};

enum class TreeRole : std::uint8_t { kLeaf, kMiddle, kRoot };
enum class TreeState : std::uint8_t {
  kBegin, kSendToParent, kWaitParent, kEnd, kWaitTwo, kWaitOne, kSendChildren
};

struct TreeLinks {
  TreeRole role = TreeRole::kLeaf;
  int parent = -1, left = -1, right = -1;  // global ranks, -1: none
};

// One phase of a chunk: a collective algorithm over one logical topology.
struct PhaseSpec {
  AstraAlgorithm algorithm = AstraAlgorithm::kRing;
  Coll type = Coll::kAllReduce;
  std::uint64_t data = 0;
  int queue = 0;
  bool local = false;      // a communicator group's ring: 10 ns endpoint crossings
  bool clockwise = true;
  int window = -1;
  std::vector<int> members;  // global ranks in ring order
  int index = 0;             // own position in members
  // doubleBinaryTree: this rank's place in tree 0 (root at the highest
  // position) and tree 1 (at the lowest); chunks alternate between them.
  TreeLinks trees[2];
};

struct Packet {
  int dst, src;
  std::uint64_t bytes;
};

// A stream's state in its running phase. Reset for each phase, keeping the
// packet queue's memory: a collective's chunks start and end often.
struct AlgoState {
  std::uint64_t msg = 0;
  int stream_count = 0, parallel = 1, free_packets = 0, zero = 0, nonzero = 0;
  bool toggle = false;
  int received = 0, middle = 0;
  int receiver = 0, sender = 0;  // indices into members
  int offset = 1;
  double multiplier = 2;
  // the packets made and not yet sent, from packets[sent]
  std::vector<Packet> packets;
  std::size_t sent = 0;
  // doubleBinaryTree
  TreeLinks tree;
  TreeState state = TreeState::kBegin;
  int reductions = 0;

  void Reset() {
    std::vector<Packet> kept = std::move(packets);
    kept.clear();
    *this = AlgoState{};
    packets = std::move(kept);
  }
};

struct Stream {
  const std::vector<PhaseSpec>* phases = nullptr;  // in the rank's phase_cache
  std::size_t phase = 0;  // the running phase; == size(): not started yet
  std::uint64_t tree_bits = 0;  // bit i: phase i runs doubleBinaryTree's tree 1
  std::uint32_t tag = 0;
  AlgoState st;
  const PhaseSpec& Phase() const { return (*phases)[phase]; }
};

// What decides a collective's phases on a rank (ChunkPhases).
struct PhaseKey {
  Coll coll;
  int group;
  std::uint32_t involved;
  std::uint64_t chunk;
  auto operator<=>(const PhaseKey&) const = default;
};

struct RankState {
  RankTrace trace;
  std::vector<std::uint32_t> ready_compute, ready_comm;  // min-heaps by node id
  std::vector<std::uint32_t> ready_other;
  bool compute_busy = false, comm_busy = false;
  std::uint64_t finished = 0, in_flight = 0;
  std::uint64_t finish_time = 0, compute_ns = 0;
  // communication in flight, for comm_ns
  std::uint64_t comm_open = 0, comm_since = 0, comm_ns = 0;
  // the running collective (the comm slot allows one): its streams come
  // first, those after them wait to be reused
  std::uint32_t coll_node = 0;
  std::vector<Stream> streams;
  std::uint32_t streams_left = 0;
  std::vector<std::deque<std::uint32_t>> queues;
  std::vector<int> running;
  std::uint32_t next_tag = 0;
  std::map<int, std::uint32_t> group_tags;
  // every chunk of a kind of collective has the same phases
  std::map<PhaseKey, std::vector<PhaseSpec>> phase_cache;
  std::uint64_t tree_counter = 0;
};

// Orders a rank's ready heaps: the smallest node id on top.
auto LaterId(const RankState& r) {
  return [&r](std::uint32_t a, std::uint32_t b) { return r.trace.nodes[a].id > r.trace.nodes[b].id; };
}

int Log2Exact(int n) { return std::countr_zero(static_cast<unsigned>(n)); }

// A collective stream's tag on a comm group: a counter from group x 10^6,
// kept in [5 x 10^8, 10^9) (StartCollective).
constexpr std::uint32_t kStreamTagBase = 500000000u;
constexpr std::uint32_t kGroupTagStride = 1000000u;

// The tag a member of comm group `to` gives the stream a member of `from`
// tags `tag` (the same collective, as many streams before it).
std::uint32_t GroupTagImage(std::uint32_t tag, int from, int to) {
  const std::int64_t moved = static_cast<std::int64_t>(tag - kStreamTagBase) +
                             (static_cast<std::int64_t>(to) - from) * kGroupTagStride;
  const std::int64_t base = kStreamTagBase;
  return static_cast<std::uint32_t>((moved % base + base) % base + base);
}

// A rank's place in a doubleBinaryTree phase's tree 0 or 1: a dummy root
// over a complete binary tree of n - 1 positions, numbered in order, the
// root taking the highest position (tree 0) or the lowest (tree 1).
TreeLinks TreeOf(const PhaseSpec& p, int tree) {
  const int n = static_cast<int>(p.members.size());
  std::vector<int> parent(n, -1), left(n, -1), right(n, -1);
  // [lo, lo + size) holds a complete subtree; returns its root position.
  const auto build = [&](auto&& self, int lo, int size) -> int {
    if (size <= 0) return -1;
    const int root = lo + size / 2;
    const int l = self(self, lo, size / 2);
    const int r = self(self, root + 1, size / 2);
    left[root] = l;
    right[root] = r;
    if (l >= 0) parent[l] = root;
    if (r >= 0) parent[r] = root;
    return root;
  };
  int dummy = 0;
  if (tree == 0) {
    const int sub = build(build, 0, n - 1);
    dummy = n - 1;
    left[dummy] = sub;
    parent[sub] = dummy;
  } else {
    const int sub = build(build, 1, n - 1);
    dummy = 0;
    right[dummy] = sub;
    parent[sub] = dummy;
  }
  const int me = p.index;
  const auto global = [&](int pos) { return pos < 0 ? -1 : p.members[pos]; };
  TreeLinks links;
  links.role = me == dummy ? TreeRole::kRoot
               : (left[me] < 0 && right[me] < 0) ? TreeRole::kLeaf
                                                 : TreeRole::kMiddle;
  links.parent = global(parent[me]);
  links.left = global(left[me]);
  links.right = global(right[me]);
  return links;
}

class Engine {
 public:
  // With a fold, only its representatives are simulated (fold.h).
  Engine(const Setup& setup, Congestion congestion, const FoldMap* fold = nullptr)
      : setup_(setup), congestion_(congestion), fold_(fold) {}

  Expected<SimResult> Run(std::vector<RankTrace> traces);

 private:
  // events
  void Schedule(std::uint64_t delay, EventKind kind, int rank, std::uint32_t a, std::uint64_t b) {
    events_.Push(now_ + delay, Event{kind, rank, a, b});
  }
  Status Dispatch(const Event& e);

  // the workload layer
  void MakeReady(RankState& r, std::uint32_t node);
  Status IssueReady(int rank);
  Status Issue(int rank, std::uint32_t node);
  Status NodeDone(int rank, std::uint32_t node);
  void CommOpen(RankState& r);
  void CommClose(RankState& r);

  // messages
  // `group`: the comm group of the collective the message belongs to, or 0.
  void Send(const MatchKey& key, Target on_delivered, int group = 0);
  void PostRecv(const MatchKey& key, Target target);
  Status Deliver(std::uint32_t message);
  Status Notify(const Target& target);
  std::uint64_t NetworkDelay(int src, int dst, std::uint64_t bytes) const;
  Status AwareForward(std::uint32_t message);

  // collectives
  Status StartCollective(int rank, std::uint32_t node);
  Expected<std::vector<PhaseSpec>> ChunkPhases(int rank, const SimNode& node, std::uint64_t chunk);
  void EnterNextPhase(int rank, std::uint32_t stream);
  Status QueueInit(int rank, int queue);
  Status InitStream(int rank, std::uint32_t stream);
  Status StreamEvent(int rank, std::uint32_t stream, int event);  // 0 init, 1 general, 2 received
  Status PhaseExit(int rank, std::uint32_t stream);
  // ring, direct and halvingDoubling
  void InsertPacket(int rank, Stream& s);
  bool Ready(int rank, std::uint32_t stream);
  void Advance(Stream& s);
  void Bundle(int rank, std::uint32_t stream, std::uint64_t bytes, bool processed, bool local);
  // doubleBinaryTree
  Status TreeEvent(int rank, std::uint32_t stream, int event);

  std::uint64_t ReductionDelay(std::uint64_t bytes) const {
    const double per = static_cast<double>(bytes) / (setup_.system.local_mem_bw_gbps * 1e9) * 1e9;
    return 3 * static_cast<std::uint64_t>(per);
  }

  const Setup& setup_;
  Congestion congestion_;
  const FoldMap* fold_;
  std::vector<int> simulated_;  // every rank, or the fold's representatives
  std::vector<RankState> ranks_;
  EventQueue events_;
  std::uint64_t now_ = 0;
  Channels channels_;
  Recycled<Message> messages_;
  std::vector<int> strides_;
  int npus_ = 0;
  // aware
  struct Link {
    std::uint64_t latency_ns;
    double bytes_per_ns;
    bool busy = false;
    std::deque<std::uint32_t> pending;
  };
  std::vector<Link> links_;
  std::unordered_map<std::uint64_t, std::uint32_t> link_index_;  // from << 32 | to
  // The device after `at` on a message's route from `src` to `dst`.
  int NextDevice(int at, int src, int dst) const;
  std::uint32_t LinkOf(int from, int to) const {
    return link_index_.at(static_cast<std::uint64_t>(from) << 32 | static_cast<std::uint32_t>(to));
  }
  void TransmitOnLink(std::uint32_t link, std::uint32_t message);
};

// ------------------------------------------------------------ workload layer

void Engine::MakeReady(RankState& r, std::uint32_t node) {
  const auto by_id = LaterId(r);
  switch (r.trace.nodes[node].kind) {
    case SimNode::Kind::kCompute:
      r.ready_compute.push_back(node);
      std::push_heap(r.ready_compute.begin(), r.ready_compute.end(), by_id);
      break;
    case SimNode::Kind::kSend:
    case SimNode::Kind::kColl:
    case SimNode::Kind::kNoop:
      r.ready_comm.push_back(node);
      std::push_heap(r.ready_comm.begin(), r.ready_comm.end(), by_id);
      break;
    case SimNode::Kind::kRecv:
      r.ready_other.push_back(node);
      break;
  }
}

// AstraSim issues, in id order, every ready node whose slot is free: the
// smallest compute node, the smallest communication node, every receive.
Status Engine::IssueReady(int rank) {
  RankState& r = ranks_[rank];
  const auto by_id = LaterId(r);
  std::vector<std::uint32_t> issue;
  if (!r.compute_busy && !r.ready_compute.empty()) {
    std::pop_heap(r.ready_compute.begin(), r.ready_compute.end(), by_id);
    issue.push_back(r.ready_compute.back());
    r.ready_compute.pop_back();
  }
  if (!r.comm_busy && !r.ready_comm.empty()) {
    std::pop_heap(r.ready_comm.begin(), r.ready_comm.end(), by_id);
    issue.push_back(r.ready_comm.back());
    r.ready_comm.pop_back();
  }
  for (auto n : r.ready_other) issue.push_back(n);
  r.ready_other.clear();
  std::sort(issue.begin(), issue.end(), [&](auto a, auto b) { return by_id(b, a); });
  for (auto n : issue) ASTRASWEEP_RETURN_IF_ERROR(Issue(rank, n));
  return Ok();
}

void Engine::CommOpen(RankState& r) {
  if (r.comm_open++ == 0) r.comm_since = now_;
}
void Engine::CommClose(RankState& r) {
  if (--r.comm_open == 0) r.comm_ns += now_ - r.comm_since;
}

Status Engine::Issue(int rank, std::uint32_t node) {
  RankState& r = ranks_[rank];
  const SimNode& n = r.trace.nodes[node];
  ++r.in_flight;
  switch (n.kind) {
    case SimNode::Kind::kCompute:
      r.compute_busy = true;
      r.compute_ns += n.duration_ns;
      Schedule(n.duration_ns, EventKind::kComputeDone, rank, node, 0);
      return Ok();
    case SimNode::Kind::kSend:
      if (n.peer < 0 || n.peer >= npus_ || n.peer == rank)
        return InvalidInput("rank " + std::to_string(rank) + ", node " + std::to_string(n.id) +
                            ": sends to rank " + std::to_string(n.peer));
      r.comm_busy = true;
      CommOpen(r);
      Send(MatchKey{n.tag, rank, n.peer, n.bytes}, Target{Target::Kind::kNode, rank, node});
      return Ok();
    case SimNode::Kind::kRecv:
      if (n.peer < 0 || n.peer >= npus_ || n.peer == rank)
        return InvalidInput("rank " + std::to_string(rank) + ", node " + std::to_string(n.id) +
                            ": receives from rank " + std::to_string(n.peer));
      CommOpen(r);
      PostRecv(MatchKey{n.tag, n.peer, rank, n.bytes}, Target{Target::Kind::kNode, rank, node});
      return Ok();
    case SimNode::Kind::kColl:
      r.comm_busy = true;
      CommOpen(r);
      return StartCollective(rank, node);
    case SimNode::Kind::kNoop:
      r.comm_busy = true;
      return NodeDone(rank, node);
  }
  return Ok();
}

Status Engine::NodeDone(int rank, std::uint32_t node) {
  RankState& r = ranks_[rank];
  const SimNode& n = r.trace.nodes[node];
  switch (n.kind) {
    case SimNode::Kind::kCompute: r.compute_busy = false; break;
    case SimNode::Kind::kSend:
    case SimNode::Kind::kColl:
      r.comm_busy = false;
      CommClose(r);
      break;
    case SimNode::Kind::kNoop: r.comm_busy = false; break;
    case SimNode::Kind::kRecv: CommClose(r); break;
  }
  --r.in_flight;
  ++r.finished;
  r.finish_time = now_;
  for (std::uint32_t c = 0; c < n.child_count; ++c) {
    const std::uint32_t child = r.trace.children[n.first_child + c];
    if (--r.trace.nodes[child].parents == 0) MakeReady(r, child);
  }
  return IssueReady(rank);
}

// ------------------------------------------------------------------ messages

void Engine::Send(const MatchKey& sent, Target on_delivered, int group) {
  MatchKey key = sent;
  if (fold_ != nullptr) {
    // A folded destination: its representative receives the same message
    // from the sender's image, after the same delay (fold.h).
    const FoldMap::Route route = fold_->Deliver(sent.src, sent.dst, group);
    key.src = route.src;
    key.dst = route.dst;
    if (route.group != group) key.tag = GroupTagImage(sent.tag, group, route.group);
  }
  const std::uint32_t channel = channels_.Of(key);
  Channel& ch = channels_[channel];
  const std::uint64_t seq = ch.sends++;
  ch.At(seq).send = on_delivered;
  const std::uint32_t id = messages_.Take();
  messages_[id] = Message{key, seq, channel, key.src};
  if (congestion_ == Congestion::kUnaware) {
    Schedule(NetworkDelay(sent.src, sent.dst, sent.bytes), EventKind::kDeliver, -1, 0, id);
  } else {
    TransmitOnLink(LinkOf(key.src, NextDevice(key.src, key.src, key.dst)), id);
  }
}

void Engine::PostRecv(const MatchKey& key, Target target) {
  const std::uint32_t channel = channels_.Of(key);
  Channel& ch = channels_[channel];
  const std::uint64_t seq = ch.recvs++;
  MatchEntry& e = ch.At(seq);
  e.posted = true;
  e.recv = target;
  if (e.arrived) {
    // AstraSim calls back at once, through its event queue.
    Schedule(0, EventKind::kRecvLate, target.rank, static_cast<std::uint32_t>(target.kind),
             target.index);
    if (ch.Trim()) channels_.Drop(key, channel);
  }
}

Status Engine::Deliver(std::uint32_t id) {
  const Message m = messages_[id];
  messages_.Give(id);
  Channel& ch = channels_[m.channel];
  MatchEntry& e = ch.At(m.seq);
  e.arrived = true;
  const Target send = e.send, recv = e.recv;
  const bool posted = e.posted;
  if (ch.Trim()) channels_.Drop(m.key, m.channel);
  if (send.kind != Target::Kind::kNone) ASTRASWEEP_RETURN_IF_ERROR(Notify(send));
  if (posted) ASTRASWEEP_RETURN_IF_ERROR(Notify(recv));
  return Ok();
}

Status Engine::Notify(const Target& t) {
  if (t.kind == Target::Kind::kNode) return NodeDone(t.rank, t.index);
  if (t.kind == Target::Kind::kStream) return StreamEvent(t.rank, t.index, 2);
  return Ok();
}

std::uint64_t Engine::NetworkDelay(int src, int dst, std::uint64_t bytes) const {
  const Crossing crossing = CrossingOf(setup_.network, strides_, src, dst);
  if (crossing.dimension == setup_.network.size()) return 0;  // to itself: no link
  const auto& dim = setup_.network[crossing.dimension];
  const int hops = crossing.hops;
  const double bytes_per_ns = dim.bandwidth_gbps * static_cast<double>(1 << 30) / 1e9;
  const double delay = hops * dim.latency_ns + static_cast<double>(bytes) / bytes_per_ns;
  return static_cast<std::uint64_t>(delay);
}

// AstraSim's routes: a Ring the shorter way (clockwise on a tie), a
// Switch through the switch (device npus), FullyConnected direct.
int Engine::NextDevice(int at, int src, int dst) const {
  const auto& dim = setup_.network[0];
  switch (dim.topology) {
    case AstraTopology::kRing: {
      int cw = dst - src;
      if (cw < 0) cw += dim.npus;
      const int step = (dim.npus - cw < cw) ? -1 : 1;
      return (at + step + dim.npus) % dim.npus;
    }
    case AstraTopology::kSwitch: return at == src ? dim.npus : dst;
    case AstraTopology::kFullyConnected: return dst;
  }
  return dst;
}

void Engine::TransmitOnLink(std::uint32_t link_id, std::uint32_t message) {
  Link& link = links_[link_id];
  if (link.busy) {
    link.pending.push_back(message);
    return;
  }
  link.busy = true;
  const double bytes = static_cast<double>(messages_[message].key.bytes);
  Schedule(static_cast<std::uint64_t>(static_cast<double>(link.latency_ns) + bytes / link.bytes_per_ns),
           EventKind::kLinkArrive, -1, 0, message);
  Schedule(static_cast<std::uint64_t>(bytes / link.bytes_per_ns), EventKind::kLinkFree, -1,
           link_id, 0);
}

Status Engine::AwareForward(std::uint32_t message) {
  Message& m = messages_[message];
  m.at = NextDevice(m.at, m.key.src, m.key.dst);
  if (m.at == m.key.dst) return Deliver(message);
  TransmitOnLink(LinkOf(m.at, NextDevice(m.at, m.key.src, m.key.dst)), message);
  return Ok();
}

// --------------------------------------------------------------- collectives

Expected<std::vector<PhaseSpec>> Engine::ChunkPhases(int rank, const SimNode& node,
                                                     std::uint64_t chunk) {
  const auto& system = setup_.system;
  const auto& impls = system.Implementations(node.coll);
  std::vector<PhaseSpec> phases;
  const auto make = [&](AstraAlgorithm algo, Coll type, std::uint64_t data, int queue,
                        bool clockwise, std::vector<int> members, bool local,
                        int window) -> Expected<PhaseSpec> {
    PhaseSpec p;
    p.algorithm = algo;
    p.type = type;
    p.data = data;
    p.queue = queue;
    p.clockwise = clockwise;
    p.local = local;
    p.window = window;
    p.members = std::move(members);
    const auto it = std::find(p.members.begin(), p.members.end(), rank);
    if (it == p.members.end())
      return InvalidInput("rank " + std::to_string(rank) + " is not in its collective's group");
    p.index = static_cast<int>(it - p.members.begin());
    const int n = static_cast<int>(p.members.size());
    if ((algo == AstraAlgorithm::kHalvingDoubling || algo == AstraAlgorithm::kDoubleBinaryTree) &&
        !std::has_single_bit(static_cast<unsigned>(n)))
      return InvalidInput("halvingDoubling and doubleBinaryTree need a power-of-two group, not " +
                          std::to_string(n) + " ranks");
    if (algo == AstraAlgorithm::kHalvingDoubling && type == Coll::kAllToAll)
      return InvalidInput("AstraSim cannot run an all-to-all with halvingDoubling (it exits)");
    if (algo == AstraAlgorithm::kDoubleBinaryTree) {
      p.type = Coll::kAllReduce;
      p.trees[0] = TreeOf(p, 0);
      p.trees[1] = TreeOf(p, 1);
    }
    return p;
  };
  const auto final_size = [](const PhaseSpec& p) -> std::uint64_t {
    const auto n = static_cast<std::uint64_t>(p.members.size());
    switch (p.type) {
      case Coll::kAllGather: return p.data * n;
      case Coll::kReduceScatter: return p.data / n;
      default: return p.data;
    }
  };
  // A communicator group short of every rank: one ring in the listed order.
  if (node.group != 0) {
    const auto it = setup_.comm_groups.find(node.group);
    if (it == setup_.comm_groups.end())
      return InvalidInput("communicator group " + std::to_string(node.group) + " not found");
    if (static_cast<int>(it->second.size()) != npus_) {
      const auto impl = GroupImplementation(impls);
      ASTRASWEEP_ASSIGN_OR_RETURN(auto p, make(impl.algorithm, node.coll, chunk, 0, true,
                                               it->second, true, impl.window));
      phases.push_back(std::move(p));
      return phases;
    }
  }
  // The network's dimensions (or one flat ring for one* implementations).
  struct Dim {
    int npus, stride;
    et::AstraImplementation impl;
    bool involved;
  };
  std::vector<Dim> dims;
  if (impls.size() == 1 && impls[0].one) {
    dims.push_back(Dim{npus_, 1, impls[0], true});
  } else {
    for (std::size_t d = 0; d < setup_.network.size(); ++d)
      dims.push_back(Dim{setup_.network[d].npus, strides_[d], impls[d],
                         d >= 32 || (node.involved >> d & 1u) != 0});
  }
  const auto members_of = [&](const Dim& d) { return DimensionLine(rank, d.npus, d.stride); };
  const auto active = [&](const Dim& d) { return d.npus > 1 && d.involved; };
  std::uint64_t remain = chunk;
  const auto add = [&](std::size_t d, Coll type, bool clockwise) -> Status {
    ASTRASWEEP_ASSIGN_OR_RETURN(auto p, make(dims[d].impl.algorithm, type, remain,
                                             static_cast<int>(d), clockwise, members_of(dims[d]),
                                             false, dims[d].impl.window));
    remain = final_size(p);
    phases.push_back(std::move(p));
    return Ok();
  };
  if (node.coll != Coll::kAllReduce || !setup_.system.local_bw_aware) {
    std::vector<std::size_t> order(dims.size());
    for (std::size_t d = 0; d < dims.size(); ++d) order[d] = d;
    if (node.coll == Coll::kAllGather) std::reverse(order.begin(), order.end());
    for (std::size_t d : order)
      if (active(dims[d])) ASTRASWEEP_RETURN_IF_ERROR(add(d, node.coll, true));
  } else {
    std::size_t last = 0;
    for (std::size_t d = 0; d < dims.size(); ++d)
      if (active(dims[d])) last = d;
    for (std::size_t d = 0; d < last; ++d)
      if (active(dims[d])) ASTRASWEEP_RETURN_IF_ERROR(add(d, Coll::kReduceScatter, true));
    if (active(dims[last])) ASTRASWEEP_RETURN_IF_ERROR(add(last, Coll::kAllReduce, true));
    for (std::size_t d = last; d-- > 0;)
      if (active(dims[d])) ASTRASWEEP_RETURN_IF_ERROR(add(d, Coll::kAllGather, false));
  }
  return phases;
}

Status Engine::StartCollective(int rank, std::uint32_t node) {
  RankState& r = ranks_[rank];
  const SimNode& n = r.trace.nodes[node];
  // AstraSim's chunking: size / splits, at least one byte per NPU of the
  // whole system (except all-gather), every chunk carrying a full chunk.
  const std::uint64_t splits = static_cast<std::uint64_t>(setup_.system.preferred_dataset_splits);
  std::uint64_t size = n.bytes;
  std::uint64_t chunk = size / splits;
  if (n.coll != Coll::kAllGather && static_cast<std::uint64_t>(npus_) > chunk) {
    chunk = static_cast<std::uint64_t>(npus_);
    size = splits * chunk;
  }
  if (chunk == 0)
    return InvalidInput("rank " + std::to_string(rank) + ", node " + std::to_string(n.id) +
                        ": a collective of " + std::to_string(n.bytes) + " bytes split " +
                        std::to_string(splits) + " ways has empty chunks");
  const std::uint64_t count = (size + chunk - 1) / chunk;
  const PhaseKey key{n.coll, n.group, n.involved, chunk};
  auto cached = r.phase_cache.find(key);
  if (cached == r.phase_cache.end()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(auto phases, ChunkPhases(rank, n, chunk));
    if (phases.size() > 64)  // Stream::tree_bits
      return InvalidInput("a collective of " + std::to_string(phases.size()) +
                          " phases; the builtin simulator handles up to 64 (32 dimensions)");
    cached = r.phase_cache.emplace(key, std::move(phases)).first;
  }
  const std::vector<PhaseSpec>& phases = cached->second;
  // Nothing to do on any dimension: AstraSim finishes it at once.
  if (phases.empty()) return NodeDone(rank, node);
  r.coll_node = node;
  if (r.streams.size() < count) r.streams.resize(count);
  r.streams_left = static_cast<std::uint32_t>(count);
  for (std::uint64_t c = 0; c < count; ++c) {
    Stream& s = r.streams[c];
    s.phases = &phases;
    s.phase = phases.size();  // not started
    // AstraSim alternates a doubleBinaryTree's two trees chunk by chunk.
    s.tree_bits = 0;
    for (std::size_t i = 0; i < phases.size(); ++i)
      if (phases[i].algorithm == AstraAlgorithm::kDoubleBinaryTree && r.tree_counter++ % 2 == 1)
        s.tree_bits |= std::uint64_t{1} << i;
    std::uint32_t& counter =
        n.group != 0
            ? r.group_tags
                  .try_emplace(n.group, static_cast<std::uint32_t>(n.group) * kGroupTagStride)
                  .first->second
            : r.next_tag;
    s.tag = (counter++ % kStreamTagBase) + kStreamTagBase;
  }
  for (std::uint32_t c = 0; c < count; ++c) EnterNextPhase(rank, c);
  // Streams wait in their queues; start what the queues allow.
  for (std::size_t q = 0; q < r.queues.size(); ++q)
    ASTRASWEEP_RETURN_IF_ERROR(QueueInit(rank, static_cast<int>(q)));
  return Ok();
}

void Engine::EnterNextPhase(int rank, std::uint32_t stream) {
  RankState& r = ranks_[rank];
  Stream& s = r.streams[stream];
  s.phase = s.phase == s.phases->size() ? 0 : s.phase + 1;
  const int q = s.Phase().queue;
  if (r.queues.size() <= static_cast<std::size_t>(q)) {
    r.queues.resize(q + 1);
    r.running.resize(q + 1, 0);
  }
  r.queues[q].push_back(stream);
}

Status Engine::QueueInit(int rank, int q) {
  RankState& r = ranks_[rank];
  if (static_cast<std::size_t>(q) >= r.queues.size()) return Ok();
  while (r.running[q] < setup_.system.active_chunks_per_dimension &&
         static_cast<std::size_t>(r.running[q]) < r.queues[q].size()) {
    const std::uint32_t stream = r.queues[q][r.running[q]];
    ++r.running[q];
    ASTRASWEEP_RETURN_IF_ERROR(InitStream(rank, stream));
  }
  return Ok();
}

Status Engine::InitStream(int rank, std::uint32_t stream) {
  Stream& s = ranks_[rank].streams[stream];
  const PhaseSpec& p = s.Phase();
  AlgoState& st = s.st;
  st.Reset();
  const int n = static_cast<int>(p.members.size());
  const int dir = p.clockwise ? 1 : -1;
  switch (p.algorithm) {
    case AstraAlgorithm::kRing:
    case AstraAlgorithm::kDirect: {
      st.receiver = (p.index + dir + n) % n;
      st.sender = (p.index - dir + n) % n;
      st.stream_count = p.type == Coll::kAllReduce ? 2 * (n - 1)
                        : p.type == Coll::kAllToAll ? (n - 1) * n / 2
                                                    : n - 1;
      st.msg = p.type == Coll::kAllGather ? p.data : p.data / static_cast<std::uint64_t>(n);
      if (p.algorithm == AstraAlgorithm::kDirect) {
        st.parallel = p.window < 0 ? n - 1 : std::min(p.window, n - 1);
        st.middle = n - 1;
        if (p.type == Coll::kAllToAll) st.stream_count = n - 1;
      }
      break;
    }
    case AstraAlgorithm::kHalvingDoubling: {
      const int steps = Log2Exact(n);
      st.stream_count = p.type == Coll::kAllReduce ? 2 * steps : steps;
      if (p.type == Coll::kAllGather) {
        st.msg = p.data;
        st.offset = n / 2;
        st.multiplier = 0.5;
      } else {
        st.msg = p.data / 2;
        st.offset = 1;
        st.multiplier = 2;
      }
      const int reminder = (p.index / st.offset) % 2;
      const int hd_dir = reminder == 0 ? 1 : -1;
      st.receiver = ((p.index + hd_dir * st.offset) % n + n) % n;
      st.sender = st.receiver;
      break;
    }
    case AstraAlgorithm::kDoubleBinaryTree:
      st.tree = p.trees[s.tree_bits >> s.phase & 1];
      break;
    case AstraAlgorithm::kAuto:
      // system.json names implementations; the reader never gives auto.
      return MakeError(ErrorCode::kInternal, "a collective phase without an implementation");
  }
  return StreamEvent(rank, stream, 0);
}

void Engine::Bundle(int rank, std::uint32_t stream, std::uint64_t bytes, bool processed,
                    bool local) {
  const std::uint64_t bus = local ? 10 : setup_.system.endpoint_delay_ns;
  Schedule(bus + (processed ? ReductionDelay(bytes) : 0), EventKind::kBundleDone, rank, stream, 0);
}

void Engine::InsertPacket(int rank, Stream& s) {
  const PhaseSpec& p = s.Phase();
  AlgoState& st = s.st;
  const int n = static_cast<int>(p.members.size());
  if (st.zero == 0 && st.nonzero == 0) {
    st.zero = st.parallel;
    switch (p.algorithm) {
      case AstraAlgorithm::kDirect: st.nonzero = p.local ? (n - 1) * st.parallel : st.parallel; break;
      case AstraAlgorithm::kHalvingDoubling: st.nonzero = Log2Exact(n) - 1; break;
      default: st.nonzero = (n - 1) * st.parallel; break;
    }
    st.toggle = !st.toggle;
  }
  bool processed = false;
  if (st.zero > 0) {
    --st.zero;
  } else {
    processed = p.type == Coll::kReduceScatter || (p.type == Coll::kAllReduce && st.toggle);
    --st.nonzero;
  }
  st.packets.push_back(Packet{p.members[st.receiver], p.members[st.sender], st.msg});
  const auto stream = static_cast<std::uint32_t>(&s - ranks_[rank].streams.data());
  Bundle(rank, stream, st.msg, processed, p.local);
  Advance(s);
}

void Engine::Advance(Stream& s) {
  const PhaseSpec& p = s.Phase();
  AlgoState& st = s.st;
  const int n = static_cast<int>(p.members.size());
  if (p.algorithm == AstraAlgorithm::kDirect) {
    const int dir = p.clockwise ? 1 : -1;
    st.receiver = (st.receiver + dir + n) % n;
    if (st.receiver == p.index) st.receiver = (st.receiver + dir + n) % n;
    st.sender = (st.sender - dir + n) % n;
    if (st.sender == p.index) st.sender = (st.sender - dir + n) % n;
  } else if (p.algorithm == AstraAlgorithm::kHalvingDoubling) {
    st.offset = static_cast<int>(st.offset * st.multiplier);
    st.msg = static_cast<std::uint64_t>(static_cast<double>(st.msg) / st.multiplier);
    if (st.offset == n && p.type == Coll::kAllReduce) {
      st.multiplier = 0.5;
      st.offset = static_cast<int>(st.offset * st.multiplier);
      st.msg = static_cast<std::uint64_t>(static_cast<double>(st.msg) / st.multiplier);
    }
    const int reminder = st.offset == 0 ? 0 : (p.index / st.offset) % 2;
    const int dir = reminder == 0 ? 1 : -1;
    st.receiver = ((p.index + dir * st.offset) % n + n) % n;
    st.sender = st.receiver;
  }
}

bool Engine::Ready(int rank, std::uint32_t stream) {
  Stream& s = ranks_[rank].streams[stream];
  AlgoState& st = s.st;
  if (st.sent == st.packets.size() || st.stream_count == 0 || st.free_packets == 0) return false;
  const Packet packet = st.packets[st.sent++];
  Send(MatchKey{s.tag, rank, packet.dst, packet.bytes}, Target{},
       ranks_[rank].trace.nodes[ranks_[rank].coll_node].group);
  PostRecv(MatchKey{s.tag, packet.src, rank, packet.bytes},
           Target{Target::Kind::kStream, rank, stream});
  --st.stream_count;
  --st.free_packets;
  return true;
}

// event: 0 the stream starts its phase, 1 an endpoint crossing ended
// ("General"), 2 a message was received.
Status Engine::StreamEvent(int rank, std::uint32_t stream, int event) {
  Stream& s = ranks_[rank].streams[stream];
  const PhaseSpec& p = s.Phase();
  if (p.algorithm == AstraAlgorithm::kDoubleBinaryTree) return TreeEvent(rank, stream, event);
  AlgoState& st = s.st;
  if (event == 0) {
    for (int i = 0; i < st.parallel; ++i) InsertPacket(rank, s);
    return Ok();
  }
  if (event == 2) {
    ++st.received;
    InsertPacket(rank, s);
    return Ok();
  }
  ++st.free_packets;
  if (p.algorithm == AstraAlgorithm::kDirect && p.type == Coll::kAllReduce &&
      st.stream_count <= st.middle) {
    if (st.received < st.middle) return Ok();
    for (int i = 0; i < st.parallel; ++i) Ready(rank, stream);
  } else {
    Ready(rank, stream);
  }
  if (st.stream_count == 0 && st.free_packets == st.parallel) return PhaseExit(rank, stream);
  return Ok();
}

Status Engine::TreeEvent(int rank, std::uint32_t stream, int event) {
  Stream& s = ranks_[rank].streams[stream];
  const PhaseSpec& p = s.Phase();
  AlgoState& st = s.st;
  const std::uint64_t bytes = p.data;
  const Target me{Target::Kind::kStream, rank, stream};
  const auto send = [&](int to) { Send(MatchKey{s.tag, rank, to, bytes}, Target{}); };
  const auto recv = [&](int from) { PostRecv(MatchKey{s.tag, from, rank, bytes}, me); };
  const bool received = event == 2, general = event == 1;
  const TreeLinks& tree = st.tree;
  switch (tree.role) {
    case TreeRole::kLeaf:
      switch (st.state) {
        case TreeState::kBegin:
          Bundle(rank, stream, bytes, false, false);
          st.state = TreeState::kSendToParent;
          return Ok();
        case TreeState::kSendToParent:
          send(tree.parent);
          recv(tree.parent);
          st.state = TreeState::kWaitParent;
          return Ok();
        case TreeState::kWaitParent:
          Bundle(rank, stream, bytes, false, false);
          st.state = TreeState::kEnd;
          return Ok();
        case TreeState::kEnd: return PhaseExit(rank, stream);
        default: return Ok();
      }
    case TreeRole::kMiddle:
      if (st.state == TreeState::kBegin) {
        st.state = TreeState::kWaitTwo;
        recv(tree.left);
        recv(tree.right);
      } else if (st.state == TreeState::kWaitTwo && received) {
        Bundle(rank, stream, bytes, true, false);
        st.state = TreeState::kWaitOne;
      } else if (st.state == TreeState::kWaitOne && received) {
        Bundle(rank, stream, bytes, true, false);
        st.state = TreeState::kSendToParent;
      } else if (st.reductions < 1 && general) {
        ++st.reductions;
      } else if (st.state == TreeState::kSendToParent) {
        st.state = TreeState::kWaitParent;
        send(tree.parent);
        recv(tree.parent);
      } else if (st.state == TreeState::kWaitParent && received) {
        Bundle(rank, stream, bytes, true, false);
        st.state = TreeState::kSendChildren;
      } else if (st.state == TreeState::kSendChildren) {
        send(tree.left);
        send(tree.right);
        return PhaseExit(rank, stream);
      }
      return Ok();
    case TreeRole::kRoot: {
      const int child = tree.left >= 0 ? tree.left : tree.right;
      if (st.state == TreeState::kBegin) {
        st.state = TreeState::kWaitOne;
        recv(child);
      } else if (st.state == TreeState::kWaitOne) {
        Bundle(rank, stream, bytes, true, false);
        st.state = TreeState::kSendChildren;
      } else if (st.state == TreeState::kSendChildren) {
        send(child);
        return PhaseExit(rank, stream);
      }
      return Ok();
    }
  }
  return Ok();
}

Status Engine::PhaseExit(int rank, std::uint32_t stream) {
  RankState& r = ranks_[rank];
  Stream& s = r.streams[stream];
  const int q = s.Phase().queue;
  auto& queue = r.queues[q];
  queue.erase(std::find(queue.begin(), queue.end(), stream));
  if (s.phase + 1 == s.phases->size()) {
    --r.running[q];
    if (--r.streams_left == 0) {
      // The collective is done; the next node may start a new one.
      const std::uint32_t node = r.coll_node;
      for (auto& each : r.queues) each.clear();
      std::fill(r.running.begin(), r.running.end(), 0);
      return NodeDone(rank, node);
    }
    return QueueInit(rank, q);
  }
  EnterNextPhase(rank, stream);
  --r.running[q];
  ASTRASWEEP_RETURN_IF_ERROR(QueueInit(rank, q));
  return QueueInit(rank, s.Phase().queue);
}

// ------------------------------------------------------------------- run

Status Engine::Dispatch(const Event& e) {
  switch (e.kind) {
    case EventKind::kComputeDone: return NodeDone(e.rank, e.a);
    case EventKind::kBundleDone: return StreamEvent(e.rank, e.a, 1);
    case EventKind::kDeliver: return Deliver(static_cast<std::uint32_t>(e.b));
    case EventKind::kRecvLate:
      return Notify(Target{static_cast<Target::Kind>(e.a), e.rank, static_cast<std::uint32_t>(e.b)});
    case EventKind::kLinkArrive: return AwareForward(static_cast<std::uint32_t>(e.b));
    case EventKind::kLinkFree: {
      Link& link = links_[e.a];
      link.busy = false;
      if (!link.pending.empty()) {
        const auto next = link.pending.front();
        link.pending.pop_front();
        TransmitOnLink(e.a, next);
      }
      return Ok();
    }
  }
  return Ok();
}

Expected<SimResult> Engine::Run(std::vector<RankTrace> traces) {
  npus_ = setup_.npus();
  if (fold_ != nullptr) {
    simulated_ = fold_->representatives();
  } else {
    simulated_.resize(static_cast<std::size_t>(npus_));
    for (int rank = 0; rank < npus_; ++rank) simulated_[static_cast<std::size_t>(rank)] = rank;
  }
  if (traces.size() != simulated_.size())
    return InvalidInput("the network has " + std::to_string(npus_) + " NPUs, " +
                        std::to_string(simulated_.size()) + " of them simulated, but there are " +
                        std::to_string(traces.size()) + " traces");
  strides_ = Strides(setup_.network);
  if (congestion_ == Congestion::kAware) {
    if (setup_.network.size() != 1)
      return InvalidInput("the congestion-aware model handles one network dimension, as "
                          "AstraSim's does; this network has " +
                          std::to_string(setup_.network.size()));
    const auto& dim = setup_.network[0];
    const auto connect = [&](int from, int to) {
      link_index_.emplace(static_cast<std::uint64_t>(from) << 32 | static_cast<std::uint32_t>(to),
                          static_cast<std::uint32_t>(links_.size()));
      links_.push_back(Link{static_cast<std::uint64_t>(dim.latency_ns),
                            dim.bandwidth_gbps * static_cast<double>(1 << 30) / 1e9});
    };
    const int n = dim.npus;
    switch (dim.topology) {
      case AstraTopology::kRing:
        if (n == 2)
          return InvalidInput("AstraSim's congestion-aware model cannot build a Ring of 2 "
                              "(it aborts); use a Switch");
        for (int i = 0; i < n; ++i) {
          connect(i, (i + 1) % n);
          connect((i + 1) % n, i);
        }
        break;
      case AstraTopology::kSwitch:
        for (int i = 0; i < n; ++i) {
          connect(i, n);
          connect(n, i);
        }
        break;
      case AstraTopology::kFullyConnected:
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j)
            if (i != j) connect(i, j);
        break;
    }
  }
  for (const auto& [id, members] : setup_.comm_groups)
    for (int m : members)
      if (m < 0 || m >= npus_)
        return InvalidInput("communicator group " + std::to_string(id) + " names rank " +
                            std::to_string(m) + " of " + std::to_string(npus_));
  ranks_.resize(npus_);
  for (std::size_t i = 0; i < simulated_.size(); ++i) {
    const int rank = simulated_[i];
    ranks_[rank].trace = std::move(traces[i]);
    RankState& r = ranks_[rank];
    for (std::uint32_t n = 0; n < r.trace.nodes.size(); ++n)
      if (r.trace.nodes[n].parents == 0) MakeReady(r, n);
  }
  for (int rank : simulated_) ASTRASWEEP_RETURN_IF_ERROR(IssueReady(rank));
  while (!events_.empty()) {
    const Event e = events_.Pop(now_);
    ASTRASWEEP_RETURN_IF_ERROR(Dispatch(e));
  }
  SimResult result;
  result.ranks.resize(npus_);
  for (int rank : simulated_) {
    const RankState& r = ranks_[rank];
    if (r.finished != r.trace.nodes.size()) {
      return InvalidInput("rank " + std::to_string(rank) + " never finished: " +
                          std::to_string(r.trace.nodes.size() - r.finished) + " of " +
                          std::to_string(r.trace.nodes.size()) +
                          " nodes did not run (a receive no send matches, a collective not every "
                          "member issues, or a dependency cycle)");
    }
    auto& out = result.ranks[rank];
    out.finish_ns = r.finish_time;
    out.compute_ns = r.compute_ns;
    out.comm_ns = r.comm_ns;
    out.exposed_ns = r.finish_time - std::min(r.finish_time, r.compute_ns);
  }
  // A folded rank finishes as its representative does.
  if (fold_ != nullptr)
    for (int rank = 0; rank < npus_; ++rank)
      result.ranks[rank] = result.ranks[fold_->symmetry().Representative(rank)];
  return result;
}

// `traces` are every rank's, or the fold's representatives' in order.
Expected<SimResult> Replay(const Setup& setup, std::vector<RankTrace> traces,
                           Congestion congestion, const FoldMap* fold = nullptr) {
  if (setup.system.local_mem_bw_gbps <= 0)
    return InvalidInput("system.json needs local-mem-bw > 0 (reducing collectives read and "
                        "write local memory)");
  Engine engine(setup, congestion, fold);
  return engine.Run(std::move(traces));
}

// traces[i] compiled as rank ranks[i]'s.
Expected<std::vector<RankTrace>> CompileTraces(const Traces& traces, const std::vector<int>& ranks) {
  std::vector<RankTrace> compiled;
  compiled.reserve(traces.size());
  for (std::size_t i = 0; i < traces.size(); ++i) {
    RankCompiler compiler(i < ranks.size() ? ranks[i] : static_cast<int>(i));
    for (const et::Node& node : traces[i]) ASTRASWEEP_RETURN_IF_ERROR(compiler.Add(node));
    ASTRASWEEP_ASSIGN_OR_RETURN(RankTrace trace, std::move(compiler).Finish());
    compiled.push_back(std::move(trace));
  }
  return compiled;
}

}  // namespace

int Setup::npus() const {
  int n = 1;
  for (const auto& d : network) n *= d.npus;
  return n;
}

Expected<Setup> ParseSetup(std::string_view network_yml, std::string_view system_json,
                           std::string_view comm_groups_json) {
  Setup setup;
  ASTRASWEEP_ASSIGN_OR_RETURN(setup.network, et::ParseNetworkYml(network_yml, "network.yml"));
  ASTRASWEEP_ASSIGN_OR_RETURN(
      setup.system, et::ParseSystemJson(system_json, "system.json", setup.network.size()));
  if (!comm_groups_json.empty()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(setup.comm_groups,
                                et::ParseCommGroupsJson(comm_groups_json, "comm_groups.json"));
  }
  return setup;
}

Expected<Setup> ParseSetup(const et::BundleConfig& files) {
  return ParseSetup(files.network_yml, files.system_json,
                    files.comm_groups.empty() ? "" : et::CommGroupsJson(files.comm_groups));
}

Expected<Setup> ReadSetup(const BundlePaths& bundle) {
  Setup setup;
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string network, ReadFile(bundle.network));
  ASTRASWEEP_ASSIGN_OR_RETURN(setup.network, et::ParseNetworkYml(network, bundle.network));
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string system, ReadFile(bundle.system));
  ASTRASWEEP_ASSIGN_OR_RETURN(setup.system,
                              et::ParseSystemJson(system, bundle.system, setup.network.size()));
  if (!bundle.comm_groups.empty()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(const std::string groups, ReadFile(bundle.comm_groups));
    ASTRASWEEP_ASSIGN_OR_RETURN(setup.comm_groups,
                                et::ParseCommGroupsJson(groups, bundle.comm_groups));
  }
  return setup;
}

Expected<SimResult> Simulate(const Setup& setup, const Traces& traces, Congestion congestion) {
  ASTRASWEEP_ASSIGN_OR_RETURN(std::vector<RankTrace> compiled, CompileTraces(traces, {}));
  return Replay(setup, std::move(compiled), congestion);
}

Expected<SimResult> SimulateFolded(const Setup& setup, const FoldMap& fold,
                                   const Traces& representatives) {
  ASTRASWEEP_ASSIGN_OR_RETURN(std::vector<RankTrace> compiled,
                              CompileTraces(representatives, fold.representatives()));
  return Replay(setup, std::move(compiled), Congestion::kUnaware, &fold);
}

std::string BuiltinSimulator::Identity(Congestion congestion) const {
  return "builtin-" + std::string(CongestionName(congestion)) + " v" +
         std::to_string(kSemanticsVersion);
}

Expected<SimResult> BuiltinSimulator::Run(const BundlePaths& bundle, Congestion congestion) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const Setup setup, ReadSetup(bundle));
  std::vector<RankTrace> traces;
  traces.reserve(static_cast<std::size_t>(setup.npus()));
  et::Node node;  // reused: its strings and lists keep their memory
  for (int rank = 0; rank < setup.npus(); ++rank) {
    ASTRASWEEP_ASSIGN_OR_RETURN(et::TraceReader reader,
                                et::TraceReader::Open(et::TracePath(bundle.workload, rank)));
    RankCompiler compiler(rank);
    while (true) {
      ASTRASWEEP_ASSIGN_OR_RETURN(const bool more, reader.Next(node));
      if (!more) break;
      ASTRASWEEP_RETURN_IF_ERROR(compiler.Add(node));
    }
    ASTRASWEEP_ASSIGN_OR_RETURN(RankTrace trace, std::move(compiler).Finish());
    traces.push_back(std::move(trace));
  }
  return Replay(setup, std::move(traces), congestion);
}

}  // namespace astrasweep::netsim
