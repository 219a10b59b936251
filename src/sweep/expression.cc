// Lexer, recursive-descent compiler and stack interpreter for expressions.
// Grammar, loosest first:
//   or:   and ('or' | '||') and ...
//   and:  not ('and' | '&&') not ...
//   not:  ('not' | '!') not | cmp
//   cmp:  sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?
//   sum:  term (('+' | '-') term)...
//   term: unary (('*' | '/' | '//' | '%') unary)...
//   unary: '-' unary | power
//   power: atom (('**' | '^') unary)?
//   atom: number | 'string' | "string" | true | false | name | name(args) | (or)
// The rules that recur on themselves ('(', 'not', '-', '+', '**' and a
// call's arguments) go at most kMaxNesting levels deep: the compiler recurs
// on the thread's stack, and a long enough chain of them would overflow it.
#include "astrasweep/sweep/expression.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

namespace astrasweep::sweep {

enum class Expression::Op : std::uint8_t {
  kConst,
  kLoad,
  kNeg,
  kNot,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kFloorDiv,
  kMod,
  kPow,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kCall1,
  kMin,
  kMax,
};

namespace {

using Op = Expression::Op;

constexpr int kMaxStack = 64;
// About 13 frames per level: well within a thread's stack, even under
// AddressSanitizer, and far beyond any expression a person writes.
constexpr int kMaxNesting = 256;

struct Function {
  std::string_view name;
  double (*fn)(double);
};
constexpr std::array kFunctions = {
    Function{"log2", [](double x) { return std::log2(x); }},
    Function{"log", [](double x) { return std::log(x); }},
    Function{"log10", [](double x) { return std::log10(x); }},
    Function{"exp", [](double x) { return std::exp(x); }},
    Function{"sqrt", [](double x) { return std::sqrt(x); }},
    Function{"abs", [](double x) { return std::fabs(x); }},
    Function{"floor", [](double x) { return std::floor(x); }},
    Function{"ceil", [](double x) { return std::ceil(x); }},
    Function{"round", [](double x) { return std::round(x); }},
};

// Python's modulo: the result has the sign of the divisor.
double Mod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

enum class Tok { kEnd, kNumber, kString, kName, kOp, kLParen, kRParen, kComma };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  double number = 0;
  std::size_t pos = 0;
};

}  // namespace

double StringTable::Intern(const std::string& text) {
  auto [it, inserted] = ids_.emplace(text, static_cast<int>(texts_.size()));
  if (inserted) texts_.push_back(text);
  return it->second;
}

std::optional<double> StringTable::Find(const std::string& text) const {
  auto it = ids_.find(text);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

const std::string& StringTable::Text(double id) const {
  static const std::string unknown = "?";
  auto i = static_cast<std::size_t>(id);
  return i < texts_.size() ? texts_[i] : unknown;
}

class ExpressionCompiler {
 public:
  ExpressionCompiler(std::string_view text, const Resolver& resolver, StringTable& strings)
      : text_(text), resolver_(resolver), strings_(strings) {}

  Expected<Expression> Run() {
    out_.text_ = std::string(text_);
    ASTRASWEEP_RETURN_IF_ERROR(Next());
    ASTRASWEEP_ASSIGN_OR_RETURN(ValueType type, Or());
    if (tok_.kind != Tok::kEnd) return Fail("unexpected '" + tok_.text + "'");
    if (max_depth_ > kMaxStack) return Fail("the expression nests too deeply");
    out_.type_ = type;
    return std::move(out_);
  }

 private:
  std::unexpected<Error> Fail(const std::string& why) const { return FailAt(tok_.pos, why); }
  std::unexpected<Error> FailAt(std::size_t pos, const std::string& why) const {
    return InvalidInput("in '" + Excerpt(pos) + "' at column " + std::to_string(pos + 1) + ": " +
                        why);
  }
  // The expression, or for a long one the part around `pos`: an error
  // about a 100,000-character expression should not repeat all of it.
  std::string Excerpt(std::size_t pos) const {
    constexpr std::size_t kShown = 120, kAround = 50;
    if (text_.size() <= kShown) return std::string(text_);
    const std::size_t from = pos > kAround ? pos - kAround : 0;
    const std::size_t to = std::min(text_.size(), pos + kAround);
    return (from > 0 ? "..." : "") + std::string(text_.substr(from, to - from)) +
           (to < text_.size() ? "..." : "");
  }

  // Reads the next token into tok_.
  Status Next() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    tok_ = Token{.pos = pos_};
    if (pos_ >= text_.size()) return Ok();
    const char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && pos_ + 1 < text_.size() &&
         std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))))
      return LexNumber();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return LexName();
    if (c == '\'' || c == '"') return LexString(c);
    return LexOperator(c);
  }

  Status LexNumber() {
    auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), tok_.number);
    if (ec != std::errc()) return Fail("bad number");
    std::size_t len = static_cast<std::size_t>(end - (text_.data() + pos_));
    tok_.kind = Tok::kNumber;
    tok_.text = std::string(text_.substr(pos_, len));
    pos_ += len;
    return Ok();
  }

  // Names are dotted key paths; list items by number: network.1.npus.
  Status LexName() {
    std::size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '_' || text_[pos_] == '.'))
      ++pos_;
    tok_.kind = Tok::kName;
    tok_.text = std::string(text_.substr(start, pos_ - start));
    if (tok_.text.back() == '.') return Fail("a name cannot end with '.'");
    return Ok();
  }

  Status LexString(char quote) {
    std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) return Fail("unterminated string");
    tok_.kind = Tok::kString;
    tok_.text = std::string(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return Ok();
  }

  Status LexOperator(char c) {
    static constexpr std::string_view kTwo[] = {"//", "**", "==", "!=", "<=", ">=", "&&", "||"};
    for (auto op : kTwo) {
      if (text_.substr(pos_, 2) == op) {
        tok_.kind = Tok::kOp;
        tok_.text = std::string(op);
        pos_ += 2;
        return Ok();
      }
    }
    ++pos_;
    tok_.text = std::string(1, c);
    switch (c) {
      case '(': tok_.kind = Tok::kLParen; return Ok();
      case ')': tok_.kind = Tok::kRParen; return Ok();
      case ',': tok_.kind = Tok::kComma; return Ok();
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
      case '<':
      case '>':
      case '!':
      case '^': tok_.kind = Tok::kOp; return Ok();
      default: return Fail(std::string("unexpected character '") + c + "'");
    }
  }

  // Parses one rule a level deeper, refusing to go past kMaxNesting; `at`
  // is where the operator that opens the level starts.
  Expected<ValueType> Nested(Expected<ValueType> (ExpressionCompiler::*rule)(), std::size_t at) {
    if (nesting_ == kMaxNesting)
      return FailAt(at, "the expression nests more than " + std::to_string(kMaxNesting) +
                            " levels deep (parentheses, 'not', signs, '**' and calls count)");
    ++nesting_;
    auto type = (this->*rule)();
    --nesting_;
    return type;
  }

  bool IsOp(std::string_view op) const { return tok_.kind == Tok::kOp && tok_.text == op; }
  bool IsWord(std::string_view word) const { return tok_.kind == Tok::kName && tok_.text == word; }

  void Emit(Op op, int arg = 0, double value = 0) {
    out_.code_.push_back({op, arg, value});
    switch (op) {
      case Op::kConst:
      case Op::kLoad: ++depth_; break;
      case Op::kNeg:
      case Op::kNot:
      case Op::kCall1: break;
      case Op::kMin:
      case Op::kMax: depth_ -= arg - 1; break;
      default: --depth_; break;
    }
    max_depth_ = std::max(max_depth_, depth_);
  }

  Status Expect(ValueType got, ValueType want, const std::string& what) {
    if (got == want) return Ok();
    return Fail(what + " needs " + (want == ValueType::kNumber ? "numbers" : "strings") + ", not " +
                (got == ValueType::kNumber ? "a number" : "a string"));
  }

  Expected<ValueType> Or() {
    static constexpr std::pair<std::string_view, Op> kOps[] = {{"or", Op::kOr}, {"||", Op::kOr}};
    return Binary(kOps, &ExpressionCompiler::And);
  }

  Expected<ValueType> And() {
    static constexpr std::pair<std::string_view, Op> kOps[] = {{"and", Op::kAnd}, {"&&", Op::kAnd}};
    return Binary(kOps, &ExpressionCompiler::Not);
  }

  Expected<ValueType> Not() {
    if (IsWord("not") || IsOp("!")) {
      const std::size_t at = tok_.pos;
      ASTRASWEEP_RETURN_IF_ERROR(Next());
      ASTRASWEEP_ASSIGN_OR_RETURN(ValueType t, Nested(&ExpressionCompiler::Not, at));
      ASTRASWEEP_RETURN_IF_ERROR(Expect(t, ValueType::kNumber, "'not'"));
      Emit(Op::kNot);
      return ValueType::kNumber;
    }
    return Comparison();
  }

  Expected<ValueType> Comparison() {
    ASTRASWEEP_ASSIGN_OR_RETURN(ValueType left, Sum());
    static constexpr std::pair<std::string_view, Op> kOps[] = {{"==", Op::kEq}, {"!=", Op::kNe},
                                                               {"<", Op::kLt},  {"<=", Op::kLe},
                                                               {">", Op::kGt},  {">=", Op::kGe}};
    for (auto [name, op] : kOps) {
      if (!IsOp(name)) continue;
      ASTRASWEEP_RETURN_IF_ERROR(Next());
      ASTRASWEEP_ASSIGN_OR_RETURN(ValueType right, Sum());
      if (left != right) return Fail("'" + std::string(name) + "' compares a string with a number");
      if (left == ValueType::kString && op != Op::kEq && op != Op::kNe)
        return Fail("strings can only be compared with == and !=");
      Emit(op);
      return ValueType::kNumber;
    }
    return left;
  }

  template <std::size_t N>
  Expected<ValueType> Binary(const std::pair<std::string_view, Op> (&ops)[N],
                             Expected<ValueType> (ExpressionCompiler::*operand)()) {
    ASTRASWEEP_ASSIGN_OR_RETURN(ValueType left, (this->*operand)());
    while (true) {
      const std::pair<std::string_view, Op>* found = nullptr;
      for (const auto& op : ops)
        if (IsOp(op.first) || IsWord(op.first)) found = &op;
      if (found == nullptr) return left;
      ASTRASWEEP_RETURN_IF_ERROR(Next());
      ASTRASWEEP_RETURN_IF_ERROR(
          Expect(left, ValueType::kNumber, "'" + std::string(found->first) + "'"));
      ASTRASWEEP_ASSIGN_OR_RETURN(ValueType right, (this->*operand)());
      ASTRASWEEP_RETURN_IF_ERROR(
          Expect(right, ValueType::kNumber, "'" + std::string(found->first) + "'"));
      Emit(found->second);
    }
  }

  Expected<ValueType> Sum() {
    static constexpr std::pair<std::string_view, Op> kOps[] = {{"+", Op::kAdd}, {"-", Op::kSub}};
    return Binary(kOps, &ExpressionCompiler::Term);
  }

  Expected<ValueType> Term() {
    static constexpr std::pair<std::string_view, Op> kOps[] = {
        {"*", Op::kMul}, {"/", Op::kDiv}, {"//", Op::kFloorDiv}, {"%", Op::kMod}};
    return Binary(kOps, &ExpressionCompiler::Unary);
  }

  Expected<ValueType> Unary() {
    const std::size_t at = tok_.pos;
    if (IsOp("-")) {
      ASTRASWEEP_RETURN_IF_ERROR(Next());
      ASTRASWEEP_ASSIGN_OR_RETURN(ValueType t, Nested(&ExpressionCompiler::Unary, at));
      ASTRASWEEP_RETURN_IF_ERROR(Expect(t, ValueType::kNumber, "'-'"));
      Emit(Op::kNeg);
      return ValueType::kNumber;
    }
    if (IsOp("+")) {
      ASTRASWEEP_RETURN_IF_ERROR(Next());
      return Nested(&ExpressionCompiler::Unary, at);
    }
    return Power();
  }

  Expected<ValueType> Power() {
    ASTRASWEEP_ASSIGN_OR_RETURN(ValueType base, Atom());
    if (!IsOp("**") && !IsOp("^")) return base;
    const std::size_t at = tok_.pos;
    ASTRASWEEP_RETURN_IF_ERROR(Next());
    ASTRASWEEP_RETURN_IF_ERROR(Expect(base, ValueType::kNumber, "'**'"));
    ASTRASWEEP_ASSIGN_OR_RETURN(ValueType exponent, Nested(&ExpressionCompiler::Unary, at));
    ASTRASWEEP_RETURN_IF_ERROR(Expect(exponent, ValueType::kNumber, "'**'"));
    Emit(Op::kPow);
    return ValueType::kNumber;
  }

  Expected<ValueType> Call(const std::string& name) {
    ASTRASWEEP_RETURN_IF_ERROR(Next());  // '('
    int args = 0;
    if (tok_.kind != Tok::kRParen) {
      while (true) {
        ASTRASWEEP_ASSIGN_OR_RETURN(ValueType t, Nested(&ExpressionCompiler::Or, tok_.pos));
        ASTRASWEEP_RETURN_IF_ERROR(Expect(t, ValueType::kNumber, name + "()"));
        ++args;
        if (tok_.kind != Tok::kComma) break;
        ASTRASWEEP_RETURN_IF_ERROR(Next());
      }
    }
    if (tok_.kind != Tok::kRParen) return Fail("expected ')' after the arguments of " + name);
    ASTRASWEEP_RETURN_IF_ERROR(Next());
    if (name == "min" || name == "max") {
      if (args < 1) return Fail(name + "() needs at least one argument");
      Emit(name == "min" ? Op::kMin : Op::kMax, args);
      return ValueType::kNumber;
    }
    for (std::size_t i = 0; i < kFunctions.size(); ++i) {
      if (kFunctions[i].name != name) continue;
      if (args != 1) return Fail(name + "() takes one argument");
      Emit(Op::kCall1, static_cast<int>(i));
      return ValueType::kNumber;
    }
    return Fail("unknown function '" + name +
                "' (known: min, max, log2, log, log10, exp, sqrt, abs, "
                "floor, ceil, round)");
  }

  Expected<ValueType> Atom() {
    if (tok_.kind == Tok::kNumber) {
      Emit(Op::kConst, 0, tok_.number);
      ASTRASWEEP_RETURN_IF_ERROR(Next());
      return ValueType::kNumber;
    }
    if (tok_.kind == Tok::kString) {
      Emit(Op::kConst, 0, strings_.Intern(tok_.text));
      ASTRASWEEP_RETURN_IF_ERROR(Next());
      return ValueType::kString;
    }
    if (tok_.kind == Tok::kLParen) {
      const std::size_t at = tok_.pos;
      ASTRASWEEP_RETURN_IF_ERROR(Next());
      ASTRASWEEP_ASSIGN_OR_RETURN(ValueType t, Nested(&ExpressionCompiler::Or, at));
      if (tok_.kind != Tok::kRParen) return Fail("expected ')'");
      ASTRASWEEP_RETURN_IF_ERROR(Next());
      return t;
    }
    if (tok_.kind != Tok::kName) {
      return Fail(tok_.kind == Tok::kEnd ? "the expression ends too early"
                                         : "unexpected '" + tok_.text + "'");
    }
    std::string name = tok_.text;
    ASTRASWEEP_RETURN_IF_ERROR(Next());
    if (tok_.kind == Tok::kLParen) return Call(name);
    if (name == "true" || name == "false") {
      Emit(Op::kConst, 0, name == "true" ? 1.0 : 0.0);
      return ValueType::kNumber;
    }
    auto symbol = resolver_(name);
    if (!symbol) {
      return InvalidInput("in '" + std::string(text_) + "': " + symbol.error().message());
    }
    Emit(Op::kLoad, symbol->slot);
    if (std::find(out_.slots_.begin(), out_.slots_.end(), symbol->slot) == out_.slots_.end())
      out_.slots_.push_back(symbol->slot);
    return symbol->type;
  }

  std::string_view text_;
  const Resolver& resolver_;
  StringTable& strings_;
  std::size_t pos_ = 0;
  Token tok_;
  Expression out_;
  int depth_ = 0;
  int max_depth_ = 0;
  int nesting_ = 0;  // rules entered through Nested
};

Expected<Expression> Expression::Compile(std::string_view text, const Resolver& resolver,
                                         StringTable& strings) {
  return ExpressionCompiler(text, resolver, strings).Run();
}

double Expression::Evaluate(const double* slots) const {
  double stack[kMaxStack + 1];
  int top = -1;
  for (const Instruction& in : code_) {
    switch (in.op) {
      case Op::kConst: stack[++top] = in.value; break;
      case Op::kLoad: stack[++top] = slots[in.arg]; break;
      case Op::kNeg: stack[top] = -stack[top]; break;
      case Op::kNot: stack[top] = Truthy(stack[top]) ? 0.0 : 1.0; break;
      case Op::kCall1:
        stack[top] = kFunctions[static_cast<std::size_t>(in.arg)].fn(stack[top]);
        break;
      case Op::kMin:
      case Op::kMax: {
        double v = stack[top - in.arg + 1];
        for (int i = top - in.arg + 2; i <= top; ++i)
          v = in.op == Op::kMin ? std::min(v, stack[i]) : std::max(v, stack[i]);
        top -= in.arg - 1;
        stack[top] = v;
        break;
      }
      default: {
        const double b = stack[top--];
        double& a = stack[top];
        switch (in.op) {
          case Op::kAdd: a = a + b; break;
          case Op::kSub: a = a - b; break;
          case Op::kMul: a = a * b; break;
          case Op::kDiv: a = a / b; break;
          case Op::kFloorDiv: a = std::floor(a / b); break;
          case Op::kMod: a = Mod(a, b); break;
          case Op::kPow: a = std::pow(a, b); break;
          case Op::kEq: a = a == b; break;
          case Op::kNe: a = a != b; break;
          case Op::kLt: a = a < b; break;
          case Op::kLe: a = a <= b; break;
          case Op::kGt: a = a > b; break;
          case Op::kGe: a = a >= b; break;
          case Op::kAnd: a = Truthy(a) && Truthy(b); break;
          case Op::kOr: a = Truthy(a) || Truthy(b); break;
          default: break;
        }
      }
    }
  }
  return stack[0];
}

}  // namespace astrasweep::sweep
