// Writing a bundle: traces rank by rank, then the files and the manifest.
#include "astrasweep/et/bundle.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "astrasweep/base/hash.h"
#include "astrasweep/et/astrasim_files.h"
#include "astrasweep/et/trace_io.h"

namespace astrasweep::et {
namespace {

namespace fs = std::filesystem;

constexpr int kManifestVersion = 1;

Status WriteText(const fs::path& path, const std::string& text) {
  errno = 0;
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out)
    return MakeError(ErrorCode::kIo,
                     std::string("cannot write the file") +
                         (errno != 0 ? std::string(" (") + std::strerror(errno) + ")" : ""),
                     {.file = path.string()});
  return Ok();
}

nlohmann::ordered_json SummaryJson(int rank, const RankSummary& s) {
  return {{"rank", rank},
          {"nodes", s.nodes},
          {"compute", s.compute},
          {"sends", s.sends},
          {"receives", s.receives},
          {"collectives", s.collectives},
          {"compute_micros", s.compute_micros},
          {"send_bytes", s.send_bytes},
          {"collective_bytes", s.collective_bytes}};
}

}  // namespace

void RankSummary::Count(const Node& node) {
  ++nodes;
  const std::uint64_t size = static_cast<std::uint64_t>(node.Integer("comm_size").value_or(0));
  switch (node.type) {
    case NodeType::kCompute:
      ++compute;
      compute_micros += node.duration_micros;
      break;
    case NodeType::kSend:
      ++sends;
      send_bytes += size;
      break;
    case NodeType::kRecv: ++receives; break;
    case NodeType::kCollective:
      ++collectives;
      collective_bytes += size;
      break;
    default: break;
  }
}

struct BundleWriter::Impl {
  fs::path dir;
  MemoryBundle* memory = nullptr;  // or into memory
  std::string prefix;
  int ranks = 0;
  int next_rank = 0;
  std::optional<TraceWriter> trace;
  std::vector<RankSummary> summaries;
  Hasher hasher;  // every rank's trace hash, in rank order, then the files

  Status CloseRank() {
    if (next_rank == 0) return Ok();
    std::string hash;
    if (memory) {
      hash = ContentHash(Metadata(), memory->traces.back()).Hex();
    } else if (trace) {
      ASTRASWEEP_RETURN_IF_ERROR(trace->Close());
      hash = trace->content_hash().Hex();
      trace.reset();
    } else {
      return Ok();
    }
    hasher.Add(std::to_string(next_rank - 1)).Add(hash);
    return Ok();
  }

  static GlobalMetadata Metadata() {
    return {.version = std::string(kChakraVersion), .attrs = {}};
  }
};

BundleWriter::BundleWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BundleWriter::BundleWriter(BundleWriter&&) noexcept = default;
BundleWriter& BundleWriter::operator=(BundleWriter&&) noexcept = default;
BundleWriter::~BundleWriter() = default;

Expected<BundleWriter> BundleWriter::Create(const BundleDestination& to, int ranks,
                                            std::string prefix) {
  auto impl = std::make_unique<Impl>();
  if (const auto* memory = std::get_if<MemoryBundle*>(&to)) {
    impl->memory = *memory;
    *impl->memory = {};
  } else {
    const std::string& dir = std::get<std::string>(to);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
      return MakeError(ErrorCode::kIo, "cannot create the bundle folder: " + ec.message(),
                       {.file = dir});
    impl->dir = dir;
  }
  impl->prefix = std::move(prefix);
  impl->ranks = ranks;
  return BundleWriter(std::move(impl));
}

Status BundleWriter::BeginRank(int rank) {
  Impl& b = *impl_;
  if (rank != b.next_rank || rank >= b.ranks)
    return MakeError(ErrorCode::kInternal, "bundle ranks are written in order: expected rank " +
                                               std::to_string(b.next_rank) + ", got " +
                                               std::to_string(rank));
  ASTRASWEEP_RETURN_IF_ERROR(b.CloseRank());
  if (b.memory) {
    b.memory->traces.emplace_back();
  } else {
    ASTRASWEEP_ASSIGN_OR_RETURN(
        TraceWriter writer,
        TraceWriter::Create(TracePath((b.dir / b.prefix).string(), rank), Impl::Metadata()));
    b.trace.emplace(std::move(writer));
  }
  b.summaries.emplace_back();
  ++b.next_rank;
  return Ok();
}

Status BundleWriter::Add(const Node& node) {
  Impl& b = *impl_;
  if (b.next_rank == 0) return MakeError(ErrorCode::kInternal, "a node added before BeginRank");
  b.summaries.back().Count(node);
  if (b.memory) {
    b.memory->traces.back().push_back(node);
    return Ok();
  }
  return b.trace->Add(node);
}

Status BundleWriter::Finish(const BundleConfig& config) {
  Impl& b = *impl_;
  ASTRASWEEP_RETURN_IF_ERROR(b.CloseRank());
  if (b.next_rank != b.ranks)
    return MakeError(ErrorCode::kInternal, "a bundle of " + std::to_string(b.ranks) +
                                               " ranks finished after " +
                                               std::to_string(b.next_rank));
  std::vector<std::pair<std::string, std::string>> files = {
      {"network.yml", config.network_yml},
      {"system.json", config.system_json},
      {"remote_memory.json", config.remote_memory_json}};
  if (!config.comm_groups.empty())
    files.emplace_back("comm_groups.json", CommGroupsJson(config.comm_groups));
  nlohmann::ordered_json manifest;
  manifest["manifest_version"] = kManifestVersion;
  manifest["prefix"] = b.prefix;
  manifest["ranks"] = b.ranks;
  manifest["chakra_version"] = kChakraVersion;
  for (const auto& [name, text] : files) {
    if (!b.memory) ASTRASWEEP_RETURN_IF_ERROR(WriteText(b.dir / name, text));
    b.hasher.Add(name).Add(text);
  }
  manifest["content_hash"] = b.hasher.Finish().Hex();
  if (b.memory) {
    b.memory->files = config;
    b.memory->content_hash = manifest["content_hash"].get<std::string>();
    return Ok();
  }
  nlohmann::ordered_json summaries = nlohmann::ordered_json::array();
  for (int rank = 0; rank < b.ranks; ++rank)
    summaries.push_back(SummaryJson(rank, b.summaries[static_cast<std::size_t>(rank)]));
  manifest["per_rank"] = summaries;
  return WriteText(b.dir / "manifest.json", manifest.dump(1) + "\n");
}

const std::string& BundleWriter::prefix() const { return impl_->prefix; }

Expected<std::string> ReadContentHash(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  std::ifstream in(path);
  const auto manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!in || manifest.is_discarded() || !manifest.is_object() ||
      !manifest.contains("content_hash") || !manifest["content_hash"].is_string())
    return MakeError(ErrorCode::kIo, "the bundle's manifest has no content hash", {.file = path});
  return manifest["content_hash"].get<std::string>();
}

std::string AstraSimCommand(const std::string& binary, const std::string& prefix,
                            bool has_comm_groups) {
  std::string command = binary + " --workload-configuration=" + prefix +
                        " --system-configuration=system.json"
                        " --network-configuration=network.yml"
                        " --remote-memory-configuration=remote_memory.json";
  if (has_comm_groups) command += " --comm-group-configuration=comm_groups.json";
  return command;
}

}  // namespace astrasweep::et
