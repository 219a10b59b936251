// Encoding and strict decoding of a cache entry (format in cache_entry.h).
// The decoder checks the checksum first, so the line parsers below only
// ever see bytes some writer meant; they are strict all the same, because
// an entry is read by a later version of this program too.
#include "cache_entry.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "astrasweep/base/hash.h"

namespace astrasweep::netsim {
namespace {

constexpr std::string_view kMagic = "astrasweep-simcache";
constexpr std::string_view kChecksumPrefix = "checksum ";

Error Damaged(std::string message) { return Error(ErrorCode::kIo, std::move(message)); }

// Hands out the lines of a text, each without its '\n'; the text is known
// to end with '\n'.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}
  std::optional<std::string_view> Next() {
    if (rest_.empty()) return std::nullopt;
    const std::size_t end = rest_.find('\n');
    const std::string_view line = rest_.substr(0, end);
    rest_.remove_prefix(end + 1);
    return line;
  }
  bool Done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// A whole decimal number, nothing before or after it.
std::optional<std::uint64_t> ParseNumber(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// `<prefix><value>`: the value, or nullopt when the line has another prefix.
std::optional<std::string_view> After(std::string_view line, std::string_view prefix) {
  if (!line.starts_with(prefix)) return std::nullopt;
  return line.substr(prefix.size());
}

std::optional<RankTiming> ParseRank(std::string_view line) {
  std::uint64_t numbers[4];
  for (int i = 0; i < 4; ++i) {
    const std::size_t space = line.find(' ');
    if ((space == std::string_view::npos) != (i == 3)) return std::nullopt;
    const auto number = ParseNumber(line.substr(0, space));
    if (!number) return std::nullopt;
    numbers[i] = *number;
    if (i < 3) line.remove_prefix(space + 1);
  }
  return RankTiming{numbers[0], numbers[1], numbers[2], numbers[3]};
}

// The payload: everything above the checksum line, whose checksum held.
Expected<SimResult> DecodePayload(std::string_view payload, const std::string& key) {
  LineReader lines(payload);
  const auto magic = lines.Next();
  if (!magic || !magic->starts_with(kMagic)) return std::unexpected(Damaged("not a cache entry"));
  if (*magic != fmt::format("{} {}", kMagic, kCacheFormatVersion))
    return std::unexpected(Damaged("version '" + std::string(*magic) + "', expected " +
                                   std::to_string(kCacheFormatVersion)));
  const auto key_line = lines.Next();
  const auto stored_key = key_line ? After(*key_line, "key ") : std::nullopt;
  if (!stored_key) return std::unexpected(Damaged("no key line"));
  if (*stored_key != key)
    return std::unexpected(Damaged("holds the entry of key " + std::string(*stored_key)));
  const auto ranks_line = lines.Next();
  const auto ranks_text = ranks_line ? After(*ranks_line, "ranks ") : std::nullopt;
  const auto ranks = ranks_text ? ParseNumber(*ranks_text) : std::nullopt;
  if (!ranks) return std::unexpected(Damaged("no rank count"));
  SimResult result;
  while (auto line = lines.Next()) {
    const auto rank = ParseRank(*line);
    if (!rank)
      return std::unexpected(
          Damaged(fmt::format("rank {}: not four numbers", result.ranks.size())));
    result.ranks.push_back(*rank);
  }
  if (result.ranks.size() != *ranks)
    return std::unexpected(
        Damaged(fmt::format("{} ranks announced, {} found", *ranks, result.ranks.size())));
  return result;
}

}  // namespace

std::string EncodeCacheEntry(const std::string& key, const SimResult& result) {
  std::string text = fmt::format("{} {}\nkey {}\nranks {}\n", kMagic, kCacheFormatVersion, key,
                                 result.ranks.size());
  for (const RankTiming& rank : result.ranks)
    text += fmt::format("{} {} {} {}\n", rank.finish_ns, rank.compute_ns, rank.comm_ns,
                        rank.exposed_ns);
  text += fmt::format("{}{}\n", kChecksumPrefix, HashBytes(text).Hex());
  return text;
}

Expected<SimResult> DecodeCacheEntry(std::string_view text, const std::string& key) {
  if (text.empty()) return std::unexpected(Damaged("empty"));
  if (text.back() != '\n') return std::unexpected(Damaged("truncated: no final newline"));
  const std::size_t previous_end = text.rfind('\n', text.size() - 2);
  const std::size_t last_line = previous_end == std::string_view::npos ? 0 : previous_end + 1;
  const std::string_view payload = text.substr(0, last_line);
  const auto checksum = After(text.substr(last_line, text.size() - 1 - last_line), kChecksumPrefix);
  if (!checksum) return std::unexpected(Damaged("truncated: no checksum line"));
  if (*checksum != HashBytes(payload).Hex()) return std::unexpected(Damaged("checksum mismatch"));
  return DecodePayload(payload, key);
}

}  // namespace astrasweep::netsim
