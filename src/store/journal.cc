// Journal blocks: marker, counts, checksum, compressed records.
#include "astrasweep/store/journal.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "astrasweep.pb.h"
#include "astrasweep/base/compress.h"
#include "astrasweep/base/hash.h"

namespace astrasweep::store {
namespace {

// 2: the metrics of a point moved into PointResult.fields, named by the
// header's result_fields. 3: compressed blocks, points without their
// config, the inputs' digests in the header.
constexpr std::uint32_t kSchemaVersion = 3;
constexpr std::string_view kMarker(
    "\x89"
    "ASJ\r\n\x1a\n",
    8);
constexpr std::size_t kCountBytes = 4;
constexpr std::size_t kBlockHeaderBytes = kMarker.size() + 3 * kCountBytes;
// A block is sealed once its records reach this many bytes...
constexpr std::size_t kBlockRecordBytes = 4u << 20;
// ... and one claiming more than this is damage, not data.
constexpr std::uint32_t kMaxBlockBytes = 64u << 20;

void PutCount(std::uint32_t value, char* out) {
  for (std::size_t i = 0; i < kCountBytes; ++i)
    out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint32_t GetCount(const char* in) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < kCountBytes; ++i)
    value |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << (8 * i);
  return value;
}

// Over the two counts and the stored bytes.
std::uint32_t Checksum(std::string_view counts, std::string_view stored) {
  Hasher hasher;
  hasher.Add(counts).Add(stored);
  return static_cast<std::uint32_t>(hasher.Finish().low);
}

// Serialised in place, at the end of `out`, after its varint length.
void AppendRecord(const proto::JournalRecord& record, std::string& out) {
  const std::size_t bytes = record.ByteSizeLong();
  std::uint32_t size = static_cast<std::uint32_t>(bytes);
  while (size >= 0x80) {
    out.push_back(static_cast<char>((size & 0x7f) | 0x80));
    size >>= 7;
  }
  out.push_back(static_cast<char>(size));
  const std::size_t at = out.size();
  out.resize(at + bytes);
  record.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(out.data() + at));
}

// The next record of a block's records at `pos`; false at their end or at
// bytes that are not a record.
bool NextRecord(std::string_view records, std::size_t& pos, proto::JournalRecord& record) {
  std::uint32_t size = 0;
  for (int shift = 0;; shift += 7) {
    if (pos >= records.size() || shift >= 35) return false;
    const auto byte = static_cast<std::uint8_t>(records[pos++]);
    size |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
  }
  if (size > records.size() - pos) return false;
  const bool parsed = record.ParseFromArray(records.data() + pos, static_cast<int>(size));
  pos += size;
  return parsed;
}

std::unexpected<Error> IoError(const std::string& what, const std::string& path) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(errno), {.file = path});
}

// Reads a journal block by block. A block that is not intact is skipped:
// reading goes on at the next marker, and damage() says what was passed.
class BlockReader {
 public:
  enum class Step { kBlock, kEnd };

  static Expected<BlockReader> Open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return IoError("cannot open the journal", path);
    struct stat st {};
    ::fstat(fd.get(), &st);
    return BlockReader(path, std::move(fd), static_cast<std::uint64_t>(st.st_size));
  }

  // The next intact block's records, inflated into `records`.
  Expected<Step> Next(std::string& records) {
    while (true) {
      ASTRASWEEP_RETURN_IF_ERROR(Fill(kBlockHeaderBytes));
      if (pos_ == data_.size()) return Step::kEnd;
      ASTRASWEEP_ASSIGN_OR_RETURN(const bool read, ReadBlock(records));
      if (read) return Step::kBlock;
      ASTRASWEEP_ASSIGN_OR_RETURN(const bool found, SkipToNextMarker());
      if (!found) return Step::kEnd;
    }
  }

  // The file offset just past the last intact block.
  std::uint64_t valid_bytes() const { return valid_; }
  std::uint64_t file_bytes() const { return file_bytes_; }
  std::uint64_t skipped_bytes() const { return skipped_; }
  const std::string& damage() const { return damage_; }

 private:
  BlockReader(std::string path, UniqueFd fd, std::uint64_t file_bytes)
      : path_(std::move(path)), fd_(std::move(fd)), file_bytes_(file_bytes) {}

  std::uint64_t offset() const { return consumed_ + pos_; }

  // The block at pos_, if it is whole and intact; pos_ moves past it.
  Expected<bool> ReadBlock(std::string& records) {
    if (data_.size() - pos_ < kBlockHeaderBytes ||
        std::string_view(data_).substr(pos_, kMarker.size()) != kMarker)
      return false;
    const char* counts = data_.data() + pos_ + kMarker.size();
    const std::uint32_t stored = GetCount(counts);
    const std::uint32_t raw = GetCount(counts + kCountBytes);
    if (stored > kMaxBlockBytes || raw > kMaxBlockBytes) return false;
    ASTRASWEEP_RETURN_IF_ERROR(Fill(kBlockHeaderBytes + stored));
    if (data_.size() - pos_ < kBlockHeaderBytes + stored) return false;
    counts = data_.data() + pos_ + kMarker.size();  // Fill may have moved the data
    const std::string_view bytes(data_.data() + pos_ + kBlockHeaderBytes, stored);
    if (GetCount(counts + 2 * kCountBytes) != Checksum({counts, 2 * kCountBytes}, bytes) ||
        !Inflate(bytes, raw, records))
      return false;
    pos_ += kBlockHeaderBytes + stored;
    valid_ = offset();
    return true;
  }

  // Past the block at pos_, which is not intact, to the next marker: false
  // when the file ends first.
  Expected<bool> SkipToNextMarker() {
    const std::uint64_t from = offset();
    std::size_t search = pos_ + 1;
    while (true) {
      const std::size_t at = std::string_view(data_).find(kMarker, search);
      if (at != std::string_view::npos) {
        pos_ = at;
        Damaged(from, "a damaged block");
        skipped_ += offset() - from;
        return true;
      }
      if (eof_) {
        pos_ = data_.size();
        Damaged(from, "a torn or damaged block at the end");
        return false;
      }
      // Only the last bytes may begin a marker: read on from them.
      pos_ = std::max(search, data_.size() - std::min(data_.size(), kMarker.size() - 1));
      ASTRASWEEP_RETURN_IF_ERROR(Fill(data_.size() - pos_ + (1 << 20)));
      search = pos_;
    }
  }

  void Damaged(std::uint64_t from, const std::string& what) {
    if (!damage_.empty()) damage_ += "; ";
    damage_ += what + " (bytes " + std::to_string(from) + " to " + std::to_string(offset()) + ")";
  }

  // Makes `need` bytes available from pos_ unless the file ends first.
  Status Fill(std::size_t need) {
    while (!eof_ && data_.size() - pos_ < need) {
      data_.erase(0, pos_);
      consumed_ += pos_;
      pos_ = 0;
      const std::size_t old = data_.size();
      // A megabyte at a time, but no more than the file has left (and one
      // byte when it has none, to see its end): a short journal, or a
      // damaged length, costs no buffer larger than the file.
      const std::uint64_t left = file_bytes_ - std::min(file_bytes_, consumed_ + old);
      const auto chunk = static_cast<std::size_t>(std::max<std::uint64_t>(
          std::min<std::uint64_t>(std::max<std::size_t>(need - old, 1 << 20), left), 1));
      data_.resize(old + chunk);
      const ssize_t n = ::read(fd_.get(), data_.data() + old, chunk);
      data_.resize(old + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
      if (n < 0 && errno != EINTR) return IoError("cannot read the journal", path_);
      if (n == 0) eof_ = true;
    }
    return Ok();
  }

  std::string path_;
  UniqueFd fd_;
  std::uint64_t file_bytes_ = 0;
  std::string data_;
  std::size_t pos_ = 0;
  std::uint64_t consumed_ = 0;  // bytes before data_[0]
  std::uint64_t valid_ = 0;
  std::uint64_t skipped_ = 0;
  bool eof_ = false;
  std::string damage_;
};

// ConfigCheck of an id, wherever it is held.
std::uint32_t CheckOf(std::string_view id) {
  const auto check = static_cast<std::uint32_t>(HashBytes(id).low);
  return check == 0 ? 1 : check;
}

// The header record, checked: the first record of every journal.
Expected<JournalInfo> HeaderOf(const proto::JournalRecord& record, const std::string& path) {
  const proto::JournalHeader& header = record.header();
  if (header.schema_version() != kSchemaVersion)
    return MakeError(ErrorCode::kInvalidInput,
                     "journal schema version " + std::to_string(header.schema_version()) +
                         " is not the one this astrasweep writes (" +
                         std::to_string(kSchemaVersion) +
                         "); resume it with the astrasweep that wrote it, or start a new archive",
                     {.file = path});
  JournalInfo info{.spec_sha256 = header.spec_sha256(),
                   .shard = header.shard(),
                   .created_utc = header.created_utc(),
                   .result_fields = {header.result_fields().begin(), header.result_fields().end()},
                   .inputs = {},
                   .model = header.model()};
  for (const auto& input : header.inputs())
    info.inputs.push_back({input.kind(), input.name(), input.sha256()});
  return info;
}

// Whether the file's first bytes are (or begin) a block's marker.
bool BeginsWithMarker(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  char head[kMarker.size()];
  const ssize_t n = fd.valid() ? ::read(fd.get(), head, sizeof head) : -1;
  return n > 0 && kMarker.starts_with(std::string_view(head, static_cast<std::size_t>(n)));
}

// Opens a journal and reads its header: nullopt for an empty file, or one
// whose header block a kill tore as the run began (it records nothing).
Expected<std::optional<JournalInfo>> OpenAtHeader(BlockReader& reader, const std::string& path) {
  if (reader.file_bytes() == 0) return std::optional<JournalInfo>();
  std::string records;
  proto::JournalRecord record;
  std::size_t pos = 0;
  ASTRASWEEP_ASSIGN_OR_RETURN(const BlockReader::Step step, reader.Next(records));
  if (step == BlockReader::Step::kEnd && reader.valid_bytes() == 0 && BeginsWithMarker(path))
    return std::optional<JournalInfo>();
  if (step != BlockReader::Step::kBlock || reader.skipped_bytes() > 0 ||
      !NextRecord(records, pos, record) || !record.has_header())
    return MakeError(ErrorCode::kInvalidInput,
                     "not a journal this astrasweep reads, or its header is damaged; a journal "
                     "of an older astrasweep is resumed by the astrasweep that wrote it. To "
                     "start the sweep afresh, move the journal and the archive away (an archive "
                     "`astrasweep inspect` calls complete holds every point already)",
                     {.file = path});
  ASTRASWEEP_ASSIGN_OR_RETURN(JournalInfo info, HeaderOf(record, path));
  return std::optional<JournalInfo>(std::move(info));
}

}  // namespace

Expected<JournalWriter> JournalWriter::Create(const std::string& path, const JournalInfo& info) {
  // Created, never opened: a file or a symbolic link already at the path
  // is left alone (and a link is never followed).
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) return IoError("cannot create the journal", path);
  JournalWriter writer(path, std::move(fd));
  proto::JournalRecord record;
  auto* header = record.mutable_header();
  header->set_schema_version(kSchemaVersion);
  header->set_spec_sha256(info.spec_sha256);
  header->set_shard(info.shard);
  header->set_created_utc(info.created_utc);
  header->set_model(info.model);
  for (const auto& name : info.result_fields) header->add_result_fields(name);
  for (const auto& input : info.inputs) {
    auto* digest = header->add_inputs();
    digest->set_kind(input.kind);
    digest->set_name(input.name);
    digest->set_sha256(input.sha256);
  }
  AppendRecord(record, writer.records_);
  writer.SealBlock();  // the header is a block of its own
  ASTRASWEEP_RETURN_IF_ERROR(writer.Flush(Durability::kSynced));
  return writer;
}

Expected<JournalWriter> JournalWriter::Continue(const std::string& path,
                                                std::uint64_t valid_bytes) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return IoError("cannot open the journal", path);
  if (::ftruncate(fd.get(), static_cast<off_t>(valid_bytes)) < 0 ||
      ::lseek(fd.get(), static_cast<off_t>(valid_bytes), SEEK_SET) < 0)
    return IoError("cannot cut the journal's damaged tail", path);
  return JournalWriter(path, std::move(fd));
}

void JournalWriter::SealBlock() {
  if (records_.empty()) return;
  const std::size_t at = blocks_.size();
  blocks_.append(kMarker);
  blocks_.resize(at + kBlockHeaderBytes);
  AppendDeflated(records_, blocks_);
  char* counts = blocks_.data() + at + kMarker.size();
  const std::string_view stored(blocks_.data() + at + kBlockHeaderBytes,
                                blocks_.size() - at - kBlockHeaderBytes);
  PutCount(static_cast<std::uint32_t>(stored.size()), counts);
  PutCount(static_cast<std::uint32_t>(records_.size()), counts + kCountBytes);
  PutCount(Checksum({counts, 2 * kCountBytes}, stored), counts + 2 * kCountBytes);
  records_.clear();
}

void JournalWriter::Add(proto::PointResult& point) {
  std::string id, canonical;
  google::protobuf::RepeatedPtrField<std::string> swept;
  point.mutable_id()->swap(id);
  point.mutable_canonical_config()->swap(canonical);
  point.mutable_swept()->Swap(&swept);
  point.set_config_check(CheckOf(id));
  // The record borrows the point for the while it is written, rather than
  // copying its rows of stages: unsafe_arena_release gives it back unowned.
  proto::JournalRecord record;
  record.unsafe_arena_set_allocated_point(&point);
  AppendRecord(record, records_);
  record.unsafe_arena_release_point();
  point.mutable_id()->swap(id);
  point.mutable_canonical_config()->swap(canonical);
  point.mutable_swept()->Swap(&swept);
  point.clear_config_check();
  if (records_.size() >= kBlockRecordBytes) SealBlock();
}

void JournalWriter::Add(const proto::WorkerStats& worker) {
  proto::JournalRecord record;
  *record.mutable_worker() = worker;
  AppendRecord(record, records_);
}

void JournalWriter::Add(const proto::RunStart& run) {
  proto::JournalRecord record;
  *record.mutable_run_start() = run;
  AppendRecord(record, records_);
}

Status JournalWriter::Flush(Durability durability) {
  SealBlock();
  if (!blocks_.empty()) {
    ASTRASWEEP_RETURN_IF_ERROR(WriteAll(fd_.get(), blocks_, path_));
    blocks_.clear();
  }
  if (durability == Durability::kSynced && ::fdatasync(fd_.get()) < 0)
    return IoError("cannot sync the journal", path_);
  return Ok();
}

std::uint32_t ConfigCheck(const proto::PointResult& point) { return CheckOf(point.id()); }

std::string AcceptedChangeLine(std::uint32_t run, std::string_view started_utc,
                               std::string_view changes) {
  return fmt::format("run {} ({}): {}", run + 1, started_utc, changes);
}

Expected<std::optional<JournalInfo>> ReadJournalHeader(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(BlockReader reader, BlockReader::Open(path));
  return OpenAtHeader(reader, path);
}

Expected<JournalScan> ReadJournal(const std::string& path, const JournalVisitor& visit) {
  ASTRASWEEP_ASSIGN_OR_RETURN(BlockReader reader, BlockReader::Open(path));
  ASTRASWEEP_ASSIGN_OR_RETURN(std::optional<JournalInfo> info, OpenAtHeader(reader, path));
  if (!info)
    return MakeError(ErrorCode::kInvalidInput, "the journal is empty (it has no header)",
                     {.file = path});
  JournalScan scan{.info = std::move(*info), .file_bytes = reader.file_bytes()};
  std::string records;
  proto::JournalRecord record;
  while (true) {
    ASTRASWEEP_ASSIGN_OR_RETURN(const BlockReader::Step step, reader.Next(records));
    if (step == BlockReader::Step::kEnd) break;
    for (std::size_t pos = 0; NextRecord(records, pos, record);) {
      if (record.has_point()) {
        ASTRASWEEP_RETURN_IF_ERROR(visit.point(*record.mutable_point()));
        ++scan.points;
      } else if (record.has_worker() && visit.worker) {
        visit.worker(record.worker());
      } else if (record.has_run_start()) {
        ++scan.runs;
        if (const auto& run = record.run_start(); !run.accepted_changes().empty())
          scan.accepted_changes.push_back(
              AcceptedChangeLine(run.run(), run.started_utc(), run.accepted_changes()));
      }
    }
  }
  scan.valid_bytes = reader.valid_bytes();
  scan.skipped_bytes = reader.skipped_bytes();
  scan.damage = reader.damage();
  return scan;
}

}  // namespace astrasweep::store
