// Opens a core with the installed corekit library, prints its thread count, and unwinds the
// thread that took the signal (which needs libdw, passed on by the package or pkg-config).
#include <corekit/core/core_file.h>
#include <corekit/unwind/unwinder.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: thread_count CORE\n");
    return 2;
  }
  auto core = corekit::core::CoreFile::Open(argv[1]);
  if (!core) {
    std::fprintf(stderr, "error: %s\n", core.error().message.c_str());
    return 1;
  }
  std::printf("threads %zu\n", (*core)->threads().size());
  auto unwinder = corekit::unwind::Unwinder::Create(**core, {});
  if (!unwinder || (*core)->threads().empty()) return 1;
  auto backtrace = (*unwinder)->Backtrace((*core)->threads().front());
  std::printf("frames %zu\n", backtrace.frames.size());
  return 0;
}
