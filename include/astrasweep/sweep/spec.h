// A sweep specification (README.md, "A sweep spec") as loaded from YAML: the base
// point, overrides, vars, the axes and zip groups in the order written,
// derives and constraints. Loading checks the shape and every key path;
// compiling the expressions is the Expander's job.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "astrasweep/base/error.h"
#include "astrasweep/config/node.h"
#include "astrasweep/config/presets.h"

namespace astrasweep::sweep {

// One dimension of the product: a plain axis (one key) or a zip group
// (several keys varying together).
struct Axis {
  std::vector<std::string> keys;
  std::vector<std::vector<config::Node>> values;  // values[position][key]
  std::string where;                              // "axes.parallelism.tp", "zip.0"
  std::size_t size() const { return values.size(); }
};

struct Derive {
  std::string key;
  std::string expression;
  config::Node node;  // for its position
};

struct Constraint {
  std::string expression;
  config::Node node;
};

// A file a spec was read from: the path it was read by, and its text.
struct SpecFile {
  std::string path;
  std::string text;
};

// Where a spec's files come from: the disk and the presets beside the spec
// (DiskSource), or the texts an archive stored (`astrasweep run
// --from-archive`), each by the path it was first read by.
struct SpecSource {
  std::function<Expected<std::string>(const std::string& path)> read;
  config::PresetLibrary presets;
};
SpecSource DiskSource(const std::string& spec_path);

// The most points a sweep may have (indices stay far from overflow).
inline constexpr std::uint64_t kMaxSweepPoints = std::uint64_t{1} << 62;

struct SweepSpec {
  std::string name;
  std::string description;
  std::string file;                // the spec's path ("" when inline)
  std::vector<SpecFile> files;     // the spec and every file it includes
  std::string text;                // the YAML text of the spec
  config::Node base;               // presets expanded, `set` applied
  std::vector<std::pair<std::string, config::Node>> vars;
  // In the order written; the last varies fastest. An axis key is a config
  // key path, or the name of a var declared in `vars` (swept, not written
  // into the config).
  std::vector<Axis> axes;
  std::vector<Derive> derives;  // evaluated in order
  std::vector<Constraint> constraints;

  bool IsVar(const std::string& key) const;
};

// Loads and checks a spec file; presets are searched beside it.
Expected<SweepSpec> LoadSweepSpec(const std::string& path);
Expected<SweepSpec> LoadSweepSpec(const std::string& path, const SpecSource& source);
// A base file named by the spec is read through `read` (the disk when
// empty).
Expected<SweepSpec> ParseSweepSpec(
    const config::Node& root, const std::string& file, const config::PresetLibrary& presets,
    const std::function<Expected<std::string>(const std::string&)>& read = {});

// True when a YAML document looks like a sweep spec rather than a point.
bool LooksLikeSweepSpec(const config::Node& root);

}  // namespace astrasweep::sweep
