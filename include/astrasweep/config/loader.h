// Strict loading of one point config: presets expanded, every key checked
// against the schema (unknown keys with a "did you mean"), typed values with
// units, defaults filled in, consistency checked, and the canonical form and
// point id computed.
#pragma once

#include <string>

#include "astrasweep/base/error.h"
#include "astrasweep/config/config.h"
#include "astrasweep/config/node.h"
#include "astrasweep/config/presets.h"

namespace astrasweep::config {

// Builds a point from a config tree. Errors name the file and line of the
// offending value when the tree knows it, the key path and the problem.
Expected<ResolvedPoint> BuildPoint(const Node& root, const PresetLibrary& presets);
// The same, expanding the presets in `root` itself rather than in a copy.
// Sections read before (on this thread) are reused: see loader.cc.
Expected<ResolvedPoint> BuildPoint(Node&& root, const PresetLibrary& presets);
// The same, every key read afresh: the reference the reuse is tested by.
Expected<ResolvedPoint> BuildPointAfresh(Node&& root, const PresetLibrary& presets);

// Loads a point config file, with presets searched beside it.
Expected<ResolvedPoint> LoadPointFile(const std::string& path);

// The id of a canonical config text: 128-bit hash in hex.
Hash128 PointIdOf(const std::string& canonical);

}  // namespace astrasweep::config
