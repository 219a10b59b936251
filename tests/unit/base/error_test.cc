// Error values: context filled in by outer layers, and the one-line text.
#include "astrasweep/base/error.h"

#include <gtest/gtest.h>

namespace astrasweep {
namespace {

Expected<int> Inner(bool ok) {
  if (!ok) return InvalidInput("bad value", {.file = {}, .key_path = "model.layers"});
  return 7;
}

Expected<int> Outer(bool ok) {
  ASTRASWEEP_ASSIGN_OR_RETURN(int v, Inner(ok));
  return v + 1;
}

TEST(Error, AssignOrReturnPropagates) {
  EXPECT_EQ(*Outer(true), 8);
  auto e = Outer(false);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kInvalidInput);
}

TEST(Error, ToStringNamesFilePositionKeyAndPoint) {
  Error e =
      Error(ErrorCode::kInvalidInput, "must be positive", {.file = {}, .key_path = "model.layers"})
          .WithFile("spec.yaml")
          .WithPosition(3, 5)
          .WithPointIndex(12);
  EXPECT_EQ(e.ToString(), "spec.yaml:3:5: point 12: model.layers: must be positive");
}

TEST(Error, OuterContextDoesNotOverwriteInner) {
  Error e = Error(ErrorCode::kIo, "x", {.file = "inner.yaml"}).WithFile("outer.yaml");
  EXPECT_EQ(e.context().file, "inner.yaml");
}

}  // namespace
}  // namespace astrasweep
