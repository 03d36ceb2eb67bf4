// The C++ standard library's values for corekit debug's comparison with gdb's printers: one of
// each kind, small and known, in Inspect()'s frame, and a worker thread's loop over a
// std::vector<Order> that dereferences a null pointer (Sum). Built with g++ and clang++, -O0 and
// -O2. `--damaged`: containers whose memory was overwritten (a huge size, a cycle, nodes and
// characters outside the process) before the same crash; `--big`: a 1 000 000-element vector and
// a 100 000-node map in Big()'s frame (the benchmark's).
#include <array>
#include <atomic>
#include <cstring>
#include <deque>
#include <forward_list>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

struct Order {
  int id;
  int* qty;
};

int g_seven = 7;
std::vector<int> g_numbers = {10, 20, 30};

__attribute__((noinline)) int Sum(const std::vector<Order>& orders) {
  int total = 0;
  for (const Order& order : orders) total += order.id * *order.qty;
  return total;
}

__attribute__((noinline)) int Inspect(int depth) {
  std::string text = "hello, world";
  std::string long_text(40, 'x');
  std::wstring wide = L"wide";
  std::u16string u16 = u"sixteen";
  std::string_view view = text;
  std::vector<int> numbers = {1, 2, 3};
  std::vector<int> empty_numbers;
  std::vector<bool> bits = {true, false, true, true};
  std::array<int, 3> fixed = {4, 5, 6};
  std::deque<int> queue = {7, 8, 9, 10};
  std::list<std::string> names = {"ann", "bob"};
  std::list<int> no_names;
  std::forward_list<int> singles = {11, 12};
  std::map<int, std::string> by_id = {{1, "one"}, {2, "two"}, {3, "three"}};
  std::multimap<int, int> multi = {{1, 10}, {1, 11}};
  std::set<int> unique = {5, 3, 1};
  std::multiset<int> repeated = {2, 2};
  std::unordered_map<std::string, int> counts = {{"a", 1}};
  std::unordered_set<int> hashed = {42};
  std::unique_ptr<Order> owned(new Order{9, &g_seven});
  std::unique_ptr<int> no_owner;
  std::shared_ptr<int> shared = std::make_shared<int>(5);
  std::shared_ptr<int> shared_copy = shared;
  std::weak_ptr<int> weak = shared;
  std::shared_ptr<int> no_share;
  std::optional<int> maybe = 3;
  std::optional<int> nothing;
  std::optional<std::vector<int>> maybe_numbers = std::vector<int>{8, 9};
  std::variant<int, std::string> either = std::string("right");
  std::tuple<int, char, double> triple{1, 'c', 2.5};
  std::pair<int, std::string> two{1, "pair"};
  std::atomic<int> counter{17};
  std::vector<Order> orders = {{1, &g_seven}, {2, nullptr}};
  std::vector<std::vector<int>> nested = {{1}, {2, 3}};
  std::vector<int> zeros(300, 0);
  std::map<std::string, std::vector<int>> index = {{"odd", {1, 3}}, {"even", {2}}};
  std::function<int(int)> doubler = [](int x) { return 2 * x; };  // its target: a lambda
  std::function<void()> no_function;
  auto it = numbers.begin();
  auto map_it = by_id.begin();
  auto list_it = names.begin();
  (void)it, (void)map_it, (void)list_it;
  if (depth > 0) return Inspect(depth - 1);
  return Sum(orders) + static_cast<int>(text.size());
}

// Overwrites the containers' own words as a wild write would, then crashes with them in frame.
__attribute__((noinline)) int Damaged() {
  std::vector<int> huge = {1, 2, 3};
  std::list<int> looped = {1, 2, 3};
  std::map<int, int> lost = {{1, 1}, {2, 2}};
  std::unordered_map<int, int> unhashed = {{1, 1}};
  std::string gone = "gone";
  std::deque<int> torn = {1, 2};
  void** words = reinterpret_cast<void**>(&huge);
  words[1] = static_cast<int*>(words[0]) + (1ull << 40);  // _M_finish: a trillion elements
  void* first = reinterpret_cast<void**>(&looped)[0];
  reinterpret_cast<void**>(first)[0] = first;  // the first node's next is itself
  reinterpret_cast<void**>(&lost)[3] = reinterpret_cast<void*>(0x10);  // the leftmost node
  reinterpret_cast<void**>(&unhashed)[2] = reinterpret_cast<void*>(0x10);  // _M_before_begin
  reinterpret_cast<void**>(&gone)[0] = reinterpret_cast<void*>(0x10);  // the characters
  reinterpret_cast<std::size_t*>(&gone)[1] = std::size_t{1} << 40;
  reinterpret_cast<void**>(&torn)[5] = reinterpret_cast<void*>(0x10);  // _M_start._M_node
  std::vector<Order> orders = {{1, nullptr}};
  return Sum(orders) + static_cast<int>(huge.size() + looped.size() + lost.size() + unhashed.size() + torn.size());
}

__attribute__((noinline)) int Big() {
  std::vector<long> numbers(1'000'000);
  for (std::size_t i = 0; i < numbers.size(); ++i) numbers[i] = static_cast<long>(i);
  std::map<int, int> squares;
  for (int i = 0; i < 100'000; ++i) squares.emplace(i, i * i);
  std::vector<Order> orders = {{1, nullptr}};
  return Sum(orders) + static_cast<int>(numbers.size() + squares.size());
}

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  int result = 0;
  std::thread worker([&] { result = mode == "--damaged" ? Damaged() : mode == "--big" ? Big() : Inspect(0); });
  worker.join();
  return result + static_cast<int>(g_numbers.size());
}
