// MergeArchives: every input checked before anything is written (one spec,
// one N, each shard once, complete, the same columns and presets), then the
// output made with the inputs' own table layouts, their rows copied in
// chunks, /inputs and the root attributes.
#include "astrasweep/store/merge.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <span>

#include "archive_files.h"
#include "archive_tables.h"
#include "astrasweep/base/strings.h"
#include "astrasweep/store/archive_lock.h"
#include "astrasweep/store/archive_reader.h"
#include "stored_columns.h"

namespace astrasweep::store {
namespace {

constexpr std::uint64_t kChunk = 65536;

// An input and what the checks read of it.
struct Input {
  std::string path;
  File file;
  std::uint64_t shard = 0, shards = 0;  // i/N
  std::string Attr(std::string_view name) const { return AttributeText(file, name); }
  std::int64_t Count(std::string_view name) const { return file.Int64Attribute(name).value_or(0); }
};

std::unexpected<Error> Refuse(const std::string& file, const std::string& message) {
  return MakeError(ErrorCode::kInvalidInput, "cannot merge: " + message, {.file = file});
}

Expected<Input> OpenInput(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(File file, OpenArchiveToRead(path));
  Input input{path, std::move(file)};
  const std::string shard = input.Attr("shard");
  unsigned long long i = 0, n = 0;
  char extra = 0;
  if (shard.empty())
    return Refuse(path,
                  "not a shard: it was run without --shard, so it holds the whole sweep "
                  "already");
  if (std::sscanf(shard.c_str(), "%llu/%llu%c", &i, &n, &extra) != 2 || i >= n)
    return Refuse(path, "its shard attribute '" + shard + "' is not i/N (damaged?)");
  input.shard = i;
  input.shards = n;
  return input;
}

std::string ShardName(std::uint64_t i, std::uint64_t n) { return fmt::format("{}/{}", i, n); }

Status CheckSameSweep(const Input& first, const Input& input) {
  if (input.Attr("spec_sha256") != first.Attr("spec_sha256"))
    return Refuse(
        input.path,
        fmt::format("it comes from another spec than {}: {} (sha256 {}) against {} "
                    "(sha256 {}). Only shards of one spec merge; merge each spec's "
                    "shards on their own",
                    first.path, input.Attr("spec_file"), input.Attr("spec_sha256").substr(0, 16),
                    first.Attr("spec_file"), first.Attr("spec_sha256").substr(0, 16)));
  if (input.shards != first.shards)
    return Refuse(input.path, fmt::format("it is shard {} and {} is shard {}: the shards of one "
                                          "run all have the same N",
                                          ShardName(input.shard, input.shards), first.path,
                                          ShardName(first.shard, first.shards)));
  return Ok();
}

Status CheckComplete(const Input& input) {
  const std::int64_t done = input.Count("points_done"), total = input.Count("points_total");
  if (input.Attr("status") == "complete" && done == total) return Ok();
  return Refuse(input.path,
                fmt::format("it is partial ({} of {} points); finish it first with: astrasweep run "
                            "{} -o {} --resume --shard {}",
                            done, total, input.Attr("spec_file"), input.path,
                            ShardName(input.shard, input.shards)));
}

Status CheckEveryShard(const std::vector<Input>& inputs) {
  std::set<std::uint64_t> seen;
  for (const Input& input : inputs)
    if (!seen.insert(input.shard).second) {
      const auto other = std::find_if(inputs.begin(), inputs.end(),
                                      [&](const Input& i) { return i.shard == input.shard; });
      return Refuse(input.path, fmt::format("it and {} are both shard {}; give each shard once",
                                            other->path, ShardName(input.shard, input.shards)));
    }
  const Input& first = inputs.front();
  std::vector<std::string> missing;
  for (std::uint64_t i = 0; i < first.shards; ++i)
    if (!seen.contains(i)) missing.push_back(ShardName(i, first.shards));
  if (missing.empty()) return Ok();
  return Refuse(first.path,
                fmt::format("shard{} {} of the sweep {} missing; run {} with: astrasweep run {} "
                            "-o OUT.h5 --shard {}, then merge every shard",
                            missing.size() > 1 ? "s" : "", Join(missing, ", "),
                            missing.size() > 1 ? "are" : "is", missing.size() > 1 ? "each" : "it",
                            first.Attr("spec_file"), missing.front()));
}

Expected<std::vector<Column>> ColumnsOf(const Input& input, const char* table) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Table opened, Table::Open(input.file, table));
  return opened.columns();
}

bool SameColumns(const std::vector<Column>& a, const std::vector<Column>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].type != b[i].type || a[i].length != b[i].length)
      return false;
  return true;
}

constexpr const TableInfo* kCopiedTables[] = {&kPointsTable, &kRankTimingsTable, &kWorkersTable,
                                              &kFailuresTable, &kConfigsTable};

// The same columns in every table (one astrasweep wrote them, for one spec),
// and the same /sources (presets included) when the inputs have them.
Status CheckSameLayout(const Input& first, const Input& input) {
  for (const TableInfo* info : kCopiedTables) {
    ASTRASWEEP_ASSIGN_OR_RETURN(auto mine, ColumnsOf(input, info->name));
    ASTRASWEEP_ASSIGN_OR_RETURN(auto theirs, ColumnsOf(first, info->name));
    if (!SameColumns(mine, theirs))
      return Refuse(input.path, fmt::format("its /{} has other columns than {}'s (another "
                                            "astrasweep wrote it?); run its shard again with "
                                            "the astrasweep of the others",
                                            info->name, first.path));
  }
  if (input.file.HasObject("/sources") != first.file.HasObject("/sources"))
    return Refuse(input.path, fmt::format("one of it and {} stored its spec's files and presets "
                                          "(schema 2) and the other did not",
                                          first.path));
  return Ok();
}

// Presets are not in spec_sha256: shards run where the presets differ
// would merge into a sweep no one ran.
Status CheckSamePresets(const Input& first, const Input& input) {
  if (!first.file.HasObject("/sources")) return Ok();
  ASTRASWEEP_ASSIGN_OR_RETURN(ArchivedSweep mine, ReadArchivedSweep(input.path));
  ASTRASWEEP_ASSIGN_OR_RETURN(ArchivedSweep theirs, ReadArchivedSweep(first.path));
  std::map<std::string, std::string> texts;
  for (const auto& preset : *theirs.presets) texts[preset.name] = preset.text;
  std::set<std::string> names;
  for (const auto& preset : *mine.presets) {
    names.insert(preset.name);
    if (!texts.contains(preset.name) || texts[preset.name] != preset.text)
      return Refuse(input.path,
                    fmt::format("it ran with another preset {} than {} did; run its shard "
                                "again with the presets of the others",
                                preset.name, first.path));
  }
  for (const auto& [name, text] : texts)
    if (!names.contains(name))
      return Refuse(input.path,
                    fmt::format("it ran without the preset {} that {} had", name, first.path));
  return Ok();
}

Expected<std::vector<Input>> OpenAndCheck(const MergeOptions& options) {
  if (options.inputs.empty())
    return InvalidInput(
        "merge needs the shards' archives: astrasweep merge A.h5 B.h5 ... -o OUT.h5");
  std::vector<Input> inputs;
  for (const std::string& path : options.inputs) {
    ASTRASWEEP_ASSIGN_OR_RETURN(Input input, OpenInput(path));
    if (!inputs.empty()) ASTRASWEEP_RETURN_IF_ERROR(CheckSameSweep(inputs.front(), input));
    inputs.push_back(std::move(input));
  }
  ASTRASWEEP_RETURN_IF_ERROR(CheckEveryShard(inputs));
  for (const Input& input : inputs) ASTRASWEEP_RETURN_IF_ERROR(CheckComplete(input));
  for (const Input& input : inputs) {
    ASTRASWEEP_RETURN_IF_ERROR(CheckSameLayout(inputs.front(), input));
    ASTRASWEEP_RETURN_IF_ERROR(CheckSamePresets(inputs.front(), input));
  }
  std::sort(inputs.begin(), inputs.end(),
            [](const Input& a, const Input& b) { return a.shard < b.shard; });
  return inputs;
}

// Creates /`info.name` in `out` with the inputs' columns and appends every
// input's rows, in chunks.
Status CopyTable(File& out, const TableInfo& info, std::span<const Input> inputs) {
  ASTRASWEEP_ASSIGN_OR_RETURN(auto columns, ColumnsOf(inputs.front(), info.name));
  ColumnSet set;
  for (const Column& column : columns) set.AddAsStored(column);
  ASTRASWEEP_ASSIGN_OR_RETURN(Table table,
                              Table::Create(out, info.name, set, info.title, info.chunk_rows));
  RowBuffer rows(set);
  for (const Input& input : inputs) {
    ASTRASWEEP_ASSIGN_OR_RETURN(Table from, Table::Open(input.file, info.name));
    for (std::uint64_t start = 0; start < from.rows(); start += kChunk) {
      ASTRASWEEP_RETURN_IF_ERROR(
          from.Read(start, std::min<std::uint64_t>(kChunk, from.rows() - start), rows));
      ASTRASWEEP_RETURN_IF_ERROR(table.Append(rows));
    }
  }
  return Ok();
}

// /workers, each input's runs numbered after the previous input's
// (`first_run`), so a row still names its run.
Status CopyWorkers(File& out, const std::vector<Input>& inputs,
                   const std::vector<std::int64_t>& first_run) {
  ASTRASWEEP_ASSIGN_OR_RETURN(auto columns, ColumnsOf(inputs.front(), kWorkersTable.name));
  ColumnSet set;
  std::vector<StoredCol> cells;
  for (const Column& column : columns) cells.push_back(AddStored(set, column));
  ASTRASWEEP_ASSIGN_OR_RETURN(
      Table table,
      Table::Create(out, kWorkersTable.name, set, kWorkersTable.title, kWorkersTable.chunk_rows));
  RowBuffer from(set), to(set);
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    ASTRASWEEP_ASSIGN_OR_RETURN(Table in, Table::Open(inputs[k].file, kWorkersTable.name));
    ASTRASWEEP_RETURN_IF_ERROR(in.Read(0, in.rows(), from));
    to.Clear();
    for (std::size_t r = 0; r < from.rows(); ++r) {
      to.AddRow();
      for (std::size_t c = 0; c < cells.size(); ++c)
        std::visit(
            [&]<typename T>(Col<T> col) {
              T value = from.Get(r, col);
              if constexpr (std::same_as<T, std::int64_t>)
                if (columns[c].name == "run") value += first_run[k];
              to.Set(col, value);
            },
            cells[c]);
    }
    ASTRASWEEP_RETURN_IF_ERROR(table.Append(to));
  }
  return Ok();
}

// /inputs: one row per input, its provenance.
Status WriteInputs(File& out, const std::vector<Input>& inputs,
                   const std::vector<std::int64_t>& first_run) {
  static constexpr const char* kText[] = {"file",     "shard",        "created",
                                          "finished", "command_line", "astrasweep_version",
                                          "git_sha",  "hosts",        "simulator"};
  static constexpr const char* kCounts[] = {"runs",      "mpi_size",      "points_done",
                                            "points_ok", "points_failed", "points_infeasible"};
  ColumnSet set;
  std::vector<Col<std::string_view>> texts;
  for (const char* name : kText) {
    std::size_t length = 16;
    for (const Input& input : inputs)
      length = std::max(
          length, name == std::string_view("file") ? input.path.size() : input.Attr(name).size());
    texts.push_back(set.Add<std::string_view>(name, length));
  }
  std::vector<Col<std::int64_t>> counts;
  for (const char* name : kCounts) counts.push_back(set.Add<std::int64_t>(name));
  const auto first = set.Add<std::int64_t>("first_run");
  ASTRASWEEP_ASSIGN_OR_RETURN(
      Table table,
      Table::Create(out, "inputs", set,
                    "one row per merged shard: its provenance (its /workers runs start at "
                    "first_run)",
                    256));
  RowBuffer rows(set);
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    rows.AddRow();
    for (std::size_t t = 0; t < texts.size(); ++t)
      rows.Set(texts[t], t == 0 ? inputs[k].path : inputs[k].Attr(kText[t]));
    for (std::size_t c = 0; c < counts.size(); ++c)
      rows.Set(counts[c], inputs[k].Count(kCounts[c]));
    rows.Set(first, first_run[k]);
  }
  return table.Append(rows);
}

// The inputs' values, each once, in shard order: one value when every
// input has it ("a | b" otherwise; /inputs says which shard had which).
std::string Common(const std::vector<Input>& inputs, std::string_view name) {
  std::vector<std::string> values;
  for (const Input& input : inputs)
    if (std::find(values.begin(), values.end(), input.Attr(name)) == values.end())
      values.push_back(input.Attr(name));
  return Join(values, " | ");
}

std::string UtcNow() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

Expected<MergeResult> WriteRoot(File& out, const std::vector<Input>& inputs,
                                const MergeOptions& options) {
  Provenance prov;
  prov.astrasweep_version = Common(inputs, "astrasweep_version");
  prov.git_sha = Common(inputs, "git_sha");
  prov.spec_file = inputs.front().Attr("spec_file");
  prov.spec_text = inputs.front().Attr("spec");
  prov.spec_sha256 = inputs.front().Attr("spec_sha256");
  prov.command_line = options.command_line;
  prov.simulator = Common(inputs, "simulator");
  std::vector<std::string> hosts;
  std::string created = inputs.front().Attr("created"), finished;
  MergeResult result{.shards = inputs.size()};
  std::int64_t runs = 0, total = 0;
  for (const Input& input : inputs) {
    created = std::min(created, input.Attr("created"));
    finished = std::max(finished, input.Attr("finished"));
    prov.mpi_size = std::max(prov.mpi_size, input.Count("mpi_size"));
    for (const std::string& host : Split(input.Attr("hosts"), ','))
      if (std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
    runs += input.Count("runs");
    total += input.Count("points_total");
    result.points += static_cast<std::uint64_t>(input.Count("points_done"));
    result.ok += static_cast<std::uint64_t>(input.Count("points_ok"));
    result.failed += static_cast<std::uint64_t>(input.Count("points_failed"));
    result.infeasible += static_cast<std::uint64_t>(input.Count("points_infeasible"));
  }
  prov.created_utc = created;
  prov.hosts = Join(hosts, ",");
  ASTRASWEEP_RETURN_IF_ERROR(ArchiveFiles::WriteProvenance(out, prov));
  const std::pair<const char*, std::int64_t> counts[] = {
      {"points_total", total},
      {"points_done", static_cast<std::int64_t>(result.points)},
      {"points_ok", static_cast<std::int64_t>(result.ok)},
      {"points_failed", static_cast<std::int64_t>(result.failed)},
      {"points_infeasible", static_cast<std::int64_t>(result.infeasible)},
      {"runs", runs}};
  for (const auto& [name, value] : counts)
    ASTRASWEEP_RETURN_IF_ERROR(out.SetAttribute(name, value));
  ASTRASWEEP_RETURN_IF_ERROR(out.SetAttribute("merged", UtcNow()));
  ASTRASWEEP_RETURN_IF_ERROR(out.SetAttribute("finished", finished));
  ASTRASWEEP_RETURN_IF_ERROR(out.SetAttribute("status", "complete"));
  return result;
}

Expected<MergeResult> WriteMerged(File& out, const std::vector<Input>& inputs,
                                  const MergeOptions& options) {
  std::vector<std::int64_t> first_run;
  std::int64_t runs = 0;
  for (const Input& input : inputs) {
    first_run.push_back(runs);
    runs += input.Count("runs");
  }
  for (const TableInfo* info : kCopiedTables)
    if (info != &kWorkersTable) ASTRASWEEP_RETURN_IF_ERROR(CopyTable(out, *info, inputs));
  ASTRASWEEP_RETURN_IF_ERROR(CopyWorkers(out, inputs, first_run));
  // The shards' /sources are the same (CheckSamePresets): the first's.
  if (inputs.front().file.HasObject("/sources"))
    ASTRASWEEP_RETURN_IF_ERROR(CopyTable(out, kSourcesTable, std::span(inputs).first(1)));
  ASTRASWEEP_RETURN_IF_ERROR(WriteInputs(out, inputs, first_run));
  ASTRASWEEP_ASSIGN_OR_RETURN(MergeResult result, WriteRoot(out, inputs, options));
  ASTRASWEEP_ASSIGN_OR_RETURN(Table points, Table::Open(out, kPointsTable.name));
  if (points.rows() != result.points)
    return MakeError(ErrorCode::kInternal,
                     fmt::format("the merged /points has {} rows, the shards count {} points",
                                 points.rows(), result.points),
                     {.file = out.path()});
  ASTRASWEEP_RETURN_IF_ERROR(out.Flush());
  return result;
}

}  // namespace

Expected<MergeResult> MergeArchives(const MergeOptions& options) {
  std::error_code ec;
  if (std::filesystem::exists(options.out, ec))
    return MakeError(ErrorCode::kInvalidInput,
                     "the output exists already; choose another (results are never overwritten)",
                     {.file = options.out});
  ASTRASWEEP_ASSIGN_OR_RETURN(std::vector<Input> inputs, OpenAndCheck(options));
  ASTRASWEEP_ASSIGN_OR_RETURN(ArchiveLock lock, ArchiveLock::Acquire(options.out));
  auto merged = [&]() -> Expected<MergeResult> {
    ASTRASWEEP_ASSIGN_OR_RETURN(File out, File::Create(options.out));
    return WriteMerged(out, inputs, options);
  }();
  // A merge that fails leaves no half archive behind (the shards are intact).
  if (!merged) std::filesystem::remove(options.out, ec);
  return merged;
}

}  // namespace astrasweep::store
