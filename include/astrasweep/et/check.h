// `astrasweep et --check DIR`: reads a bundle back and checks what AstraSim
// needs of it, one rank at a time (memory bounded by one rank's
// communication records):
//   - every rank's file is present (ranks from network.yml's npus_count);
//   - node ids are unique per rank, every dependency names a node of the
//     rank, and dependencies have no cycle;
//   - every node is of a type AstraSim runs (compute, send, receive,
//     collective) and carries its integer attributes (comm_size, comm_type,
//     comm_src, comm_dst, comm_tag) and a string pg_name;
//   - every send has its receive (same tag, peers and size), and the
//     other way round;
//   - every member of a collective's group (comm_groups.json's pg_name, or
//     every rank) issues the same collectives in the same order and sizes.
// Errors name the rank, the node and the problem.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::et {

struct CheckReport {
  int ranks = 0;
  std::uint64_t nodes = 0;
  std::uint64_t sends = 0;
  std::uint64_t collectives = 0;
  std::vector<std::string> problems;  // empty: the bundle is sound
  bool ok() const { return problems.empty(); }
};

// `dir` holds <prefix>.<rank>.et and network.yml (and comm_groups.json when
// collectives name groups). An unreadable bundle is an error; a readable
// one with problems is a report listing them (at most `max_problems`).
Expected<CheckReport> CheckBundle(const std::string& dir, const std::string& prefix = "w",
                                  std::size_t max_problems = 20);

}  // namespace astrasweep::et
