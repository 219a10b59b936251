// Without a launcher's variables a run is one in-process rank and MPI is
// never initialised; with them it is an MPI job.
#include "astrasweep/dist/session.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace astrasweep::dist {
namespace {

constexpr const char* kLauncherVariables[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                              "PMI_SIZE", "SLURM_STEP_NUM_TASKS"};

TEST(Session, WithoutALauncherOneRankInThisProcess) {
  for (const char* name : kLauncherVariables) ::unsetenv(name);
  EXPECT_FALSE(StartedByLauncher());
  int argc = 0;
  char** argv = nullptr;
  auto session = OpenSession(argc, argv);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->transport().size(), 1);
  EXPECT_EQ(session->transport().rank(), 0);
  EXPECT_EQ(session->node().node_size, 1);
  auto flushed = session->transport().Flush(std::chrono::milliseconds(0));
  ASSERT_TRUE(flushed);
  EXPECT_TRUE(*flushed);
}

TEST(Session, EachLaunchersVariableMeansMpi) {
  for (const char* name : kLauncherVariables) {
    for (const char* other : kLauncherVariables) ::unsetenv(other);
    ::setenv(name, "0", 1);
    EXPECT_TRUE(StartedByLauncher()) << name;
    ::unsetenv(name);
  }
}

}  // namespace
}  // namespace astrasweep::dist
