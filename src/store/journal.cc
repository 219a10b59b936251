// Journal records: varint length, JournalRecord bytes, 32-bit checksum.
#include "astrasweep/store/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "astrasweep.pb.h"
#include "astrasweep/base/hash.h"

namespace astrasweep::store {
namespace {

// 2: the metrics of a point moved into PointResult.fields, named by the
// header's result_fields.
constexpr std::uint32_t kSchemaVersion = 2;
// A single record larger than this is damage, not data.
constexpr std::uint32_t kMaxRecordBytes = 64u << 20;
constexpr std::size_t kChecksumBytes = 4;

std::uint32_t Checksum(std::string_view bytes) {
  return static_cast<std::uint32_t>(HashBytes(bytes).low);
}

// Serialised in place, at the end of `out`.
void AppendRecord(const proto::JournalRecord& record, std::string& out) {
  const std::size_t bytes = record.ByteSizeLong();
  std::uint32_t size = static_cast<std::uint32_t>(bytes);
  while (size >= 0x80) {  // varint length
    out.push_back(static_cast<char>((size & 0x7f) | 0x80));
    size >>= 7;
  }
  out.push_back(static_cast<char>(size));
  const std::size_t at = out.size();
  out.resize(at + bytes);
  record.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(out.data() + at));
  const std::uint32_t sum = Checksum(std::string_view(out).substr(at, bytes));
  for (std::size_t i = 0; i < kChecksumBytes; ++i)
    out.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
}

std::unexpected<Error> IoError(const std::string& what, const std::string& path) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(errno), {.file = path});
}


// Reads a journal record by record, in blocks. Next() says whether it
// read a record, reached the clean end, or stopped at damage.
class RecordReader {
 public:
  enum class Step { kRecord, kEnd, kDamage };

  static Expected<RecordReader> Open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return IoError("cannot open the journal", path);
    struct stat st {};
    ::fstat(fd.get(), &st);
    return RecordReader(path, std::move(fd), static_cast<std::uint64_t>(st.st_size));
  }

  Expected<Step> Next(proto::JournalRecord& record) {
    ASTRASWEEP_RETURN_IF_ERROR(Fill(5));
    if (pos_ == data_.size()) return Step::kEnd;
    std::uint32_t size = 0;
    std::size_t length_bytes = 0;
    if (!ReadLength(size, length_bytes)) {
      damage_ = eof_ && length_bytes == 0 ? "a torn record at the end" : "a damaged record length";
      return Step::kDamage;
    }
    const std::size_t total = length_bytes + size + kChecksumBytes;
    ASTRASWEEP_RETURN_IF_ERROR(Fill(total));
    if (data_.size() - pos_ < total) {
      damage_ = "a torn record at the end";
      return Step::kDamage;
    }
    const std::string_view bytes(data_.data() + pos_ + length_bytes, size);
    if (StoredChecksum(pos_ + length_bytes + size) != Checksum(bytes) ||
        !record.ParseFromArray(bytes.data(), static_cast<int>(size))) {
      damage_ = "a record whose checksum does not match";
      return Step::kDamage;
    }
    pos_ += total;
    return Step::kRecord;
  }

  // Bytes of the records read so far: the intact prefix.
  std::uint64_t consumed() const { return consumed_ + pos_; }
  std::uint64_t file_bytes() const { return file_bytes_; }
  const std::string& damage() const { return damage_; }

 private:
  RecordReader(std::string path, UniqueFd fd, std::uint64_t file_bytes)
      : path_(std::move(path)), fd_(std::move(fd)), file_bytes_(file_bytes) {}

  // A varint; false when it is longer than 5 bytes or runs past the data
  // (`length_bytes` is 0 then only when the data ended).
  bool ReadLength(std::uint32_t& size, std::size_t& length_bytes) const {
    std::size_t at = pos_;
    for (int shift = 0; at < data_.size() && shift < 35; shift += 7) {
      const auto byte = static_cast<std::uint8_t>(data_[at++]);
      size |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        length_bytes = at - pos_;
        return size <= kMaxRecordBytes;
      }
    }
    length_bytes = at == data_.size() ? 0 : at - pos_;
    return false;
  }

  std::uint32_t StoredChecksum(std::size_t at) const {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < kChecksumBytes; ++i)
      sum |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(data_[at + i])) << (8 * i);
    return sum;
  }

  // Makes `need` bytes available from pos_ unless the file ends first.
  Status Fill(std::size_t need) {
    while (!eof_ && data_.size() - pos_ < need) {
      data_.erase(0, pos_);
      consumed_ += pos_;
      pos_ = 0;
      const std::size_t old = data_.size();
      const std::size_t chunk = std::max<std::size_t>(need, 1 << 20);
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
  bool eof_ = false;
  std::string damage_;
};

// The header record, checked: the first record of every journal.
Expected<JournalInfo> HeaderOf(const proto::JournalRecord& record, const std::string& path) {
  if (!record.has_header())
    return MakeError(ErrorCode::kInvalidInput, "not an astrasweep journal (no header record)",
                     {.file = path});
  const proto::JournalHeader& header = record.header();
  if (header.schema_version() != kSchemaVersion)
    return MakeError(ErrorCode::kInvalidInput,
                     "journal schema version " + std::to_string(header.schema_version()) +
                         " is not the one this astrasweep writes (" +
                         std::to_string(kSchemaVersion) +
                         "); resume it with the astrasweep that wrote it, or start a new archive",
                     {.file = path});
  return JournalInfo{.spec_sha256 = header.spec_sha256(),
                     .shard = header.shard(),
                     .created_utc = header.created_utc(),
                     .result_fields = {header.result_fields().begin(),
                                       header.result_fields().end()}};
}

// Opens a journal and reads its header: nullopt for an empty file.
Expected<std::optional<JournalInfo>> OpenAtHeader(RecordReader& reader, const std::string& path) {
  proto::JournalRecord record;
  ASTRASWEEP_ASSIGN_OR_RETURN(const RecordReader::Step step, reader.Next(record));
  if (step == RecordReader::Step::kEnd && reader.file_bytes() == 0)
    return std::optional<JournalInfo>();
  if (step != RecordReader::Step::kRecord)
    return MakeError(ErrorCode::kInvalidInput,
                     "not an astrasweep journal, or its header is damaged", {.file = path});
  ASTRASWEEP_ASSIGN_OR_RETURN(JournalInfo info, HeaderOf(record, path));
  return std::optional<JournalInfo>(std::move(info));
}

}  // namespace

Expected<JournalWriter> JournalWriter::Create(const std::string& path, const JournalInfo& info) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return IoError("cannot create the journal", path);
  JournalWriter writer(path, std::move(fd));
  proto::JournalRecord record;
  auto* header = record.mutable_header();
  header->set_schema_version(kSchemaVersion);
  header->set_spec_sha256(info.spec_sha256);
  header->set_shard(info.shard);
  header->set_created_utc(info.created_utc);
  for (const auto& name : info.result_fields) header->add_result_fields(name);
  AppendRecord(record, writer.buffer_);
  ASTRASWEEP_RETURN_IF_ERROR(writer.Flush(Durability::kSynced));
  return writer;
}

Expected<JournalWriter> JournalWriter::Continue(const std::string& path,
                                                std::uint64_t valid_bytes) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return IoError("cannot open the journal", path);
  if (::ftruncate(fd.get(), static_cast<off_t>(valid_bytes)) < 0 ||
      ::lseek(fd.get(), static_cast<off_t>(valid_bytes), SEEK_SET) < 0)
    return IoError("cannot cut the journal's damaged tail", path);
  return JournalWriter(path, std::move(fd));
}

void JournalWriter::Add(const proto::PointResult& point) {
  // The record borrows the point for the while it is written, rather than
  // copying its rows of stages: unsafe_arena_release gives it back unowned.
  proto::JournalRecord record;
  record.unsafe_arena_set_allocated_point(const_cast<proto::PointResult*>(&point));
  AppendRecord(record, buffer_);
  record.unsafe_arena_release_point();
}

void JournalWriter::Add(const proto::WorkerStats& worker) {
  proto::JournalRecord record;
  *record.mutable_worker() = worker;
  AppendRecord(record, buffer_);
}

void JournalWriter::Add(const proto::RunStart& run) {
  proto::JournalRecord record;
  *record.mutable_run_start() = run;
  AppendRecord(record, buffer_);
}

Status JournalWriter::Flush(Durability durability) {
  if (!buffer_.empty()) {
    ASTRASWEEP_RETURN_IF_ERROR(WriteAll(fd_.get(), buffer_, path_));
    buffer_.clear();
  }
  if (durability == Durability::kSynced && ::fdatasync(fd_.get()) < 0)
    return IoError("cannot sync the journal", path_);
  return Ok();
}

Expected<std::optional<JournalInfo>> ReadJournalHeader(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(RecordReader reader, RecordReader::Open(path));
  return OpenAtHeader(reader, path);
}

Expected<JournalScan> ReadJournal(const std::string& path, const JournalVisitor& visit) {
  ASTRASWEEP_ASSIGN_OR_RETURN(RecordReader reader, RecordReader::Open(path));
  ASTRASWEEP_ASSIGN_OR_RETURN(std::optional<JournalInfo> info, OpenAtHeader(reader, path));
  if (!info)
    return MakeError(ErrorCode::kInvalidInput, "the journal is empty (it has no header)",
                     {.file = path});
  JournalScan scan{.info = std::move(*info), .valid_bytes = reader.consumed(),
                   .file_bytes = reader.file_bytes()};
  proto::JournalRecord record;
  while (true) {
    ASTRASWEEP_ASSIGN_OR_RETURN(const RecordReader::Step step, reader.Next(record));
    if (step == RecordReader::Step::kEnd) break;
    if (step == RecordReader::Step::kDamage) {
      scan.damage = reader.damage();
      break;
    }
    if (record.has_point()) {
      ASTRASWEEP_RETURN_IF_ERROR(visit.point(*record.mutable_point()));
      ++scan.points;
    } else if (record.has_worker() && visit.worker) {
      visit.worker(record.worker());
    } else if (record.has_run_start()) {
      ++scan.runs;
    }
    scan.valid_bytes = reader.consumed();
  }
  return scan;
}

}  // namespace astrasweep::store
