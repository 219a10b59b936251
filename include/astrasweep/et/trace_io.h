// Reading and writing one rank's Chakra ET file (<prefix>.<rank>.et): a
// varint byte count before each protobuf message, the GlobalMetadata
// first, then the rank's Nodes. Both stream: a writer holds one buffer of
// encoded bytes, a reader one block of the file, so memory stays bounded
// however many nodes or ranks a bundle has.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "astrasweep/base/error.h"
#include "astrasweep/base/hash.h"
#include "astrasweep/et/node.h"

namespace astrasweep::et {

// The file of `rank` for a workload prefix: "<prefix>.<rank>.et", the name
// AstraSim's --workload-configuration=<prefix> opens. Owned here alone.
std::string TracePath(const std::string& prefix, int rank);

class TraceWriter {
 public:
  // Creates (or replaces) the file and writes the metadata.
  static Expected<TraceWriter> Create(const std::string& path, const GlobalMetadata& metadata);
  TraceWriter(TraceWriter&&) noexcept;
  TraceWriter& operator=(TraceWriter&&) noexcept;
  ~TraceWriter();  // closes; call Close to see its errors

  Status Add(const Node& node);
  // Writes what is buffered and closes the file.
  Status Close();
  std::uint64_t nodes() const;
  // A hash of the messages written so far (each a piece of a base::Hasher):
  // the file's content, without reading it back.
  Hash128 content_hash() const;

 private:
  struct Impl;
  explicit TraceWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class TraceReader {
 public:
  // Opens the file and reads its metadata; an error names the file.
  static Expected<TraceReader> Open(const std::string& path);
  TraceReader(TraceReader&&) noexcept;
  TraceReader& operator=(TraceReader&&) noexcept;
  ~TraceReader();

  const GlobalMetadata& metadata() const;
  // The next node into `node`: true when one was read, false at the end
  // of the file. A torn or damaged message, or an attribute of a kind this
  // reader does not know, is an error naming the file and the node's
  // position.
  Expected<bool> Next(Node& node);

 private:
  struct Impl;
  explicit TraceReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A whole file's nodes: for tests and small traces.
struct Trace {
  GlobalMetadata metadata;
  std::vector<Node> nodes;
  bool operator==(const Trace&) const = default;
};
Expected<Trace> ReadTrace(const std::string& path);
Status WriteTrace(const std::string& path, const Trace& trace);

// The content hash a TraceWriter of these would give (its file's bytes),
// without writing it: for traces that stay in memory.
Hash128 ContentHash(const GlobalMetadata& metadata, const std::vector<Node>& nodes);

}  // namespace astrasweep::et
