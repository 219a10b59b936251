// The table of result fields: every row well formed, each read from the
// member its name says, typed and shown as its unit says.
#include "astrasweep/exec/result_fields.h"

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <set>

namespace astrasweep::exec {
namespace {

TEST(ResultFields, NamesAreUniqueSnakeCaseWithALabelAndAMeaning) {
  std::set<std::string_view> names;
  for (const ResultField& field : ResultFields()) {
    EXPECT_TRUE(names.insert(field.name).second) << "duplicate field " << field.name;
    for (char c : field.name)
      EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || c == '_' ||
                  std::isdigit(static_cast<unsigned char>(c)))
          << field.name << " is not a snake_case column name";
    EXPECT_FALSE(field.label.empty()) << field.name << " has no label";
    EXPECT_FALSE(field.meaning.empty()) << field.name << " has no meaning";
    EXPECT_NE(field.read, nullptr) << field.name << " cannot be read";
    ASSERT_TRUE(FindResultField(field.name)) << field.name;
    EXPECT_EQ(ResultFields()[*FindResultField(field.name)].name, field.name);
  }
  EXPECT_FALSE(FindResultField("no_such_field"));
}

TEST(ResultFields, EachReadsTheOutcomeMemberItNames) {
  PointOutcome o;
  Metrics& m = o.metrics;
  // Distinct values, so a row reading the wrong member shows.
  const std::map<std::string_view, double> expected = {
      {"step_time_s", 1.5},   {"tokens_per_s", 2.5},   {"model_tflops_per_gpu", 3.5},
      {"mfu", 0.45},          {"compute_s", 5.5},      {"tp_comm_s", 6.5},
      {"pp_comm_s", 7.5},     {"dp_comm_s", 8.5},      {"exposed_comm_s", 9.5},
      {"bubble_s", 10.5},     {"peak_mem_bytes", 11.5}, {"fits_memory", 1},
      {"sim_runs", 13},       {"cache_hits", 14},       {"cache_misses", 15}};
  m.step_time_s = 1.5;
  m.tokens_per_s = 2.5;
  m.model_tflops_per_gpu = 3.5;
  m.mfu = 0.45;
  m.compute_s = 5.5;
  m.tp_comm_s = 6.5;
  m.pp_comm_s = 7.5;
  m.dp_comm_s = 8.5;
  m.exposed_comm_s = 9.5;
  m.bubble_s = 10.5;
  m.peak_mem_bytes = 11.5;
  m.fits_memory = true;
  o.sim_runs = 13;
  o.cache_hits = 14;
  o.cache_misses = 15;
  ASSERT_EQ(ResultFields().size(), expected.size()) << "a field without a test value here";
  for (const ResultField& field : ResultFields()) {
    ASSERT_TRUE(expected.contains(field.name)) << field.name << " has no test value here";
    EXPECT_DOUBLE_EQ(field.read(o), expected.at(field.name)) << field.name;
  }
}

TEST(ResultFields, TypedAndShownByUnit) {
  auto field = [](std::string_view name) { return ResultFields()[*FindResultField(name)]; };
  EXPECT_EQ(TypeOf(field("fits_memory").unit), FieldType::kFlag);
  EXPECT_EQ(TypeOf(field("sim_runs").unit), FieldType::kInteger);
  EXPECT_EQ(TypeOf(field("step_time_s").unit), FieldType::kReal);
  EXPECT_EQ(FormatFieldValue(field("mfu"), 0.4875), "48.8%");
  EXPECT_EQ(FormatFieldValue(field("fits_memory"), 1), "yes");
  EXPECT_EQ(FormatFieldValue(field("fits_memory"), 0), "no");
  EXPECT_EQ(FormatFieldValue(field("peak_mem_bytes"), 80.0 * (1 << 30)), "80 GiB");
  EXPECT_EQ(FormatFieldValue(field("tokens_per_s"), 217417.4), "217417 tokens/s");
  EXPECT_EQ(FormatFieldValue(field("cache_hits"), 3), "3");
  EXPECT_EQ(FormatFieldValue(field("compute_s"), 0.0015), "1.5 ms");
}

}  // namespace
}  // namespace astrasweep::exec
