// The schema's dependent defaults: every one parses, and evaluating one
// gives the loader's canonical text.
#include "astrasweep/config/schema.h"

#include <gtest/gtest.h>

#include <string>

namespace astrasweep::config {
namespace {

TEST(Schema, EveryDependentDefaultParses) {
  for (const FieldSpec& field : Schema()) {
    const DependentDefault* dependent = FindDependentDefault(field);
    if (field.default_kind != DefaultKind::kDependent) {
      EXPECT_EQ(dependent, nullptr)
          << field.path << " is not dependent but has a dependent default";
      continue;
    }
    ASSERT_NE(dependent, nullptr) << "the default '" << field.default_text << "' of " << field.path
                                  << " is not 'factor * key' or 'key' of a numeric key";
    EXPECT_NE(FindField(dependent->source), nullptr) << field.path;
  }
}

TEST(Schema, DependentDefaultsParseFactorAndSource) {
  const DependentDefault* ffn = FindDependentDefault(*FindField("model.ffn_hidden"));
  ASSERT_NE(ffn, nullptr);
  EXPECT_EQ(ffn->factor, 4);
  EXPECT_EQ(ffn->source, "model.hidden");
  const DependentDefault* kv = FindDependentDefault(*FindField("model.kv_heads"));
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->factor, 1);
  EXPECT_EQ(kv->source, "model.heads");
}

TEST(Schema, EvaluateDependentDefaultFormatsForTheField) {
  std::string asked;
  auto hidden = [&](const std::string& source) -> Expected<double> {
    asked = source;
    return 2048.0;
  };
  auto ffn = EvaluateDependentDefault(*FindField("model.ffn_hidden"), hidden);
  ASSERT_TRUE(ffn) << ffn.error().ToString();
  EXPECT_EQ(*ffn, "8192");
  EXPECT_EQ(asked, "model.hidden") << "the lookup is asked for the source key";

  auto bf16 = [](const std::string&) -> Expected<double> { return 312e12; };
  auto fp16 = EvaluateDependentDefault(*FindField("hardware.peak_flops.fp16"), bf16);
  ASSERT_TRUE(fp16) << fp16.error().ToString();
  EXPECT_EQ(*fp16, FormatQuantity(312e12, QuantityKind::kFlopRate))
      << "a quantity default is canonical quantity text";
}

TEST(Schema, EvaluateDependentDefaultPassesOnLookupErrors) {
  auto missing = [](const std::string& source) -> Expected<double> {
    return InvalidInput("no " + source);
  };
  auto value = EvaluateDependentDefault(*FindField("model.kv_heads"), missing);
  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().message(), "no model.heads");
  auto not_dependent = EvaluateDependentDefault(*FindField("model.layers"), missing);
  ASSERT_FALSE(not_dependent);
  EXPECT_EQ(not_dependent.error().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace astrasweep::config
