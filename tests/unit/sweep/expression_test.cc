// The expression language of derive and constraints.
#include "astrasweep/sweep/expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <string_view>

namespace astrasweep::sweep {
namespace {

// Names resolve to slots holding these values; strings are interned.
class ExpressionTest : public ::testing::Test {
 protected:
  Expected<double> Eval(const std::string& text) {
    auto e = Compile(text);
    if (!e) return std::unexpected(e.error());
    return e->Evaluate(slots_.data());
  }
  Expected<Expression> Compile(const std::string& text) {
    Resolver resolver = [this](const std::string& name) -> Expected<Symbol> {
      if (name == "model.heads") return Symbol{0, ValueType::kNumber};
      if (name == "parallelism.tp") return Symbol{1, ValueType::kNumber};
      if (name == "gpus") return Symbol{2, ValueType::kNumber};
      if (name == "execution_backend.model") return Symbol{3, ValueType::kString};
      return InvalidInput("unknown key or var '" + name + "'");
    };
    return Expression::Compile(text, resolver, strings_);
  }
  void SetUp() override { slots_ = {96, 8, 64, strings_.Intern("astra")}; }
  StringTable strings_;
  std::vector<double> slots_;
};

TEST_F(ExpressionTest, Arithmetic) {
  EXPECT_EQ(*Eval("1 + 2 * 3"), 7);
  EXPECT_EQ(*Eval("(1 + 2) * 3"), 9);
  EXPECT_EQ(*Eval("7 / 2"), 3.5);
  EXPECT_EQ(*Eval("7 // 2"), 3);
  EXPECT_EQ(*Eval("-7 // 2"), -4) << "floor division rounds down";
  EXPECT_EQ(*Eval("-7 % 3"), 2) << "modulo takes the divisor's sign, as in Python";
  EXPECT_EQ(*Eval("2 ** 10"), 1024);
  EXPECT_EQ(*Eval("2 ** 3 ** 2"), 512) << "power is right-associative";
  EXPECT_EQ(*Eval("-2 ** 2"), -4);
  EXPECT_EQ(*Eval("gpus / (parallelism.tp * 2)"), 4);
}

TEST_F(ExpressionTest, LogicAndComparison) {
  EXPECT_EQ(*Eval("model.heads % parallelism.tp == 0"), 1);
  EXPECT_EQ(*Eval("gpus >= 64 and not parallelism.tp > 8"), 1);
  EXPECT_EQ(*Eval("gpus < 8 or parallelism.tp != 8"), 0);
  EXPECT_EQ(*Eval("gpus < 8 || !(parallelism.tp == 8) && true"), 0);
  EXPECT_EQ(*Eval("execution_backend.model == 'astra'"), 1);
  EXPECT_EQ(*Eval("execution_backend.model != \"analytical\""), 1);
}

TEST_F(ExpressionTest, StringsAreFoundWithoutGrowingTheTable) {
  ASSERT_TRUE(Compile("execution_backend.model == 'analytical'"));
  const std::size_t size = strings_.size();
  EXPECT_EQ(strings_.Find("analytical"), strings_.Intern("analytical"));
  EXPECT_EQ(strings_.Find("hybrid"), std::nullopt) << "a string no expression names";
  EXPECT_EQ(strings_.size(), size) << "Find must not intern";
}

TEST_F(ExpressionTest, Functions) {
  EXPECT_EQ(*Eval("min(gpus, 3, 5)"), 3);
  EXPECT_EQ(*Eval("max(1, parallelism.tp)"), 8);
  EXPECT_EQ(*Eval("log2(gpus)"), 6);
  EXPECT_EQ(*Eval("ceil(7 / 2) + floor(7 / 2)"), 7);
}

TEST_F(ExpressionTest, DivisionByZeroIsNotTrue) {
  EXPECT_TRUE(std::isinf(*Eval("1 / 0")));
  EXPECT_FALSE(Truthy(*Eval("0 / 0"))) << "NaN fails a constraint";
  EXPECT_FALSE(Truthy(*Eval("5 % 0 == 0")));
}

TEST_F(ExpressionTest, ErrorsSayWhereAndWhat) {
  auto e = Eval("model.heads % parallelism.tq == 0");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("unknown key or var 'parallelism.tq'"), std::string::npos)
      << e.error().message();
  e = Eval("1 + * 2");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("column 5"), std::string::npos) << e.error().message();
  e = Eval("execution_backend.model < 'b'");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("only be compared with == and !="), std::string::npos);
  e = Eval("execution_backend.model == 3");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("compares a string with a number"), std::string::npos);
  e = Eval("execution_backend.model and gpus > 1");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("'and' needs numbers"), std::string::npos)
      << e.error().message();
  e = Eval("gpus > 1 || execution_backend.model");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("'||' needs numbers"), std::string::npos)
      << e.error().message();
  e = Eval("sqr(4)");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("unknown function 'sqr'"), std::string::npos);
  EXPECT_FALSE(Eval("(1 + 2"));
  EXPECT_FALSE(Eval("1 2"));
  EXPECT_FALSE(Eval("'open"));
}

// Issue 14, bug 3: each of these crashed the compiler (its recursion
// overflowed the stack). Now a nesting bound refuses them at the operator
// that goes one level too deep.
std::string Repeat(std::string_view piece, int times) {
  std::string text;
  for (int i = 0; i < times; ++i) text += piece;
  return text;
}

TEST_F(ExpressionTest, DeepNestingIsRefusedNotACrash) {
  struct Case {
    std::string text;
    std::string column;
  };
  const Case cases[] = {
      {Repeat("(", 100'000) + "1" + Repeat(")", 100'000), "at column 257:"},
      {Repeat("-", 200'000) + "1", "at column 257:"},
      {Repeat("not ", 100'000) + "true", "at column 1025:"},
  };
  for (const Case& c : cases) {
    auto e = Compile(c.text);
    ASSERT_FALSE(e) << c.text.substr(0, 8) << "... compiled";
    const std::string message = e.error().message();
    EXPECT_NE(message.find(c.column), std::string::npos) << message;
    EXPECT_NE(message.find("nests more than 256 levels"), std::string::npos) << message;
    EXPECT_LT(message.size(), 400u) << "the error quotes only the part around the column";
  }
}

TEST_F(ExpressionTest, NestingUpToTheBoundCompiles) {
  EXPECT_EQ(*Eval(Repeat("(", 256) + "1" + Repeat(")", 256)), 1);
  EXPECT_EQ(*Eval(Repeat("-", 256) + "1"), 1);
  EXPECT_EQ(*Eval(Repeat("not ", 256) + "true"), 1);
  EXPECT_EQ(*Eval(Repeat("1 ** ", 50) + "2"), 1) << "(the value stack bounds a chain of powers)";
}

TEST_F(ExpressionTest, ReportsTheSlotsRead) {
  auto e = Compile("gpus / (parallelism.tp * parallelism.tp)");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->slots(), (std::vector<int>{2, 1}));
}

}  // namespace
}  // namespace astrasweep::sweep
