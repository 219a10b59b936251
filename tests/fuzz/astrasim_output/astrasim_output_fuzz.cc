// Fuzzes ParseAstraSimOutput (netsim/astrasim_output.cc), the one reader of
// AstraSim's console text. The first byte picks the rank count (1..64).
#include <cstdint>
#include <string_view>

#include "astrasweep/netsim/astrasim.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int ranks = 1 + data[0] % 64;
  const std::string_view output(reinterpret_cast<const char*>(data + 1), size - 1);
  auto result = astrasweep::netsim::ParseAstraSimOutput(output, ranks);
  if (result && result->ranks.size() != static_cast<std::size_t>(ranks)) __builtin_trap();
  return 0;
}
