// Text names of the config enums, one table per enum, used by the loader,
// the canonical form and every report.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/config/config.h"

namespace astrasweep::config {

template <typename E>
std::string_view EnumName(E value);
template <typename E>
std::optional<E> ParseEnum(std::string_view name);
template <typename E>
std::vector<std::string> EnumNames();

}  // namespace astrasweep::config
