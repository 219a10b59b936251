// `astrasweep point CONFIG.yaml [--json] [--dot FILE]`: evaluate one point
// and explain the result: step time and throughput, where the critical
// stage's time goes, memory, and every stage's timeline.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "astrasweep/base/units.h"
#include "astrasweep/config/enums.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/exec/evaluate.h"
#include "astrasweep/exec/result_fields.h"
#include "astrasweep/exec/simulation.h"
#include "astrasweep/sweep/spec.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

struct PointOptions {
  std::string file;
  bool json = false;
  std::string dot;
  SimulationFlags simulation;
};

std::string Time(double s) { return HumanQuantity(s, QuantityKind::kTime); }
std::string Bytes(double b) { return HumanQuantity(b, QuantityKind::kBytes); }
double Percent(double part, double whole) { return whole > 0 ? 100 * part / whole : 0; }

nlohmann::json FieldValue(const exec::ResultField& field, double value) {
  switch (exec::TypeOf(field.unit)) {
    case exec::FieldType::kFlag: return value != 0;
    case exec::FieldType::kInteger: return static_cast<std::int64_t>(value);
    case exec::FieldType::kReal: return value;
  }
  return value;
}

nlohmann::json StagesJson(const exec::PointOutcome& o) {
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& s : o.stages)
    stages.push_back({{"stage", s.stage},
                      {"npu", s.rank},
                      {"finish_s", s.finish},
                      {"compute_s", s.compute},
                      {"tp_comm_s", s.tp_comm},
                      {"pp_comm_s", s.pp_comm},
                      {"dp_comm_s", s.dp_comm},
                      {"exposed_comm_s", s.exposed_comm},
                      {"bubble_s", s.bubble}});
  return stages;
}

nlohmann::json ToJson(const config::ResolvedPoint& point, const exec::PointOutcome& o) {
  nlohmann::json j;
  j["id"] = point.id.Hex();
  // The config the point was evaluated with, canonical (defaults filled
  // in, units in base units), as the archive's /configs holds it.
  j["config"] = point.canonical;
  j["status"] = exec::PointStatusName(o.status);
  j["mode"] = o.mode;
  if (o.status == exec::PointStatus::kFailed) {
    j["failure"] = {{"stage", o.failure_stage}, {"message", o.failure_message}};
  } else {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& field : exec::ResultFields())
      metrics[std::string(field.name)] = FieldValue(field, field.read(o));
    j["metrics"] = metrics;
    j["critical_stage"] = o.critical_stage;
    j["microbatches"] = o.microbatches;
    j["model_flops"] = o.model_flops;
    j["hardware_flops"] = o.hardware_flops;
    j["scheduled_nodes"] = o.scheduled_nodes;
    j["stages"] = StagesJson(o);
  }
  const auto& mem = o.memory;
  j["memory"] = {{"stage", mem.stage},         {"parameters", mem.parameters},
                 {"weights", mem.weights},     {"gradients", mem.gradients},
                 {"optimizer", mem.optimizer}, {"activations", mem.activations},
                 {"total", mem.total},         {"fits", mem.fits}};
  return j;
}

void PrintHeader(const config::ResolvedPoint& point, const exec::PointOutcome& o) {
  const auto& c = point.config;
  const auto& p = c.parallelism;
  // cp is shown when the point has context parallelism.
  const std::string cp = p.cp > 1 ? " x cp " + std::to_string(p.cp) : "";
  std::printf("point   %s: tp %lld%s x pp %lld x dp %lld = %lld GPUs of %s, %s\n",
              c.model.name.empty() ? "model" : c.model.name.c_str(), static_cast<long long>(p.tp),
              cp.c_str(), static_cast<long long>(p.pp), static_cast<long long>(p.dp),
              static_cast<long long>(p.Gpus()),
              c.hardware.name.empty() ? "custom hardware" : c.hardware.name.c_str(),
              o.mode.c_str());
  std::printf("id      %s\n", point.id.Hex().c_str());
  std::printf("status  %s\n", exec::PointStatusName(o.status));
}

// Every result field, with its share of the step for times of the
// critical stage.
void PrintFields(const exec::PointOutcome& o) {
  const double step = o.metrics.step_time_s;
  for (const auto& field : exec::ResultFields()) {
    const double value = field.read(o);
    std::string line = fmt::format("  {:<24} {}", field.label, exec::FormatFieldValue(field, value));
    if (field.unit == exec::FieldUnit::kSeconds && field.name != "step_time_s")
      line = fmt::format("{:<40} {:5.1f}% of the step", line, Percent(value, step));
    std::printf("%s\n", line.c_str());
  }
}

void PrintText(const config::ResolvedPoint& point, const exec::PointOutcome& o) {
  const auto& c = point.config;
  PrintHeader(point, o);
  if (o.status == exec::PointStatus::kFailed) {
    std::printf("failed at %s: %s\n", o.failure_stage.c_str(), o.failure_message.c_str());
    return;
  }
  std::printf(
      "\n%lld micro-batches of %lld x %lld tokens per pipeline, schedule %s; "
      "critical stage %d (npu %d)\n",
      static_cast<long long>(o.microbatches), static_cast<long long>(c.training.micro_batch),
      static_cast<long long>(c.model.seq_len),
      std::string(config::EnumName(c.training.schedule)).c_str(), o.critical_stage,
      o.stages[static_cast<std::size_t>(o.critical_stage)].rank);
  PrintFields(o);
  std::printf("  hardware FLOPs with recompute: %.1f%% of peak\n",
              100 * o.metrics.mfu * (o.model_flops > 0 ? o.hardware_flops / o.model_flops : 0));
  const auto& mem = o.memory;
  std::printf("\nmemory (stage %lld): weights %s, gradients %s, optimizer %s, activations %s\n",
              static_cast<long long>(mem.stage), Bytes(mem.weights).c_str(),
              Bytes(mem.gradients).c_str(), Bytes(mem.optimizer).c_str(),
              Bytes(mem.activations).c_str());
  std::printf("  peak %s of %s: %s\n", Bytes(mem.total).c_str(),
              Bytes(c.hardware.memory_bytes).c_str(),
              mem.fits ? "fits" : "does NOT fit (infeasible)");
  std::printf("\n%6s %6s %12s %12s %12s %12s %12s\n", "stage", "npu", "finish", "compute",
              "exposed", "bubble", "comm");
  for (const auto& s : o.stages) {
    std::printf("%6d %6d %12s %12s %12s %12s %12s\n", s.stage, s.rank, Time(s.finish).c_str(),
                Time(s.compute).c_str(), Time(s.exposed_comm).c_str(), Time(s.bubble).c_str(),
                Time(s.tp_comm + s.pp_comm + s.dp_comm).c_str());
  }
}

Status RunPoint(const PointOptions& options) {
  if (auto root = config::LoadYamlFile(options.file); root && sweep::LooksLikeSweepSpec(*root))
    return InvalidInput("this is a sweep spec, not a point config: run it with `astrasweep run " +
                            options.file +
                            " -o OUT.h5`, list its points with `astrasweep "
                            "expand " +
                            options.file +
                            "`, or check them with `astrasweep "
                            "validate " +
                            options.file + "`",
                        {.file = options.file});
  ASTRASWEEP_ASSIGN_OR_RETURN(auto point, config::LoadPointFile(options.file));
  ASTRASWEEP_RETURN_IF_ERROR(exec::ConfigureSimulation(options.simulation.Options()));
  graph::Graph graph;
  const exec::PointOutcome outcome =
      exec::Evaluate(point.config, options.dot.empty() ? nullptr : &graph);
  if (options.json)
    std::printf("%s\n", ToJson(point, outcome).dump(2).c_str());
  else
    PrintText(point, outcome);
  if (!options.dot.empty() && outcome.status != exec::PointStatus::kFailed) {
    std::ofstream out(options.dot);
    out << graph.ToDot();
    if (!out)
      return MakeError(ErrorCode::kIo, "cannot write the graph to '" + options.dot + "'",
                       {.file = options.dot});
    std::fprintf(stderr,
                 "astrasweep: wrote the pipeline graph (%zu nodes) to %s; draw it with: "
                 "dot -Tsvg %s -o graph.svg\n",
                 graph.nodes().size(), options.dot.c_str(), options.dot.c_str());
  }
  if (outcome.status == exec::PointStatus::kFailed)
    return MakeError(
        ErrorCode::kUnavailable,
        "the point cannot run (" + outcome.failure_stage + "): " + outcome.failure_message,
        {.file = options.file});
  return Ok();
}

}  // namespace

void AddPointCommand(CLI::App& app, Action& action) {
  auto options = std::make_shared<PointOptions>();
  CLI::App* cmd = app.add_subcommand(
      "point", "Evaluate one point config and print a breakdown of its step time and memory");
  cmd->add_option("config", options->file, "Point config (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_flag("--json", options->json, "Print the result as JSON");
  cmd->add_option("--dot", options->dot, "Write the pipeline graph as Graphviz DOT to FILE");
  AddSimulationFlags(cmd, options->simulation);
  cmd->callback([options, &action] { action = [options] { return RunPoint(*options); }; });
}

}  // namespace astrasweep::cli
