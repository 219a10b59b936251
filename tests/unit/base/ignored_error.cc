// Must not compile cleanly: it drops a Status (see base/CMakeLists.txt,
// test Expected.AnIgnoredErrorDoesNotCompile).
#include "astrasweep/base/error.h"

astrasweep::Status Fallible() { return astrasweep::InvalidInput("dropped"); }

int main() {
  Fallible();
  return 0;
}
