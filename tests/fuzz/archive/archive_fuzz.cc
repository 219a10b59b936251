// Fuzzes the archive reader behind `astrasweep inspect` (store/inspect.cc
// over store/table.cc): an HDF5 file. The HDF5 library may misbehave on
// garbage; what is looked for is our code trusting what it returns.
#include <cstdint>

#include "astrasweep/store/inspect.h"
#include "fuzz_support.h"

namespace {

int Init() {
  astrasweep::fuzz::QuietLogging();
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace astrasweep;
  static const int init = Init();
  (void)init;
  const std::string path = fuzz::WriteScratch(data, size, ".h5");
  auto summary = store::InspectArchive(path, {});
  if (!summary) return 0;
  // Read again through the paths a --where and a --group-by take.
  (void)store::InspectArchive(path, {.top = 3, .where = "status == 'ok'", .group_by = {"status"}});
  return 0;
}
