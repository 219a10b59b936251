// Fuzzes the expression compiler and interpreter (sweep/expression.cc):
// any text compiles or is refused, and what compiles evaluates. Names
// resolve to numbered slots; a name starting with 's' is a string.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "astrasweep/sweep/expression.h"

namespace {

constexpr int kMaxNames = 16;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace astrasweep::sweep;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  StringTable strings;
  const double a_string = strings.Intern("a");
  std::vector<std::string> names;
  Resolver resolver = [&](const std::string& name) -> astrasweep::Expected<Symbol> {
    if (names.size() >= kMaxNames) return astrasweep::InvalidInput("too many names");
    names.push_back(name);
    return Symbol{.slot = static_cast<int>(names.size() - 1),
                  .type = name.starts_with('s') ? ValueType::kString : ValueType::kNumber};
  };
  auto expression = Expression::Compile(text, resolver, strings);
  if (!expression) return 0;
  std::vector<double> slots(kMaxNames);
  for (std::size_t i = 0; i < names.size(); ++i)
    slots[i] = names[i].starts_with('s') ? a_string : static_cast<double>(i) - 2.5;
  const double value = expression->Evaluate(slots.data());
  if (expression->type() == ValueType::kString) (void)strings.Text(value);
  return 0;
}
