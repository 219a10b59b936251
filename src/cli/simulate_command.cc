// `astrasweep simulate --workload-configuration=PREFIX ...` runs the builtin
// network simulator with the flags of AstraSim's analytical binaries and
// prints their per-rank lines, so it drops in wherever a user ran AstraSim:
//   [time] [workload] [info] sys[i] finished, T cycles, exposed communication E cycles.
// (in finish-time order, as AstraSim logs them), then for every rank
//   [time] [statistics] [info] sys[i], Wall time: T
//   [time] [statistics] [info] sys[i], Comm time: C
// Unlike AstraSim, an unknown flag is an error.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "astrasweep/netsim/builtin.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

struct SimulateOptions {
  netsim::BundlePaths paths;
  std::string congestion = "unaware";
  std::string logging_folder;
  bool json = false;
};

std::string Prefix(const char* logger) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  return fmt::format("[{:%Y-%m-%d %H:%M:%S}.{:03d}] [{}] [info] ",
                     std::chrono::floor<std::chrono::seconds>(now), ms.count(), logger);
}

// AstraSim's lines for the result, prefixes and all.
std::string AstraSimLines(const netsim::SimResult& result) {
  std::vector<std::size_t> order(result.ranks.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) {
    return result.ranks[a].finish_ns < result.ranks[b].finish_ns;
  });
  std::string out;
  for (auto i : order)
    out += Prefix("workload") + fmt::format("sys[{}] finished, {} cycles, exposed communication {} cycles.\n",
                                            i, result.ranks[i].finish_ns, result.ranks[i].exposed_ns);
  for (auto i : order) {
    out += Prefix("statistics") + fmt::format("sys[{}], Wall time: {}\n", i, result.ranks[i].finish_ns);
    out += Prefix("statistics") + fmt::format("sys[{}], Comm time: {}\n", i, result.ranks[i].comm_ns);
  }
  return out;
}

Status Simulate(SimulateOptions options) {
  if (options.paths.workload.empty() || options.paths.system.empty() ||
      options.paths.network.empty())
    return InvalidInput(
        "simulate needs --workload-configuration=PREFIX (the traces PREFIX.<rank>.et), "
        "--system-configuration=FILE and --network-configuration=FILE");
  // AstraSim's default "empty" (any path holding that word) means none.
  if (options.paths.comm_groups.find("empty") != std::string::npos) options.paths.comm_groups.clear();
  ASTRASWEEP_ASSIGN_OR_RETURN(const auto congestion, netsim::ParseCongestion(options.congestion));
  netsim::BuiltinSimulator simulator;
  ASTRASWEEP_ASSIGN_OR_RETURN(const auto result, simulator.Run(options.paths, congestion));
  if (options.json) {
    nlohmann::ordered_json out;
    out["simulator"] = simulator.Identity(congestion);
    auto& ranks = out["ranks"] = nlohmann::json::array();
    for (std::size_t i = 0; i < result.ranks.size(); ++i) {
      const auto& r = result.ranks[i];
      ranks.push_back({{"rank", i},
                       {"finish_cycles", r.finish_ns},
                       {"exposed_comm_cycles", r.exposed_ns},
                       {"compute_cycles", r.compute_ns},
                       {"comm_cycles", r.comm_ns}});
    }
    std::printf("%s\n", out.dump(1).c_str());
    return Ok();
  }
  const std::string lines = AstraSimLines(result);
  std::fputs(lines.c_str(), stdout);
  if (!options.logging_folder.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.logging_folder, ec);
    std::ofstream log(options.logging_folder + "/log.log");
    if (!(log << lines))
      return MakeError(ErrorCode::kIo, "cannot write the log",
                       {.file = options.logging_folder + "/log.log"});
  }
  return Ok();
}

}  // namespace

void AddSimulateCommand(CLI::App& app, Action& action) {
  auto options = std::make_shared<SimulateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Run the builtin network simulator on an ET bundle, with AstraSim's flags");
  cmd->add_option("--workload-configuration", options->paths.workload,
                  "Trace prefix: PREFIX.<rank>.et");
  cmd->add_option("--system-configuration", options->paths.system, "system.json");
  cmd->add_option("--network-configuration", options->paths.network, "network.yml");
  cmd->add_option("--comm-group-configuration", options->paths.comm_groups, "comm_groups.json");
  cmd->add_option("--remote-memory-configuration", options->paths.remote_memory,
                  "remote_memory.json (only no memory expansion is modelled)");
  cmd->add_option("--logging-folder", options->logging_folder,
                  "Also write the lines to FOLDER/log.log, as AstraSim does");
  cmd->add_option("--congestion", options->congestion,
                  "unaware (AstraSim_Analytical_Congestion_Unaware) or aware")
      ->capture_default_str();
  cmd->add_flag("--json", options->json, "The answers as JSON");
  cmd->callback([options, &action] { action = [options]() -> Outcome { return Simulate(*options); }; });
}

}  // namespace astrasweep::cli
