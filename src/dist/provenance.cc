// The provenance of a run.
#include "provenance.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "astrasweep/base/hash.h"
#include "astrasweep/base/strings.h"
#include "astrasweep/base/version.h"
#include "astrasweep/exec/simulation.h"

namespace astrasweep::dist {
namespace {

std::string JoinHosts(const std::vector<std::string>& hosts) {
  std::vector<std::string> unique;
  for (const auto& host : hosts)
    if (std::find(unique.begin(), unique.end(), host) == unique.end()) unique.push_back(host);
  return Join(unique, ",");
}

}  // namespace

std::string UtcNow() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

Expected<store::Provenance> MakeProvenance(const sweep::Expander& expander,
                                           const std::string& spec_file,
                                           const std::string& command_line, int mpi_size,
                                           const std::vector<std::string>& hosts, Shard shard,
                                           std::uint64_t points_total) {
  store::Provenance prov;
  prov.astrasweep_version = std::string(Version());
  prov.git_sha = std::string(GitSha());
  prov.spec_file = spec_file;
  // The spec and every file it includes, as they were read: what
  // reproduces the sweep, with the presets a point may name.
  for (const auto& file : expander.spec().files) {
    prov.spec_text += "# ---- " + file.path + "\n" + file.text + "\n";
    prov.sources.push_back({.kind = prov.sources.empty() ? store::SourceFile::Kind::kSpec
                                                         : store::SourceFile::Kind::kInclude,
                            .name = file.path,
                            .path = file.path,
                            .text = file.text});
  }
  prov.spec_sha256 = Sha256Hex(prov.spec_text);
  ASTRASWEEP_ASSIGN_OR_RETURN(std::vector<config::PresetFile> presets, expander.presets().Files());
  for (auto& preset : presets)
    prov.sources.push_back({.kind = store::SourceFile::Kind::kPreset,
                            .name = std::move(preset.name),
                            .path = std::move(preset.path),
                            .text = std::move(preset.text)});
  prov.command_line = command_line;
  prov.created_utc = UtcNow();
  prov.mpi_size = mpi_size;
  prov.hosts = JoinHosts(hosts);
  prov.simulator = exec::ProcessSimulation().Description();
  prov.model = VersionLine() + "; " + exec::ProcessSimulation().Identity();
  prov.shard = shard.Name();
  prov.points_total = points_total;
  return prov;
}

}  // namespace astrasweep::dist
