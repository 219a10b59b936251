// Expressions for `derive` and `constraints`: arithmetic (+ - * / // % **),
// comparisons, and/or/not, min/max/log2 and a few more functions, numbers,
// 'strings', key paths (model.heads, network.1.npus) and vars.
//
// An expression is compiled once to bytecode over numbered slots; the
// caller owns the slot values and re-evaluates cheaply at every point. Every
// value is a double: booleans are 0/1, and strings are interned ids that
// only == and != may compare. Types are checked at compile time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "astrasweep/base/error.h"

namespace astrasweep::sweep {

enum class ValueType { kNumber, kString };

// What a name in an expression refers to.
struct Symbol {
  int slot = 0;
  ValueType type = ValueType::kNumber;
};

// Called for each distinct name; returns its symbol or an error that says
// what is wrong with the name (the compiler adds the expression).
using Resolver = std::function<Expected<Symbol>(const std::string& name)>;

// Strings in expressions become ids; equal strings get equal ids.
class StringTable {
 public:
  double Intern(const std::string& text);
  // The id of a string already interned; nullopt for any other (which
  // equals none of them). For values read in bulk, which must not grow the
  // table.
  std::optional<double> Find(const std::string& text) const;
  const std::string& Text(double id) const;
  std::size_t size() const { return texts_.size(); }

 private:
  std::unordered_map<std::string, int> ids_;
  std::vector<std::string> texts_;
};

class Expression {
 public:
  static Expected<Expression> Compile(std::string_view text, const Resolver& resolver,
                                      StringTable& strings);

  double Evaluate(const double* slots) const;
  ValueType type() const { return type_; }
  const std::string& text() const { return text_; }
  // The distinct slots the expression reads.
  const std::vector<int>& slots() const { return slots_; }

  enum class Op : std::uint8_t;
  struct Instruction {
    Op op;
    int arg;       // slot, function id or argument count
    double value;  // constants
  };

 private:
  friend class ExpressionCompiler;
  std::string text_;
  std::vector<Instruction> code_;
  std::vector<int> slots_;
  ValueType type_ = ValueType::kNumber;
};

// Truth of a value: non-zero and not NaN.
inline bool Truthy(double v) { return v != 0 && v == v; }

}  // namespace astrasweep::sweep
