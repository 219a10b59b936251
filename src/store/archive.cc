// The archive's tables and attributes, and opening one afresh or from its
// journal.
#include "astrasweep/store/archive.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <utility>

#include "astrasweep.pb.h"
#include "astrasweep/store/table.h"

namespace astrasweep::store {
namespace {

const char* StatusName(proto::PointStatus status) {
  switch (status) {
    case proto::POINT_STATUS_OK: return "ok";
    case proto::POINT_STATUS_FAILED: return "failed";
    case proto::POINT_STATUS_INFEASIBLE: return "infeasible";
    default: return "unknown";
  }
}

// /points: the fixed columns before and after the swept ones.
std::vector<Column> PointColumnsBefore() {
  return {{"index", ColumnType::kUInt64, 0},
          {"id", ColumnType::kString, 32},
          {"status", ColumnType::kString, 10},
          {"mode", ColumnType::kString, 24}};
}

std::vector<Column> PointColumnsAfter() {
  std::vector<Column> c;
  for (const char* name :
       {"step_time_s", "tokens_per_s", "model_tflops_per_gpu", "mfu", "compute_s", "tp_comm_s",
        "pp_comm_s", "dp_comm_s", "exposed_comm_s", "bubble_s", "peak_mem_bytes"})
    c.push_back({name, ColumnType::kFloat64, 0});
  c.push_back({"fits_memory", ColumnType::kBool, 0});
  c.push_back({"sim_runs", ColumnType::kInt64, 0});
  c.push_back({"cache_hits", ColumnType::kInt64, 0});
  c.push_back({"eval_s", ColumnType::kFloat64, 0});
  c.push_back({"worker_rank", ColumnType::kInt64, 0});
  return c;
}

std::vector<Column> RankTimingColumns() {
  return {{"point_index", ColumnType::kUInt64, 0}, {"npu", ColumnType::kInt64, 0},
          {"finish_s", ColumnType::kFloat64, 0},   {"compute_s", ColumnType::kFloat64, 0},
          {"comm_s", ColumnType::kFloat64, 0},     {"exposed_comm_s", ColumnType::kFloat64, 0}};
}

std::vector<Column> WorkerColumns() {
  return {{"run", ColumnType::kInt64, 0},         {"rank", ColumnType::kInt64, 0},
          {"host", ColumnType::kString, 64},      {"points", ColumnType::kInt64, 0},
          {"busy_s", ColumnType::kFloat64, 0},    {"idle_s", ColumnType::kFloat64, 0},
          {"sim_runs", ColumnType::kInt64, 0},    {"cache_hits", ColumnType::kInt64, 0},
          {"cache_misses", ColumnType::kInt64, 0}};
}

std::vector<Column> FailureColumns() {
  return {{"point_index", ColumnType::kUInt64, 0},
          {"point_id", ColumnType::kString, 32},
          {"stage", ColumnType::kString, 32},
          {"message", ColumnType::kString, 1024}};
}

std::vector<Column> ConfigColumns() {
  return {{"point_index", ColumnType::kUInt64, 0},
          {"part", ColumnType::kInt64, 0},
          {"text", ColumnType::kString, kConfigPartBytes}};
}

// Numbers in swept text: what the spec wrote ("8", "1.5e3", "true").
double ParseNumber(std::string_view text) {
  if (text == "true") return 1;
  if (text == "false") return 0;
  double value = std::numeric_limits<double>::quiet_NaN();
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string UniqueName(const std::string& key, const std::vector<Column>& taken) {
  auto clash = [&](const std::string& name) {
    return std::any_of(taken.begin(), taken.end(), [&](const Column& c) { return c.name == name; });
  };
  return clash(key) ? "swept." + key : key;
}

struct Tables {
  Table points, rank_timings, workers, failures, configs;
};

}  // namespace

struct ArchiveWriter::Impl {
  File file;
  Tables tables;
  std::vector<sweep::SweptKey> swept;
  RowBuffer points, rank_timings, workers, failures, configs;
  ArchiveCounts counts;
  std::uint64_t points_total = 0;
  std::int64_t run = 0;

  Status WriteCounts() {
    ASTRASWEEP_RETURN_IF_ERROR(
        file.SetAttribute("points_total", static_cast<std::int64_t>(points_total)));
    ASTRASWEEP_RETURN_IF_ERROR(
        file.SetAttribute("points_done", static_cast<std::int64_t>(counts.done)));
    ASTRASWEEP_RETURN_IF_ERROR(
        file.SetAttribute("points_ok", static_cast<std::int64_t>(counts.ok)));
    ASTRASWEEP_RETURN_IF_ERROR(
        file.SetAttribute("points_failed", static_cast<std::int64_t>(counts.failed)));
    ASTRASWEEP_RETURN_IF_ERROR(
        file.SetAttribute("points_infeasible", static_cast<std::int64_t>(counts.infeasible)));
    return file.SetAttribute("runs", run + 1);
  }

  Status AppendAll() {
    ASTRASWEEP_RETURN_IF_ERROR(tables.points.Append(points));
    ASTRASWEEP_RETURN_IF_ERROR(tables.rank_timings.Append(rank_timings));
    ASTRASWEEP_RETURN_IF_ERROR(tables.workers.Append(workers));
    ASTRASWEEP_RETURN_IF_ERROR(tables.failures.Append(failures));
    ASTRASWEEP_RETURN_IF_ERROR(tables.configs.Append(configs));
    points.Clear();
    rank_timings.Clear();
    workers.Clear();
    failures.Clear();
    configs.Clear();
    return Ok();
  }
};

ArchiveWriter::ArchiveWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ArchiveWriter::ArchiveWriter(ArchiveWriter&&) noexcept = default;
ArchiveWriter& ArchiveWriter::operator=(ArchiveWriter&&) noexcept = default;
ArchiveWriter::~ArchiveWriter() = default;

const ArchiveCounts& ArchiveWriter::counts() const { return impl_->counts; }
std::int64_t ArchiveWriter::run() const { return impl_->run; }

Status ArchiveWriter::Add(const proto::PointResult& p) {
  Impl& a = *impl_;
  RowBuffer& rows = a.points;
  rows.AddRow();
  std::size_t c = 0;
  rows.Set(c++, static_cast<std::uint64_t>(p.index()));
  rows.Set(c++, std::string_view(p.id()));
  rows.Set(c++, StatusName(p.status()));
  rows.Set(c++, std::string_view(p.mode()));
  for (std::size_t i = 0; i < a.swept.size(); ++i, ++c) {
    const std::string_view text = i < static_cast<std::size_t>(p.swept_size())
                                      ? std::string_view(p.swept(static_cast<int>(i)))
                                      : std::string_view();
    switch (a.swept[i].kind) {
      case sweep::SweptKey::Kind::kInteger: {
        const double v = ParseNumber(text);
        rows.Set(c,
                 std::isfinite(v) ? static_cast<std::int64_t>(std::llround(v)) : std::int64_t{-1});
        break;
      }
      case sweep::SweptKey::Kind::kNumber: rows.Set(c, ParseNumber(text)); break;
      case sweep::SweptKey::Kind::kText: rows.Set(c, text); break;
    }
  }
  for (double v : {p.step_time_s(), p.tokens_per_s(), p.model_tflops_per_gpu(), p.mfu(),
                   p.compute_s(), p.tp_comm_s(), p.pp_comm_s(), p.dp_comm_s(), p.exposed_comm_s(),
                   p.bubble_s(), p.peak_mem_bytes()})
    rows.Set(c++, v);
  rows.Set(c++, p.fits_memory());
  rows.Set(c++, static_cast<std::int64_t>(p.sim_runs()));
  rows.Set(c++, static_cast<std::int64_t>(p.cache_hits()));
  rows.Set(c++, p.eval_s());
  rows.Set(c++, static_cast<std::int64_t>(p.worker_rank()));

  for (const auto& t : p.rank_timings()) {
    a.rank_timings.AddRow();
    a.rank_timings.Set(0, static_cast<std::uint64_t>(p.index()));
    a.rank_timings.Set(1, static_cast<std::int64_t>(t.npu()));
    a.rank_timings.Set(2, t.finish_s());
    a.rank_timings.Set(3, t.compute_s());
    a.rank_timings.Set(4, t.comm_s());
    a.rank_timings.Set(5, t.exposed_comm_s());
  }
  if (p.status() == proto::POINT_STATUS_FAILED) {
    a.failures.AddRow();
    a.failures.Set(0, static_cast<std::uint64_t>(p.index()));
    a.failures.Set(1, std::string_view(p.id()));
    a.failures.Set(2, std::string_view(p.failure_stage()));
    a.failures.Set(3, std::string_view(p.failure_message()));
  }
  const std::string_view text = p.canonical_config();
  for (std::size_t part = 0, at = 0; at < text.size() || part == 0;
       ++part, at += kConfigPartBytes) {
    a.configs.AddRow();
    a.configs.Set(0, static_cast<std::uint64_t>(p.index()));
    a.configs.Set(1, static_cast<std::int64_t>(part));
    a.configs.Set(2, text.substr(std::min(at, text.size()), kConfigPartBytes));
  }
  ++a.counts.done;
  switch (p.status()) {
    case proto::POINT_STATUS_OK: ++a.counts.ok; break;
    case proto::POINT_STATUS_INFEASIBLE: ++a.counts.infeasible; break;
    default: ++a.counts.failed; break;
  }
  return Ok();
}

std::size_t ArchiveWriter::buffered_rows() const {
  return std::max(
      {impl_->points.rows(), impl_->configs.rows() / 4, impl_->rank_timings.rows() / 16});
}

Status ArchiveWriter::WriteRows() { return impl_->AppendAll(); }

Status ArchiveWriter::AddWorker(const proto::WorkerStats& w, std::int64_t run) {
  RowBuffer& rows = impl_->workers;
  rows.AddRow();
  rows.Set(0, run);
  rows.Set(1, static_cast<std::int64_t>(w.rank()));
  rows.Set(2, std::string_view(w.host()));
  rows.Set(3, static_cast<std::int64_t>(w.points()));
  rows.Set(4, w.busy_s());
  rows.Set(5, w.idle_s());
  rows.Set(6, static_cast<std::int64_t>(w.sim_runs()));
  rows.Set(7, static_cast<std::int64_t>(w.cache_hits()));
  rows.Set(8, static_cast<std::int64_t>(w.cache_misses()));
  return Ok();
}

Status ArchiveWriter::Flush() {
  ASTRASWEEP_RETURN_IF_ERROR(impl_->AppendAll());
  ASTRASWEEP_RETURN_IF_ERROR(impl_->WriteCounts());
  return impl_->file.Flush();
}

Status ArchiveWriter::Finish(bool complete, const std::string& finished_utc) {
  ASTRASWEEP_RETURN_IF_ERROR(impl_->AppendAll());
  ASTRASWEEP_RETURN_IF_ERROR(impl_->WriteCounts());
  ASTRASWEEP_RETURN_IF_ERROR(impl_->file.SetAttribute("finished", finished_utc));
  ASTRASWEEP_RETURN_IF_ERROR(impl_->file.SetAttribute("status", complete ? "complete" : "partial"));
  return impl_->file.Flush();
}

std::string JournalPath(const std::string& archive_path) { return archive_path + ".journal"; }

Expected<ArchiveLock> ArchiveLock::Acquire(const std::string& archive_path) {
  const std::string path = archive_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return MakeError(ErrorCode::kIo,
                     std::string("cannot create the lock file: ") + std::strerror(errno),
                     {.file = path});
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::string holder(256, '\0');
    const ssize_t n = ::pread(fd, holder.data(), holder.size() - 1, 0);
    holder.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    ::close(fd);
    return MakeError(ErrorCode::kInvalidInput,
                     "another run is writing this archive" +
                         (holder.empty() ? std::string() : " (" + holder + ")") +
                         "; wait for it to finish, or write to another output",
                     {.file = archive_path});
  }
  const std::string holder = "pid " + std::to_string(::getpid());
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const ssize_t n = ::pwrite(fd, holder.data(), holder.size(), 0);
  }
  return ArchiveLock(path, fd);
}

std::optional<std::string> ArchiveLock::Holder(const std::string& archive_path) {
  const std::string path = archive_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> holder;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    std::string text(256, '\0');
    const ssize_t n = ::pread(fd, text.data(), text.size() - 1, 0);
    text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    holder = text.empty() ? "another process" : text;
  }
  ::close(fd);
  return holder;
}

ArchiveLock::ArchiveLock(ArchiveLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

ArchiveLock::~ArchiveLock() {
  // The file stays: removing it would let a run that opened it just before
  // lock an orphan while a third run locks a new file.
  if (fd_ >= 0) ::close(fd_);
}

// Builds a new archive file: tables and provenance.
struct ArchiveOpener {
  static void SetRun(ArchiveWriter& writer, std::int64_t run) { writer.impl_->run = run; }
  static Expected<ArchiveWriter> Create(const std::string& path, std::vector<sweep::SweptKey> swept,
                                        const Provenance& prov, std::int64_t run) {
    ASTRASWEEP_ASSIGN_OR_RETURN(File file, File::Create(path));
    std::vector<Column> columns = PointColumnsBefore();
    const std::vector<Column> after = PointColumnsAfter();
    for (const sweep::SweptKey& s : swept) {
      std::vector<Column> taken = columns;
      taken.insert(taken.end(), after.begin(), after.end());
      const std::string name = UniqueName(s.key, taken);
      switch (s.kind) {
        case sweep::SweptKey::Kind::kInteger:
          columns.push_back({name, ColumnType::kInt64, 0});
          break;
        case sweep::SweptKey::Kind::kNumber:
          columns.push_back({name, ColumnType::kFloat64, 0});
          break;
        case sweep::SweptKey::Kind::kText:
          columns.push_back({name, ColumnType::kString, std::max<std::size_t>(s.max_length, 8)});
          break;
      }
    }
    columns.insert(columns.end(), after.begin(), after.end());

    ASTRASWEEP_ASSIGN_OR_RETURN(Table points,
                                Table::Create(file, "points", columns, "one row per config point"));
    ASTRASWEEP_ASSIGN_OR_RETURN(Table rank_timings,
                                Table::Create(file, "rank_timings", RankTimingColumns(),
                                              "one row per simulated NPU of a point"));
    ASTRASWEEP_ASSIGN_OR_RETURN(Table workers, Table::Create(file, "workers", WorkerColumns(),
                                                             "one row per MPI rank and run", 256));
    ASTRASWEEP_ASSIGN_OR_RETURN(Table failures, Table::Create(file, "failures", FailureColumns(),
                                                              "one row per failed point", 256));
    ASTRASWEEP_ASSIGN_OR_RETURN(
        Table configs,
        Table::Create(file, "configs", ConfigColumns(),
                      "canonical config of each point, in parts to join by point_index", 1024));
    auto impl = std::make_unique<ArchiveWriter::Impl>(
        ArchiveWriter::Impl{.file = std::move(file),
                            .tables = {std::move(points), std::move(rank_timings),
                                       std::move(workers), std::move(failures), std::move(configs)},
                            .swept = std::move(swept),
                            .points = RowBuffer(columns),
                            .rank_timings = RowBuffer(RankTimingColumns()),
                            .workers = RowBuffer(WorkerColumns()),
                            .failures = RowBuffer(FailureColumns()),
                            .configs = RowBuffer(ConfigColumns()),
                            .counts = {},
                            .points_total = prov.points_total,
                            .run = run});
    File& f = impl->file;
    const std::pair<const char*, const std::string*> strings[] = {
        {"astrasweep_version", &prov.astrasweep_version},
        {"git_sha", &prov.git_sha},
        {"spec_file", &prov.spec_file},
        {"spec", &prov.spec_text},
        {"spec_sha256", &prov.spec_sha256},
        {"command_line", &prov.command_line},
        {"created", &prov.created_utc},
        {"hosts", &prov.hosts},
        {"simulator", &prov.simulator},
        {"shard", &prov.shard}};
    for (const auto& [name, value] : strings)
      ASTRASWEEP_RETURN_IF_ERROR(f.SetAttribute(name, *value));
    ASTRASWEEP_RETURN_IF_ERROR(f.SetAttribute("schema_version", kArchiveSchemaVersion));
    ASTRASWEEP_RETURN_IF_ERROR(f.SetAttribute("mpi_size", prov.mpi_size));
    ASTRASWEEP_RETURN_IF_ERROR(f.SetAttribute("status", "partial"));
    ASTRASWEEP_RETURN_IF_ERROR(f.SetAttribute("finished", ""));
    ASTRASWEEP_RETURN_IF_ERROR(impl->WriteCounts());
    ASTRASWEEP_RETURN_IF_ERROR(f.Flush());
    return ArchiveWriter(std::move(impl));
  }
};

Expected<OpenedArchive> OpenArchive(const std::string& path, std::vector<sweep::SweptKey> swept,
                                    const Provenance& provenance, bool resume) {
  namespace fs = std::filesystem;
  const std::string journal_path = JournalPath(path);
  std::error_code ec;
  bool have_archive = fs::exists(path, ec);
  bool have_journal = fs::exists(journal_path, ec);
  if (resume && have_journal) {
    // A journal whose header never got written (the first run was killed
    // while creating it) holds nothing: start afresh.
    auto probe = ReadJournal(journal_path, {.header =
                                                [](const JournalInfo&) {
                                                  return Status(std::unexpected(
                                                      Error(ErrorCode::kCancelled, "header read")));
                                                },
                                            .point = {},
                                            .worker = {}});
    if (probe && probe->headerless) {
      have_journal = false;
      // The archive is created after the header is written: it holds no points.
      if (have_archive) have_archive = !fs::remove(path, ec);
    }
  }
  if (!resume || !have_journal) {
    if (!resume && (have_archive || have_journal))
      return MakeError(ErrorCode::kInvalidInput,
                       std::string(have_archive ? "the archive" : "its journal") +
                           " exists already; pass --resume to continue that sweep, or choose "
                           "another output (results are never overwritten)",
                       {.file = have_archive ? path : journal_path});
    if (resume && have_archive)
      return MakeError(ErrorCode::kInvalidInput,
                       "cannot resume: the journal " + journal_path +
                           " is missing, and the finished points are known only from it. Move "
                           "the archive away to start the sweep afresh",
                       {.file = path});
    Provenance prov = provenance;
    ASTRASWEEP_ASSIGN_OR_RETURN(
        JournalWriter journal,
        JournalWriter::Create(journal_path, {.spec_sha256 = prov.spec_sha256,
                                             .shard = prov.shard,
                                             .created_utc = prov.created_utc}));
    ASTRASWEEP_ASSIGN_OR_RETURN(ArchiveWriter archive,
                                ArchiveOpener::Create(path, std::move(swept), prov, 0));
    return OpenedArchive{std::move(archive), std::move(journal), {}, {}};
  }

  // Resume: the journal is the record of what is finished. Its header must
  // name this sweep before anything is touched; then the archive is built
  // afresh from its records, whatever state the old file is in.
  std::optional<ArchiveWriter> archive;
  std::vector<std::uint64_t> done;
  std::vector<proto::WorkerStats> workers;
  auto on_header = [&](const JournalInfo& info) -> Status {
    if (info.spec_sha256 != provenance.spec_sha256)
      return MakeError(ErrorCode::kInvalidInput,
                       "cannot resume: the journal was written for another version of the spec "
                       "(sha256 " +
                           info.spec_sha256.substr(0, 12) + "..., this spec " +
                           provenance.spec_sha256.substr(0, 12) +
                           "...). Resume with the spec it was made from, or choose another output",
                       {.file = journal_path});
    if (info.shard != provenance.shard)
      return MakeError(ErrorCode::kInvalidInput,
                       "cannot resume: the journal is for shard '" + info.shard +
                           "', this run for '" + provenance.shard + "'",
                       {.file = journal_path});
    Provenance prov = provenance;
    prov.created_utc = info.created_utc;
    ASTRASWEEP_ASSIGN_OR_RETURN(auto created, ArchiveOpener::Create(path, swept, prov, 0));
    archive.emplace(std::move(created));
    return Ok();
  };
  auto scan = ReadJournal(journal_path,
                          {.header = on_header,
                           .point = [&](proto::PointResult& p) -> Status {
                             done.push_back(p.index());
                             ASTRASWEEP_RETURN_IF_ERROR(archive->Add(p));
                             // Rows go out in batches, as in a run: memory stays flat.
                             if (archive->buffered_rows() >= 4096) return archive->WriteRows();
                             return Ok();
                           },
                           .worker = [&](const proto::WorkerStats& w) { workers.push_back(w); }});
  if (!scan) return std::unexpected(std::move(scan).error());
  ArchiveOpener::SetRun(*archive, scan->runs);
  for (const auto& w : workers) ASTRASWEEP_RETURN_IF_ERROR(archive->AddWorker(w, w.run()));
  ASTRASWEEP_RETURN_IF_ERROR(archive->Flush());
  std::sort(done.begin(), done.end());
  if (auto dup = std::adjacent_find(done.begin(), done.end()); dup != done.end())
    return MakeError(ErrorCode::kInternal,
                     "the journal holds point " + std::to_string(*dup) + " twice",
                     {.file = journal_path});
  ASTRASWEEP_ASSIGN_OR_RETURN(JournalWriter journal,
                              JournalWriter::Continue(journal_path, scan->valid_bytes));
  return OpenedArchive{std::move(*archive), std::move(journal), std::move(done), std::move(*scan)};
}

}  // namespace astrasweep::store
