#include "astrasweep/exec/simulation.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "astrasweep/base/logging.h"
#include "astrasweep/base/temp_dir.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/netsim/astrasim.h"
#include "astrasweep/netsim/builtin.h"

namespace astrasweep::exec {
namespace {

namespace fs = std::filesystem;

// `error`, its message saying which bundle (`what`) it came from.
std::unexpected<Error> OfBundle(const std::string& what, const Error& error) {
  return std::unexpected(Error(error.code(), what + ": " + error.message(), error.context()));
}

std::string Environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The cache mode and who chose it: the option's ("--cache-mode"), else
// $ASTRASWEEP_CACHE_MODE's, else read-write by default (empty `chosen_by`,
// else how the user wrote it, up to the mode's name).
struct ChosenCacheMode {
  netsim::CacheMode mode = netsim::CacheMode::kReadWrite;
  std::string chosen_by;
};

Expected<ChosenCacheMode> ResolveCacheMode(const std::optional<netsim::CacheMode>& option) {
  if (option) return ChosenCacheMode{*option, "--cache-mode "};
  const std::string text = Environment("ASTRASWEEP_CACHE_MODE");
  if (text.empty()) return ChosenCacheMode{};
  auto mode = netsim::ParseCacheMode(text);
  if (!mode)
    return InvalidInput("ASTRASWEEP_CACHE_MODE=" + text + ": " + mode.error().message() +
                        " (or pass --cache-mode)");
  return ChosenCacheMode{*mode, "ASTRASWEEP_CACHE_MODE="};
}

// A read-write cache whose folder cannot be written: asked for by name, an
// error before any point runs; by default, the cache is read without
// writing, with a warning (every answer is still computed, only not kept
// for the next run).
Expected<netsim::CacheMode> CheckCacheFolder(const ChosenCacheMode& chosen,
                                             const std::string& dir) {
  if (chosen.mode != netsim::CacheMode::kReadWrite) return chosen.mode;
  const Status writable = netsim::CheckCacheWritable(dir);
  if (writable) return chosen.mode;
  const std::string problem =
      "the simulation cache " + dir + " cannot be written (" + writable.error().message() + ")";
  if (!chosen.chosen_by.empty())
    return InvalidInput(chosen.chosen_by + "CACHE_READWRITE: " + problem +
                        "; name a folder that can be written with --cache-dir, or read this one "
                        "without writing to it with --cache-mode CACHE_READONLY");
  log::Warn(problem +
            ": its entries are read, but no new answer is stored in it, so a later run simulates "
            "those again (--cache-dir names a folder that can be written; --cache-mode "
            "CACHE_READONLY reads this one without this warning)");
  return netsim::CacheMode::kReadOnly;
}

constexpr std::size_t kKeptKeyDigits = 16;

}  // namespace

struct Simulation::Impl {
  SimulationOptions options;
  netsim::SimCache cache;
  netsim::BuiltinSimulator builtin;
  std::optional<netsim::AstraSimBinary> astrasim;
  // memo -> cache key, for bundles met before in this process
  std::unordered_map<std::string, std::string> memo;
  // AstraSim's binary gone since Open, or a bundle's folder unusable (see
  // fault()).
  std::optional<Error> fault;

  bool IsAstraSim(const netsim::NetworkSimulator* simulator) const {
    return astrasim && simulator == &*astrasim;
  }

  // After a failed run of `simulator`: when that is AstraSim's binary and
  // the binary can no longer be run, the run's fault, recorded.
  void CheckStillUsable(const netsim::NetworkSimulator* simulator, netsim::Congestion congestion) {
    if (fault || !IsAstraSim(simulator)) return;
    const Status usable = astrasim->Usable(congestion);
    if (usable) return;
    fault = Error(ErrorCode::kUnavailable,
                  usable.error().message() +
                      "; it could be when this process started: put the same build back there");
    log::Info(fault->message());
  }

  // A bundle that could not be written for want of its folder (full,
  // read-only, gone): the run's fault, as AstraSim's binary going is, not
  // the point's failure; every point would meet it.
  Error FolderFault(const Error& error) {
    if (!fault) {
      fault = Error(ErrorCode::kIo, error.ToString() +
                                        "; the folder bundles are written in cannot be used: "
                                        "free space there or make it writable (or choose "
                                        "another: --keep-et DIR, or TMPDIR)");
      log::Info(fault->message());
    }
    return *fault;
  }

  // The simulator for a point's backend, or why there is none.
  Expected<netsim::NetworkSimulator*> SimulatorFor(const config::Config& config) {
    if (config.execution_backend.astra.backend == config::SimulatorBackend::kBuiltin)
      return &builtin;
    if (!astrasim)
      return MakeError(ErrorCode::kUnavailable,
                       "astrasim needs AstraSim's binary: pass --astrasim-bin or set "
                       "ASTRASIM_BIN",
                       {.key_path = "execution_backend.astra.backend"});
    return &*astrasim;
  }

  // Where the bundle is written: a fresh temporary folder (`temp` holds
  // it), inside the kept folder when bundles are kept (so Keep renames it).
  Expected<fs::path> BundleFolder(std::optional<TempDir>& temp) {
    const std::string& keep = options.keep_et_dir;
    if (!keep.empty()) {
      std::error_code ec;
      fs::create_directories(keep, ec);
      if (ec)
        return MakeError(ErrorCode::kIo, "cannot make the --keep-et folder: " + ec.message(),
                         {.file = keep});
    }
    ASTRASWEEP_ASSIGN_OR_RETURN(auto made, keep.empty() ? TempDir::Create("astrasweep-bundle-")
                                                        : TempDir::Create(".writing-", keep));
    temp.emplace(std::move(made));
    return temp->path() / "bundle";
  }

  // Moves a written bundle to <keep>/<name>-<key digits>, unless a rank
  // kept the same bundle already; where the bundle is then.
  fs::path Keep(const fs::path& dir, const std::string& name, const std::string& key) {
    const fs::path kept =
        fs::path(options.keep_et_dir) / (name + "-" + key.substr(0, kKeptKeyDigits));
    std::error_code ec;
    if (fs::exists(kept, ec)) return dir;
    fs::rename(dir, kept, ec);
    if (!ec) return kept;
    if (!fs::exists(kept, ec))
      log::Warn("cannot keep the " + name + " bundle as " + kept.string() + ": " + ec.message());
    return dir;
  }
};

Simulation::Simulation(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Simulation::~Simulation() = default;

Expected<std::unique_ptr<Simulation>> Simulation::Open(SimulationOptions options) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const ChosenCacheMode chosen, ResolveCacheMode(options.cache_mode));
  ASTRASWEEP_ASSIGN_OR_RETURN(
      options.cache_mode,
      CheckCacheFolder(chosen,
                       options.cache_dir.empty() ? netsim::DefaultCacheDir() : options.cache_dir));
  // The flag's binary, else $ASTRASIM_BIN's; neither: none.
  if (options.astrasim_bin.empty()) options.astrasim_bin = Environment("ASTRASIM_BIN");
  std::optional<netsim::AstraSimBinary> astrasim;
  if (!options.astrasim_bin.empty()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(
        astrasim,
        netsim::AstraSimBinary::Open(options.astrasim_bin, {.timeout = options.astrasim_timeout}));
    options.astrasim_bin = astrasim->BinaryPath(netsim::Congestion::kUnaware);
  }
  return Make(std::move(options), std::move(astrasim));
}

std::unique_ptr<Simulation> Simulation::Make(SimulationOptions options,
                                             std::optional<netsim::AstraSimBinary> astrasim) {
  std::string dir = options.cache_dir.empty() ? netsim::DefaultCacheDir() : options.cache_dir;
  const netsim::CacheMode mode = options.cache_mode.value_or(netsim::CacheMode::kReadWrite);
  auto impl = std::make_unique<Impl>(Impl{
      std::move(options), netsim::SimCache(std::move(dir), mode), {}, std::move(astrasim), {}});
  return std::unique_ptr<Simulation>(new Simulation(std::move(impl)));
}

const netsim::CacheStats& Simulation::cache_stats() const { return impl_->cache.stats(); }
const std::optional<Error>& Simulation::fault() const { return impl_->fault; }
const SimulationOptions& Simulation::options() const { return impl_->options; }

netsim::Congestion CongestionOf(const config::Config& config) {
  return config.execution_backend.astra.network == config::NetworkModel::kCongestionAware
             ? netsim::Congestion::kAware
             : netsim::Congestion::kUnaware;
}

std::string Simulation::Description() const {
  return Identity() + fmt::format("; cache {} in {}", netsim::CacheModeName(impl_->cache.mode()),
                                  impl_->cache.dir());
}

std::string Simulation::Identity() const {
  std::string text = impl_->builtin.Identity(netsim::Congestion::kUnaware) + ", " +
                     impl_->builtin.Identity(netsim::Congestion::kAware);
  if (impl_->astrasim)
    text += "; astrasim " + impl_->astrasim->BinaryPath(netsim::Congestion::kUnaware) + " (" +
            impl_->astrasim->Identity(netsim::Congestion::kUnaware) + ", " +
            impl_->astrasim->Identity(netsim::Congestion::kAware) + ")";
  else
    text += "; no AstraSim binary";
  return text;
}

Expected<netsim::SimResult> Simulation::Run(
    const config::Config& config, const std::string& name, const std::string& memo,
    const std::function<Status(const et::BundleDestination&)>& write, SimulationCounts& counts) {
  Impl& self = *impl_;
  const netsim::Congestion congestion = CongestionOf(config);
  ASTRASWEEP_ASSIGN_OR_RETURN(netsim::NetworkSimulator* const simulator, self.SimulatorFor(config));
  // Once AstraSim's binary is gone, nothing is run in it: every point that
  // needs it meets the same fault (answers in the cache still count).
  const bool external = self.IsAstraSim(simulator);
  const std::string identity = simulator->Identity(congestion);
  const std::string memo_key = memo.empty() ? std::string() : identity + "\n" + memo;
  if (!memo_key.empty() && self.cache.mode() != netsim::CacheMode::kNone) {
    if (const auto it = self.memo.find(memo_key); it != self.memo.end()) {
      if (auto hit = self.cache.Lookup(it->second)) {
        ++counts.hits;
        return *hit;
      }
    }
  }
  // The builtin simulator replays a bundle from memory, unless it is kept.
  if (simulator == &self.builtin && self.options.keep_et_dir.empty()) {
    et::MemoryBundle bundle;
    if (auto written = write(&bundle); !written) return OfBundle(name + " bundle", written.error());
    const std::string key = netsim::CacheKey({identity, bundle.content_hash});
    if (!memo_key.empty()) self.memo[memo_key] = key;
    return Cached(
        key, name + " bundle (in memory; --keep-et DIR writes it)",
        [&]() -> Expected<netsim::SimResult> {
          ASTRASWEEP_ASSIGN_OR_RETURN(const netsim::Setup setup, netsim::ParseSetup(bundle.files));
          return netsim::Simulate(setup, bundle.traces, congestion);
        },
        counts);
  }
  std::optional<TempDir> temp;
  auto folder = self.BundleFolder(temp);
  if (!folder) return std::unexpected(self.FolderFault(folder.error()));
  const fs::path& dir = *folder;
  if (auto written = write(dir.string()); !written) {
    if (written.error().code() == ErrorCode::kIo)
      return std::unexpected(self.FolderFault(OfBundle(name + " bundle", written.error()).error()));
    return OfBundle(name + " bundle", written.error());
  }
  ASTRASWEEP_ASSIGN_OR_RETURN(const std::string content, et::ReadContentHash(dir.string()));
  const std::string key = netsim::CacheKey({identity, content});
  if (!memo_key.empty()) self.memo[memo_key] = key;
  const bool temporary = self.options.keep_et_dir.empty();
  const fs::path bundle = temporary ? dir : self.Keep(dir, name, key);
  // A temporary bundle is gone with an error: say how to keep it.
  const std::string what = temporary ? name + " bundle (removed; --keep-et DIR keeps it)"
                                     : name + " bundle " + bundle.string();
  auto answer = Cached(
      key, what,
      [&]() -> Expected<netsim::SimResult> {
        if (external && self.fault) return std::unexpected(*self.fault);
        auto result = simulator->Run(netsim::BundlePaths::InFolder(bundle.string()), congestion);
        if (!result) self.CheckStillUsable(simulator, congestion);
        if (result || !temporary) return result;
        ErrorContext context = result.error().context();
        context.file.clear();
        return std::unexpected(Error(result.error().code(), result.error().message(), context));
      },
      counts);
  // The fault as it is, not as this bundle's failure: it is the run's.
  if (!answer && external && self.fault) return std::unexpected(*self.fault);
  return answer;
}

Expected<netsim::SimResult> Simulation::Cached(
    const std::string& key, const std::string& name,
    const std::function<Expected<netsim::SimResult>()>& simulate, SimulationCounts& counts) {
  if (auto hit = impl_->cache.Lookup(key)) {
    ++counts.hits;
    return *hit;
  }
  if (impl_->cache.mode() != netsim::CacheMode::kNone) ++counts.misses;
  ++counts.runs;
  auto result = simulate();
  for (std::size_t r = 0; result && r < result->ranks.size(); ++r)
    if (result->ranks[r].finish_ns == 0)
      result = MakeError(ErrorCode::kUnavailable,
                         "the simulator reported 0 ns for rank " + std::to_string(r));
  if (!result) return OfBundle(name, result.error());
  impl_->cache.Store(key, *result);
  return result;
}

namespace {
std::unique_ptr<Simulation>& Slot() {
  static std::unique_ptr<Simulation> simulation;
  return simulation;
}
}  // namespace

Status ConfigureSimulation(SimulationOptions options) {
  ASTRASWEEP_ASSIGN_OR_RETURN(Slot(), Simulation::Open(std::move(options)));
  return Ok();
}

Simulation& ProcessSimulation() {
  auto& slot = Slot();
  if (!slot) {
    auto opened = Simulation::Open({});
    if (opened) {
      slot = std::move(*opened);
    } else {
      log::Warn(
          "the environment's simulation settings are ignored (the defaults instead: the "
          "builtin simulator, cache read-write): " +
          opened.error().message());
      slot = Simulation::Make({}, std::nullopt);
    }
  }
  return *slot;
}

}  // namespace astrasweep::exec
