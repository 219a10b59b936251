// `astrasweep point CONFIG.yaml [--json] [--dot FILE]`: evaluate one point
// and explain the result: step time and throughput, where the critical
// stage's time goes, memory, and every stage's timeline.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "astrasweep/base/units.h"
#include "astrasweep/config/enums.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/exec/evaluate.h"
#include "commands.h"

namespace astrasweep::cli {
namespace {

struct PointOptions {
  std::string file;
  bool json = false;
  std::string dot;
};

std::string Time(double s) { return HumanQuantity(s, QuantityKind::kTime); }
std::string Bytes(double b) { return HumanQuantity(b, QuantityKind::kBytes); }
double Percent(double part, double whole) { return whole > 0 ? 100 * part / whole : 0; }

nlohmann::json ToJson(const config::ResolvedPoint& point, const exec::PointOutcome& o) {
  const auto& m = o.metrics;
  nlohmann::json j;
  j["id"] = point.id.Hex();
  j["status"] = exec::PointStatusName(o.status);
  j["mode"] = o.mode;
  if (o.status == exec::PointStatus::kFailed) {
    j["failure"] = {{"stage", o.failure_stage}, {"message", o.failure_message}};
  } else {
    j["metrics"] = {{"step_time_s", m.step_time_s},
                    {"tokens_per_s", m.tokens_per_s},
                    {"model_tflops_per_gpu", m.model_tflops_per_gpu},
                    {"mfu", m.mfu},
                    {"compute_s", m.compute_s},
                    {"tp_comm_s", m.tp_comm_s},
                    {"pp_comm_s", m.pp_comm_s},
                    {"dp_comm_s", m.dp_comm_s},
                    {"exposed_comm_s", m.exposed_comm_s},
                    {"bubble_s", m.bubble_s},
                    {"peak_mem_bytes", m.peak_mem_bytes},
                    {"fits_memory", m.fits_memory}};
    j["critical_stage"] = o.critical_stage;
    j["microbatches"] = o.microbatches;
    j["model_flops"] = o.model_flops;
    j["hardware_flops"] = o.hardware_flops;
    j["graph_nodes"] = o.graph_nodes;
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
    j["stages"] = stages;
  }
  const auto& mem = o.memory;
  j["memory"] = {{"stage", mem.stage},         {"parameters", mem.parameters},
                 {"weights", mem.weights},     {"gradients", mem.gradients},
                 {"optimizer", mem.optimizer}, {"activations", mem.activations},
                 {"total", mem.total},         {"fits", mem.fits}};
  return j;
}

void PrintText(const config::ResolvedPoint& point, const exec::PointOutcome& o) {
  const auto& c = point.config;
  const auto& p = c.parallelism;
  const auto& m = o.metrics;
  std::printf(
      "point   %s: tp %lld x pp %lld x dp %lld = %lld GPUs of %s, %s\n",
      c.model.name.empty() ? "model" : c.model.name.c_str(), static_cast<long long>(p.tp),
      static_cast<long long>(p.pp), static_cast<long long>(p.dp), static_cast<long long>(p.Gpus()),
      c.hardware.name.empty() ? "custom hardware" : c.hardware.name.c_str(), o.mode.c_str());
  std::printf("id      %s\n", point.id.Hex().c_str());
  std::printf("status  %s\n", exec::PointStatusName(o.status));
  if (o.status == exec::PointStatus::kFailed) {
    std::printf("failed at %s: %s\n", o.failure_stage.c_str(), o.failure_message.c_str());
    return;
  }
  std::printf(
      "\nstep time          %s  (%lld micro-batches of %lld x %lld tokens per pipeline, "
      "schedule %s)\n",
      Time(m.step_time_s).c_str(), static_cast<long long>(o.microbatches),
      static_cast<long long>(c.training.micro_batch), static_cast<long long>(c.model.seq_len),
      std::string(config::EnumName(c.training.schedule)).c_str());
  std::printf("throughput         %.6g tokens/s\n", m.tokens_per_s);
  std::printf("model TFLOP/s/GPU  %.4g   MFU %.1f%%   (hardware FLOPs with recompute: %.1f%%)\n",
              m.model_tflops_per_gpu, 100 * m.mfu,
              100 * m.mfu * (o.model_flops > 0 ? o.hardware_flops / o.model_flops : 0));
  std::printf("\ncritical stage %d (npu %d):\n", o.critical_stage,
              o.stages[static_cast<std::size_t>(o.critical_stage)].rank);
  std::printf("  compute          %-12s %5.1f%%\n", Time(m.compute_s).c_str(),
              Percent(m.compute_s, m.step_time_s));
  std::printf("  exposed comm     %-12s %5.1f%%\n", Time(m.exposed_comm_s).c_str(),
              Percent(m.exposed_comm_s, m.step_time_s));
  std::printf("  bubble           %-12s %5.1f%%\n", Time(m.bubble_s).c_str(),
              Percent(m.bubble_s, m.step_time_s));
  std::printf("  communication, overlapped or not: tensor %s, pipeline %s, data %s\n",
              Time(m.tp_comm_s).c_str(), Time(m.pp_comm_s).c_str(), Time(m.dp_comm_s).c_str());
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
  ASTRASWEEP_ASSIGN_OR_RETURN(auto point, config::LoadPointFile(options.file));
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
  cmd->callback([options, &action] { action = [options] { return RunPoint(*options); }; });
}

}  // namespace astrasweep::cli
