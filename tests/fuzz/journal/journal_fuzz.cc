// Fuzzes the journal reader (store/journal.cc): blocks of zlib-compressed,
// length-prefixed protobuf records behind markers and checksums.
//
// Random bytes rarely carry a right checksum, so most inputs would stop at
// the block framing. An input that does not start like a journal (its
// marker's first byte, 0x89) is therefore framed by this harness: its bytes,
// cut at each "\n--\n", are the records of one block each, compressed and
// checksummed as JournalWriter would, so the fuzzer reaches the record and
// protobuf parsing behind the framing.
#include <cstdint>
#include <string>
#include <string_view>

#include "astrasweep/base/compress.h"
#include "astrasweep/base/hash.h"
#include "astrasweep/store/journal.h"
#include "fuzz_support.h"

namespace {

using namespace astrasweep;

constexpr std::string_view kMarker(
    "\x89"
    "ASJ\r\n\x1a\n",
    8);
constexpr std::string_view kBlockSeparator = "\n--\n";

void PutCount(std::uint32_t value, std::string& out) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// One block as JournalWriter::SealBlock writes it.
void AppendBlock(std::string_view records, std::string& out) {
  std::string stored;
  AppendDeflated(records, stored);
  std::string counts;
  PutCount(static_cast<std::uint32_t>(stored.size()), counts);
  PutCount(static_cast<std::uint32_t>(records.size()), counts);
  Hasher hasher;
  hasher.Add(counts).Add(stored);
  out += kMarker;
  out += counts;
  PutCount(static_cast<std::uint32_t>(hasher.Finish().low), out);
  out += stored;
}

std::string Framed(std::string_view records) {
  std::string file;
  while (true) {
    const std::size_t end = records.find(kBlockSeparator);
    AppendBlock(records.substr(0, end), file);
    if (end == std::string_view::npos) return file;
    records.remove_prefix(end + kBlockSeparator.size());
  }
}

int Init() {
  fuzz::QuietLogging();
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const int init = Init();
  (void)init;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string framed;
  if (!input.empty() && input.front() != kMarker.front()) framed = Framed(input);
  const std::string_view file = framed.empty() ? input : std::string_view(framed);
  const std::string path = fuzz::WriteScratch(reinterpret_cast<const std::uint8_t*>(file.data()),
                                              file.size(), ".journal");
  (void)store::ReadJournalHeader(path);
  store::JournalVisitor visit{.point = [](proto::PointResult&) { return Ok(); },
                              .worker = [](const proto::WorkerStats&) {}};
  (void)store::ReadJournal(path, visit);
  return 0;
}
