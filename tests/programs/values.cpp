// C++ values for corekit debug's comparison with gdb: namespaces, classes with a base and a
// vtable, a template, references (lvalue and rvalue), `this`, a std::string-free program so that
// the values do not depend on the library's version. Built -O0; crashes in Holder::crash.
#include <cstdint>

namespace shapes {
struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
  int id = 0;
};
struct Circle : Shape {
  explicit Circle(double r) : radius(r) { id = 7; }
  double area() const override { return 3.0 * radius * radius; }
  double radius;
};
template <typename T>
struct Box {
  T value;
  int count;
};
enum class Mode : std::uint8_t { kOff, kOn = 3 };
}  // namespace shapes

struct Holder {
  int& ref;
  const shapes::Circle& circle;
  shapes::Box<long> box;
  shapes::Mode mode;
  __attribute__((noinline)) int crash(const shapes::Shape* shape, int&& moved);
};

int Holder::crash(const shapes::Shape* shape, int&& moved) {
  int* volatile nowhere = nullptr;
  bool flag = moved > 3;
  return *nowhere + ref + shape->id + moved + box.count + flag;
}

int main() {
  int counter = 11;
  shapes::Circle circle(2.0);
  Holder holder{counter, circle, {99L, 3}, shapes::Mode::kOn};
  return holder.crash(&circle, 5);
}
