// The expression language: C's operators with C's precedence, evaluated while parsing (values
// are lazy — an lvalue is an address until something needs its bytes — so `&x`, `sizeof x` and
// `p && p->x` read no more than gdb would). gdb's additions: $registers, $history, `a@n`.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "impl.h"

namespace corekit::eval {
namespace {

enum class Tok { kEnd, kNumber, kFloat, kChar, kString, kName, kDollar, kPunct };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;       // names, punctuators, the literal as written
  std::uint64_t number = 0;
  double real = 0;
  bool is_unsigned = false;
  int longs = 0;          // 'l' suffixes
  std::size_t at = 0;     // offset in the expression, for "near `...'"
};

constexpr int kMaxNesting = 200;  // parentheses and unary operators: no stack exhaustion

const char* const kPuncts[] = {"->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "::", "(", ")", "[", "]", ".",
                               "*",  "&",  "+",  "-",  "/",  "%",  "!",  "~",  "<",  ">",  "^", "|", "?", ":", ",", "@", "="};

bool IsBaseKeyword(const std::string& s) {
  static const char* const kWords[] = {"unsigned", "signed", "int", "char", "short", "long", "float", "double", "void", "_Bool", "bool"};
  for (const char* w : kWords) {
    if (s == w) return true;
  }
  return false;
}

bool StartsType(const std::string& s) {
  return IsBaseKeyword(s) || s == "struct" || s == "union" || s == "enum" || s == "class" || s == "const" || s == "volatile";
}

class Parser {
 public:
  Parser(Evaluator::Impl& impl, std::string_view text) : impl_(impl), text_(text) {}

  Result<Value> Whole() {
    if (auto lexed = Lex(); !lexed) return Unexpected(lexed.error());
    if (Peek().kind == Tok::kEnd) return EvalError("Argument required (expression to compute).");
    auto v = Expression();
    if (!v) return v;
    if (Peek().kind != Tok::kEnd) return Syntax();
    return v;
  }

  Result<const Type*> WholeType() {
    if (auto lexed = Lex(); !lexed) return Unexpected(lexed.error());
    auto t = TypeName();
    if (!t) return t;
    if (!*t || Peek().kind != Tok::kEnd) return EvalError("not a type");
    return t;
  }

 private:
  // ---- lexing ----
  Result<void> Lex() {
    std::size_t i = 0;
    const std::string_view s = text_;
    while (i < s.size()) {
      const char c = s[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token t;
      t.at = i;
      if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
        std::size_t j = i;
        bool real = false;
        if (c == '0' && j + 1 < s.size() && (s[j + 1] == 'x' || s[j + 1] == 'X')) {
          j += 2;
          while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
        } else {
          while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' ||
                                  ((s[j] == 'e' || s[j] == 'E') && j + 1 < s.size()))) {
            if (s[j] == '.' || s[j] == 'e' || s[j] == 'E') real = true;
            if ((s[j] == 'e' || s[j] == 'E') && (s[j + 1] == '-' || s[j + 1] == '+')) ++j;
            ++j;
          }
        }
        const std::string literal(s.substr(i, j - i));
        errno = 0;
        if (real) {
          t.kind = Tok::kFloat;
          t.real = std::strtod(literal.c_str(), nullptr);
          if (j < s.size() && (s[j] == 'f' || s[j] == 'F')) ++j;
        } else {
          t.kind = Tok::kNumber;
          char* end = nullptr;
          const int base = literal.size() > 1 && literal[0] == '0' && std::isdigit(static_cast<unsigned char>(literal[1])) ? 8 : 0;
          t.number = std::strtoull(literal.c_str(), &end, base);
          if (errno == ERANGE || *end) return EvalError("Invalid number \"" + literal + "\".");
          while (j < s.size() && (s[j] == 'u' || s[j] == 'U' || s[j] == 'l' || s[j] == 'L')) {
            if (s[j] == 'u' || s[j] == 'U') t.is_unsigned = true;
            else ++t.longs;
            ++j;
          }
        }
        if (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) {
          return EvalError("Invalid number \"" + std::string(s.substr(i, j + 1 - i)) + "\".");
        }
        t.text = std::string(s.substr(i, j - i));
        i = j;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        std::size_t j = i;
        // A name, with C++ qualifiers: ns::Class::member.
        while (j < s.size()) {
          if (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_') {
            ++j;
          } else if (s.substr(j, 2) == "::" && j + 2 < s.size() && (std::isalpha(static_cast<unsigned char>(s[j + 2])) || s[j + 2] == '_')) {
            j += 2;
          } else {
            break;
          }
        }
        t.kind = Tok::kName;
        t.text = std::string(s.substr(i, j - i));
        i = j;
      } else if (c == '$') {
        std::size_t j = i + 1;
        while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '$')) ++j;
        t.kind = Tok::kDollar;
        t.text = std::string(s.substr(i, j - i));
        i = j;
      } else if (c == '\'') {
        std::size_t j = i + 1;
        auto ch = Escape(s, j);
        if (!ch || j >= s.size() || s[j] != '\'') return EvalError("Unmatched single quote.");
        t.kind = Tok::kChar;
        t.number = *ch;
        t.text = std::string(s.substr(i, j + 1 - i));
        i = j + 1;
      } else if (c == '"') {
        std::size_t j = i + 1;
        std::string value;
        while (j < s.size() && s[j] != '"') {
          auto ch = Escape(s, j);
          if (!ch) return EvalError("Unterminated string in expression.");
          value += static_cast<char>(*ch);
        }
        if (j >= s.size()) return EvalError("Unterminated string in expression.");
        t.kind = Tok::kString;
        t.text = value;
        i = j + 1;
      } else {
        bool matched = false;
        for (const char* p : kPuncts) {
          const std::size_t n = std::strlen(p);
          if (s.substr(i, n) == p) {
            t.kind = Tok::kPunct;
            t.text = p;
            i += n;
            matched = true;
            break;
          }
        }
        if (!matched) return EvalError(fmt::format("Invalid character '{}' in expression.", c));
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.at = s.size();
    tokens_.push_back(end);
    return {};
  }

  // One character of a char or string literal at s[j], escapes decoded; j moves past it.
  static std::optional<unsigned> Escape(std::string_view s, std::size_t& j) {
    if (j >= s.size()) return std::nullopt;
    if (s[j] != '\\') return static_cast<unsigned char>(s[j++]);
    if (++j >= s.size()) return std::nullopt;
    const char e = s[j++];
    switch (e) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'a': return '\a';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case 'e': return 27;
      case 'x': {
        unsigned v = 0;
        int n = 0;
        while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j])) && n < 2) {
          v = v * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(s[j])) ? s[j] - '0' : (std::tolower(s[j]) - 'a' + 10));
          ++j;
          ++n;
        }
        return v;
      }
      default:
        if (e >= '0' && e <= '7') {
          unsigned v = static_cast<unsigned>(e - '0');
          for (int n = 0; n < 2 && j < s.size() && s[j] >= '0' && s[j] <= '7'; ++n) v = v * 8 + static_cast<unsigned>(s[j++] - '0');
          return v & 0xff;
        }
        return static_cast<unsigned char>(e);
    }
  }

  const Token& Peek(std::size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  bool IsPunct(const char* p, std::size_t ahead = 0) const { return Peek(ahead).kind == Tok::kPunct && Peek(ahead).text == p; }
  bool Accept(const char* p) {
    if (!IsPunct(p)) return false;
    ++pos_;
    return true;
  }
  Unexpected Syntax() const {
    return EvalError("A syntax error in expression, near `" + std::string(text_.substr(std::min(Peek().at, text_.size()))) + "'.");
  }

  // ---- types ----
  // A type name at the current token, or nullptr (nothing consumed) when there is none.
  Result<const Type*> TypeName() {
    const std::size_t start = pos_;
    bool is_const = false, is_volatile = false;
    auto qualifiers = [&] {
      while (Peek().kind == Tok::kName && (Peek().text == "const" || Peek().text == "volatile")) {
        (Peek().text == "const" ? is_const : is_volatile) = true;
        ++pos_;
      }
    };
    qualifiers();
    const Type* base = nullptr;
    if (Peek().kind != Tok::kName) {
      pos_ = start;
      return static_cast<const Type*>(nullptr);
    }
    const std::string word = Peek().text;
    if (word == "struct" || word == "union" || word == "enum" || word == "class") {
      ++pos_;
      if (Peek().kind != Tok::kName) return Syntax();
      const std::string name = Peek().text;
      ++pos_;
      auto found = impl_.NamedType(word, name);
      if (!found) return EvalError("No " + word + " type named " + name + ".");
      base = *found;
    } else if (IsBaseKeyword(word)) {
      int longs = 0, shorts = 0;
      bool is_unsigned = false, is_signed = false;
      std::string core;
      while (Peek().kind == Tok::kName && (IsBaseKeyword(Peek().text) || Peek().text == "const" || Peek().text == "volatile")) {
        const std::string w = Peek().text;
        ++pos_;
        if (w == "const") is_const = true;
        else if (w == "volatile") is_volatile = true;
        else if (w == "long") ++longs;
        else if (w == "short") ++shorts;
        else if (w == "unsigned") is_unsigned = true;
        else if (w == "signed") is_signed = true;
        else if (w != "int" || core.empty()) core = w == "int" ? "" : w;
      }
      std::string spelling;
      if (core == "char") spelling = is_unsigned ? "unsigned char" : is_signed ? "signed char" : "char";
      else if (core == "double") spelling = longs ? "long double" : "double";
      else if (!core.empty()) spelling = core;  // void, float, bool, _Bool
      else if (shorts) spelling = is_unsigned ? "unsigned short" : "short";
      else if (longs >= 2) spelling = is_unsigned ? "unsigned long long" : "long long";
      else if (longs == 1) spelling = is_unsigned ? "unsigned long" : "long";
      else spelling = is_unsigned ? "unsigned int" : "int";
      base = impl_.types.Base(spelling);
    } else {
      // A typedef or (C++) class name — but only if no variable of that name is in scope.
      auto found = impl_.NamedType("", word);
      if (!found) {
        pos_ = start;
        return static_cast<const Type*>(nullptr);
      }
      base = *found;
      ++pos_;
    }
    qualifiers();
    if (is_volatile) base = Qualified(base, TypeKind::kVolatile);
    if (is_const) base = Qualified(base, TypeKind::kConst);
    // Abstract declarator: pointers (each maybe const), a reference, array bounds.
    while (true) {
      if (Accept("*")) {
        base = impl_.types.PointerTo(base);
        while (Peek().kind == Tok::kName && (Peek().text == "const" || Peek().text == "volatile")) {
          base = Qualified(base, Peek().text == "const" ? TypeKind::kConst : TypeKind::kVolatile);
          ++pos_;
        }
      } else if (IsPunct("&") || IsPunct("&&")) {
        Type ref;
        ref.kind = TypeKind::kReference;
        ref.rvalue = Peek().text == "&&";
        ref.size = impl_.types.word_size();
        ref.target = base;
        ++pos_;
        base = impl_.types.Make(std::move(ref));
      } else if (IsPunct("[") && Peek(1).kind == Tok::kNumber && IsPunct("]", 2)) {
        const std::uint64_t count = Peek(1).number;
        pos_ += 3;
        base = impl_.types.ArrayOf(base, count);
      } else {
        break;
      }
    }
    return base;
  }

  const Type* Qualified(const Type* base, TypeKind kind) {
    Type q;
    q.kind = kind;
    q.target = base;
    q.size = base ? base->size : 0;
    return impl_.types.Make(std::move(q));
  }

  // ---- expressions ----
  Result<Value> Expression() {
    if (++depth_ > kMaxNesting) return EvalError("Expression nested too deeply.");
    auto v = Conditional();
    --depth_;
    return v;
  }

  Result<Value> Conditional() {
    auto cond = Binary(0);
    if (!cond || !IsPunct("?")) {
      if (cond && IsPunct("=") ) return Unexpected(Errc::kUnsupported, "Cannot assign: the program is not running (a core is read-only).");
      return cond;
    }
    ++pos_;
    auto yes = Expression();
    if (!yes) return yes;
    if (!Accept(":")) return Syntax();
    auto no = Conditional();
    if (!no) return no;
    auto truth = Truth(*cond);
    if (!truth) return Unexpected(truth.error());
    return *truth ? yes : no;
  }

  // Binary operators by precedence level, lowest first.
  static int Level(const std::string& op) {
    static const std::pair<const char*, int> kLevels[] = {
        {"||", 1}, {"&&", 2}, {"|", 3}, {"^", 4}, {"&", 5}, {"==", 6}, {"!=", 6}, {"<", 7}, {">", 7}, {"<=", 7},
        {">=", 7}, {"<<", 8}, {">>", 8}, {"+", 9}, {"-", 9}, {"*", 10}, {"/", 10}, {"%", 10}, {"@", 11}};
    for (const auto& [name, level] : kLevels) {
      if (op == name) return level;
    }
    return 0;
  }

  Result<Value> Binary(int min_level) {
    auto left = Unary();
    if (!left) return left;
    while (Peek().kind == Tok::kPunct) {
      const std::string op = Peek().text;
      const int level = Level(op);
      if (level == 0 || level <= min_level) break;
      ++pos_;
      auto right = Binary(level);
      if (!right) return right;
      left = Apply(op, *left, *right);
      if (!left) return left;
    }
    return left;
  }

  Result<Value> Unary() {
    if (++depth_ > kMaxNesting) return EvalError("Expression nested too deeply.");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    if (Peek().kind == Tok::kPunct) {
      const std::string op = Peek().text;
      if (op == "-" || op == "+" || op == "!" || op == "~" || op == "*" || op == "&") {
        ++pos_;
        auto operand = Unary();
        if (!operand) return operand;
        if (op == "*") return impl_.Dereference(*operand);
        if (op == "&") return impl_.AddressOf(*operand);
        return ApplyUnary(op, *operand);
      }
      if (op == "(") {
        // A cast: "(type) operand".
        const std::size_t start = pos_;
        ++pos_;
        auto type = TypeName();
        if (!type) return Unexpected(type.error());
        if (*type && Accept(")")) {
          auto operand = Unary();
          if (!operand) return operand;
          return impl_.Cast(*operand, *type);
        }
        pos_ = start;
      }
    }
    if (Peek().kind == Tok::kName && Peek().text == "sizeof") {
      ++pos_;
      const Type* type = nullptr;
      if (IsPunct("(")) {
        const std::size_t start = pos_;
        ++pos_;
        auto named = TypeName();
        if (!named) return Unexpected(named.error());
        if (*named && Accept(")")) {
          type = *named;
        } else {
          pos_ = start;
        }
      }
      if (!type) {
        auto operand = Unary();
        if (!operand) return operand;
        type = operand->type;
      }
      return impl_.Scalar(impl_.types.Base("unsigned long"), Strip(type) ? Strip(type)->size : 0);
    }
    return Postfix();
  }

  Result<Value> Postfix() {
    auto v = Primary();
    while (v) {
      if (Accept("[")) {
        auto index = Expression();
        if (!index) return index;
        if (!Accept("]")) return Syntax();
        auto i = impl_.AsInteger(*index);
        if (!i) return Unexpected(i.error());
        v = impl_.Element(*v, *i);
      } else if (IsPunct(".") || IsPunct("->")) {
        const bool arrow = Peek().text == "->";
        ++pos_;
        if (Peek().kind != Tok::kName) return Syntax();
        const std::string member = Peek().text;
        ++pos_;
        if (arrow) {
          auto target = impl_.Coerced(*v);
          if (!target) return target;
          const Type* t = Strip(target->type);
          // A pointer, or a smart pointer whose operator-> gdb's xmethods follow.
          if (t && (t->kind == TypeKind::kPointer || t->kind == TypeKind::kStruct)) {
            auto pointee = impl_.Dereference(*target);
            if (t->kind == TypeKind::kStruct && !pointee) pointee = *target;  // `s->m` of a plain struct, as gdb allows
            v = pointee;
            if (!v) return v;
          }
        }
        v = impl_.MemberOf(*v, member);
      } else if (IsPunct("(")) {
        return Unexpected(Errc::kUnsupported, "You can't do that without a process to debug.");
      } else {
        break;
      }
    }
    return v;
  }

  Result<Value> Primary() {
    const Token t = Peek();
    switch (t.kind) {
      case Tok::kNumber: {
        ++pos_;
        const bool fits_int = t.number <= 0x7fffffff;
        const bool hex_or_octal = t.text.size() > 1 && t.text[0] == '0';
        std::string type = "int";
        if (t.longs >= 1 || !(fits_int || (hex_or_octal && t.number <= 0xffffffff))) type = "long";
        if (t.longs >= 2) type = "long long";
        bool is_unsigned = t.is_unsigned || (hex_or_octal && !fits_int && t.number <= 0xffffffff && t.longs == 0) ||
                           t.number > 0x7fffffffffffffff;
        return impl_.Scalar(impl_.types.Base(is_unsigned ? (type == "int" ? "unsigned int" : "unsigned " + type) : type), t.number);
      }
      case Tok::kFloat: {
        ++pos_;
        return Real(t.real);
      }
      case Tok::kChar:
        ++pos_;
        return impl_.Scalar(impl_.types.Base("char"), t.number);
      case Tok::kString: {
        ++pos_;
        Value v;
        v.type = impl_.types.ArrayOf(impl_.types.Base("char"), t.text.size() + 1);
        v.bytes.assign(t.text.begin(), t.text.end());
        v.bytes.push_back(0);
        return v;
      }
      case Tok::kDollar:
        ++pos_;
        return Dollar(t.text);
      case Tok::kName: {
        if (StartsType(t.text)) return Syntax();
        ++pos_;
        if (t.text == "true" || t.text == "false") return impl_.Scalar(impl_.types.Base("bool"), t.text == "true");
        return impl_.Lookup(t.text);
      }
      case Tok::kPunct:
        if (t.text == "(") {
          ++pos_;
          auto v = Expression();
          if (!v) return v;
          if (!Accept(")")) return Syntax();
          return v;
        }
        return Syntax();
      default:
        return Syntax();
    }
  }

  Result<Value> Dollar(const std::string& text) {
    auto& history = impl_.history;
    auto nth = [&](std::size_t n) -> Result<Value> {
      if (n == 0 || n > history.size()) {
        if (history.empty()) {
          Value v;
          v.type = impl_.types.Void();
          return v;  // gdb: an empty history is void
        }
        return EvalError(fmt::format("History has not yet reached ${}.", n));
      }
      return history[n - 1];
    };
    if (text == "$") return nth(history.size());
    if (text == "$$") return history.size() >= 2 ? nth(history.size() - 1) : nth(0);
    const bool back = text.rfind("$$", 0) == 0;
    const std::string digits = text.substr(back ? 2 : 1);
    if (!digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      const std::size_t n = std::stoul(digits.substr(0, 9));
      if (back) return n < history.size() ? nth(history.size() - n) : EvalError(fmt::format("History has not yet reached $${}.", n));
      return nth(n);
    }
    if (auto value = impl_.Convenience(text.substr(1))) return *value;
    return impl_.RegisterValue(text.substr(1));
  }

  Value Real(double d) {
    Value v;
    v.type = impl_.types.Base("double");
    v.bytes.resize(8);
    std::memcpy(v.bytes.data(), &d, 8);
    return v;
  }

  Result<bool> Truth(const Value& v) {
    const Type* t = Strip(v.type);
    if (t && t->kind == TypeKind::kFloat) {
      auto d = impl_.AsDouble(v);
      if (!d) return Unexpected(d.error());
      return *d != 0;
    }
    auto i = impl_.AsInteger(v);
    if (!i) return Unexpected(i.error());
    return *i != 0;
  }

  // The type of integer arithmetic on a and b: C's usual conversions, for int-or-wider results.
  const Type* IntegerResult(const Type* a, const Type* b) {
    const std::uint64_t size = std::max<std::uint64_t>({4, a ? a->size : 4, b ? b->size : 4});
    const bool is_unsigned = (a && !a->is_signed && a->size == size && a->kind != TypeKind::kBool) ||
                             (b && !b->is_signed && b->size == size && b->kind != TypeKind::kBool);
    if (size > 4) return impl_.types.Base(is_unsigned ? "unsigned long" : "long");
    return impl_.types.Base(is_unsigned ? "unsigned int" : "int");
  }

  Result<Value> ApplyUnary(const std::string& op, const Value& operand) {
    const Type* t = Strip(operand.type);
    if (op == "!") {
      auto truth = Truth(operand);
      if (!truth) return Unexpected(truth.error());
      return impl_.Scalar(impl_.types.Base("int"), !*truth);
    }
    if (t && t->kind == TypeKind::kFloat && op != "~") {
      auto d = impl_.AsDouble(operand);
      if (!d) return Unexpected(d.error());
      return Real(op == "-" ? -*d : *d);
    }
    if (t && t->kind == TypeKind::kPointer) {
      return EvalError(op == "~" ? "Argument to complement operation not an integer, boolean."
                                 : "Argument to negate operation not a number.");
    }
    auto i = impl_.AsInteger(operand);
    if (!i) return Unexpected(i.error());
    const Type* result = IntegerResult(t, nullptr);
    const auto u = static_cast<std::uint64_t>(*i);
    return impl_.Scalar(result, op == "-" ? -u : op == "~" ? ~u : u);
  }

  Result<Value> Apply(const std::string& op, const Value& left_raw, const Value& right_raw) {
    auto left = impl_.Coerced(left_raw);
    if (!left) return left;
    auto right = impl_.Coerced(right_raw);
    if (!right) return right;
    const Type* a = Strip(left->type);
    const Type* b = Strip(right->type);
    if (op == "@") {
      auto count = impl_.AsInteger(*right);
      if (!count) return Unexpected(count.error());
      if (left->where != Value::Where::kMemory) return EvalError("Only values in memory can be extended with '@'.");
      if (*count <= 0) return EvalError("Non-positive repeat count.");
      return impl_.AtAddress(impl_.types.ArrayOf(left->type, static_cast<std::uint64_t>(*count)), left->address);
    }
    if (op == "&&" || op == "||") {
      auto l = Truth(*left);
      if (!l) return Unexpected(l.error());
      if (op == "&&" && !*l) return impl_.Scalar(impl_.types.Base("int"), 0);
      if (op == "||" && *l) return impl_.Scalar(impl_.types.Base("int"), 1);
      auto r = Truth(*right);
      if (!r) return Unexpected(r.error());
      return impl_.Scalar(impl_.types.Base("int"), *r);
    }
    auto is_pointer = [](const Type* t) { return t && (t->kind == TypeKind::kPointer || t->kind == TypeKind::kArray); };
    const bool pa = is_pointer(a), pb = is_pointer(b);
    // Pointer arithmetic, scaled by the pointee's size.
    if ((op == "+" || op == "-") && (pa || pb)) {
      if (pa && pb && op == "-") {
        if (eval::TypeName(Strip(a->target)) != eval::TypeName(Strip(b->target))) {
          return EvalError("First argument of `-' is a pointer and second argument is neither\nan integer nor a pointer of the same type.");
        }
        auto x = impl_.AsInteger(*left), y = impl_.AsInteger(*right);
        if (!x) return Unexpected(x.error());
        if (!y) return Unexpected(y.error());
        const std::uint64_t size = std::max<std::uint64_t>(1, Strip(a->target) ? Strip(a->target)->size : 1);
        return impl_.Scalar(impl_.types.Base("long"), static_cast<std::uint64_t>((*x - *y) / static_cast<std::int64_t>(size)));
      }
      if (pa && pb) return EvalError("Invalid operation on pointers.");
      const Value& pointer = pa ? *left : *right;
      const Value& offset = pa ? *right : *left;
      const Type* pt = pa ? a : b;
      auto base = impl_.AsInteger(pointer);
      if (!base) return Unexpected(base.error());
      auto n = impl_.AsInteger(offset);
      if (!n) return Unexpected(n.error());
      const Type* target = Strip(pt->target);
      const std::int64_t size = target && target->kind != TypeKind::kVoid ? static_cast<std::int64_t>(target->size) : 1;
      const Type* result = pt->kind == TypeKind::kArray ? impl_.types.PointerTo(pt->target) : pointer.type;
      return impl_.Scalar(result, static_cast<std::uint64_t>(*base + (op == "-" ? -*n : *n) * size));
    }
    const bool comparison = op == "==" || op == "!=" || op == "<" || op == ">" || op == "<=" || op == ">=";
    const bool real = (a && a->kind == TypeKind::kFloat) || (b && b->kind == TypeKind::kFloat);
    if (real) {
      auto x = impl_.AsDouble(*left), y = impl_.AsDouble(*right);
      if (!x) return Unexpected(x.error());
      if (!y) return Unexpected(y.error());
      if (comparison) {
        const bool r = op == "==" ? *x == *y : op == "!=" ? *x != *y : op == "<" ? *x < *y : op == ">" ? *x > *y
                                                             : op == "<=" ? *x <= *y : *x >= *y;
        return impl_.Scalar(impl_.types.Base("int"), r);
      }
      if (op == "+") return Real(*x + *y);
      if (op == "-") return Real(*x - *y);
      if (op == "*") return Real(*x * *y);
      if (op == "/") return Real(*x / *y);
      return EvalError("Integer only operation " + op + ".");
    }
    auto x = impl_.AsInteger(*left), y = impl_.AsInteger(*right);
    if (!x) return Unexpected(x.error());
    if (!y) return Unexpected(y.error());
    const Type* result = pa || pb ? impl_.types.Base("unsigned long") : IntegerResult(a, b);
    const bool is_unsigned = !result->is_signed;
    const std::uint64_t ux = static_cast<std::uint64_t>(*x), uy = static_cast<std::uint64_t>(*y);
    const std::int64_t sx = *x, sy = *y;
    auto mask = [&](std::uint64_t v) { return result->size >= 8 ? v : v & 0xffffffffu; };
    if (comparison) {
      bool r;
      if (op == "==") r = mask(ux) == mask(uy);
      else if (op == "!=") r = mask(ux) != mask(uy);
      else if (is_unsigned) r = op == "<" ? mask(ux) < mask(uy) : op == ">" ? mask(ux) > mask(uy) : op == "<=" ? mask(ux) <= mask(uy) : mask(ux) >= mask(uy);
      else r = op == "<" ? sx < sy : op == ">" ? sx > sy : op == "<=" ? sx <= sy : sx >= sy;
      return impl_.Scalar(impl_.types.Base("int"), r);
    }
    std::uint64_t r = 0;
    if ((op == "/" || op == "%") && mask(uy) == 0) return EvalError("Division by zero");
    if (op == "+") r = ux + uy;
    else if (op == "-") r = ux - uy;
    else if (op == "*") r = ux * uy;
    else if (op == "/") r = is_unsigned ? mask(ux) / mask(uy) : (sy == -1 ? -ux : static_cast<std::uint64_t>(sx / sy));
    else if (op == "%") r = is_unsigned ? mask(ux) % mask(uy) : (sy == -1 ? 0 : static_cast<std::uint64_t>(sx % sy));
    else if (op == "&") r = ux & uy;
    else if (op == "|") r = ux | uy;
    else if (op == "^") r = ux ^ uy;
    else if (op == "<<") r = uy >= 64 ? 0 : ux << uy;
    else if (op == ">>") r = uy >= 64 ? 0 : (is_unsigned ? mask(ux) >> uy : static_cast<std::uint64_t>(sx >> uy));
    return impl_.Scalar(result, r);
  }

  Evaluator::Impl& impl_;
  std::string_view text_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<Value> ParseAndEvaluate(Evaluator::Impl& impl, std::string_view text) { return Parser(impl, text).Whole(); }

Result<const Type*> ParseTypeText(Evaluator::Impl& impl, std::string_view text) { return Parser(impl, text).WholeType(); }

}  // namespace corekit::eval
