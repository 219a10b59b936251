// `astrasweep et CONFIG.yaml -o DIR --graph collective ...` writes a Chakra
// ET bundle AstraSim runs unchanged and prints the command that runs it;
// `astrasweep et --check DIR` reads a bundle back and checks it.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "astrasweep/base/units.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/et/block_bundle.h"
#include "astrasweep/et/bundle.h"
#include "astrasweep/et/check.h"
#include "astrasweep/et/collective_bundle.h"
#include "astrasweep/et/flattened_bundle.h"
#include "astrasweep/et/pipeline_bundle.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

struct EtOptions {
  std::string config;
  std::string out;
  std::string graph = "collective";
  std::string collective = "all_reduce";
  std::string size;
  std::string group = "tp";
  std::string check;
};

Expected<model::Collective> ParseCollective(const std::string& name) {
  for (auto c : {model::Collective::kAllReduce, model::Collective::kAllGather,
                 model::Collective::kReduceScatter, model::Collective::kAllToAll})
    if (name == model::CollectiveName(c)) return c;
  return InvalidInput("--collective '" + name +
                      "': expected all_reduce, all_gather, reduce_scatter or all_to_all");
}

// The group of a point's GPUs a collective runs over (ranks are numbered
// tensor-parallel fastest, then context parallel, then pipeline stage, then
// data parallel).
Expected<std::pair<std::int64_t, std::int64_t>> Group(const std::string& name,
                                                      const config::ParallelismConfig& p) {
  if (name == "tp") return std::pair{std::int64_t{1}, p.tp};
  if (name == "cp") return std::pair{p.tp, p.cp};
  if (name == "pp") return std::pair{p.tp * p.cp, p.pp};
  if (name == "dp") return std::pair{p.tp * p.cp * p.pp, p.dp};
  if (name == "all") return std::pair{std::int64_t{1}, p.Gpus()};
  return InvalidInput("--group '" + name + "': expected tp, cp, pp, dp or all");
}

// The pipeline, block or flattened bundle of the point in options.config.
// Their ranks have no context-parallel dimension (nor ring attention's
// transfers): a point with cp > 1 has none of them.
Status WriteGraphBundle(const EtOptions& options) {
  ASTRASWEEP_ASSIGN_OR_RETURN(auto point, config::LoadPointFile(options.config));
  const auto& p = point.config.parallelism;
  if (p.cp > 1)
    return InvalidInput("cp = " + std::to_string(p.cp) + ": the " + options.graph +
                            " bundle has no context-parallel ranks; only --graph collective "
                            "takes a point with cp > 1",
                        {.file = options.config, .key_path = "parallelism.cp"});
  std::string what;
  if (options.graph == "pipeline") {
    ASTRASWEEP_RETURN_IF_ERROR(et::WritePipelineBundle(point.config, options.out));
    what = fmt::format("the pipeline of {} stages x {} replicas ({} ranks, tp {} folded in)",
                       p.pp, p.dp, p.pp * p.dp, p.tp);
  } else if (options.graph == "block") {
    ASTRASWEEP_RETURN_IF_ERROR(et::WriteBlockBundle(point.config, options.out));
    what = fmt::format("one transformer layer on one stage's {} GPUs (tp {} x dp {})",
                       p.tp * p.dp, p.tp, p.dp);
  } else {
    ASTRASWEEP_RETURN_IF_ERROR(et::WriteFlattenedBundle(point.config, options.out));
    what = fmt::format("every GPU of the step explicit ({} ranks: tp {} x pp {} x dp {})",
                       p.Gpus(), p.tp, p.pp, p.dp);
  }
  std::printf("%s: %s\nrun it in AstraSim with:\n  cd %s && %s\n", options.out.c_str(),
              what.c_str(), options.out.c_str(),
              et::AstraSimCommand("AstraSim_Analytical_Congestion_Unaware", "w",
                                  std::filesystem::exists(options.out + "/comm_groups.json"))
                  .c_str());
  return Ok();
}

Status WriteBundle(const EtOptions& options) {
  if (options.graph == "pipeline" || options.graph == "block" || options.graph == "flattened")
    return WriteGraphBundle(options);
  if (options.graph != "collective")
    return InvalidInput("--graph " + options.graph +
                        ": expected collective, pipeline, block or flattened");
  if (options.size.empty())
    return InvalidInput("--graph collective needs --size, the bytes per rank, e.g. '16 MiB'");
  ASTRASWEEP_ASSIGN_OR_RETURN(auto point, config::LoadPointFile(options.config));
  ASTRASWEEP_ASSIGN_OR_RETURN(const model::Collective collective,
                              ParseCollective(options.collective));
  ASTRASWEEP_ASSIGN_OR_RETURN(const double bytes, ParseQuantity(options.size, QuantityKind::kBytes));
  ASTRASWEEP_ASSIGN_OR_RETURN(const auto group, Group(options.group, point.config.parallelism));
  const et::CollectiveBenchmark benchmark{.collective = collective,
                                          .bytes = static_cast<std::uint64_t>(bytes),
                                          .stride = group.first,
                                          .size = group.second};
  ASTRASWEEP_RETURN_IF_ERROR(et::WriteCollectiveBundle(point.config, benchmark, options.out));
  std::printf("%s: %s of %llu B over the %s group (%lld ranks)\nrun it in AstraSim with:\n"
              "  cd %s && %s\n",
              options.out.c_str(), model::CollectiveName(collective),
              static_cast<unsigned long long>(benchmark.bytes), options.group.c_str(),
              static_cast<long long>(benchmark.size), options.out.c_str(),
              et::AstraSimCommand("AstraSim_Analytical_Congestion_Unaware", "w", false).c_str());
  return Ok();
}

Status Check(const std::string& dir) {
  ASTRASWEEP_ASSIGN_OR_RETURN(const et::CheckReport report, et::CheckBundle(dir));
  std::printf("%s: %d ranks, %llu nodes, %llu sends, %llu collectives\n", dir.c_str(),
              report.ranks, static_cast<unsigned long long>(report.nodes),
              static_cast<unsigned long long>(report.sends),
              static_cast<unsigned long long>(report.collectives));
  for (const auto& problem : report.problems) std::printf("  %s\n", problem.c_str());
  if (!report.ok())
    return InvalidInput("the bundle has problems (listed above); AstraSim would misread it",
                        {.file = dir});
  std::printf("ok\n");
  return Ok();
}

}  // namespace

void AddEtCommand(CLI::App& app, Action& action) {
  auto options = std::make_shared<EtOptions>();
  CLI::App* cmd = app.add_subcommand(
      "et", "Write a Chakra ET bundle for AstraSim (or check one with --check DIR)");
  cmd->add_option("config", options->config, "Point config (YAML)")->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", options->out, "The bundle folder to write");
  cmd->add_option("--graph", options->graph, "collective, pipeline, block or flattened")
      ->capture_default_str();
  cmd->add_option("--collective", options->collective,
                  "all_reduce, all_gather, reduce_scatter or all_to_all")
      ->capture_default_str();
  cmd->add_option("--size", options->size, "Bytes per rank of the collective, e.g. '16 MiB'");
  cmd->add_option("--group", options->group, "tp, cp, pp, dp or all")->capture_default_str();
  cmd->add_option("--check", options->check, "Read the bundle in DIR back and check it");
  cmd->callback([options, &action] {
    action = [options]() -> Outcome {
      if (!options->check.empty()) return Check(options->check);
      if (options->config.empty() || options->out.empty())
        return InvalidInput("et needs CONFIG.yaml and -o DIR (or --check DIR)");
      return WriteBundle(*options);
    };
  });
}

}  // namespace astrasweep::cli
