// Opening an archive to read, and its points with their configs, failures
// and per-NPU timings, gathered in one pass over each table.
#include "astrasweep/store/archive_reader.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "astrasweep/exec/result_fields.h"
#include "astrasweep/store/archive_lock.h"
#include "stored_columns.h"

namespace astrasweep::store {
namespace {

constexpr std::uint64_t kChunk = 65536;

// Calls visit(rows, r) for every row of `table`, read in chunks into rows
// of `wanted`.
template <typename Visit>
Status ForEachRow(const Table& table, const ColumnSet& wanted, Visit&& visit) {
  RowBuffer rows(wanted);
  for (std::uint64_t start = 0; start < table.rows(); start += kChunk) {
    ASTRASWEEP_RETURN_IF_ERROR(
        table.Read(start, std::min<std::uint64_t>(kChunk, table.rows() - start), rows));
    for (std::size_t r = 0; r < rows.rows(); ++r) visit(rows, r);
  }
  return Ok();
}

const Column* FindColumn(const Table& table, std::string_view name) {
  for (const Column& column : table.columns())
    if (column.name == name) return &column;
  return nullptr;
}

// The points of `wanted`, by index, and the position of each.
class Wanted {
 public:
  explicit Wanted(std::vector<ArchivedPoint>& points) : points_(points) {}
  ArchivedPoint* Find(std::uint64_t index) {
    auto it = std::lower_bound(points_.begin(), points_.end(), index,
                               [](const ArchivedPoint& p, std::uint64_t i) { return p.index < i; });
    return it != points_.end() && it->index == index ? &*it : nullptr;
  }

 private:
  std::vector<ArchivedPoint>& points_;
};

Status ReadPointRows(const File& file, Wanted& wanted, std::vector<ArchivedPoint>& points) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Table table, Table::Open(file, "points"));
  ColumnSet set;
  const auto index = set.Add<std::uint64_t>("index");
  const auto id = set.Add<std::string_view>("id", 32);
  const auto status = set.Add<std::string_view>("status", 16);
  const auto mode = set.Add<std::string_view>("mode", 32);
  auto optional_column = [&](std::string_view name) -> std::optional<StoredCol> {
    const Column* column = FindColumn(table, name);
    return column ? std::optional(AddStored(set, *column)) : std::nullopt;
  };
  std::vector<std::optional<StoredCol>> fields;
  for (const exec::ResultField& field : exec::ResultFields())
    fields.push_back(optional_column(field.name));
  const auto eval_s = optional_column("eval_s");
  const auto worker_rank = optional_column("worker_rank");
  std::uint64_t found = 0;
  ASTRASWEEP_RETURN_IF_ERROR(ForEachRow(table, set, [&](const RowBuffer& rows, std::size_t r) {
    ArchivedPoint* point = wanted.Find(rows.Get(r, index));
    if (point == nullptr) return;
    ++found;
    point->id = rows.Get(r, id);
    point->status = rows.Get(r, status);
    point->mode = rows.Get(r, mode);
    point->fields.clear();
    for (const auto& field : fields)
      point->fields.push_back(field ? StoredNumber(rows, r, *field) : std::nullopt);
    point->eval_s = eval_s ? StoredNumber(rows, r, *eval_s).value_or(0) : 0;
    point->worker_rank =
        worker_rank ? static_cast<std::int64_t>(StoredNumber(rows, r, *worker_rank).value_or(0))
                    : 0;
  }));
  if (found != points.size())
    return MakeError(ErrorCode::kInvalidInput,
                     "/points holds " + std::to_string(found) + " of the " +
                         std::to_string(points.size()) + " points asked for",
                     {.file = file.path()});
  return Ok();
}

Status ReadFailureRows(const File& file, Wanted& wanted) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Table table, Table::Open(file, "failures"));
  ColumnSet set;
  const auto index = set.Add<std::uint64_t>("point_index");
  const auto stage = set.Add<std::string_view>("stage", 32);
  const auto message = set.Add<std::string_view>("message", kFailureMessageBytes);
  return ForEachRow(table, set, [&](const RowBuffer& rows, std::size_t r) {
    if (ArchivedPoint* point = wanted.Find(rows.Get(r, index))) {
      point->failure_stage = rows.Get(r, stage);
      point->failure_message = rows.Get(r, message);
    }
  });
}

Status ReadConfigRows(const File& file, Wanted& wanted) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Table table, Table::Open(file, "configs"));
  const Column* text_column = FindColumn(table, "text");
  ColumnSet set;
  const auto index = set.Add<std::uint64_t>("point_index");
  const auto part = set.Add<std::int64_t>("part");
  const auto text = set.Add<std::string_view>("text", text_column ? text_column->length : 1024);
  std::map<std::uint64_t, std::map<std::int64_t, std::string>> parts;
  ASTRASWEEP_RETURN_IF_ERROR(ForEachRow(table, set, [&](const RowBuffer& rows, std::size_t r) {
    const std::uint64_t i = rows.Get(r, index);
    if (wanted.Find(i)) parts[i][rows.Get(r, part)] = rows.Get(r, text);
  }));
  for (auto& [i, by_part] : parts) {
    ArchivedPoint* point = wanted.Find(i);
    point->config.clear();
    for (auto& [n, piece] : by_part) point->config += piece;
  }
  return Ok();
}

Status ReadTimingRows(const File& file, Wanted& wanted) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Table table, Table::Open(file, "rank_timings"));
  ColumnSet set;
  const auto index = set.Add<std::uint64_t>("point_index");
  const auto npu = set.Add<std::int64_t>("npu");
  const auto finish = set.Add<double>("finish_s");
  const auto compute = set.Add<double>("compute_s");
  const auto comm = set.Add<double>("comm_s");
  const auto exposed = set.Add<double>("exposed_comm_s");
  return ForEachRow(table, set, [&](const RowBuffer& rows, std::size_t r) {
    if (ArchivedPoint* point = wanted.Find(rows.Get(r, index)))
      point->rank_timings.push_back({rows.Get(r, npu), rows.Get(r, finish), rows.Get(r, compute),
                                     rows.Get(r, comm), rows.Get(r, exposed)});
  });
}

}  // namespace

Expected<File> OpenArchiveToRead(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return MakeError(ErrorCode::kNotFound, "no such archive (check the path)", {.file = path});
  if (auto holder = ArchiveLock::Holder(path))
    return MakeError(ErrorCode::kUnavailable,
                     "a run (" + *holder +
                         ") is writing this archive; use it when the run ends, and follow its "
                         "progress meanwhile in " +
                         path + ".logs/rank-0.log",
                     {.file = path});
  ASTRASWEEP_ASSIGN_OR_RETURN(File file, File::Open(path, File::Access::kReadOnly));
  if (!file.HasObject("/points"))
    return MakeError(ErrorCode::kInvalidInput, "not an astrasweep archive (no /points table)",
                     {.file = path});
  if (auto version = file.Int64Attribute("schema_version");
      version && *version > kArchiveSchemaVersion)
    return MakeError(ErrorCode::kInvalidInput,
                     "the archive has schema " + std::to_string(*version) +
                         ", newer than this astrasweep reads (" +
                         std::to_string(kArchiveSchemaVersion) +
                         "); use the astrasweep that wrote it (its astrasweep_version attribute)",
                     {.file = path});
  return file;
}

std::string AttributeText(const File& file, std::string_view name) {
  if (auto text = file.StringAttribute(name)) return *text;
  if (auto number = file.Int64Attribute(name)) return std::to_string(*number);
  return "";
}

Expected<std::vector<std::uint64_t>> ReadPointIndices(const File& file) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Table table, Table::Open(file, "points"));
  ColumnSet set;
  const auto index = set.Add<std::uint64_t>("index");
  std::vector<std::uint64_t> indices;
  indices.reserve(table.rows());
  ASTRASWEEP_RETURN_IF_ERROR(ForEachRow(table, set, [&](const RowBuffer& rows, std::size_t r) {
    indices.push_back(rows.Get(r, index));
  }));
  std::sort(indices.begin(), indices.end());
  return indices;
}

Expected<std::vector<ArchivedPoint>> ReadArchivedPoints(const File& file,
                                                        const std::vector<std::uint64_t>& wanted,
                                                        bool with_configs) {
  std::vector<ArchivedPoint> points(wanted.size());
  for (std::size_t i = 0; i < wanted.size(); ++i) points[i].index = wanted[i];
  Wanted lookup(points);
  ASTRASWEEP_RETURN_IF_ERROR(ReadPointRows(file, lookup, points));
  ASTRASWEEP_RETURN_IF_ERROR(ReadFailureRows(file, lookup));
  if (with_configs) ASTRASWEEP_RETURN_IF_ERROR(ReadConfigRows(file, lookup));
  ASTRASWEEP_RETURN_IF_ERROR(ReadTimingRows(file, lookup));
  return points;
}

}  // namespace astrasweep::store
