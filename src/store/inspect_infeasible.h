// inspect's infeasible points: how many do not fit in GPU memory, by how
// much, against what. A GPU's usable memory is its capacity less what is
// reserved (as the memory model decides fits_memory); /points does not
// hold it, so it is read from the config of one point per hardware (the
// swept keys under `hardware`) in /configs, after the pass over /points.
// Per hardware, the `top` points nearest to fitting are kept.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "point_columns.h"

namespace astrasweep::store {

// A GPU's memory as a point's config gives it, in bytes.
struct GpuMemory {
  std::string name;  // the hardware's name
  double capacity = 0;
  double reserved = 0;
  double usable() const { return capacity - reserved; }
};

// From a canonical config's text (hardware.memory, .reserved_memory, .name).
Expected<GpuMemory> ReadGpuMemory(std::string_view config_text);

class InfeasiblePoints {
 public:
  static Expected<InfeasiblePoints> Create(PointColumns& columns, std::size_t top);
  // Every point of /points, kept or not.
  void NoteHardware(const RowBuffer& rows, std::size_t r);
  // The points kept.
  void Visit(const RowBuffer& rows, std::size_t r);
  // Each hardware's GPU memory, from /configs: the scan stops when it has
  // them all.
  Status ReadGpuMemories(const File& file);
  // `points`: how many points the report covers.
  std::string Text(std::uint64_t points) const;

 private:
  struct Candidate {
    double peak = 0;
    std::uint64_t index = 0;
    std::vector<std::string> cells;
    bool operator<(const Candidate& other) const {
      return peak != other.peak ? peak < other.peak : index < other.index;
    }
  };
  struct Hardware {
    std::uint64_t points = 0;
    double min_peak = 0, max_peak = 0;
    std::optional<GpuMemory> memory;
    std::vector<Candidate> nearest;  // a max-heap of the `top` smallest peaks
  };
  InfeasiblePoints(const PointColumns& columns, std::size_t top) : columns_(&columns), top_(top) {}
  std::vector<std::string> HardwareOf(const RowBuffer& rows, std::size_t r) const;
  std::string HardwareLine(const std::vector<std::string>& key, const Hardware& hardware) const;
  std::string NearestText() const;

  const PointColumns* columns_;  // not null
  std::size_t top_;
  std::vector<std::string> hardware_keys_;  // swept keys under `hardware`
  std::vector<StoredCol> hardware_columns_;
  std::map<std::vector<std::string>, Hardware> by_hardware_;
  // Per hardware, a point whose config gives its memory.
  std::map<std::vector<std::string>, std::uint64_t> examples_;
  std::uint64_t points_ = 0;
};

}  // namespace astrasweep::store
