// VerifyArchive: the sample, each point evaluated again as a run would
// (FillPointResult, so the comparison is with what a run stores), and the
// comparison column by column, as each column stores its values.
#include "astrasweep/dist/verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <regex>
#include <set>

#include "astrasweep.pb.h"
#include "astrasweep/base/version.h"
#include "astrasweep/config/loader.h"
#include "astrasweep/dist/point_result.h"
#include "astrasweep/exec/result_fields.h"
#include "astrasweep/exec/simulation.h"
#include "astrasweep/store/archive_reader.h"
#include "astrasweep/sweep/expander.h"

namespace astrasweep::dist {
namespace {

std::vector<std::uint64_t> Sample(const std::vector<std::uint64_t>& indices, std::uint64_t n) {
  const std::uint64_t m = indices.size();
  if (n == 0 || n >= m) return indices;
  std::vector<std::uint64_t> sample;
  for (std::uint64_t k = 0; k < n; ++k) sample.push_back(indices[k * m / n]);
  return sample;
}

// A value as its /points column holds it.
double AsStored(const exec::ResultField& field, double value) {
  switch (exec::TypeOf(field.unit)) {
    case exec::FieldType::kInteger:
      return std::isfinite(value) ? static_cast<double>(std::llround(value)) : -1.0;
    case exec::FieldType::kFlag: return value != 0 ? 1.0 : 0.0;
    case exec::FieldType::kReal: return value;
  }
  return value;
}

bool Same(double a, double b, double tolerance) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (a == b) return true;
  return tolerance > 0 && std::fabs(a - b) <= tolerance * std::max(std::fabs(a), std::fabs(b));
}

std::string Number(double value) { return fmt::format("{:.17g}", value); }

// A failure as /failures keeps it; "none" for a point that did not fail.
std::string Failure(const std::string& stage, const std::string& message) {
  if (stage.empty() && message.empty()) return "none";
  return stage + ": " + message.substr(0, store::kFailureMessageBytes);
}

// The tokens of a `simulator` provenance that name a simulator's identity:
// "astrasim-congestion_unaware sha256:<hex>", "builtin-congestion_aware v3".
std::set<std::string> Identities(const std::string& text, const char* pattern) {
  const std::regex re(pattern);
  std::set<std::string> found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it)
    found.insert(it->str());
  return found;
}

constexpr const char* kAstraSimIdentity = R"(astrasim-[a-z_]+ sha256:[0-9a-f]+)";
constexpr const char* kBuiltinIdentity = R"(builtin-[a-z_]+ v[0-9]+)";

std::string Listed(const std::set<std::string>& identities) {
  std::string text;
  for (const auto& identity : identities) text += (text.empty() ? "" : ", ") + identity;
  return text.empty() ? "none" : text;
}

// A point's config built from its archived canonical text: the simulator
// it used, and its evaluation into `now`.
struct Rebuilt {
  bool astrasim = false;
  bool simulated = false;
};

Expected<Rebuilt> EvaluateConfig(const store::ArchivedPoint& point, proto::PointResult& now) {
  const std::string where = "/configs of point " + std::to_string(point.index);
  ASTRASWEEP_ASSIGN_OR_RETURN(config::Node tree, config::ParseYaml(point.config, where));
  ASTRASWEEP_ASSIGN_OR_RETURN(
      config::ResolvedPoint built,
      config::BuildPoint(std::move(tree), config::PresetLibrary::FromFiles({})));
  now.set_index(point.index);
  now.set_id(built.id.Hex());
  now.set_canonical_config(built.canonical);
  FillPointResult(exec::Evaluate(built.config), now);
  const auto& backend = built.config.execution_backend;
  const bool simulated = backend.model == config::ExecutionModel::kAstra;
  return Rebuilt{
      .astrasim = simulated && backend.astra.backend == config::SimulatorBackend::kAstrasim,
      .simulated = simulated};
}

class Checker {
 public:
  Checker(VerifyReport& report, const VerifyOptions& options)
      : report_(report), options_(options) {}

  void Check(const store::ArchivedPoint& point);

  bool used_astrasim = false;
  bool used_builtin = false;

 private:
  void CheckUnbuilt(const store::ArchivedPoint& point);
  void Compare(const store::ArchivedPoint& point, const proto::PointResult& now, double tolerance);
  void CompareFields(const store::ArchivedPoint& point, const proto::PointResult& now,
                     double tolerance);
  void CompareTimings(const store::ArchivedPoint& point, const proto::PointResult& now,
                      double tolerance);
  void Differ(std::uint64_t index, std::string column, std::string archived, std::string now) {
    report_.mismatches.push_back({index, std::move(column), std::move(archived), std::move(now)});
  }

  VerifyReport& report_;
  const VerifyOptions& options_;
  // The archived sweep, opened for the first point without a config.
  std::optional<Expected<sweep::Expander>> expander_;
};

void Checker::Check(const store::ArchivedPoint& point) {
  if (point.config.empty()) return CheckUnbuilt(point);
  proto::PointResult now;
  auto rebuilt = EvaluateConfig(point, now);
  ++report_.checked;
  if (!rebuilt) {
    Differ(point.index, "config", "builds (archived as " + point.status + ")",
           "does not build: " + rebuilt.error().ToString());
    return;
  }
  used_astrasim |= rebuilt->astrasim;
  used_builtin |= rebuilt->simulated && !rebuilt->astrasim;
  if (rebuilt->astrasim) ++report_.with_tolerance;
  Compare(point, now, rebuilt->astrasim ? options_.astrasim_tolerance : 0.0);
}

// A point whose config could not be built: the archived spec expanded
// again must fail it the same way.
void Checker::CheckUnbuilt(const store::ArchivedPoint& point) {
  if (!expander_) {
    auto archived = store::ReadArchivedSweep(options_.archive);
    expander_.emplace(archived ? sweep::OpenSweep(archived->spec_file, archived->Source())
                               : Expected<sweep::Expander>(std::unexpected(archived.error())));
    if (!*expander_)
      report_.notes.push_back(
          "points without a config (it could not be built) are checked by expanding the "
          "archived spec, which does not load: " +
          expander_->error().ToString());
  }
  if (!*expander_) return;
  proto::PointResult now;
  EvaluateSweepPoint(**expander_, point.index, now);
  ++report_.checked;
  Compare(point, now, 0.0);
}

void Checker::Compare(const store::ArchivedPoint& point, const proto::PointResult& now,
                      double tolerance) {
  const std::size_t before = report_.mismatches.size();
  const std::string status = exec::PointStatusName(static_cast<exec::PointStatus>(now.status()));
  const std::pair<const char*, std::pair<std::string, std::string>> texts[] = {
      {"status", {point.status, status}},
      {"id", {point.id, now.id()}},
      {"mode", {point.mode, now.mode()}},
      {"config", {point.config, now.canonical_config()}},
      {"failure",
       {Failure(point.failure_stage, point.failure_message),
        Failure(now.failure_stage(), now.failure_message())}}};
  for (const auto& [column, values] : texts)
    if (values.first != values.second) Differ(point.index, column, values.first, values.second);
  // A point that fails now, or no longer does, has no numbers to compare.
  if (point.status == status) {
    CompareFields(point, now, tolerance);
    CompareTimings(point, now, tolerance);
  }
  if (report_.mismatches.size() != before) ++report_.differing_points;
}

void Checker::CompareFields(const store::ArchivedPoint& point, const proto::PointResult& now,
                            double tolerance) {
  const auto fields = exec::ResultFields();
  for (std::size_t i = 0; i < fields.size() && i < point.fields.size(); ++i) {
    if (fields[i].per_run || !point.fields[i]) continue;
    const double value =
        i < static_cast<std::size_t>(now.fields_size()) ? now.fields(static_cast<int>(i)) : 0.0;
    const double stored = AsStored(fields[i], value);
    if (!Same(*point.fields[i], stored, tolerance))
      Differ(point.index, std::string(fields[i].name), Number(*point.fields[i]), Number(stored));
  }
}

void Checker::CompareTimings(const store::ArchivedPoint& point, const proto::PointResult& now,
                             double tolerance) {
  if (point.rank_timings.size() != static_cast<std::size_t>(now.rank_timings_size())) {
    Differ(point.index, "rank_timings", std::to_string(point.rank_timings.size()) + " rows",
           std::to_string(now.rank_timings_size()) + " rows");
    return;
  }
  for (std::size_t r = 0; r < point.rank_timings.size(); ++r) {
    const store::ArchivedTiming& then = point.rank_timings[r];
    const auto& timing = now.rank_timings(static_cast<int>(r));
    const std::pair<const char*, std::pair<double, double>> values[] = {
        {"npu", {static_cast<double>(then.npu), static_cast<double>(timing.npu())}},
        {"finish_s", {then.finish_s, timing.finish_s()}},
        {"compute_s", {then.compute_s, timing.compute_s()}},
        {"comm_s", {then.comm_s, timing.comm_s()}},
        {"exposed_comm_s", {then.exposed_comm_s, timing.exposed_comm_s()}}};
    for (const auto& [column, pair] : values) {
      if (Same(pair.first, pair.second, tolerance)) continue;
      // One difference per point's timings says enough.
      return Differ(point.index, fmt::format("rank_timings[{}].{}", r, column), Number(pair.first),
                    Number(pair.second));
    }
  }
}

// What the archive says made it, against what verifies it now.
void AddProvenanceNotes(const store::File& file, const Checker& checker, VerifyReport& report) {
  const std::string version = store::AttributeText(file, "astrasweep_version");
  const std::string sha = store::AttributeText(file, "git_sha");
  report.notes.push_back(fmt::format("archived by astrasweep {} (git {}); verified by {} (git {})",
                                     version, sha, Version(), GitSha()));
  const std::string archived = store::AttributeText(file, "simulator");
  const std::string current = exec::ProcessSimulation().Description();
  if (checker.used_astrasim) {
    const auto then = Identities(archived, kAstraSimIdentity);
    const auto now = Identities(current, kAstraSimIdentity);
    if (now.empty())
      report.notes.push_back(
          "warning: points of the archive ran on an external AstraSim (" + Listed(then) +
          "), and none is given now: name its binary with --astrasim-bin or ASTRASIM_BIN");
    else if (then != now)
      report.notes.push_back("warning: the AstraSim binary given now (" + Listed(now) +
                             ") is not the one the archive names (" + Listed(then) +
                             "): its points may differ for that reason alone");
  }
  if (checker.used_builtin) {
    const auto then = Identities(archived, kBuiltinIdentity);
    const auto now = Identities(current, kBuiltinIdentity);
    if (!then.empty() && then != now)
      report.notes.push_back("warning: the builtin simulator changed since the archive (" +
                             Listed(then) + " then, " + Listed(now) + " now)");
  }
}

}  // namespace

Expected<VerifyReport> VerifyArchive(const VerifyOptions& options) {
  ASTRASWEEP_ASSIGN_OR_RETURN(store::File file, store::OpenArchiveToRead(options.archive));
  ASTRASWEEP_ASSIGN_OR_RETURN(std::vector<std::uint64_t> indices, store::ReadPointIndices(file));
  VerifyReport report;
  report.archive_points = indices.size();
  ASTRASWEEP_ASSIGN_OR_RETURN(std::vector<store::ArchivedPoint> points,
                              store::ReadArchivedPoints(file, Sample(indices, options.sample)));
  Checker checker(report, options);
  for (const store::ArchivedPoint& point : points) checker.Check(point);
  AddProvenanceNotes(file, checker, report);
  return report;
}

std::string VerifyReport::Text(const VerifyOptions& options) const {
  std::string out = fmt::format("archive     {}\n", options.archive);
  out +=
      options.sample == 0 || options.sample >= archive_points
          ? fmt::format("points      all {}\n", archive_points)
          : fmt::format(
                "points      {} of {}, spread evenly: the point at position floor(k * {} / "
                "{}) in index order, for k = 0..{}\n",
                options.sample, archive_points, archive_points, options.sample, options.sample - 1);
  for (const auto& note : notes) out += note + "\n";
  for (const Mismatch& m : mismatches)
    out += fmt::format("point {}: {}: archived {}, now {}\n", m.index, m.column, m.archived, m.now);
  out += fmt::format("{} point{} checked: {} match, {} differ", checked, checked == 1 ? "" : "s",
                     checked - differing_points, differing_points);
  if (with_tolerance > 0)
    out += fmt::format(" ({} simulated by AstraSim, compared within {:g} relative)", with_tolerance,
                       options.astrasim_tolerance);
  if (checked < (options.sample == 0 ? archive_points
                                     : std::min<std::uint64_t>(options.sample, archive_points)))
    out += "; some points could not be checked (see above)";
  return out + "\n";
}

}  // namespace astrasweep::dist
