// corekit.Value and corekit.Type over the evaluator: gdb's text, member access, indexing,
// dereferencing, and conversion to Python's own values.
#include "values.h"

#include <pybind11/stl.h>

#include <algorithm>

#include "corekit/eval/types.h"

namespace corekit::python {
namespace {

using eval::Strip;
using eval::TypeKind;

// to_python's bounds: a damaged or cyclic structure ends the walk, never the interpreter.
constexpr std::size_t kMaxElements = 1'000'000;
constexpr std::size_t kMaxValues = 10'000'000;  // in one to_python(): nested arrays multiply
constexpr int kMaxDepth = 64;

struct Type {
  State state;
  const eval::Type* type = nullptr;
};

struct Field {
  State state;
  const eval::Member* member = nullptr;
};

const char* KindName(const eval::Type* t) {
  if (!t) return "void";
  switch (t->kind) {
    case TypeKind::kVoid: return "void";
    case TypeKind::kInteger: return "int";
    case TypeKind::kBool: return "bool";
    case TypeKind::kChar: return "char";
    case TypeKind::kFloat: return "float";
    case TypeKind::kEnum: return "enum";
    case TypeKind::kPointer: return "pointer";
    case TypeKind::kReference: return "reference";
    case TypeKind::kArray: return "array";
    case TypeKind::kStruct: return t->keyword == "class" ? "class" : "struct";
    case TypeKind::kUnion: return "union";
    case TypeKind::kFunction: return "function";
    case TypeKind::kTypedef: return "typedef";
    case TypeKind::kConst: return "const";
    case TypeKind::kVolatile: return "volatile";
    case TypeKind::kUnavailable: return "unavailable";
    case TypeKind::kOther: break;
  }
  return "other";
}

py::object TypeOrNone(const State& state, const eval::Type* t) {
  return t ? py::cast(Type{state, t}) : py::none();
}

// The evaluator's "There is no member named x." and kin are the caller's mistake, not a fault.
[[noreturn]] void RaiseAttribute(const Error& error) {
  if (error.code == Errc::kInvalidArgument) throw py::attribute_error(error.message);
  Raise(error);
}

Value Step(const Value& v, Result<eval::Value> result) { return Value{v.state, Take(std::move(result))}; }

py::object ToPython(const Value& v, int depth, std::size_t& budget);

py::object Decoded(const std::vector<std::uint8_t>& bytes, unsigned width) {
  const char* data = reinterpret_cast<const char*>(bytes.data());
  const auto size = static_cast<Py_ssize_t>(bytes.size());
  PyObject* s = width == 1 ? PyUnicode_DecodeUTF8(data, size, "surrogateescape")
              : width == 2 ? PyUnicode_DecodeUTF16(data, size, "replace", nullptr)
                           : PyUnicode_DecodeUTF32(data, size, "replace", nullptr);
  if (!s) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(s);
}

// A key of a std::map as a dict key: itself when hashable, else its text.
py::object Hashable(py::object key, const Value& v) {
  if (PyObject_Hash(key.ptr()) == -1) {
    PyErr_Clear();
    return py::str(v.state->Evaluator().Format(v.value));
  }
  return key;
}

py::object LibraryToPython(const Value& v, eval::Evaluator::LibraryView view, int depth, std::size_t& budget) {
  using Shape = eval::Evaluator::LibraryView::Shape;
  if (view.shape == Shape::kString) {
    const std::uint64_t bytes = view.string_length * view.char_width;
    if (bytes > kMaxElements * 16) Raise(Error{Errc::kInvalidArgument, "the string is too long to convert"});
    std::vector<std::uint8_t> text(static_cast<std::size_t>(bytes));
    if (auto r = v.state->Target().ReadExact(view.string_address, text); !r) Raise(r.error(), view.string_address);
    return Decoded(text, view.char_width);
  }
  if (view.error && view.children.empty()) Raise(*view.error);
  if (view.shape == Shape::kMap) {
    // A dict; a multimap whose keys repeat, a list of (key, value) pairs.
    py::list pairs;
    py::dict out;
    bool repeated = false;
    for (std::size_t i = 0; i + 1 < view.children.size(); i += 2) {
      const Value key{v.state, view.children[i].value};
      py::object k = Hashable(ToPython(key, depth + 1, budget), key);
      py::object value = ToPython(Value{v.state, view.children[i + 1].value}, depth + 1, budget);
      repeated = repeated || out.contains(k);
      out[k] = value;
      pairs.append(py::make_tuple(k, value));
    }
    return repeated ? py::object(pairs) : py::object(out);
  }
  // Children named [0], [1]... (a list, a set, a tuple) are a list; one child (a smart pointer's
  // get(), an optional's contained value, a variant's alternative) is that child.
  const bool indexed = std::all_of(view.children.begin(), view.children.end(), [](const eval::NamedValue& c) {
    return c.name.size() > 2 && c.name.front() == '[' && c.name.back() == ']' &&
           c.name.find_first_not_of("0123456789", 1) == c.name.size() - 1;
  });
  if (view.shape == Shape::kArray || (view.shape == Shape::kStruct && indexed)) {
    py::list out;
    for (const eval::NamedValue& child : view.children) out.append(ToPython(Value{v.state, child.value}, depth + 1, budget));
    return out;
  }
  if (view.children.size() == 1) return ToPython(Value{v.state, view.children.front().value}, depth + 1, budget);
  py::dict out;
  for (const eval::NamedValue& child : view.children) out[Text(child.name)] = ToPython(Value{v.state, child.value}, depth + 1, budget);
  return out;
}

// A standard container or wrapper that holds nothing: an empty one ([] or {}), an empty
// optional or function (None). nullopt: the printer's summary says something else.
std::optional<py::object> EmptyStandardValue(const eval::Evaluator::LibraryView& view) {
  using Shape = eval::Evaluator::LibraryView::Shape;
  if (view.shape == Shape::kMap) return py::dict();
  if (view.shape == Shape::kArray) return py::list();
  const std::string& s = view.summary;
  if (s.starts_with("empty ") || s.find(" of length 0") != std::string::npos || s.find(" with 0 elements") != std::string::npos) {
    return py::list();
  }
  if (s.find("[no contained value]") != std::string::npos || s.find("(empty)") != std::string::npos) return py::none();
  return std::nullopt;
}

// An integral value (a pointer, a char, an enum) as a Python int: unsigned types as unsigned.
py::int_ IntegerOf(const Value& v) {
  const eval::Type* t = Strip(v.value.type);
  const std::int64_t i = Take(v.state->Evaluator().AsInteger(v.value));
  if (t && (t->kind == TypeKind::kPointer || !t->is_signed)) {
    const unsigned bits = t->size >= 8 || t->size == 0 ? 64 : static_cast<unsigned>(t->size * 8);
    const std::uint64_t u = bits == 64 ? static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i) & ((1ull << bits) - 1);
    return py::int_(u);
  }
  return py::int_(i);
}

py::object ToPython(const Value& v, int depth, std::size_t& budget) {
  if (budget-- == 0) Raise(Error{Errc::kInvalidArgument, "the value holds more than 10000000 values to convert"});
  if (depth > kMaxDepth) Raise(Error{Errc::kInvalidArgument, "the value nests more than 64 levels deep"});
  if (v.value.where == eval::Value::Where::kOptimizedOut) return py::none();
  eval::Evaluator& e = v.state->Evaluator();
  const eval::Type* t = Strip(v.value.type);
  if (!t || t->kind == TypeKind::kVoid) return py::none();
  if (t->kind == TypeKind::kReference) return ToPython(Step(v, e.Dereference(v.value)), depth, budget);
  if (t->kind == TypeKind::kStruct || t->kind == TypeKind::kUnion) {
    if (auto view = e.StandardView(v.value, kMaxElements)) {
      if (view->shape != eval::Evaluator::LibraryView::Shape::kLeaf && (!view->children.empty() || view->error)) {
        return LibraryToPython(v, std::move(*view), depth, budget);
      }
      if (view->shape == eval::Evaluator::LibraryView::Shape::kString) return LibraryToPython(v, std::move(*view), depth, budget);
      if (auto empty = EmptyStandardValue(*view)) return *empty;
    }
    py::dict out;
    for (const eval::Member& m : t->members) {
      if (m.is_static) continue;
      // A base class by its name; an anonymous struct or union as "".
      const std::string name = m.is_base ? (m.type ? m.type->name : "") : m.name;
      out[Text(name)] = ToPython(Step(v, e.MemberValue(v.value, m)), depth + 1, budget);
    }
    return out;
  }
  if (t->kind == TypeKind::kArray) {
    const eval::Type* element = Strip(t->target);
    const std::uint64_t count = t->count.value_or(0);
    if (count > kMaxElements) Raise(Error{Errc::kInvalidArgument, "the array has too many elements to convert"});
    if (element && element->kind == TypeKind::kChar && element->size == 1) {
      auto fetched = Take(e.Fetched(v.value));
      return py::bytes(reinterpret_cast<const char*>(fetched.bytes.data()), fetched.bytes.size());
    }
    py::list out;
    for (std::uint64_t i = 0; i < count; ++i) out.append(ToPython(Step(v, e.Element(v.value, static_cast<std::int64_t>(i))), depth + 1, budget));
    return out;
  }
  if (t->kind == TypeKind::kFloat) return py::float_(Take(e.AsDouble(v.value)));
  if (t->kind == TypeKind::kBool) return py::bool_(Take(e.AsInteger(v.value)) != 0);
  if (t->kind == TypeKind::kFunction) return py::int_(Take(e.AsAddress(v.value)));
  return IntegerOf(v);
}

// gdb's text of the value: a container's elements may be many reads, so without the GIL.
std::string Formatted(const Value& v, char letter = 0) {
  return Unlocked(*v.state, [&] { return v.state->Evaluator().Format(v.value, eval::PrintFormat{letter, false}); });
}

}  // namespace

void AddValues(py::module_& m) {
  py::class_<Field>(m, "Field", "A member of a struct, class or union type.")
      .def_property_readonly("name", [](const Field& f) -> py::object {
        return f.member->name.empty() ? py::none() : py::object(Text(f.member->name));
      }, "None for an anonymous struct or union member")
      .def_property_readonly("type", [](const Field& f) { return TypeOrNone(f.state, f.member->type); })
      .def_property_readonly("offset", [](const Field& f) { return f.member->offset; }, "bytes from the start")
      .def_property_readonly("bit_size", [](const Field& f) { return f.member->bit_size; }, "a bit-field's width, else 0")
      .def_property_readonly("bit_offset", [](const Field& f) { return f.member->bit_offset; })
      .def_property_readonly("is_base", [](const Field& f) { return f.member->is_base; }, "a C++ base class")
      .def("__repr__", [](const Field& f) { return Text("Field(" + f.member->name + ": " + eval::TypeName(f.member->type) + ")"); });

  py::class_<Type>(m, "Type", "A type of the program, named as gdb names it.")
      .def_property_readonly("name", [](const Type& t) {
        Hold hold(*t.state);
        return Text(eval::TypeName(t.type));
      }, "\"struct node *\", \"std::vector<int, std::allocator<int> >\"")
      .def_property_readonly("size", [](const Type& t) { return Strip(t.type) ? Strip(t.type)->size : t.type->size; })
      .def_property_readonly("kind", [](const Type& t) { return KindName(t.type); },
                             "int, bool, char, float, enum, pointer, reference, array, struct, class, union, "
                             "function, typedef, const, volatile, void, unavailable or other")
      .def_property_readonly("fields", [](const Type& t) {
        py::list fields;
        const eval::Type* s = Strip(t.type);
        if (s && (s->kind == TypeKind::kStruct || s->kind == TypeKind::kUnion)) {
          for (const eval::Member& member : s->members) {
            if (!member.is_static) fields.append(py::cast(Field{t.state, &member}));
          }
        }
        return fields;
      }, "a struct's, class's or union's members (with its base classes); [] for other types")
      .def_property_readonly("target", [](const Type& t) { return TypeOrNone(t.state, t.type->target); },
                             "what a pointer points to, an array's element, a typedef's or qualifier's type, a "
                             "function's return type; None for the others")
      .def_property_readonly("length", [](const Type& t) -> py::object {
        const eval::Type* s = Strip(t.type);
        if (!s || s->kind != TypeKind::kArray || !s->count) return py::none();
        return py::int_(*s->count);
      }, "an array's element count, None for other types")
      .def_property_readonly("enumerators", [](const Type& t) {
        py::list out;
        if (const eval::Type* s = Strip(t.type)) {
          for (const auto& [name, value] : s->enumerators) out.append(py::make_tuple(Text(name), value));
        }
        return out;
      }, "an enum's (name, value) pairs")
      .def("unqualified", [](const Type& t) { return Type{t.state, Strip(t.type)}; },
           "The type without typedefs, const and volatile.")
      .def("__str__", [](const Type& t) {
        Hold hold(*t.state);
        return Text(eval::TypeName(t.type));
      })
      .def("__eq__", [](const Type& a, const Type& b) { return a.type == b.type; })
      .def("__hash__", [](const Type& t) { return std::hash<const void*>()(t.type); })
      .def("__repr__", [](const Type& t) { return Text("Type(" + eval::TypeName(t.type) + ")"); });

  py::class_<Value>(m, "Value", R"(A value of the program: a variable, a member, an element, an expression's result.

str(v) is gdb's print text (the standard library's containers as its printers show them).
v.member and v["member"] are members (of the pointee for a pointer), v[i] an element, v.deref()
what a pointer points to; int(v), float(v) and v.to_python() convert.)")
      .def("__str__", [](const Value& v) { return Text(Formatted(v)); })
      .def("format", [](const Value& v, const std::string& letter) {
        if (letter.size() > 1) throw py::value_error("a format is one of gdb's letters: x d u o t c a z f s");
        return Text(Formatted(v, letter.empty() ? 0 : letter[0]));
      }, py::arg("fmt") = "", "gdb's print/FMT text: format(\"x\") is print/x.")
      .def("__repr__", [](const Value& v) {
        std::string text = Formatted(v);
        if (text.size() > 200) text = text.substr(0, 200) + "...";
        return Text("Value(" + eval::TypeName(v.value.type) + ": " + text + ")");
      })
      .def_property_readonly("type", [](const Value& v) { return TypeOrNone(v.state, v.value.type); })
      .def_property_readonly("address", [](const Value& v) -> py::object {
        return v.value.where == eval::Value::Where::kMemory && !v.value.bit_size ? py::object(py::int_(v.value.address)) : py::none();
      }, "where it is in memory, or None (a register, a computed value, optimized out)")
      .def_property_readonly("optimized_out", [](const Value& v) { return v.value.where == eval::Value::Where::kOptimizedOut; })
      .def("__getattr__", [](const Value& v, const std::string& name) {
        if (name.starts_with("__")) throw py::attribute_error(name);
        Hold hold(*v.state);
        auto member = v.state->Evaluator().MemberOf(v.value, name);
        if (!member) RaiseAttribute(member.error());
        return Value{v.state, std::move(*member)};
      })
      .def("__getitem__", [](const Value& v, py::object key) {
        Hold hold(*v.state);
        eval::Evaluator& e = v.state->Evaluator();
        if (py::isinstance<py::str>(key)) {
          auto member = e.MemberOf(v.value, key.cast<std::string>());
          if (!member && member.error().code == Errc::kInvalidArgument) RaiseLookup(member.error().message);
          return Step(v, std::move(member));
        }
        return Step(v, e.Element(v.value, key.cast<std::int64_t>()));
      }, py::arg("key"), "v[\"member\"] a member, v[i] an element (of an array, a pointer, a std::vector, ...)")
      .def("deref", [](const Value& v) {
        Hold hold(*v.state);
        return Step(v, v.state->Evaluator().Dereference(v.value));
      }, "What a pointer (or smart pointer) points to: *v.")
      .def("to_python", [](const Value& v) {
        Hold hold(*v.state);
        std::size_t budget = kMaxValues;
        return ToPython(v, 0, budget);
      }, "The value as Python's: int, bool, float, bytes (char arrays), str (std::string), list (arrays, "
         "std::vector), dict (structs, std::map); None when optimized out.")
      .def("__int__", [](const Value& v) {
        Hold hold(*v.state);
        return IntegerOf(v);
      })
      .def("__index__", [](const Value& v) {
        Hold hold(*v.state);
        return IntegerOf(v);
      })
      .def("__float__", [](const Value& v) {
        Hold hold(*v.state);
        return Take(v.state->Evaluator().AsDouble(v.value));
      })
      .def("__bool__", [](const Value& v) {
        Hold hold(*v.state);
        if (!eval::IsScalar(v.value.type)) return true;
        return Take(v.state->Evaluator().AsDouble(v.value)) != 0;
      })
      .def("__len__", [](const Value& v) {
        const eval::Type* t = Strip(v.value.type);
        if (!t || t->kind != TypeKind::kArray || !t->count) throw py::type_error("len() of a value that is not an array");
        return *t->count;
      });
}

}  // namespace corekit::python
