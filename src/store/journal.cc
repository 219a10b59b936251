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

constexpr std::uint32_t kSchemaVersion = 1;
// A single record larger than this is damage, not data.
constexpr std::uint32_t kMaxRecordBytes = 64u << 20;

std::uint32_t Checksum(std::string_view bytes) {
  return static_cast<std::uint32_t>(HashBytes(bytes).low);
}

void AppendRecord(const proto::JournalRecord& record, std::string& out) {
  const std::string bytes = record.SerializeAsString();
  std::uint32_t size = static_cast<std::uint32_t>(bytes.size());
  // Varint length.
  while (size >= 0x80) {
    out.push_back(static_cast<char>((size & 0x7f) | 0x80));
    size >>= 7;
  }
  out.push_back(static_cast<char>(size));
  out += bytes;
  const std::uint32_t sum = Checksum(bytes);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
}

std::unexpected<Error> IoError(const std::string& what, const std::string& path) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(errno), {.file = path});
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write the journal", path);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Ok();
}

}  // namespace

Expected<JournalWriter> JournalWriter::Create(const std::string& path, const JournalInfo& info) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create the journal", path);
  JournalWriter writer(path, fd);
  proto::JournalRecord record;
  auto* header = record.mutable_header();
  header->set_schema_version(kSchemaVersion);
  header->set_spec_sha256(info.spec_sha256);
  header->set_shard(info.shard);
  header->set_created_utc(info.created_utc);
  AppendRecord(record, writer.buffer_);
  ASTRASWEEP_RETURN_IF_ERROR(writer.Flush(true));
  return writer;
}

Expected<JournalWriter> JournalWriter::Continue(const std::string& path,
                                                std::uint64_t valid_bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open the journal", path);
  JournalWriter writer(path, fd);
  if (::ftruncate(fd, static_cast<off_t>(valid_bytes)) < 0 ||
      ::lseek(fd, static_cast<off_t>(valid_bytes), SEEK_SET) < 0)
    return IoError("cannot cut the journal's damaged tail", path);
  return writer;
}

JournalWriter::JournalWriter(JournalWriter&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)) {}

JournalWriter& JournalWriter::operator=(JournalWriter&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void JournalWriter::Add(const proto::PointResult& point) {
  proto::JournalRecord record;
  *record.mutable_point() = point;
  AppendRecord(record, buffer_);
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

Status JournalWriter::Flush(bool sync) {
  if (!buffer_.empty()) {
    ASTRASWEEP_RETURN_IF_ERROR(WriteAll(fd_, buffer_, path_));
    buffer_.clear();
  }
  if (sync && ::fdatasync(fd_) < 0) return IoError("cannot sync the journal", path_);
  return Ok();
}

Expected<JournalScan> ReadJournal(const std::string& path, const JournalVisitor& visit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open the journal", path);
  JournalScan scan;
  struct stat st {};
  ::fstat(fd, &st);
  scan.file_bytes = static_cast<std::uint64_t>(st.st_size);
  // Read in blocks; a record never spans more than the carried-over tail.
  std::string data;
  std::size_t pos = 0;
  std::uint64_t consumed = 0;  // bytes before data[0]
  bool eof = false;
  auto fill = [&](std::size_t need) -> Status {
    while (!eof && data.size() - pos < need) {
      data.erase(0, pos);
      consumed += pos;
      pos = 0;
      const std::size_t old = data.size();
      const std::size_t chunk = std::max<std::size_t>(need, 1 << 20);
      data.resize(old + chunk);
      const ssize_t n = ::read(fd, data.data() + old, chunk);
      if (n < 0) {
        if (errno == EINTR) {
          data.resize(old);
          continue;
        }
        return IoError("cannot read the journal", path);
      }
      data.resize(old + static_cast<std::size_t>(n));
      if (n == 0) eof = true;
    }
    return Ok();
  };
  bool header = true;
  proto::JournalRecord record;
  Status result = Ok();
  while (true) {
    if (auto s = fill(5); !s) {
      result = s;
      break;
    }
    if (pos == data.size()) break;  // the clean end
    // Varint length.
    std::uint32_t size = 0;
    std::size_t p = pos;
    int shift = 0;
    bool ok = false;
    while (p < data.size() && shift < 35) {
      const auto byte = static_cast<std::uint8_t>(data[p++]);
      size |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
      shift += 7;
      if (!(byte & 0x80)) {
        ok = true;
        break;
      }
    }
    if (!ok || size > kMaxRecordBytes) {
      scan.damage = eof && !ok ? "a torn record at the end" : "a damaged record length";
      break;
    }
    const std::size_t header_bytes = p - pos;
    if (auto s = fill(header_bytes + size + 4); !s) {
      result = s;
      break;
    }
    if (data.size() - pos < header_bytes + size + 4) {
      scan.damage = "a torn record at the end";
      break;
    }
    const std::string_view bytes(data.data() + pos + header_bytes, size);
    std::uint32_t sum = 0;
    for (int i = 0; i < 4; ++i)
      sum |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(
                 data[pos + header_bytes + size + static_cast<std::size_t>(i)]))
             << (8 * i);
    if (sum != Checksum(bytes) || !record.ParseFromArray(bytes.data(), static_cast<int>(size))) {
      scan.damage = "a record whose checksum does not match";
      break;
    }
    if (header) {
      if (!record.has_header()) {
        ::close(fd);
        return MakeError(ErrorCode::kInvalidInput, "not an astrasweep journal (no header record)",
                         {.file = path});
      }
      if (record.header().schema_version() != kSchemaVersion) {
        ::close(fd);
        return MakeError(
            ErrorCode::kInvalidInput,
            "journal schema version " + std::to_string(record.header().schema_version()) +
                " is not the one this astrasweep writes (" + std::to_string(kSchemaVersion) + ")",
            {.file = path});
      }
      scan.info.spec_sha256 = record.header().spec_sha256();
      scan.info.shard = record.header().shard();
      scan.info.created_utc = record.header().created_utc();
      header = false;
      if (visit.header) {
        if (auto s = visit.header(scan.info); !s) {
          result = s;
          break;
        }
      }
    } else if (record.has_point()) {
      if (auto s = visit.point(*record.mutable_point()); !s) {
        result = s;
        break;
      }
      ++scan.points;
    } else if (record.has_worker()) {
      if (visit.worker) visit.worker(record.worker());
    } else if (record.has_run_start()) {
      ++scan.runs;
    }
    pos += header_bytes + size + 4;
    scan.valid_bytes = consumed + pos;
  }
  ::close(fd);
  if (!result) return std::unexpected(std::move(result).error());
  if (header) {
    // A run killed between creating the journal and writing its header
    // (one small write) leaves it empty: nothing was recorded in it.
    if (scan.file_bytes == 0) {
      scan.headerless = true;
      return scan;
    }
    return MakeError(ErrorCode::kInvalidInput,
                     "not an astrasweep journal, or its header is damaged", {.file = path});
  }
  return scan;
}

}  // namespace astrasweep::store
