// The infeasible points against their GPU's memory, in GiB (2^30 bytes)
// as everywhere in astrasweep.
#include "inspect_infeasible.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "astrasweep/base/strings.h"
#include "astrasweep/base/units.h"
#include "astrasweep/config/node.h"
#include "row_scan.h"
#include "text_table.h"

namespace astrasweep::store {
namespace {

// Bytes in GiB, to two decimals but no trailing zeros: "74", "74.6", "0.52".
std::string GibNumber(double bytes) {
  std::string number = fmt::format("{:.2f}", bytes / 1073741824.0);
  number.erase(number.find_last_not_of('0') + 1);
  if (number.back() == '.') number.pop_back();
  return number;
}

std::string Gib(double bytes) { return GibNumber(bytes) + " GiB"; }

bool IsHardwareKey(const std::string& name) {
  return name == "hardware" || name.starts_with("hardware.");
}

}  // namespace

Expected<GpuMemory> ReadGpuMemory(std::string_view config_text) {
  ASTRASWEEP_ASSIGN_OR_RETURN(config::Node root, config::ParseYaml(config_text, "/configs"));
  auto bytes = [&](const char* key) -> Expected<double> {
    const config::Node* node = config::FindPath(root, config::SplitKeyPath(key));
    if (node == nullptr || !node->IsScalar()) return 0.0;
    return ParseQuantity(node->text(), QuantityKind::kBytes);
  };
  GpuMemory memory;
  ASTRASWEEP_ASSIGN_OR_RETURN(memory.capacity, bytes("hardware.memory"));
  ASTRASWEEP_ASSIGN_OR_RETURN(memory.reserved, bytes("hardware.reserved_memory"));
  if (memory.capacity <= 0) return InvalidInput("the config has no hardware.memory");
  const config::Node* name = config::FindPath(root, config::SplitKeyPath("hardware.name"));
  memory.name = name != nullptr && name->IsScalar() ? name->text() : "the GPU";
  return memory;
}

Expected<InfeasiblePoints> InfeasiblePoints::Create(PointColumns& columns, std::size_t top) {
  InfeasiblePoints infeasible(columns, top);
  for (const std::string& name : columns.swept_names()) {
    if (!IsHardwareKey(name)) continue;
    ASTRASWEEP_ASSIGN_OR_RETURN(StoredCol column, columns.Find(name));
    infeasible.hardware_keys_.push_back(name);
    infeasible.hardware_columns_.push_back(column);
  }
  return infeasible;
}

std::vector<std::string> InfeasiblePoints::HardwareOf(const RowBuffer& rows, std::size_t r) const {
  std::vector<std::string> key;
  for (const StoredCol& column : hardware_columns_)
    key.push_back(PointColumns::Text(rows, r, column));
  return key;
}

// The first point of each hardware in table order whose config was built
// (ok or infeasible): the scan of /configs for their memory then ends
// early, whichever points a filter keeps.
void InfeasiblePoints::NoteHardware(const RowBuffer& rows, std::size_t r) {
  if (hardware_columns_.empty() && !examples_.empty()) return;
  const std::string_view status = columns_->Status(rows, r);
  if (status == "ok" || status == "infeasible")
    examples_.try_emplace(HardwareOf(rows, r), columns_->Index(rows, r));
}

void InfeasiblePoints::Visit(const RowBuffer& rows, std::size_t r) {
  if (columns_->Status(rows, r) != "infeasible") return;
  ++points_;
  const double peak = columns_->PeakMemBytes(rows, r);
  const std::uint64_t index = columns_->Index(rows, r);
  auto [it, added] = by_hardware_.try_emplace(HardwareOf(rows, r));
  Hardware& hardware = it->second;
  if (added) hardware.min_peak = hardware.max_peak = peak;
  ++hardware.points;
  hardware.min_peak = std::min(hardware.min_peak, peak);
  hardware.max_peak = std::max(hardware.max_peak, peak);
  Candidate candidate{peak, index, {}};
  auto& nearest = hardware.nearest;
  if (top_ == 0 || (nearest.size() == top_ && !(candidate < nearest.front()))) return;
  candidate.cells = columns_->SweptCells(rows, r);
  nearest.push_back(std::move(candidate));
  std::push_heap(nearest.begin(), nearest.end());
  if (nearest.size() <= top_) return;
  std::pop_heap(nearest.begin(), nearest.end());
  nearest.pop_back();
}

Status InfeasiblePoints::ReadGpuMemories(const File& file) {
  if (by_hardware_.empty()) return Ok();
  std::map<std::uint64_t, Hardware*> wanted;
  for (auto& [key, hardware] : by_hardware_)
    if (auto example = examples_.find(key); example != examples_.end())
      wanted.emplace(example->second, &hardware);
  ASTRASWEEP_ASSIGN_OR_RETURN(Table configs, Table::Open(file, "configs"));
  std::size_t text_bytes = 1024;
  for (const Column& column : configs.columns())
    if (column.name == "text") text_bytes = column.length;
  ColumnSet set;
  const auto index = set.Add<std::uint64_t>("point_index");
  const auto part = set.Add<std::int64_t>("part");
  const auto text = set.Add<std::string_view>("text", text_bytes);
  // A config's parts are consecutive rows, in order.
  std::map<std::uint64_t, std::string> texts;
  ASTRASWEEP_RETURN_IF_ERROR(ScanRows(configs, set, [&](const RowBuffer& rows, std::size_t r) {
    const std::uint64_t i = rows.Get(r, index);
    if (wanted.contains(i)) {
      if (rows.Get(r, part) == 0) texts[i].clear();
      texts[i] += rows.Get(r, text);
    }
    // Read on until every config is seen and the last one's parts are all in.
    return texts.size() < wanted.size() || wanted.contains(i);
  }));
  for (const auto& [i, config] : texts)
    if (auto memory = ReadGpuMemory(config)) wanted[i]->memory = *memory;
  return Ok();
}

std::string InfeasiblePoints::HardwareLine(const std::vector<std::string>& key,
                                           const Hardware& hardware) const {
  std::string peak = hardware.min_peak == hardware.max_peak
                         ? Gib(hardware.max_peak)
                         : GibNumber(hardware.min_peak) + " to " + Gib(hardware.max_peak);
  std::string line = fmt::format("peak memory {} per GPU", peak);
  if (!hardware.memory) return line + ", the GPU's memory unknown (its config is not in /configs)";
  const GpuMemory& memory = *hardware.memory;
  line += fmt::format(" against {} usable ({}: {} less {} reserved)", Gib(memory.usable()),
                      memory.name, Gib(memory.capacity), Gib(memory.reserved));
  if (by_hardware_.size() == 1) return line;
  std::vector<std::string> values;
  for (std::size_t k = 0; k < key.size(); ++k) values.push_back(hardware_keys_[k] + "=" + key[k]);
  return fmt::format("  {} ({} points): {}", Join(values, ", "), hardware.points, line);
}

// The `top` nearest to fitting of every hardware, by peak over usable
// memory.
std::string InfeasiblePoints::NearestText() const {
  struct Row {
    double ratio;
    const Candidate* candidate;
    const Hardware* hardware;
  };
  std::vector<Row> rows;
  for (const auto& [key, hardware] : by_hardware_) {
    const double usable = hardware.memory ? hardware.memory->usable() : 1.0;
    for (const Candidate& candidate : hardware.nearest)
      rows.push_back({candidate.peak / usable, &candidate, &hardware});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.ratio != b.ratio ? a.ratio < b.ratio : a.candidate->index < b.candidate->index;
  });
  rows.resize(std::min(rows.size(), top_));
  std::vector<std::string> header{"index", "peak memory", "usable", "over by"};
  header.insert(header.end(), columns_->swept_names().begin(), columns_->swept_names().end());
  TextTable table(std::move(header));
  for (const Row& row : rows) {
    const Candidate& candidate = *row.candidate;
    std::vector<std::string> cells{std::to_string(candidate.index), Gib(candidate.peak)};
    if (const auto& memory = row.hardware->memory) {
      const double over = candidate.peak - memory->usable();
      cells.push_back(Gib(memory->usable()));
      cells.push_back(fmt::format("{} ({:.1f}%)", Gib(over), 100 * over / memory->usable()));
    } else {
      cells.insert(cells.end(), {"?", "?"});
    }
    cells.insert(cells.end(), candidate.cells.begin(), candidate.cells.end());
    table.Add(std::move(cells));
  }
  return fmt::format("{} nearest to fitting:\n", rows.size()) + table.Text();
}

std::string InfeasiblePoints::Text(std::uint64_t points) const {
  if (points_ == 0) return "";
  std::string out =
      fmt::format("\ninfeasible  {} of {} points do not fit in GPU memory", points_, points);
  if (by_hardware_.size() == 1) {
    out += ": " + HardwareLine(by_hardware_.begin()->first, by_hardware_.begin()->second) + "\n";
  } else {
    out += ":\n";
    for (const auto& [key, hardware] : by_hardware_) out += HardwareLine(key, hardware) + "\n";
  }
  return top_ == 0 ? out : out + NearestText();
}

}  // namespace astrasweep::store
