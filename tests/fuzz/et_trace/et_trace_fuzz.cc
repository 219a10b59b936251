// Fuzzes the Chakra ET reader (et/trace_io.cc): a file of varint-framed
// protobuf messages, the global metadata first. Every node is read and
// named, as `astrasweep et` and the checks do.
#include <cstdint>

#include "astrasweep/et/trace_io.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace astrasweep;
  const std::string path = fuzz::WriteScratch(data, size, ".0.et");
  auto reader = et::TraceReader::Open(path);
  if (!reader) return 0;
  et::Node node;
  while (true) {
    auto more = reader->Next(node);
    if (!more || !*more) break;
    (void)et::NodeTypeName(node.type);
  }
  return 0;
}
