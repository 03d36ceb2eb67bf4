// A C++ program whose exception escapes to std::terminate, for crash-report tests.
//
//   throw_crash [--in-thread]
//
// ledger_total() throws std::runtime_error("ledger is empty") two calls below main (or below a
// worker thread's entry with --in-thread) and nothing catches it: libstdc++ calls
// std::terminate, whose handler aborts. Prints "ready pid=P" first.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace orders {

struct Ledger {
  std::vector<int> amounts;
};

[[gnu::noinline]] int ledger_total(const Ledger& ledger) {
  if (ledger.amounts.empty()) throw std::runtime_error("ledger is empty");
  int total = 0;
  for (int a : ledger.amounts) total += a;
  return total;
}

[[gnu::noinline]] int close_books(const Ledger& ledger) { return ledger_total(ledger) + 1; }

}  // namespace orders

int main(int argc, char** argv) {
  const bool in_thread = argc > 1 && std::strcmp(argv[1], "--in-thread") == 0;
  std::printf("ready pid=%d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
  orders::Ledger empty;
  if (!in_thread) return orders::close_books(empty);
  std::thread worker([&] { std::printf("%d\n", orders::close_books(empty)); });
  worker.join();
  return 0;
}
