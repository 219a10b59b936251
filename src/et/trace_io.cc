// Framed Chakra messages: varint length, then the message bytes.
#include "astrasweep/et/trace_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "astrasweep/base/unique_fd.h"
#include "proto_convert.h"

namespace astrasweep::et {
namespace {

constexpr std::size_t kWriteAtBytes = 1 << 20;
constexpr std::size_t kReadBlockBytes = 1 << 20;
// A single message larger than this is damage, not a node.
constexpr std::uint64_t kMaxMessageBytes = 256u << 20;

std::unexpected<Error> IoError(const std::string& what, const std::string& path) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(errno), {.file = path});
}

// Appends the message's frame to `out` and its bytes to `hasher`.
void AppendFramed(const google::protobuf::MessageLite& message, std::string& out,
                  Hasher& hasher) {
  const std::size_t start = out.size();
  std::size_t size = message.ByteSizeLong();
  while (size >= 0x80) {
    out.push_back(static_cast<char>((size & 0x7f) | 0x80));
    size >>= 7;
  }
  out.push_back(static_cast<char>(size));
  message.AppendToString(&out);
  hasher.Add(std::string_view(out).substr(start));
}


}  // namespace

std::string TracePath(const std::string& prefix, int rank) {
  return prefix + "." + std::to_string(rank) + ".et";
}

// ---------------------------------------------------------------- writer

struct TraceWriter::Impl {
  std::string path;
  UniqueFd fd;
  std::string buffer;
  chakra::Node message;  // reused: its memory stays allocated
  std::uint64_t nodes = 0;
  Hasher hasher;
};

TraceWriter::TraceWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TraceWriter::TraceWriter(TraceWriter&&) noexcept = default;
TraceWriter& TraceWriter::operator=(TraceWriter&&) noexcept = default;
TraceWriter::~TraceWriter() = default;

Expected<TraceWriter> TraceWriter::Create(const std::string& path,
                                          const GlobalMetadata& metadata) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->fd.Reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!impl->fd.valid()) return IoError("cannot create the trace", path);
  chakra::GlobalMetadata message;
  ToProto(metadata, message);
  AppendFramed(message, impl->buffer, impl->hasher);
  return TraceWriter(std::move(impl));
}

Status TraceWriter::Add(const Node& node) {
  Impl& w = *impl_;
  ToProto(node, w.message);
  AppendFramed(w.message, w.buffer, w.hasher);
  ++w.nodes;
  if (w.buffer.size() < kWriteAtBytes) return Ok();
  ASTRASWEEP_RETURN_IF_ERROR(WriteAll(w.fd.get(), w.buffer, w.path));
  w.buffer.clear();
  return Ok();
}

Status TraceWriter::Close() {
  Impl& w = *impl_;
  if (!w.fd.valid()) return Ok();
  ASTRASWEEP_RETURN_IF_ERROR(WriteAll(w.fd.get(), w.buffer, w.path));
  w.buffer.clear();
  if (::close(w.fd.get()) != 0) {
    (void)w.fd.Release();
    return IoError("cannot close the trace", w.path);
  }
  (void)w.fd.Release();
  return Ok();
}

std::uint64_t TraceWriter::nodes() const { return impl_->nodes; }
Hash128 TraceWriter::content_hash() const { return impl_->hasher.Finish(); }

// ---------------------------------------------------------------- reader

struct TraceReader::Impl {
  std::string path;
  UniqueFd fd;
  std::string data;
  std::size_t pos = 0;
  bool eof = false;
  // Bytes of the file not read yet, when it is a regular file: a damaged
  // length, or a small file, then costs no buffer larger than the file.
  std::uint64_t unread = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t read = 0;  // nodes read so far
  GlobalMetadata metadata;
  chakra::Node message;

  // Makes `need` bytes available at pos unless the file ends first.
  Status Fill(std::size_t need) {
    while (!eof && data.size() - pos < need) {
      data.erase(0, pos);
      pos = 0;
      const std::size_t old = data.size();
      // A block at a time, but no more than the file has left (one byte
      // more when nothing is left, to see its end).
      const std::uint64_t wanted = std::max<std::uint64_t>(need, kReadBlockBytes);
      const auto chunk =
          static_cast<std::size_t>(std::max<std::uint64_t>(std::min(wanted, unread), 1));
      ssize_t n = 0;
      // No zero-filling of the block the read overwrites.
      data.resize_and_overwrite(old + chunk, [&](char* bytes, std::size_t) {
        n = ::read(fd.get(), bytes + old, chunk);
        return old + static_cast<std::size_t>(std::max<ssize_t>(n, 0));
      });
      if (n < 0 && errno != EINTR) return IoError("cannot read the trace", path);
      if (n == 0) eof = true;
      if (n > 0) unread -= std::min(unread, static_cast<std::uint64_t>(n));
    }
    return Ok();
  }

  // The next message's bytes; empty optional at the clean end. `what()`
  // names the message in errors.
  template <typename What>
  Expected<std::optional<std::string_view>> NextMessage(const What& what) {
    ASTRASWEEP_RETURN_IF_ERROR(Fill(10));
    if (pos == data.size()) return std::optional<std::string_view>();
    std::uint64_t size = 0;
    std::size_t at = pos;
    for (int shift = 0;; shift += 7) {
      if (at == data.size() || shift > 63)
        return InvalidInput("a damaged length before " + what(), {.file = path});
      const auto byte = static_cast<std::uint8_t>(data[at++]);
      size |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    if (size > kMaxMessageBytes)
      return InvalidInput("a damaged length before " + what() + " (" + std::to_string(size) +
                              " bytes)",
                          {.file = path});
    const std::size_t header = at - pos;
    ASTRASWEEP_RETURN_IF_ERROR(Fill(header + size));
    if (data.size() - pos < header + size)
      return InvalidInput("the file ends inside " + what() + " (torn or truncated)",
                          {.file = path});
    const std::string_view bytes(data.data() + pos + header, size);
    pos += header + size;
    return std::optional<std::string_view>(bytes);
  }
};

TraceReader::TraceReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TraceReader::TraceReader(TraceReader&&) noexcept = default;
TraceReader& TraceReader::operator=(TraceReader&&) noexcept = default;
TraceReader::~TraceReader() = default;

Expected<TraceReader> TraceReader::Open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->fd.Reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!impl->fd.valid()) return IoError("cannot open the trace", path);
  struct stat st {};
  if (::fstat(impl->fd.get(), &st) == 0 && S_ISREG(st.st_mode))
    impl->unread = static_cast<std::uint64_t>(st.st_size);
  ASTRASWEEP_ASSIGN_OR_RETURN(auto bytes,
                              impl->NextMessage([] { return std::string("the global metadata"); }));
  chakra::GlobalMetadata message;
  if (!bytes || !message.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())))
    return InvalidInput("not a Chakra execution trace: no global metadata first", {.file = path});
  auto converted = FromProto(message, impl->metadata);
  if (!converted)
    return std::unexpected(std::move(converted).error().WithKeyPath("global metadata").WithFile(path));
  return TraceReader(std::move(impl));
}

const GlobalMetadata& TraceReader::metadata() const { return impl_->metadata; }

Expected<bool> TraceReader::Next(Node& node) {
  Impl& r = *impl_;
  // Named only when something is wrong: a string per node costs more than
  // the rest of reading a small one.
  const auto what = [&r] { return "node " + std::to_string(r.read) + " (counting from 0)"; };
  ASTRASWEEP_ASSIGN_OR_RETURN(auto bytes, r.NextMessage(what));
  if (!bytes) return false;
  if (!r.message.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())))
    return InvalidInput(what() + " is not a Chakra node (damaged?)", {.file = r.path});
  auto converted = FromProto(r.message, node);
  if (!converted)
    return std::unexpected(std::move(converted)
                               .error()
                               .WithKeyPath(what() + ", id " + std::to_string(r.message.id()))
                               .WithFile(r.path));
  ++r.read;
  return true;
}

Expected<Trace> ReadTrace(const std::string& path) {
  ASTRASWEEP_ASSIGN_OR_RETURN(TraceReader reader, TraceReader::Open(path));
  Trace trace{.metadata = reader.metadata(), .nodes = {}};
  Node node;
  while (true) {
    ASTRASWEEP_ASSIGN_OR_RETURN(const bool more, reader.Next(node));
    if (!more) break;
    trace.nodes.push_back(node);
  }
  return trace;
}

Status WriteTrace(const std::string& path, const Trace& trace) {
  ASTRASWEEP_ASSIGN_OR_RETURN(TraceWriter writer, TraceWriter::Create(path, trace.metadata));
  for (const Node& node : trace.nodes) ASTRASWEEP_RETURN_IF_ERROR(writer.Add(node));
  return writer.Close();
}

Hash128 ContentHash(const GlobalMetadata& metadata, const std::vector<Node>& nodes) {
  Hasher hasher;
  std::string frame;
  chakra::GlobalMetadata header;
  ToProto(metadata, header);
  AppendFramed(header, frame, hasher);
  chakra::Node message;
  for (const Node& node : nodes) {
    frame.clear();
    ToProto(node, message);
    AppendFramed(message, frame, hasher);
  }
  return hasher.Finish();
}

}  // namespace astrasweep::et
